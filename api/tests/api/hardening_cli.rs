//! The `attaka` binary under attack (issue 13, findings 3 and 8): the files it creates are
//! owner-only, and the account commands say clearly what they did or why not.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A centre node's configuration in `dir` (its database, logs and backups all under it).
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("attaka.toml");
    std::fs::write(
        &path,
        format!(
            "[node]\nrole = \"center\"\ncenter = \"C001\"\ndata_dir = \"{}\"\n\n[log]\nlevel = \"warn\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    path
}

fn attaka(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_attaka"))
        .arg("--config")
        .arg(config)
        .args(args)
        // Only the file configures the node under test.
        .env_remove("ATTAKA_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("attaka runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn create_user(config: &Path, username: &str, password: &str) -> Output {
    attaka(
        config,
        &[
            "admin",
            "create-user",
            "--username",
            username,
            "--role",
            "prefecture",
        ],
        password,
    )
}

#[cfg(unix)]
#[test]
fn the_database_its_wal_backups_and_logs_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    ok(&attaka(&config, &["migrate"], ""));
    ok(&create_user(&config, "pref", "a long enough pass phrase"));
    ok(&attaka(&config, &["backup", "run"], ""));
    let data = dir.path().join("data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut seen = Vec::new();
    let mut walk = vec![data.clone()];
    while let Some(d) = walk.pop() {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk.push(p);
            } else {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
                seen.push(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    for expected in ["attaka.sqlite3", ".log", ".sqlite3.json"] {
        assert!(
            seen.iter().any(|n| n.ends_with(expected)),
            "{expected} among {seen:?}"
        );
    }
    // A database made before this rule, world-readable, is tightened when the node opens it.
    let db = data.join("attaka.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(&attaka(&config, &["migrate"], ""));
    assert_eq!(mode(&db), 0o600);
}

#[cfg(unix)]
#[test]
fn a_restore_from_a_world_readable_backup_puts_an_owner_only_database_in_place() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    ok(&attaka(&config, &["migrate"], ""));
    ok(&attaka(&config, &["backup", "run"], ""));
    let data = dir.path().join("data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A generation made before this rule (or copied back from a USB drive) is world-readable.
    let backups: Vec<PathBuf> = std::fs::read_dir(data.join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sqlite3"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    std::fs::set_permissions(&backups[0], std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(&attaka(&config, &["backup", "restore", "--yes"], ""));
    let db = data.join("attaka.sqlite3");
    assert_eq!(mode(&db), 0o600, "the restored database");
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        let p = entry.path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}

#[test]
fn create_user_on_an_existing_name_says_so_whatever_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    ok(&create_user(&config, "pref", "a long enough pass phrase"));
    let again = create_user(&config, "PREF", "another long pass phrase");
    assert!(!again.status.success());
    let message = stderr(&again);
    assert!(message.contains("already exists"), "{message}");
    assert!(message.contains("reset-password"), "{message}");
    assert!(!message.contains("Error: validation failed\n"), "{message}");
    // A weak password is refused naming the rule.
    let weak = create_user(&config, "pref2", "aaaaaaaaaaaa");
    assert!(!weak.status.success());
    let message = stderr(&weak);
    assert!(
        message.contains("password") && message.contains("common"),
        "{message}"
    );
}

#[test]
fn reset_password_makes_the_account_change_it_and_set_password_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    ok(&create_user(&config, "pref", "a long enough pass phrase"));
    ok(&attaka(
        &config,
        &["admin", "reset-password", "--username", "Pref"],
        "temporary pass phrase 7\n",
    ));
    let weak = attaka(
        &config,
        &["admin", "set-password", "--username", "pref"],
        "pref-pref-pref",
    );
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("context"), "{}", stderr(&weak));
    let missing = attaka(
        &config,
        &["admin", "set-password", "--username", "nobody"],
        "whatever it is 1",
    );
    assert!(stderr(&missing).contains("no account"), "{}", stderr(&missing));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let must_change = |dir: &Path| {
        rt.block_on(async {
            let mut s =
                api::config::Settings::load_with_env(Some(&dir.join("attaka.toml")), Vec::new()).unwrap();
            s.log.files = false;
            let store = api::store::open_common(&s).await.unwrap();
            let a = store.find_account("pref").await.unwrap().unwrap();
            let audited = store
                .audit(&api::domain::audit::AuditQuery {
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.entry.action.starts_with("account.password"))
                .count();
            (a.must_change_password, audited)
        })
    };
    assert_eq!(must_change(dir.path()), (true, 1));
    ok(&attaka(
        &config,
        &["admin", "set-password", "--username", "pref"],
        "my own long pass phrase\n",
    ));
    assert_eq!(must_change(dir.path()), (false, 2));
}
