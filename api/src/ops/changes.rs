//! The changes a node records about itself at start (`domain::ops_log::auto_changes`): a
//! version it has not run before, and the migrations applied since the last recorded.

use chrono::{DateTime, Utc};

use crate::domain::ops_log::auto_changes;
use crate::store::{CommonStore, StoreResult};

/// Records what is new since the last start; how many changes were recorded now.
pub async fn record_start(store: &dyn CommonStore, version: &str, now: DateTime<Utc>) -> StoreResult<usize> {
    let migrations = store.applied_migrations().await?;
    let release = store.latest_auto_change_key("release:").await?;
    let schema = store.latest_auto_change_key("schema:").await?;
    let mut recorded = 0;
    for change in auto_changes::plan(version, &migrations, release.as_deref(), schema.as_deref(), now) {
        if store.record_auto_change(&change.key, &change.record, now).await? {
            tracing::info!(event = "ops_change_recorded", key = %change.key, summary = %change.record.summary, "change recorded in the operations log");
            recorded += 1;
        }
    }
    Ok(recorded)
}
