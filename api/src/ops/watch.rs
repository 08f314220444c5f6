//! Conditions a serving node watches every `watch.interval_ms`, each an alert event (so mailed
//! once while it lasts): free disk space low where the database, logs or backups live, and a
//! burst of failed logins.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::config::Settings;
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::audit::{AuditQuery, Outcome};
use crate::ops::alerts;
use crate::store::{CommonStore, StoreResult};

pub const DISK_LOW: &str = "disk_low";
pub const LOGIN_BURST: &str = "login_burst";

/// Free and total bytes of the file system holding `path` (the nearest existing ancestor),
/// and which file system it is.
#[cfg(unix)]
pub fn free_space(path: &Path) -> std::io::Result<(u64, u64, u64)> {
    let existing = path.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"));
    let s = rustix::fs::statvfs(existing)?;
    Ok((
        s.f_bavail.saturating_mul(s.f_frsize),
        s.f_blocks.saturating_mul(s.f_frsize),
        s.f_fsid,
    ))
}

#[cfg(not(unix))]
pub fn free_space(_path: &Path) -> std::io::Result<(u64, u64, u64)> {
    Err(std::io::Error::other("free disk space is only read on Unix"))
}

/// Raises `disk_low` for each file system holding the database, the logs or the backups that
/// has less free than `watch.disk_min_free_mb` or `watch.disk_min_free_percent` (subject: the
/// first of those places on it); clears it when there is enough again.
pub async fn check_disk(store: &dyn CommonStore, settings: &Settings) -> StoreResult<()> {
    let mut places = vec![
        settings.node.data_dir.clone(),
        settings.log_dir(),
        settings.backup_dir(),
    ];
    if let Some(db) = settings.sqlite_path() {
        places.push(db);
    }
    places.sort();
    places.dedup();
    let mut file_systems: Vec<(u64, String, u64, u64)> = Vec::new();
    for place in &places {
        match free_space(place) {
            Ok((free, total, fsid)) => {
                if !file_systems.iter().any(|f| f.0 == fsid) {
                    file_systems.push((fsid, place.display().to_string(), free, total));
                }
            }
            Err(e) => tracing::debug!(place = %place.display(), error = %e, "free disk space not read"),
        }
    }
    let w = &settings.watch;
    for (_, subject, free, total) in file_systems {
        let free_mb = free / (1024 * 1024);
        let percent = if total == 0 {
            100.0
        } else {
            free as f64 * 100.0 / total as f64
        };
        if free_mb < w.disk_min_free_mb || percent < w.disk_min_free_percent {
            let alert = NewAlert {
                event: DISK_LOW,
                subject,
                severity: Severity::Error,
                message: format!(
                    "ディスクの空きが少なくなっています（空き {free_mb} MB、{percent:.1} %。下限 {} MB / {} %）。",
                    w.disk_min_free_mb, w.disk_min_free_percent
                ),
            };
            alerts::raise(store, alert).await?;
        } else {
            alerts::clear(store, DISK_LOW, &subject).await?;
        }
    }
    Ok(())
}

/// Raises `login_burst` when `watch.login_failures` or more logins failed in the last
/// `watch.login_window_minutes`; clears it when fewer did.
pub async fn check_logins(
    store: &dyn CommonStore,
    settings: &Settings,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let w = &settings.watch;
    let since = now - Duration::minutes(i64::from(w.login_window_minutes));
    let attempts = store
        .audit(&AuditQuery {
            action_prefix: Some("auth.login".into()),
            actor: None,
            target: None,
            since: Some(since),
            until: None,
            limit: 10_000,
        })
        .await?;
    let failed: Vec<_> = attempts
        .iter()
        .filter(|r| r.entry.outcome != Outcome::Ok)
        .collect();
    if failed.len() >= w.login_failures as usize {
        let mut names: Vec<&str> = failed.iter().filter_map(|r| r.entry.actor.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        let mut clients: Vec<&str> = failed.iter().filter_map(|r| r.entry.client.as_deref()).collect();
        clients.sort_unstable();
        clients.dedup();
        let alert = NewAlert {
            event: LOGIN_BURST,
            subject: "auth.login".into(),
            severity: Severity::Warn,
            message: format!(
                "直近 {} 分にログインの失敗が {} 回ありました（ユーザー名 {} 種類、接続元 {} か所）。監査ログ（auth.login）を確認してください。",
                w.login_window_minutes,
                failed.len(),
                names.len(),
                clients.len()
            ),
        };
        alerts::raise(store, alert).await?;
    } else {
        alerts::clear(store, LOGIN_BURST, "auth.login").await?;
    }
    Ok(())
}

/// The watch while the node serves: a first round one interval after start, then every
/// interval, by the one process holding the watch's lease; the service-level reminders of the
/// operations log (`ops::sla`) go with it.
pub fn spawn(
    store: Arc<dyn CommonStore>,
    settings: &Settings,
    leases: Arc<crate::ops::lease::Leases>,
) -> tokio::task::JoinHandle<()> {
    let settings = settings.clone();
    let every = std::time::Duration::from_millis(settings.watch.interval_ms);
    let ttl = crate::ops::lease::ttl_for(every, 3);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if !leases.take(store.as_ref(), crate::ops::lease::WATCH, ttl).await {
                continue;
            }
            if let Err(e) = check_disk(store.as_ref(), &settings).await {
                tracing::warn!(error = %e, "disk check failed");
            }
            if let Err(e) = check_logins(store.as_ref(), &settings, Utc::now()).await {
                tracing::warn!(error = %e, "login check failed");
            }
            if let Err(e) = crate::ops::sla::check(store.as_ref(), &settings, Utc::now()).await {
                tracing::warn!(error = %e, "service-level check failed");
            }
        }
    })
}
