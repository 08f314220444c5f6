//! The audit log's tamper evidence on a real node: every row is chained by SHA-256; a row
//! changed or removed breaks the chain at that row (and the nightly check raises an alert); a
//! purge past the retention keeps the chain whole; `attaka audit verify` says the same.

use std::process::Command;
use std::time::Duration;

use api::ops::daily::{self, AUDIT_CHAIN_BROKEN};
use chrono::Utc;
use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

fn db(app: &TestApp) -> rusqlite::Connection {
    rusqlite::Connection::open(app.dir.path().join("test.sqlite3")).expect("open db")
}

/// Some audited calls: logins, a registration, reads of the person.
async fn audited_calls(app: &TestApp) {
    let staff = app.token(Role::CenterStaff).await;
    let id = app.register(&staff, &person_input()).await.common_id;
    for _ in 0..3 {
        let res = app.get(&format!("/api/v1/persons/{id}"), &staff).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

fn verify_with_the_binary(app: &TestApp) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_attaka"))
        .args(["audit", "verify"])
        .env_remove("ATTAKA_CONFIG")
        .env("ATTAKA_NODE__ROLE", "center")
        .env("ATTAKA_NODE__CENTER", CENTER)
        .env("ATTAKA_NODE__DATA_DIR", app.dir.path())
        .env(
            "ATTAKA_DATABASE__URL",
            format!("sqlite://{}", app.dir.path().join("test.sqlite3").display()),
        )
        .env("ATTAKA_LOG__FILES", "false")
        .output()
        .expect("run attaka")
}

#[tokio::test]
async fn a_changed_row_breaks_the_chain_there_and_the_nightly_check_raises_an_alert() {
    let app = spawn_app().await;
    audited_calls(&app).await;
    let report = app.store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken_at, None);
    let newest: i64 = db(&app)
        .query_row("SELECT max(id) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(report.head.as_ref().map(|h| h.0), Some(newest));
    assert!(report.rows >= 5, "{report:?}");
    let out = verify_with_the_binary(&app);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit chain intact"));

    // Someone with the database file rewrites what a row says.
    let changed: i64 = db(&app)
        .query_row(
            "SELECT min(id) FROM audit_log WHERE action = 'person.read'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    db(&app)
        .execute(
            "UPDATE audit_log SET actor = 'someone-else' WHERE id = ?1",
            [changed],
        )
        .unwrap();
    let report = app.store.verify_audit_chain().await.unwrap();
    let (at, how) = report.broken_at.expect("broken");
    assert_eq!(at, changed);
    assert!(how.contains("changed"), "{how}");
    let out = verify_with_the_binary(&app);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("row {changed}")));

    let settings = settings(NodeRole::Center, app.dir.path());
    daily::audit_jobs(app.store.as_ref(), &settings, Utc::now())
        .await
        .unwrap();
    let open: Vec<String> = app
        .store
        .alerts(true)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.event)
        .collect();
    assert!(open.contains(&AUDIT_CHAIN_BROKEN.to_owned()), "{open:?}");
}

#[tokio::test]
async fn a_removed_row_breaks_the_chain_at_the_row_after_it() {
    let app = spawn_app().await;
    audited_calls(&app).await;
    let ids: Vec<i64> = db(&app)
        .prepare("SELECT id FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let removed = ids[ids.len() / 2];
    db(&app)
        .execute("DELETE FROM audit_log WHERE id = ?1", [removed])
        .unwrap();
    let (at, how) = app
        .store
        .verify_audit_chain()
        .await
        .unwrap()
        .broken_at
        .expect("broken");
    assert_eq!(at, ids[ids.len() / 2 + 1]);
    assert!(how.contains("removed"), "{how}");
}

#[tokio::test]
async fn rows_past_their_retention_are_purged_and_the_chain_still_checks() {
    let app = spawn_app().await;
    audited_calls(&app).await;
    let old: i64 = db(&app)
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    audited_calls(&app).await;
    let total: i64 = db(&app)
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();

    // The night `keep_days` after the cutoff: what came before it goes.
    let settings = settings(NodeRole::Center, app.dir.path());
    let night = cutoff + chrono::Duration::days(i64::from(settings.audit.keep_days));
    daily::audit_jobs(app.store.as_ref(), &settings, night)
        .await
        .unwrap();
    let left: i64 = db(&app)
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, total - old + 1, "the later rows and the purge's own row");
    let detail: String = db(&app)
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'audit.purge'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["rows"], old);
    let report = app.store.verify_audit_chain().await.unwrap();
    assert_eq!(report.broken_at, None, "{report:?}");
    assert_eq!(report.rows as i64, left);

    // Removing the first row left after the purge is still seen.
    db(&app)
        .execute(
            "DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)",
            [],
        )
        .unwrap();
    assert!(app.store.verify_audit_chain().await.unwrap().broken_at.is_some());
}

#[test]
fn the_audit_log_is_kept_at_least_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(NodeRole::Hub, dir.path());
    s.audit.keep_days = 365;
    let refused = s.check().unwrap_err();
    assert!(refused.to_string().contains("audit.keep_days"), "{refused}");
}
