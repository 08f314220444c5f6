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

/// The space on the file system holding a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes this process may still write (reserved blocks and quotas taken off).
    pub available: u64,
    pub total: u64,
    /// Which file system: the device number on Unix, the volume root (`C:\`, `\\server\share\`)
    /// on Windows. Places with the same value share their free space.
    pub volume: String,
}

/// The space on the file system holding `path` (its nearest existing ancestor): statvfs on
/// Unix, `GetDiskFreeSpaceExW` on Windows, both through `fs4`.
pub fn free_space(path: &Path) -> std::io::Result<DiskSpace> {
    let absolute = std::path::absolute(path)?;
    let existing = absolute
        .ancestors()
        .find(|p| p.exists())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no part of the path exists"))?;
    let stats = fs4::statvfs(existing)?;
    Ok(DiskSpace {
        available: stats.available_space(),
        total: stats.total_space(),
        volume: volume_of(existing)?,
    })
}

#[cfg(unix)]
fn volume_of(existing: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::MetadataExt;
    Ok(format!("dev {}", std::fs::metadata(existing)?.dev()))
}

#[cfg(not(unix))]
fn volume_of(existing: &Path) -> std::io::Result<String> {
    let text = existing.to_string_lossy();
    volume_root(&text).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("no drive or share in {text}"),
        )
    })
}

/// The volume root of an absolute Windows path, upper-cased: `C:\` for `c:\ProgramData\Attaka`
/// and `\\?\C:\…`, `\\SERVER\SHARE\` for `\\server\share\…` and `\\?\UNC\server\share\…`.
/// A volume mounted in a folder counts with the drive holding the folder.
pub fn volume_root(path: &str) -> Option<String> {
    let path = path.replace('/', "\\");
    let rest = path
        .strip_prefix("\\\\?\\")
        .or_else(|| path.strip_prefix("\\\\.\\"))
        .unwrap_or(&path);
    if let Some(unc) = rest.strip_prefix("UNC\\").or_else(|| rest.strip_prefix("\\\\")) {
        let mut parts = unc.split('\\').filter(|p| !p.is_empty());
        let (server, share) = (parts.next()?, parts.next()?);
        return Some(format!(
            "\\\\{}\\{}\\",
            server.to_uppercase(),
            share.to_uppercase()
        ));
    }
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(drive), Some(':')) if drive.is_ascii_alphabetic() => {
            Some(format!("{}:\\", drive.to_ascii_uppercase()))
        }
        _ => None,
    }
}

/// The file systems holding the database, the logs or the backups, each once with the first of
/// those places on it (a place whose space cannot be read is logged and left out).
pub fn file_systems(settings: &Settings) -> Vec<(String, DiskSpace)> {
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
    let mut found: Vec<(String, DiskSpace)> = Vec::new();
    for place in &places {
        match free_space(place) {
            Ok(space) => {
                if !found.iter().any(|(_, f)| f.volume == space.volume) {
                    found.push((place.display().to_string(), space));
                }
            }
            Err(e) => tracing::warn!(place = %place.display(), error = %e, "free disk space not read"),
        }
    }
    found
}

/// Raises `disk_low` for each file system holding the database, the logs or the backups that
/// has less free than `watch.disk_min_free_mb` or `watch.disk_min_free_percent` (subject: the
/// first of those places on it); clears it when there is enough again. Returns what it read.
pub async fn check_disk(
    store: &dyn CommonStore,
    settings: &Settings,
) -> StoreResult<Vec<(String, DiskSpace)>> {
    let file_systems = file_systems(settings);
    let w = &settings.watch;
    for (subject, space) in &file_systems {
        let free_mb = space.available / (1024 * 1024);
        let percent = if space.total == 0 {
            100.0
        } else {
            space.available as f64 * 100.0 / space.total as f64
        };
        if free_mb < w.disk_min_free_mb || percent < w.disk_min_free_percent {
            let alert = NewAlert {
                event: DISK_LOW,
                subject: subject.clone(),
                severity: Severity::Error,
                message: format!(
                    "ディスクの空きが少なくなっています（空き {free_mb} MB、{percent:.1} %。下限 {} MB / {} %）。",
                    w.disk_min_free_mb, w.disk_min_free_percent
                ),
            };
            alerts::raise(store, alert).await?;
        } else {
            alerts::clear(store, DISK_LOW, subject).await?;
        }
    }
    Ok(file_systems)
}

