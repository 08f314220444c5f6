//! `attaka service …`: the centre node as a Windows service (the glue is in the `winsvc` crate,
//! docs/decisions/0018-windows-service.md). Elsewhere each command says it is for Windows.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ServiceCommand {
    /// Register the node as the Windows service `Attaka`, started with Windows as its own
    /// virtual account (NT SERVICE\Attaka), with the configuration given by --config; make the
    /// data, log and backup folders and leave them to that account and the Administrators only.
    /// Run as an administrator. Installing again updates the registration.
    Install,
    /// Start the service and wait until it serves.
    Start,
    /// Stop the service (requests in flight are finished first) and wait until it has stopped.
    Stop,
    /// Stop the service and remove its registration; the data folder stays as it is.
    Uninstall,
    /// Whether the service is installed, and its state.
    Status,
    /// What the service manager starts; in a console use `attaka serve` instead.
    #[command(hide = true)]
    Run,
}

/// The folders the service writes to, each once and absolute: the data folder, then the log and
/// backup folders and the database's folder where they are not inside it.
pub fn writable_dirs(settings: &Settings) -> std::io::Result<Vec<PathBuf>> {
    let data = std::path::absolute(&settings.node.data_dir)?;
    let mut dirs = vec![data.clone()];
    let mut others = vec![settings.log_dir(), settings.backup_dir()];
    if let Some(parent) = settings.sqlite_path().as_deref().and_then(Path::parent) {
        others.push(parent.to_path_buf());
    }
    for dir in others {
        let dir = std::path::absolute(dir)?;
        if !dir.starts_with(&data) && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    Ok(dirs)
}

impl ServiceCommand {
    /// Start, stop, status and uninstall only talk to the service manager: they need no (valid)
    /// configuration, so they work even when the configuration file is broken.
    pub fn needs_settings(&self) -> bool {
        matches!(self, ServiceCommand::Install | ServiceCommand::Run)
    }
}

/// Runs one `attaka service` command; `config` is the configuration file the node was given,
/// `settings` what it holds (none for the commands that do not need them).
pub async fn run_command(
    command: ServiceCommand,
    config: Option<&Path>,
    settings: Option<Settings>,
) -> anyhow::Result<String> {
    imp::run_command(command, config, settings).await
}

#[cfg(not(windows))]
mod imp {
    use super::*;

    pub async fn run_command(
        command: ServiceCommand,
        _config: Option<&Path>,
        _settings: Option<Settings>,
    ) -> anyhow::Result<String> {
        anyhow::bail!(
            "`attaka service {}` manages the Windows service and works on Windows only; elsewhere run `attaka serve` under the system's service manager (e.g. systemd)",
            format!("{command:?}").to_lowercase()
        )
    }
}

#[cfg(windows)]
mod imp {
    use std::process::Command;
    use std::time::Duration;

    use anyhow::Context;
    use winsvc::{Registration, SERVICE_ACCOUNT, SERVICE_NAME};

    use super::*;
    use crate::startup::Application;

    pub async fn run_command(
        command: ServiceCommand,
        config: Option<&Path>,
        settings: Option<Settings>,
    ) -> anyhow::Result<String> {
        let blocking = |f: fn() -> Result<String, winsvc::Error>| async move {
            tokio::task::spawn_blocking(f)
                .await
                .context("the service command's task")?
                .map_err(|e| {
                    anyhow::anyhow!(
                        "service {SERVICE_NAME}: {} (run as an administrator?)",
                        winsvc::describe(&e)
                    )
                })
        };
        let settings = || settings.context("this command needs the node's configuration");
        match command {
            ServiceCommand::Install => install(config, &settings()?),
            ServiceCommand::Start => {
                blocking(|| Ok(format!("service {SERVICE_NAME}: {:?}", winsvc::start()?))).await
            }
            ServiceCommand::Stop => {
                blocking(|| Ok(format!("service {SERVICE_NAME}: {:?}", winsvc::stop()?))).await
            }
            ServiceCommand::Uninstall => {
                blocking(|| {
                    winsvc::uninstall()
                        .map(|()| format!("service {SERVICE_NAME} removed; the data folder stays"))
                })
                .await
            }
            ServiceCommand::Status => {
                blocking(|| {
                    Ok(match winsvc::query()? {
                        Some(state) => format!("service {SERVICE_NAME}: {state:?}"),
                        None => format!("service {SERVICE_NAME} is not installed"),
                    })
                })
                .await
            }
            ServiceCommand::Run => run_as_service(settings()?).await.map(|()| String::new()),
        }
    }

    fn install(config: Option<&Path>, settings: &Settings) -> anyhow::Result<String> {
        let executable = std::env::current_exe().context("finding attaka.exe")?;
        let config = match config {
            Some(file) => {
                anyhow::ensure!(file.is_file(), "no configuration file at {}", file.display());
                Some(std::path::absolute(file)?)
            }
            None => {
                let beside = std::path::absolute(settings.node.data_dir.join("attaka.toml"))?;
                beside.is_file().then_some(beside)
            }
        };
        let dirs = writable_dirs(settings)?;
        for dir in &dirs {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let registration = Registration {
            executable,
            config,
            account: SERVICE_ACCOUNT.into(),
        };
        let refused = winsvc::install(&registration).map_err(|e| {
            anyhow::anyhow!(
                "registering service {SERVICE_NAME}: {} (run as an administrator?)",
                winsvc::describe(&e)
            )
        })?;
        let mut lines = vec![format!(
            "service {SERVICE_NAME} installed: {} {}",
            registration.executable.display(),
            registration
                .launch_arguments()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        )];
        lines.extend(refused.into_iter().map(|w| format!("WARNING: not set: {w}")));
        // After the registration: the virtual account exists only once the service does.
        for (i, dir) in dirs.iter().enumerate() {
            let status = Command::new("icacls")
                .args(winsvc::acl_arguments(dir, SERVICE_ACCOUNT))
                .status()
                .context("running icacls");
            match status {
                Ok(s) if s.success() => lines.push(format!(
                    "{}: only {SERVICE_ACCOUNT} and the Administrators may use it",
                    dir.display()
                )),
                // The data folder holds the people's data: its ACL must be set.
                _ if i == 0 => anyhow::bail!("could not set the ACL of {} with icacls", dir.display()),
                // A backup drive may have no ACLs (FAT32, exFAT): say so, do not fail.
                _ => lines.push(format!(
                    "WARNING: could not set the ACL of {} (a drive without ACLs?); keep it safe by other means",
                    dir.display()
                )),
            }
        }
        Ok(lines.join("\n"))
    }

    /// The node under the service manager: serves until the manager asks it to stop.
    async fn run_as_service(settings: Settings) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Handle::current();
        let body = move |service: winsvc::Service, stop: winsvc::StopRequest| {
            runtime.block_on(serve(settings, service, stop)).map_err(|e| {
                tracing::error!(error = %format!("{e:#}"), "the service stopped with an error");
                format!("{e:#}")
            })
        };
        tokio::task::spawn_blocking(move || winsvc::run(body))
            .await
            .context("the service dispatcher's task")?
            .map_err(|e| {
                anyhow::anyhow!(
                    "not started by the service manager ({}): `attaka service run` is what the service {SERVICE_NAME} runs; in a console use `attaka serve`",
                    winsvc::describe(&e)
                )
            })
    }

    async fn serve(
        settings: Settings,
        service: winsvc::Service,
        stop: winsvc::StopRequest,
    ) -> anyhow::Result<()> {
        // Held until the node stops: a restore refuses to swap the database under it.
        let _in_use = crate::ops::backup::serving(&settings)?;
        let app = Application::build(settings).await?;
        tracing::info!(port = app.port(), "attaka listening (Windows service)");
        let handle = app.stop_handle();
        if let Err(e) = service.running() {
            tracing::warn!(error = %e, "could not report the service as running");
        }
        // A plain thread, not a blocking task: should the server end on its own, nothing
        // waits for it.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            stop.wait();
            let _ = stop_tx.send(());
        });
        let mut server = tokio::spawn(app.run_until_stopped());
        tokio::select! {
            ended = &mut server => ended.context("the server task")??,
            _ = stop_rx => {
                tracing::info!("the service manager asked the node to stop");
                let _ = service.stopping(Duration::from_secs(30));
                handle.stop().await;
                server.await.context("the server task")??;
            }
        }
        tracing::info!("attaka stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_writes_to_its_data_folder_and_to_log_and_backup_folders_outside_it() {
        let mut settings = Settings::load_unchecked(None).unwrap();
        let base = std::env::temp_dir().join("attaka-service-dirs");
        settings.node.data_dir = base.join("data");
        settings.database.url = None;
        settings.log.dir = None;
        settings.backup.dir = None;
        // Everything inside the data folder: that folder alone.
        assert_eq!(writable_dirs(&settings).unwrap(), [base.join("data")]);
        // Backups on another drive: that folder too, once.
        settings.backup.dir = Some(base.join("usb").join("attaka"));
        settings.log.dir = Some(base.join("data").join("logs"));
        assert_eq!(
            writable_dirs(&settings).unwrap(),
            [base.join("data"), base.join("usb").join("attaka")]
        );
    }
}
