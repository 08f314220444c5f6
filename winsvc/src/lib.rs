//! The Attaka node as a Windows service, through the `windows-service` crate: registering it
//! with the service control manager (install, start, stop, uninstall, status) and the entry
//! point the manager calls (`attaka service run`).
//!
//! This crate exists so that the workspace can keep `unsafe_code = "forbid"` everywhere else:
//! `define_windows_service!` expands to an `extern "system"` function with an `unsafe` block, and
//! that one call, in [`dispatch`](self), is the only place allowed to hold one
//! (docs/decisions/0018-windows-service.md). What does not need Windows (the service's name, its
//! account and command line, the ACL that `icacls` sets) is built on every platform so it is
//! tested on the build machine too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{describe, install, query, run, start, stop, uninstall, Error, Service, StopRequest};

/// The service's name (what `sc query Attaka` and `services.msc` show).
pub const SERVICE_NAME: &str = "Attaka";
/// What `services.msc` lists.
pub const DISPLAY_NAME: &str = "Attaka（あったかふれあいセンター 利用者データ管理）";
/// What `services.msc` says of it.
pub const DESCRIPTION: &str =
    "あったかふれあいセンターの利用者データ管理ノード（Attaka）。止めると職員の画面が使えなくなります。";
/// The account the service runs as: its own virtual account, which Windows makes for a service
/// of this name and which holds no rights beyond what the install grants it (its data folder).
pub const SERVICE_ACCOUNT: &str = r"NT SERVICE\Attaka";
/// The built-in Administrators group, by its well-known SID so it works in every language of
/// Windows (`icacls` takes `*SID`).
pub const ADMINISTRATORS: &str = "*S-1-5-32-544";

/// What the service manager should start: `attaka.exe [--config FILE] service run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub executable: PathBuf,
    pub config: Option<PathBuf>,
    pub account: String,
}

impl Registration {
    /// The arguments the service manager passes to `executable`.
    pub fn launch_arguments(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some(config) = &self.config {
            args.push(OsString::from("--config"));
            args.push(config.as_os_str().to_owned());
        }
        args.push("service".into());
        args.push("run".into());
        args
    }
}

/// The `icacls` arguments that leave `dir` (and what it holds, now and later) to `account`
/// (modify) and the Administrators (full control) only: inherited entries are removed, so the
/// Users group of `%ProgramData%` cannot read the people's data.
pub fn acl_arguments(dir: &Path, account: &str) -> Vec<OsString> {
    let mut args = vec![dir.as_os_str().to_owned()];
    for arg in [
        "/inheritance:r".to_owned(),
        "/grant:r".to_owned(),
        format!("{ADMINISTRATORS}:(OI)(CI)F"),
        "/grant:r".to_owned(),
        format!("{account}:(OI)(CI)M"),
        "/T".to_owned(),
        "/C".to_owned(),
        "/Q".to_owned(),
    ] {
        args.push(arg.into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_is_started_as_attaka_service_run_with_the_configuration_it_was_installed_with() {
        let with = Registration {
            executable: PathBuf::from(r"C:\Program Files\Attaka\attaka.exe"),
            config: Some(PathBuf::from(r"C:\ProgramData\Attaka\attaka.toml")),
            account: SERVICE_ACCOUNT.into(),
        };
        assert_eq!(
            with.launch_arguments(),
            ["--config", r"C:\ProgramData\Attaka\attaka.toml", "service", "run"].map(OsString::from)
        );
        let without = Registration { config: None, ..with };
        assert_eq!(without.launch_arguments(), ["service", "run"].map(OsString::from));
    }

    #[test]
    fn the_data_folder_is_left_to_the_service_account_and_the_administrators_only() {
        let args = acl_arguments(Path::new(r"C:\ProgramData\Attaka"), SERVICE_ACCOUNT);
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[0], r"C:\ProgramData\Attaka");
        // Nothing inherited from %ProgramData% (where Users may read) stays.
        assert!(args.contains(&"/inheritance:r".to_owned()), "{args:?}");
        let grants: Vec<&String> = args.iter().filter(|a| a.contains(":(OI)(CI)")).collect();
        assert_eq!(
            grants,
            [
                &"*S-1-5-32-544:(OI)(CI)F".to_owned(),
                &r"NT SERVICE\Attaka:(OI)(CI)M".to_owned()
            ]
        );
        // Each grant replaces what that principal had (`/grant:r`), never adds to it.
        assert_eq!(args.iter().filter(|a| *a == "/grant:r").count(), 2);
    }
}