/// Raises `login_burst` when `watch.login_failures` or more logins failed in the last
/// `watch.login_window_minutes`; clears it when fewer did. The addresses counted are the ones
/// audited: the peer's, or a trusted proxy's forwarded client (never a header anyone can write).
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
        let mut per_client: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &failed {
            *per_client
                .entry(r.entry.client.as_deref().unwrap_or("不明"))
                .or_default() += 1;
        }
        let busiest = per_client
            .iter()
            .max_by_key(|(address, n)| (**n, std::cmp::Reverse(**address)))
            .map(|(address, n)| format!("、最多は {address} から {n} 回"))
            .unwrap_or_default();
        let alert = NewAlert {
            event: LOGIN_BURST,
            subject: "auth.login".into(),
            severity: Severity::Warn,
            message: format!(
                "直近 {} 分にログインの失敗が {} 回ありました（ユーザー名 {} 種類、接続元 {} か所{busiest}）。監査ログ（auth.login）を確認してください。",
                w.login_window_minutes,
                failed.len(),
                names.len(),
                per_client.len()
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
        let mut first = true;
        loop {
            tokio::time::sleep(every).await;
            if !leases.take(store.as_ref(), crate::ops::lease::WATCH, ttl).await {
                continue;
            }
            match check_disk(store.as_ref(), &settings).await {
                Ok(read) => {
                    // What the disk check sees, once per start (then at debug level): the
                    // operator can tell it works, on every platform, from the log.
                    for (place, space) in &read {
                        let (free_mb, total_mb) = (space.available >> 20, space.total >> 20);
                        if first {
                            tracing::info!(event = "disk_space", place = %place, volume = %space.volume, free_mb, total_mb, "free disk space");
                        } else {
                            tracing::debug!(event = "disk_space", place = %place, volume = %space.volume, free_mb, total_mb, "free disk space");
                        }
                    }
                    first = false;
                }
                Err(e) => tracing::warn!(error = %e, "disk check failed"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_windows_path_is_on_the_volume_named_by_its_drive_or_share() {
        assert_eq!(volume_root(r"C:\ProgramData\Attaka").as_deref(), Some(r"C:\"));
        assert_eq!(volume_root(r"d:\backups").as_deref(), Some(r"D:\"));
        assert_eq!(volume_root("e:/attaka/logs").as_deref(), Some(r"E:\"));
        assert_eq!(volume_root(r"\\?\c:\ProgramData").as_deref(), Some(r"C:\"));
        assert_eq!(
            volume_root(r"\\nas\share\attaka").as_deref(),
            Some(r"\\NAS\SHARE\")
        );
        assert_eq!(
            volume_root(r"\\?\UNC\nas\Share\x").as_deref(),
            Some(r"\\NAS\SHARE\")
        );
        assert_eq!(volume_root(r"\\nas"), None);
        assert_eq!(volume_root("relative\\path"), None);
        assert_eq!(volume_root("/var/lib/attaka"), None);
    }

    #[test]
    fn the_free_space_of_a_place_is_read_from_its_nearest_existing_folder() {
        let dir = std::env::temp_dir();
        let here = free_space(&dir).expect("free space of the temporary directory");
        assert!(here.total > 0, "{here:?}");
        assert!(here.available <= here.total, "{here:?}");
        let missing = free_space(&dir.join("not-yet").join("made")).expect("free space below it");
        assert_eq!(missing.volume, here.volume);
        assert_eq!(missing.total, here.total);
    }
}
