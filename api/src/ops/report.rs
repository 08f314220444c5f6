//! `attaka ops report`: the contract's reports as Markdown or CSV, from the same code as the
//! API and the web app's print views (`ops::reports`).

use chrono::{DateTime, NaiveDate, Utc};
use shared::dto::ops_report::ReportKind;

use crate::config::Settings;
use crate::ops::reports::{self, render, ReportPeriod};
use crate::store::CommonStore;

/// The monthly 運用保守報告書 of the month beginning on `first` (Japan time), as of `now`, in
/// Markdown: what `attaka ops report --month` prints.
pub async fn monthly(
    store: &dyn CommonStore,
    settings: &Settings,
    first: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let report = reports::report(
        store,
        settings,
        ReportKind::Operations,
        ReportPeriod::month(first),
        now,
    )
    .await?;
    Ok(render::markdown(&report))
}
