//! `attaka service …` through the real binary on the build machine (Linux): the commands are
//! there and documented, and each says it is for Windows instead of pretending to work. The
//! Windows side runs in scripts/windows-smoke.sh under Wine.

use std::process::Command;

fn attaka(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_attaka"))
        .args(args)
        .env_remove("ATTAKA_CONFIG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("run attaka")
}

#[test]
fn the_service_commands_are_listed_in_the_help() {
    let out = attaka(&["service", "--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["install", "start", "stop", "uninstall", "status"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "no {command} in:\n{help}"
        );
    }
    // What the service manager starts is not offered to a person.
    assert!(
        !help.lines().any(|l| l.trim_start().starts_with("run ")),
        "{help}"
    );
}

#[cfg(not(windows))]
#[test]
fn a_service_command_off_windows_fails_saying_it_is_for_windows() {
    let dir = tempfile::tempdir().unwrap();
    // `status` needs no configuration; `install` reads it (a valid centre here).
    for args in [&["service", "status"][..], &["service", "install"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_attaka"))
            .args(args)
            .env_remove("ATTAKA_CONFIG")
            .env("ATTAKA_NODE__CENTER", "C001")
            .env("ATTAKA_NODE__DATA_DIR", dir.path())
            .output()
            .expect("run attaka");
        assert!(!out.status.success(), "{args:?} succeeded off Windows");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("works on Windows only"), "{args:?}: {said}");
    }
}
