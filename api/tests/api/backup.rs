//! Backups on a real node's SQLite file: generations made while the node serves, each verified;
//! a restore takes the newest that still checks and falls back one generation at a time; with
//! none left the database stays as it was; a failed backup raises an alert until one succeeds.

use std::path::Path;
use std::time::Duration;

use api::ops::backup::{self, BACKUP_FAILED, RESTORE_FELL_BACK};
use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

fn file_sha(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

/// Overwrites part of the copy: its checksum no longer matches the manifest.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read");
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b ^= 0xA5;
    }
    std::fs::write(path, bytes).expect("write");
}

/// Replaces the copy with something that is not a database and rewrites its manifest to
/// match: only SQLite's own check can tell.
fn replace_with_garbage(path: &Path) {
    std::fs::write(path, vec![0x42u8; 8192]).expect("write");
    let manifest_path = format!("{}.json", path.display());
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    manifest["bytes"] = 8192.into();
    manifest["sha256"] = file_sha(path).into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).expect("write");
}

async fn open_alerts(app: &TestApp) -> Vec<String> {
    app.store
        .alerts(true)
        .await
        .expect("alerts")
        .into_iter()
        .map(|a| a.event)
        .collect()
}

#[tokio::test]
async fn a_restore_takes_the_newest_good_generation_and_falls_back_one_at_a_time() {
    let app = spawn_app().await;
    let settings = settings(NodeRole::Center, app.dir.path());
    let db = app.dir.path().join("test.sqlite3");
    let staff = app.token(Role::CenterStaff).await;

    // Three generations, made while the node serves, one more person registered before each.
    let mut people = Vec::new();
    let mut made = Vec::new();
    for _ in 0..3 {
        people.push(app.register(&staff, &person_input()).await.common_id);
        made.push(
            backup::run_once(app.store.as_ref(), &settings)
                .await
                .expect("backup"),
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let engine = api::store::backup_engine(&settings).unwrap();
    let listed = backup::generations(&settings.backup_dir()).unwrap();
    assert_eq!(
        listed.iter().map(|g| g.path.clone()).collect::<Vec<_>>(),
        made.iter().rev().map(|g| g.path.clone()).collect::<Vec<_>>(),
        "newest first"
    );
    assert!(
        listed.iter().all(|g| g.check(engine.as_ref()).is_ok()),
        "each verified when made"
    );

    // The newest is damaged on disk, the one before is no database at all.
    damage(&made[2].path);
    replace_with_garbage(&made[1].path);
    let reasons: Vec<_> = backup::generations(&settings.backup_dir())
        .unwrap()
        .iter()
        .map(|g| g.check(engine.as_ref()))
        .collect();
    assert!(
        reasons[0].as_ref().unwrap_err().contains("SHA-256"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].as_ref().unwrap_err().contains("データベース"),
        "{reasons:?}"
    );
    assert!(reasons[2].is_ok());

    app.stop.stop().await;
    let before = file_sha(&db);
    let restored = backup::restore_configured(&settings).await.expect("restore");
    assert_eq!(restored.from.path, made[0].path);
    let passed: Vec<&str> = restored.skipped.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(passed, [made[2].name(), made[1].name()]);
    let previous = restored.previous.expect("the replaced database is kept");
    assert_eq!(file_sha(&previous), before);

    // The node starts on the restored database: the first person is there, the later not.
    let node = spawn_in(app.dir.clone(), NodeRole::Center, false, |_| {}).await;
    let staff = node.token(Role::CenterStaff).await;
    let found = |id: &str| format!("/api/v1/persons/{id}");
    assert_eq!(
        node.get(&found(&people[0]), &staff).await.status(),
        StatusCode::OK
    );
    for later in &people[1..] {
        assert_eq!(
            node.get(&found(later), &staff).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert!(open_alerts(&node).await.contains(&RESTORE_FELL_BACK.to_owned()));

    // With every generation unusable the restore refuses and the database stays as it was.
    node.stop.stop().await;
    damage(&made[0].path);
    let before = file_sha(&db);
    let refused = backup::restore_configured(&settings).await.unwrap_err();
    assert!(format!("{refused:#}").contains("no usable backup"), "{refused:#}");
    assert_eq!(file_sha(&db), before);
}

#[tokio::test]
async fn backups_keep_their_generations_and_a_failed_one_raises_an_alert_until_one_succeeds() {
    let app = spawn_app().await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    settings.backup.keep = 2;
    for _ in 0..3 {
        backup::run_once(app.store.as_ref(), &settings)
            .await
            .expect("backup");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kept = backup::generations(&settings.backup_dir()).unwrap();
    assert_eq!(kept.len(), 2);
    for g in &kept {
        assert!(Path::new(&format!("{}.json", g.path.display())).exists());
    }

    // A backup directory that cannot be made (a file is in the way).
    let blocked = app.dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"x").unwrap();
    let mut failing = settings.clone();
    failing.backup.dir = Some(blocked.join("backups"));
    assert!(backup::run_once(app.store.as_ref(), &failing).await.is_err());
    assert!(open_alerts(&app).await.contains(&BACKUP_FAILED.to_owned()));
    // Still failing: one alert, not one per attempt.
    assert!(backup::run_once(app.store.as_ref(), &failing).await.is_err());
    let open: Vec<_> = open_alerts(&app)
        .await
        .into_iter()
        .filter(|e| e == BACKUP_FAILED)
        .collect();
    assert_eq!(open.len(), 1);

    std::fs::remove_file(&blocked).unwrap();
    backup::run_once(app.store.as_ref(), &failing)
        .await
        .expect("backup");
    assert!(!open_alerts(&app).await.contains(&BACKUP_FAILED.to_owned()));
}

#[tokio::test]
async fn an_old_generation_that_cannot_be_removed_does_not_fail_the_new_backup() {
    let app = spawn_app().await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    settings.backup.keep = 1;
    // An "old generation" that remove_file cannot remove (a folder), as a file held open by
    // another program is on Windows.
    let stuck = settings.backup_dir().join("attaka-20000101T000000.000Z.sqlite3");
    std::fs::create_dir_all(&stuck).unwrap();
    std::fs::write(stuck.join("held"), b"x").unwrap();
    let made = backup::run_once(app.store.as_ref(), &settings)
        .await
        .expect("the new generation counts although an old one stays");
    assert!(made.path.exists());
    assert!(stuck.exists());
    assert!(!open_alerts(&app).await.contains(&BACKUP_FAILED.to_owned()));
}

/// `attaka` with a centre node's settings in `data`.
fn attaka(data: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_attaka"));
    command
        .env_remove("ATTAKA_CONFIG")
        .env_remove("RUST_LOG")
        .env("ATTAKA_NODE__CENTER", "C001")
        .env("ATTAKA_NODE__DATA_DIR", data)
        .env("ATTAKA_SERVER__LISTEN", "127.0.0.1:0")
        .env("ATTAKA_BACKUP__ENABLED", "false")
        .env("ATTAKA_LOG__LEVEL", "info");
    command
}

#[test]
fn a_restore_refuses_while_a_node_serves_from_the_database_and_proceeds_once_it_has_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let made = attaka(data).args(["backup", "run"]).output().unwrap();
    assert!(made.status.success(), "{made:?}");

    let mut node = attaka(data)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Serving: its start is in the day's log file.
    let listening = (0..300).any(|_| {
        let logs = std::fs::read_dir(data.join("logs"))
            .into_iter()
            .flatten()
            .flatten();
        let found = logs
            .filter_map(|f| std::fs::read_to_string(f.path()).ok())
            .any(|text| text.contains("attaka listening"));
        if !found {
            std::thread::sleep(Duration::from_millis(100));
        }
        found
    });
    assert!(listening, "the node did not start");
    let db = data.join("attaka.sqlite3");
    let before = file_sha(&db);

    let refused = attaka(data)
        .args(["backup", "restore", "--yes"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "restored under a serving node");
    assert!(said.contains("the node is serving from this database"), "{said}");
    assert_eq!(file_sha(&db), before, "the database was touched");

    // The lock ends with the process, however it ends.
    node.kill().unwrap();
    node.wait().unwrap();
    let restored = attaka(data)
        .args(["backup", "restore", "--yes"])
        .output()
        .unwrap();
    assert!(restored.status.success(), "{restored:?}");
    assert!(String::from_utf8_lossy(&restored.stdout).contains("restored from"));
}

/// The hub on SQL Server (`ATTAKA_TEST_MSSQL_URL`): the nightly job runs the SQL Server engine
/// (`BACKUP DATABASE … TO DISK`). A server that refuses BACKUP (Babelfish for PostgreSQL does)
/// fails the job with the server's words, leaves no file and no generation, and the node says
/// so: the `backup_failed` alert, open in `/metrics`. A node whose backups the DBA makes
/// instead (`backup.enabled = false`) says that in `/metrics` too.
#[tokio::test]
async fn on_a_sql_server_hub_the_nightly_backup_runs_bak_generations_or_says_clearly_why_not() {
    let Some(_) = api::store::mssql::testing::test_url() else {
        eprintln!(
            "SKIPPED: ATTAKA_TEST_MSSQL_URL is not set; the SQL Server backup engine ran against no server"
        );
        return;
    };
    let app = spawn_node(NodeRole::Hub).await;
    let db = app.sql_server.as_ref().expect("the hub on SQL Server");
    let version = app.hub_rows("", "SELECT @@VERSION").await[0][0]
        .clone()
        .unwrap_or_default();
    let mut settings = settings(NodeRole::Hub, app.dir.path());
    assert_eq!(settings.database.url.as_deref(), Some(db.url.as_str()));
    settings.backup.enabled = true;
    let engine = api::store::backup_engine(&settings).expect("the SQL Server engine");
    assert_eq!(engine.extension(), ".bak");
    let dir = settings.backup_dir();
    if !version.contains("Babelfish") {
        // A real SQL Server writes the file itself: only where it can write and this test can read.
        eprintln!("SKIPPED: {version:?} is not Babelfish; its BACKUP needs a directory both sides share");
        return;
    }
    api::ops::daily::run(app.store.as_ref(), &settings).await;
    let alerts = app.store.alerts(true).await.expect("alerts");
    let failed = alerts
        .iter()
        .find(|a| a.event == BACKUP_FAILED)
        .expect("the refusal raised backup_failed");
    assert!(failed.message.contains("BACKUP DATABASE"), "{}", failed.message);
    assert!(
        failed.message.contains("not currently supported"),
        "{}",
        failed.message
    );
    assert!(
        failed.message.contains("backup.enabled = false"),
        "{}",
        failed.message
    );
    // Nothing recorded: no generation, no manifest, no partial file.
    assert!(backup::generations(&dir).expect("list").is_empty());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    // The same from the command the operator runs.
    let e = backup::run_once(app.store.as_ref(), &settings).await.unwrap_err();
    assert!(format!("{e:#}").contains("refused BACKUP DATABASE"), "{e:#}");
    let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics");
    let text = metrics.text().await.expect("body");
    assert!(
        text.contains("attaka_alerts_open{event=\"backup_failed\"} 1"),
        "{text}"
    );
    // The test app runs with backups off (as a hub whose DBA backs it up would): /metrics says so.
    assert!(text.contains("attaka_backup_enabled 0"), "{text}");
    assert!(!text.contains("attaka_backup_newest_age_seconds"), "{text}");
    // A restore finds nothing to restore and leaves the database as it was.
    let refused = backup::restore_configured(&settings).await.unwrap_err();
    assert!(refused.to_string().contains("no backup in"), "{refused}");
    let pref = app.token(Role::Prefecture).await;
    assert_eq!(
        app.get("/api/v1/sync/status", &pref).await.status(),
        StatusCode::OK
    );
}
