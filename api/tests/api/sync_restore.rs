//! A hub restored from an older copy while its centres are quiet: each centre notices at its
//! next pull of the period locks that the hub holds less than it acknowledged, and sends
//! everything again by itself; the hub raises `sync_hub_behind` naming the centres re-sending.
//! And the stuck-backlog alert: checked on a timer during an outage, with its cause kept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::issue_credential;
use crate::sync_outbox::activity_body;
use crate::sync_support::*;

/// How often the centres pull the hub's period locks (and so compare positions) in this test.
const LOCKS_INTERVAL_MS: u64 = 300;

async fn centre(proxy: &Proxy, center: &str, credential: &str) -> TestApp {
    let url = proxy.url();
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    spawn_in(dir, NodeRole::Center, true, |s| {
        s.node.center = Some(center.to_owned());
        sync_settings(s, &url, credential);
        s.sync.locks_interval_ms = LOCKS_INTERVAL_MS;
    })
    .await
}

/// People and activities at a centre, through its API.
async fn work(app: &TestApp, user: &str, days: &[&str]) {
    let token = app.login_as(user).await.access_token;
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(app.register(&token, &person_input()).await.common_id);
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    for day in days {
        let res = app
            .post(
                "/api/v1/activities",
                &token,
                &activity_body(Uuid::new_v4(), day, "tsudoi", &refs),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    }
}

async fn hub_alert(hub: &TestApp) -> Option<api::domain::alert::Alert> {
    hub.store
        .alerts(false)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.event == "sync_hub_behind")
}

#[tokio::test]
async fn a_hub_restored_from_an_older_copy_gets_everything_again_from_quiet_centres_and_names_them() {
    // The older copy is made by copying the hub's database file, which only SQLite has (a T-SQL
    // server's copy is its BACKUP, which Babelfish refuses): this hub stays on SQLite.
    let mut hub = spawn_sqlite_hub().await;
    let proxy = Proxy::start(socket(&hub)).await;
    let (c1, c2) = (
        issue_credential(&hub, CENTER).await.credential,
        issue_credential(&hub, OTHER_CENTER).await.credential,
    );
    let a = centre(&proxy, CENTER, &c1).await;
    let b = centre(&proxy, OTHER_CENTER, &c2).await;
    work(&a, "staff", &["2024-05-13", "2024-06-03"]).await;
    work(&b, "other-staff", &["2024-07-01"]).await;
    wait_until_synced(&a).await;
    wait_until_synced(&b).await;

    // The hub's database as a backup would have it now.
    let older = tempfile::tempdir().unwrap();
    let copy = older.path().join("test.sqlite3");
    rusqlite::Connection::open(hub.dir.path().join("test.sqlite3"))
        .unwrap()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();

    // Both centres go on and the hub receives it.
    work(&a, "staff", &["2024-11-05", "2025-01-20"]).await;
    work(&b, "other-staff", &["2025-02-14"]).await;
    wait_until_synced(&a).await;
    wait_until_synced(&b).await;

    // Disaster recovery: the hub comes back from the older copy. Nobody writes at either centre.
    // (Into a directory of its own: the stopped server's pool may still hold the old file.)
    hub.stop.stop().await;
    proxy.set_upstream(None);
    let restored = Arc::new(tempfile::tempdir().unwrap());
    std::fs::copy(&copy, restored.path().join("test.sqlite3")).unwrap();
    let restored_at = Instant::now();
    hub = spawn_in(restored, NodeRole::Hub, false, |s| {
        s.sync.hub_behind_clear_after_seconds = 2
    })
    .await;
    proxy.set_upstream(Some(socket(&hub)));
    let streams_before = [
        a.center_store().sync_outbox().await.unwrap().unwrap().stream,
        b.center_store().sync_outbox().await.unwrap().unwrap().stream,
    ];

    // Documented: within sync.locks_interval_ms of the hub's return each centre notices, then
    // delivers its snapshot (seconds). Here: the pull every 0.3 s, and 30 s for it all.
    let deadline = restored_at + Duration::from_secs(30);
    let mut streams_after = Vec::new();
    for ((centre, user, code), before) in [(&a, "staff", CENTER), (&b, "other-staff", OTHER_CENTER)]
        .into_iter()
        .zip(streams_before)
    {
        loop {
            let state = centre.center_store().sync_outbox().await.unwrap().unwrap();
            let hub_pos = hub.hub_store().sync_position(code).await.unwrap();
            let level = state.backlog == 0
                && hub_pos.is_some_and(|h| h.stream == state.stream && h.last_seq == state.last_acked_seq);
            if level && state.stream != before {
                streams_after.push(state.stream);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{code} did not re-send: {state:?} hub {hub_pos:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_same_figures(centre, user, &hub, code).await;
    }

    // The hub's alert named both centres, and clears once both are level.
    let alert = hub_alert(&hub).await.expect("sync_hub_behind raised on the hub");
    assert!(
        alert.message.contains(CENTER) && alert.message.contains(OTHER_CENTER),
        "{}",
        alert.message
    );
    assert!(alert.message.contains("全件を再送"), "{}", alert.message);
    assert!(alert.incident_id.is_some(), "an incident of the operations log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while hub_alert(&hub).await.is_some_and(|a| a.cleared_at.is_none()) {
        assert!(Instant::now() < deadline, "the alert did not clear");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Quiet again: no further stream is started.
    tokio::time::sleep(Duration::from_millis(3 * LOCKS_INTERVAL_MS)).await;
    for (centre, after) in [&a, &b].into_iter().zip(streams_after) {
        assert_eq!(
            centre.center_store().sync_outbox().await.unwrap().unwrap().stream,
            after
        );
    }
    let resends: Vec<Value> = hub
        .store
        .alerts(false)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.event == "sync_hub_behind")
        .map(|a| Value::String(a.message.clone()))
        .collect();
    assert_eq!(resends.len(), 1, "one alert for the restore: {resends:?}");
}

#[tokio::test]
async fn a_stuck_backlog_is_noticed_on_a_timer_during_the_outage_and_the_alert_keeps_its_cause() {
    let hub = spawn_node(NodeRole::Hub).await;
    let credential = issue_credential(&hub, CENTER).await.credential;
    let proxy = Proxy::start(socket(&hub)).await;
    let url = proxy.url();
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    // A long backoff: after the first failure the sender waits a minute before trying again.
    let centre = spawn_in(dir, NodeRole::Center, true, |s| {
        s.node.center = Some(CENTER.to_owned());
        sync_settings(s, &url, &credential);
        s.sync.retry_initial_ms = 60_000;
        s.sync.retry_max_ms = 60_000;
        s.sync.alert_after_seconds = 2;
    })
    .await;
    wait_until_synced(&centre).await;
    proxy.set_upstream(None);
    let staff = centre.token(Role::CenterStaff).await;
    centre.register(&staff, &person_input()).await;
    let waiting_since = Instant::now();
    let store = centre.store.clone();
    let alert = loop {
        let open = store.alerts(true).await.unwrap();
        if let Some(a) = open.into_iter().find(|a| a.event == "sync_backlog_stuck") {
            break a;
        }
        assert!(
            waiting_since.elapsed() < Duration::from_secs(10),
            "the alert should come about 2 s after the entry began to wait, not at the next attempt a minute later"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(waiting_since.elapsed() >= Duration::from_secs(2));
    assert!(!alert.message.contains("不明"), "{}", alert.message);
    assert!(
        alert
            .message
            .contains("最後のエラー: sending the batch to the hub"),
        "the cause, as the log has it: {}",
        alert.message
    );
}
