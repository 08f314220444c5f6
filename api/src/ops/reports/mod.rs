//! The contract's reports from the operations log and the uptime ledger: one document per
//! report (`shared::dto::ops_report`), built from fixed inputs (`build`), written out as
//! Markdown or CSV (`render`). The API, the web app's print views and `attaka ops report` all
//! go through [`report`] / [`incident_report`].

mod availability;
pub mod build;
pub mod figures;
pub mod period;
pub mod render;

use chrono::{DateTime, Utc};
use shared::dto::ops_report::{OpsReport, ReportKind};

use crate::config::Settings;
use crate::domain::alert::Alert;
use crate::domain::audit::ChainReport;
use crate::domain::ops_log::sla::SlaPolicy;
use crate::domain::ops_log::{Change, Incident, Inquiry, LogWindow, Maintenance};
use crate::domain::uptime::Availability;
use crate::ops::{backup, uptime};
use crate::store::CommonStore;
pub use period::{PeriodRefusal, ReportPeriod};

/// What a report is made from.
pub struct Inputs {
    pub period: ReportPeriod,
    pub now: DateTime<Utc>,
    /// `県ハブ` or the centre's code.
    pub node: String,
    pub policy: SlaPolicy,
    pub target: f64,
    /// Records active in the period (the builder keeps those that began in it).
    pub inquiries: Vec<Inquiry>,
    pub incidents: Vec<Incident>,
    pub changes: Vec<Change>,
    pub maintenance: Vec<Maintenance>,
    /// The whole period, and each of its months.
    pub availability: Availability,
    pub months: Vec<(ReportPeriod, Availability)>,
    /// Alert events raised in the period, oldest first.
    pub alerts: Vec<Alert>,
    /// The backup generations (operations report only).
    pub backups: Option<BackupSummary>,
    pub audit: Option<ChainReport>,
}

/// The backups as the operations report states them.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSummary {
    pub in_period: usize,
    /// The newest generation and whether it checks.
    pub newest: Option<(String, Result<(), String>)>,
}

/// The node as the prefecture names it in a report.
pub fn node_label(settings: &Settings) -> String {
    settings.node.center.clone().unwrap_or_else(|| "県ハブ".into())
}

/// Reads what a report of `kind` for `period` needs, as of `now`.
pub async fn inputs(
    store: &dyn CommonStore,
    settings: &Settings,
    kind: ReportKind,
    period: ReportPeriod,
    now: DateTime<Utc>,
) -> anyhow::Result<Inputs> {
    let window = LogWindow {
        from: period.from,
        to: period.to,
    };
    let availability = uptime::measure(store, settings, period.from, period.to, now).await?;
    let mut months = Vec::new();
    for month in period.months() {
        let a = uptime::measure(store, settings, month.from, month.to, now).await?;
        months.push((month, a));
    }
    let mut alerts: Vec<Alert> = store
        .alerts(false)
        .await?
        .into_iter()
        .filter(|a| period.contains(a.raised_at))
        .collect();
    alerts.reverse();
    let (backups, audit) = if kind == ReportKind::Operations {
        (
            Some(backups(settings, &period)?),
            Some(store.verify_audit_chain().await?),
        )
    } else {
        (None, None)
    };
    Ok(Inputs {
        now,
        node: node_label(settings),
        policy: settings.ops.sla(),
        target: settings.uptime.target,
        inquiries: store.inquiries(window).await?,
        incidents: store.incidents(window).await?,
        changes: store.changes(window).await?,
        maintenance: store.maintenance_windows(window).await?,
        availability,
        months,
        alerts,
        backups,
        audit,
        period,
    })
}

fn backups(settings: &Settings, period: &ReportPeriod) -> anyhow::Result<BackupSummary> {
    let generations = backup::generations(&settings.backup_dir())?;
    let in_period = generations
        .iter()
        .filter(|g| g.manifest.as_ref().is_ok_and(|m| period.contains(m.created_at)))
        .count();
    let newest = match generations.first() {
        Some(g) => Some((g.name(), g.check(crate::store::backup_engine(settings)?.as_ref()))),
        None => None,
    };
    Ok(BackupSummary { in_period, newest })
}

/// The report of `kind` for `period`, as of `now`.
pub async fn report(
    store: &dyn CommonStore,
    settings: &Settings,
    kind: ReportKind,
    period: ReportPeriod,
    now: DateTime<Utc>,
) -> anyhow::Result<OpsReport> {
    let inputs = inputs(store, settings, kind, period, now).await?;
    Ok(build::build(kind, &inputs))
}

/// 障害対応報告書 of one incident (its period is the month it was detected in).
pub async fn incident_report(
    store: &dyn CommonStore,
    settings: &Settings,
    id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<OpsReport> {
    let incident = store.incident(id).await?;
    let detected = incident
        .record
        .detected_at
        .with_timezone(&crate::domain::clock::jst())
        .date_naive();
    let first = detected - chrono::Days::new(u64::from(chrono::Datelike::day(&detected)) - 1);
    let period = ReportPeriod::month(first);
    let events = store.incident_alerts(id).await?;
    let inputs = inputs(store, settings, ReportKind::Incidents, period, now).await?;
    Ok(build::incident(&inputs, &incident, &events))
}

#[cfg(test)]
mod tests;
