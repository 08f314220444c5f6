//! The nightly jobs of a serving node, at `daily.at` Japan time: the backup (`[backup]`), the
//! removal of audit rows past `audit.keep_days`, and a walk of the audit chain whose newest
//! hash goes into the log files, outside the database, so a later rewrite of the rows from
//! there on can be told. Each job stands alone: one failing does not stop the others. Of
//! several processes on one database, the one that takes the night's lease runs them.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::config::Settings;
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::clock::{at_jst, jst};
use crate::ops::lease::{self, Leases};
use crate::ops::{alerts, backup};
use crate::store::CommonStore;

/// The alert raised while the audit chain is broken (subject `audit_log`).
pub const AUDIT_CHAIN_BROKEN: &str = "audit_chain_broken";

/// Runs the nightly jobs once.
pub async fn run(store: &dyn CommonStore, settings: &Settings) {
    if settings.backup.enabled {
        if let Err(e) = backup::run_once(store, settings).await {
            tracing::error!(event = "backup_failed", error = %format!("{e:#}"), "daily backup failed");
        }
    }
    if let Err(e) = audit_jobs(store, settings, Utc::now()).await {
        tracing::error!(event = "audit_maintenance_failed", error = %format!("{e:#}"), "audit retention or chain check failed");
    }
}

/// Removes audit rows past their retention, then walks the chain: its head is logged, a break
/// raises `audit_chain_broken` (cleared once the chain checks again).
pub async fn audit_jobs(
    store: &dyn CommonStore,
    settings: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let before = now - Duration::days(i64::from(settings.audit.keep_days));
    let removed = store.purge_audit(before, now).await?;
    if removed > 0 {
        tracing::info!(event = "audit_purged", rows = removed, before = %before, "audit rows past their retention removed");
    }
    let report = store.verify_audit_chain().await?;
    match &report.broken_at {
        None => {
            if let Some((id, hash)) = &report.head {
                tracing::info!(event = "audit_chain_head", id, hash = %hash, rows = report.rows, "audit chain checked");
            }
            alerts::clear(store, AUDIT_CHAIN_BROKEN, "audit_log").await?;
        }
        Some((id, how)) => {
            let alert = NewAlert {
                event: AUDIT_CHAIN_BROKEN,
                subject: "audit_log".into(),
                severity: Severity::Error,
                message: format!("監査ログの連鎖が行 {id} で途切れています: {how}"),
            };
            alerts::raise(store, alert).await?;
        }
    }
    Ok(())
}

/// How long one night's lease lasts: past any run of the jobs, well short of the next night.
const LEASE: Duration = Duration::hours(12);

/// Runs the nightly jobs once if this process takes the night's lease (`ops::lease::DAILY`);
/// true when it ran them. Of several processes waking at the same time, one runs them.
pub async fn run_leased(store: &dyn CommonStore, settings: &Settings, leases: &Leases) -> bool {
    if !leases.take(store, lease::DAILY, LEASE).await {
        tracing::info!(event = "daily_skipped", "another process runs tonight's jobs");
        return false;
    }
    run(store, settings).await;
    true
}

/// The nightly jobs while the node serves.
pub fn spawn(
    store: Arc<dyn CommonStore>,
    settings: &Settings,
    leases: Arc<Leases>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let at = settings.daily.time_of_day()?;
    let settings = settings.clone();
    Ok(tokio::spawn(async move {
        loop {
            let now = Utc::now();
            let wait = (next_run(now, at) - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            run_leased(store.as_ref(), &settings, &leases).await;
        }
    }))
}

/// The next time of day `at` (Japan time) after `now`.
pub fn next_run(now: DateTime<Utc>, at: NaiveTime) -> DateTime<Utc> {
    let today = at_jst(now.with_timezone(&jst()).date_naive(), at);
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_nightly_jobs_run_at_their_time_in_japan() {
        let two_thirty = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 01:00 JST on 5 May: the same night, 02:30 JST = 17:30 UTC the day before.
        assert_eq!(
            next_run(at("2025-05-04T16:00:00Z"), two_thirty),
            at("2025-05-04T17:30:00Z")
        );
        // 02:30 JST exactly has just run: the next is tomorrow's.
        assert_eq!(
            next_run(at("2025-05-04T17:30:00Z"), two_thirty),
            at("2025-05-05T17:30:00Z")
        );
        // Midday JST: tonight.
        assert_eq!(
            next_run(at("2025-05-05T03:00:00Z"), two_thirty),
            at("2025-05-05T17:30:00Z")
        );
    }
}
