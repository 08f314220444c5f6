//! The watch on a real node: free disk space below its floor and a burst of failed logins are
//! each one alert while they last, cleared when they end.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;
use shared::dto::meta::NodeRole;

use api::ops::watch::{self, DISK_LOW, LOGIN_BURST};

use crate::helpers::*;

async fn open(app: &TestApp, event: &str) -> Vec<api::domain::alert::Alert> {
    app.store
        .alerts(true)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.event == event)
        .collect()
}

#[tokio::test]
async fn too_little_free_disk_is_one_alert_per_file_system_until_there_is_enough() {
    let app = spawn_app().await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    let free = watch::free_space(app.dir.path()).expect("free space").available;
    // A floor above what this disk has free.
    settings.watch.disk_min_free_mb = free / (1024 * 1024) + 1024;
    let read = watch::check_disk(app.store.as_ref(), &settings).await.unwrap();
    // What the check read: one file system, with its size and what is free on it.
    assert_eq!(read.len(), 1, "{read:?}");
    assert!(
        read[0].1.total > 0 && read[0].1.available <= read[0].1.total,
        "{read:?}"
    );
    let raised = open(&app, DISK_LOW).await;
    // The database, logs and backups share one file system here: one alert, about the first.
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(
        raised
            .iter()
            .any(|a| a.subject == app.dir.path().display().to_string()),
        "{raised:?}"
    );
    assert!(
        raised[0].message.contains("ディスクの空き"),
        "{}",
        raised[0].message
    );
    // Checked again: still one alert per place.
    watch::check_disk(app.store.as_ref(), &settings).await.unwrap();
    assert_eq!(open(&app, DISK_LOW).await.len(), 1);
    // Enough again.
    settings.watch.disk_min_free_mb = 0;
    watch::check_disk(app.store.as_ref(), &settings).await.unwrap();
    assert!(open(&app, DISK_LOW).await.is_empty());
}

#[tokio::test]
async fn a_burst_of_failed_logins_is_an_alert_until_it_has_passed() {
    let app = spawn_app().await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    settings.watch.login_failures = 3;
    for name in ["staff", "admin", "nobody"] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": name, "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    watch::check_logins(app.store.as_ref(), &settings, Utc::now())
        .await
        .unwrap();
    let raised = open(&app, LOGIN_BURST).await;
    assert_eq!(raised.len(), 1);
    assert!(raised[0].message.contains("失敗が 3 回"), "{}", raised[0].message);
    assert!(
        raised[0].message.contains("ユーザー名 3 種類"),
        "{}",
        raised[0].message
    );
    // Ten minutes later the window holds none of them.
    let later = Utc::now() + chrono::Duration::minutes(11);
    watch::check_logins(app.store.as_ref(), &settings, later)
        .await
        .unwrap();
    assert!(open(&app, LOGIN_BURST).await.is_empty());
}
