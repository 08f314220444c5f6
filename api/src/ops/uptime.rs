//! The uptime ledger of a serving node (a row per run, a heartbeat every `uptime.heartbeat_ms`)
//! and the monthly 稼働率 computed from it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use shared::dto::ops::{Outage, UptimeReport};

use crate::config::Settings;
use crate::domain::clock::at_jst;
use crate::domain::uptime::availability;
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

/// 稼働率 of the month beginning on `first` (Japan time), measured up to `now`.
pub async fn report(
    store: &dyn CommonStore,
    settings: &Settings,
    first: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<UptimeReport> {
    let from = at_jst(first, NaiveTime::MIN);
    let to = at_jst(first + Months::new(1), NaiveTime::MIN).min(now).max(from);
    let (runs, first_ever) = store.uptime_runs(from, to).await?;
    let slack =
        Duration::milliseconds(i64::try_from(settings.uptime.heartbeat_ms).unwrap_or(i64::MAX / 4) * 2);
    let a = availability(&runs, from, to, first_ever, slack);
    Ok(UptimeReport {
        month: first.format("%Y-%m").to_string(),
        from: a.from,
        to: a.to,
        period_seconds: a.period_seconds(),
        up_seconds: a.up_seconds,
        ratio: a.ratio(),
        target: settings.uptime.target,
        met: a.met(settings.uptime.target),
        outages: a
            .outages
            .iter()
            .map(|(f, t)| Outage {
                from: *f,
                to: *t,
                seconds: (*t - *f).num_seconds(),
            })
            .collect(),
    })
}
