//! The Windows side: the service control manager's calls, through `windows-service`.

use std::ffi::OsString;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod, ServiceInfo,
    ServiceSidType, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult, ServiceStatusHandle};
use windows_service::service_dispatcher;
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

use crate::{Registration, DESCRIPTION, DISPLAY_NAME, SERVICE_NAME};

pub use windows_service::Error;

/// `ERROR_SERVICE_EXISTS`: install over an existing registration updates it.
const ERROR_SERVICE_EXISTS: i32 = 1073;
/// `ERROR_SERVICE_DATABASE_LOCKED`: the manager is busy (starting the services of a booting
/// system, say); a start is tried again.
const ERROR_SERVICE_DATABASE_LOCKED: i32 = 1055;
/// `ERROR_SERVICE_DOES_NOT_EXIST`.
const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;
/// How long start and stop wait for the service to get there.
const WAIT: Duration = Duration::from_secs(60);

/// The one place where unsafe code is allowed in the workspace: the `extern "system"` entry
/// point that `define_windows_service!` writes (it turns the raw argument vector the service
/// manager passes into `Vec<OsString>`).
#[allow(unsafe_code)]
mod dispatch {
    use super::service_main;
    windows_service::define_windows_service!(ffi_service_main, service_main);
    /// The entry point, for `StartServiceCtrlDispatcherW`.
    pub(super) fn entry() -> extern "system" fn(u32, *mut *mut u16) {
        ffi_service_main
    }
}

type Body = Box<dyn FnOnce(Service, StopRequest) -> Result<(), String> + Send>;

/// What [`run`] hands to the thread the service manager starts.
static BODY: Mutex<Option<Body>> = Mutex::new(None);

/// The running service, to report its state to the service manager.
#[derive(Clone, Copy)]
pub struct Service {
    status: ServiceStatusHandle,
}

impl Service {
    fn report(&self, state: ServiceState, exit: ServiceExitCode, wait: Duration) -> Result<(), Error> {
        let controls_accepted = if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        };
        self.status.set_service_status(ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted,
            exit_code: exit,
            checkpoint: 0,
            wait_hint: wait,
            process_id: None,
        })
    }

    /// The node serves: the service manager shows it as running and may now stop it.
    pub fn running(&self) -> Result<(), Error> {
        self.report(ServiceState::Running, ServiceExitCode::NO_ERROR, Duration::ZERO)
    }

    /// The node is finishing its requests (up to `wait`).
    pub fn stopping(&self, wait: Duration) -> Result<(), Error> {
        self.report(ServiceState::StopPending, ServiceExitCode::NO_ERROR, wait)
    }
}

/// The service manager's request to stop (Stop, or Shutdown when Windows shuts down).
pub struct StopRequest(mpsc::Receiver<()>);

impl StopRequest {
    /// Blocks until the service manager asks the service to stop.
    pub fn wait(self) {
        // A closed channel also means no more requests can come: stop.
        let _ = self.0.recv();
    }
}

/// Runs `body` as the service: connects to the service manager (blocking this thread until the
/// service has stopped), reports the service as starting, and calls `body` on the thread the
/// manager starts. `body` reports [`Service::running`] once it serves and returns when
/// [`StopRequest::wait`] does; an error it returns stops the service with a failure, so the
/// recovery actions set by [`install`] restart it.
///
/// Only the service manager can start this: from a console it fails with
/// `ERROR_FAILED_SERVICE_CONTROLLER_CONNECT` (1063).
pub fn run(
    body: impl FnOnce(Service, StopRequest) -> Result<(), String> + Send + 'static,
) -> Result<(), Error> {
    *BODY.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(body));
    service_dispatcher::start(SERVICE_NAME, dispatch::entry())
}

fn service_main(_arguments: Vec<OsString>) {
    let body = BODY.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(body) = body else { return };
    let (stop_tx, stop_rx) = mpsc::channel();
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            let _ = stop_tx.send(());
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let Ok(status) = service_control_handler::register(SERVICE_NAME, handler) else {
        return;
    };
    let service = Service { status };
    // Migrations can take a while on a large database.
    let _ = service.report(
        ServiceState::StartPending,
        ServiceExitCode::NO_ERROR,
        Duration::from_secs(120),
    );
    let exit = match body(service, StopRequest(stop_rx)) {
        Ok(()) => ServiceExitCode::NO_ERROR,
        Err(_) => ServiceExitCode::ServiceSpecific(1),
    };
    let _ = service.report(ServiceState::Stopped, exit, Duration::ZERO);
}

fn manager(access: ServiceManagerAccess) -> Result<ServiceManager, Error> {
    ServiceManager::local_computer(None::<&str>, access)
}

fn is_os_error(e: &Error, code: i32) -> bool {
    matches!(e, Error::Winapi(io) if io.raw_os_error() == Some(code))
}

