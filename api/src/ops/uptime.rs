//! The uptime ledger of a serving node (a row per run, a heartbeat every `uptime.heartbeat_ms`)
//! and the 稼働率 computed from it, with the scheduled maintenance windows of the operations
//! log left out as the contract says.

use std::sync::Arc;

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use shared::dto::ops::{Outage, UptimeReport};

use crate::config::Settings;
use crate::domain::clock::at_jst;
use crate::domain::ops_log::LogWindow;
use crate::domain::uptime::{with_maintenance, Availability};
use crate::store::{CommonStore, StoreResult};

/// Opens this run's row, then notes every `uptime.heartbeat_ms` that the node is still up.
pub async fn spawn(
    store: Arc<dyn CommonStore>,
    settings: &Settings,
) -> StoreResult<tokio::task::JoinHandle<()>> {
    let run = store.start_uptime_run(Utc::now()).await?;
    let every = std::time::Duration::from_millis(settings.uptime.heartbeat_ms);
    Ok(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = store.uptime_heartbeat(run, Utc::now()).await {
                tracing::warn!(event = "uptime_heartbeat_failed", error = %e, "could not note the node is up");
            }
        }
    }))
}

/// Availability within `[from, to)` (cut at `now`), the announced maintenance windows noted.
pub async fn measure(
    store: &dyn CommonStore,
    settings: &Settings,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Availability> {
    let to = to.min(now).max(from);
    let (runs, first_ever) = store.uptime_runs(from, to).await?;
    let windows: Vec<_> = store
        .maintenance_windows(LogWindow { from, to })
        .await?
        .into_iter()
        .filter(|m| m.counts())
        .map(|m| (m.record.starts_at, m.record.ends_at))
        .collect();
    let slack =
        Duration::milliseconds(i64::try_from(settings.uptime.heartbeat_ms).unwrap_or(i64::MAX / 4) * 2);
    Ok(with_maintenance(&runs, from, to, first_ever, slack, &windows))
}

/// The 稼働率 of `[from, to)` for the API: up time, outages with their planned part, both ratios.
pub fn to_report(a: &Availability, month: String, target: f64) -> UptimeReport {
    UptimeReport {
        month,
        from: a.from,
        to: a.to,
        period_seconds: a.period_seconds(),
        up_seconds: a.up_seconds,
        ratio: a.ratio(),
        maintenance_seconds: a.maintenance_time().num_seconds(),
        ratio_excluding_maintenance: a.ratio_excluding_maintenance(),
        target,
        met: a.met(target),
        outages: a
            .outages
            .iter()
            .map(|(f, t)| Outage {
                from: *f,
                to: *t,
                seconds: (*t - *f).num_seconds(),
                maintenance_seconds: a.planned_part((*f, *t)).num_seconds(),
            })
            .collect(),
    }
}

/// 稼働率 of the month beginning on `first` (Japan time), measured up to `now`.
pub async fn report(
    store: &dyn CommonStore,
    settings: &Settings,
    first: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<UptimeReport> {
    let from = at_jst(first, NaiveTime::MIN);
    let to = at_jst(first + Months::new(1), NaiveTime::MIN);
    let a = measure(store, settings, from, to, now).await?;
    Ok(to_report(
        &a,
        first.format("%Y-%m").to_string(),
        settings.uptime.target,
    ))
}
