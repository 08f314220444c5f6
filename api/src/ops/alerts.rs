//! Alert events for the operator: raised once while a condition lasts (a log line at error or
//! warn level with a stable `event` name, and a row in `ops_alerts`), cleared when it ends.
//! Failure e-mail can read the same rows.

use chrono::Utc;

use crate::domain::alert::{NewAlert, Severity};
use crate::store::{CommonStore, StoreResult};

/// Raises `alert` unless it is already open; logs it when it is new.
pub async fn raise(store: &dyn CommonStore, alert: NewAlert) -> StoreResult<bool> {
    let new = store.raise_alert(&alert, Utc::now()).await?;
    if new {
        match alert.severity {
            Severity::Error => tracing::error!(
                event = alert.event, subject = %alert.subject, message = %alert.message, "alert raised"
            ),
            Severity::Warn => tracing::warn!(
                event = alert.event, subject = %alert.subject, message = %alert.message, "alert raised"
            ),
        }
    }
    Ok(new)
}

/// Clears the open alert of `event` about `subject`, if any; logs when it clears one.
pub async fn clear(store: &dyn CommonStore, event: &'static str, subject: &str) -> StoreResult<bool> {
    let cleared = store.clear_alert(event, subject, Utc::now()).await?;
    if cleared {
        tracing::info!(event, subject, "alert cleared");
    }
    Ok(cleared)
}