/// Registers the service (or updates an existing registration) to start with Windows as
/// `registration.account`, restarted a minute after a failure. Needs an administrator. Returns
/// what of the registration's refinements (description, SID type, recovery) the system refused.
pub fn install(registration: &Registration) -> Result<Vec<String>, Error> {
    let manager = manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
    let info = ServiceInfo {
        name: SERVICE_NAME.into(),
        display_name: DISPLAY_NAME.into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: registration.executable.clone(),
        launch_arguments: registration.launch_arguments(),
        dependencies: Vec::new(),
        account_name: Some(registration.account.clone().into()),
        account_password: None,
    };
    let access = ServiceAccess::CHANGE_CONFIG | ServiceAccess::QUERY_STATUS | ServiceAccess::START;
    let service = match manager.create_service(&info, access) {
        Ok(service) => service,
        Err(e) if is_os_error(&e, ERROR_SERVICE_EXISTS) => {
            let service = manager.open_service(SERVICE_NAME, access)?;
            service.change_config(&info)?;
            service
        }
        Err(e) => return Err(e),
    };
    // The rest refines the registration; what the system refuses is reported, not fatal (Wine,
    // for one, knows no service SID types).
    let mut warnings = Vec::new();
    let mut note = |what: &str, result: Result<(), Error>| {
        if let Err(e) = result {
            warnings.push(format!("{what}: {}", describe(&e)));
        }
    };
    note("description", service.set_description(DESCRIPTION));
    // The service's own SID in its token, which the virtual account `NT SERVICE\Attaka` uses.
    note(
        "service SID type",
        service.set_config_service_sid_info(ServiceSidType::Unrestricted),
    );
    let restart = ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(60),
    };
    note(
        "restart after a failure",
        service.update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(24 * 3600)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![restart.clone(), restart.clone(), restart]),
        }),
    );
    // Also when the node stops with an error rather than crashing.
    note(
        "restart after an error exit",
        service.set_failure_actions_on_non_crash_failures(true),
    );
    Ok(warnings)
}

/// An error with the system's reason (`windows_service::Error` shows only its own words).
pub fn describe(e: &Error) -> String {
    match e {
        Error::Winapi(io) => format!("{e}: {io}"),
        _ => e.to_string(),
    }
}

/// The service's state (`None` when it is not installed).
pub fn query() -> Result<Option<ServiceState>, Error> {
    let manager = manager(ServiceManagerAccess::CONNECT)?;
    match manager.open_service(SERVICE_NAME, ServiceAccess::QUERY_STATUS) {
        Ok(service) => Ok(Some(service.query_status()?.current_state)),
        Err(e) if is_os_error(&e, ERROR_SERVICE_DOES_NOT_EXIST) => Ok(None),
        Err(e) => Err(e),
    }
}

fn wait_for(
    service: &windows_service::service::Service,
    done: &[ServiceState],
) -> Result<ServiceState, Error> {
    let started = Instant::now();
    loop {
        let state = service.query_status()?.current_state;
        if done.contains(&state) || started.elapsed() > WAIT {
            return Ok(state);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts the service and waits until it runs (or has stopped again); returns where it got.
pub fn start() -> Result<ServiceState, Error> {
    let manager = manager(ServiceManagerAccess::CONNECT)?;
    let service = manager.open_service(SERVICE_NAME, ServiceAccess::START | ServiceAccess::QUERY_STATUS)?;
    if service.query_status()?.current_state != ServiceState::Running {
        let started = Instant::now();
        loop {
            match service.start::<&str>(&[]) {
                Err(e) if is_os_error(&e, ERROR_SERVICE_DATABASE_LOCKED) && started.elapsed() < WAIT => {
                    std::thread::sleep(Duration::from_millis(500));
                }
                result => break result?,
            }
        }
    }
    wait_for(&service, &[ServiceState::Running, ServiceState::Stopped])
}

/// Stops the service and waits until it has stopped; returns where it got.
pub fn stop() -> Result<ServiceState, Error> {
    let manager = manager(ServiceManagerAccess::CONNECT)?;
    let service = manager.open_service(SERVICE_NAME, ServiceAccess::STOP | ServiceAccess::QUERY_STATUS)?;
    if service.query_status()?.current_state != ServiceState::Stopped {
        service.stop()?;
    }
    wait_for(&service, &[ServiceState::Stopped])
}

/// Stops the service if it runs and removes its registration (the data stays).
pub fn uninstall() -> Result<(), Error> {
    let manager = manager(ServiceManagerAccess::CONNECT)?;
    let access = ServiceAccess::STOP | ServiceAccess::QUERY_STATUS | ServiceAccess::DELETE;
    let service = manager.open_service(SERVICE_NAME, access)?;
    if service.query_status()?.current_state != ServiceState::Stopped {
        service.stop()?;
        wait_for(&service, &[ServiceState::Stopped])?;
    }
    service.delete()
}
