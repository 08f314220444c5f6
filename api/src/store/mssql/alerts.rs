//! SQL for operational alert events: one open row per event and subject.

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use tiberius::Row;

use super::conn::{at, int, opt_int, opt_ts, resource, str, ts, Conn, LockMode};
use crate::domain::alert::{Alert, NewAlert};
use crate::store::{StoreError, StoreResult};

pub(super) const STILL_THERE: &str = "UPDATE ops_alerts SET last_seen_at = @P3, message = @P4
     WHERE event = @P1 AND subject = @P2 AND cleared_at IS NULL";
pub(super) const INSERT: &str =
    "INSERT INTO ops_alerts (event, subject, severity, message, raised_at, last_seen_at, incident_id)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P5, @P6)";
pub(super) const CLEAR: &str = "UPDATE ops_alerts SET cleared_at = @P3
     WHERE event = @P1 AND subject = @P2 AND cleared_at IS NULL";
pub(super) const UNMAILED: &str =
    "SELECT TOP (@P1) id, event, subject, severity, message, raised_at, last_seen_at, cleared_at,
            notified_at, cleared_notified_at, incident_id
     FROM ops_alerts
     WHERE notified_at IS NULL OR (cleared_at IS NOT NULL AND cleared_notified_at IS NULL)
     ORDER BY id";
pub(super) const MARK_MAILED: &str = "UPDATE ops_alerts SET notified_at = @P2 WHERE id = @P1";
pub(super) const MARK_CLEAR_MAILED: &str =
    "UPDATE ops_alerts SET cleared_notified_at = @P2 WHERE id = @P1 AND cleared_at IS NOT NULL";
pub(super) const LIST: &str =
    "SELECT id, event, subject, severity, message, raised_at, last_seen_at, cleared_at,
            notified_at, cleared_notified_at, incident_id
     FROM ops_alerts WHERE (@P1 = 0 OR cleared_at IS NULL) ORDER BY raised_at DESC, id DESC";
pub(super) const OF_INCIDENT: &str =
    "SELECT id, event, subject, severity, message, raised_at, last_seen_at, cleared_at,
            notified_at, cleared_notified_at, incident_id
     FROM ops_alerts WHERE incident_id = @P1 ORDER BY raised_at, id";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    STILL_THERE,
    INSERT,
    CLEAR,
    UNMAILED,
    MARK_MAILED,
    MARK_CLEAR_MAILED,
    LIST,
    OF_INCIDENT,
];

/// Raises `alert`, or notes that it is still there; true when it was not open before. UPDATE,
/// then INSERT when no open row changed, under an exclusive application lock on the event and
/// subject: two raises at once never open two rows (no MERGE: Babelfish refuses it). A new
/// alert opens its incident of the operations log (or joins the open one of the same event and
/// subject) in the same transaction, under the same lock (`ops_log::incident_for_alert`).
pub async fn raise(c: &mut Conn, alert: &NewAlert, when: DateTime<Utc>) -> StoreResult<bool> {
    let now = at(when);
    c.begin().await?;
    let r = async {
        let name = resource("attaka:alert", &format!("{}:{}", alert.event, alert.subject));
        c.lock(&name, LockMode::Exclusive).await?;
        let seen = c
            .exec(STILL_THERE, &[&alert.event, &alert.subject, &now, &alert.message])
            .await?;
        if seen == 0 {
            let incident = super::ops_log::incident_for_alert(c, alert, when).await?;
            c.exec(
                INSERT,
                &[
                    &alert.event,
                    &alert.subject,
                    &alert.severity.as_str(),
                    &alert.message,
                    &now,
                    &incident,
                ],
            )
            .await?;
        }
        Ok(seen == 0)
    }
    .await;
    c.finish(r).await
}

/// Clears the open alert of `event` about `subject`; true when there was one.
pub async fn clear(c: &mut Conn, event: &str, subject: &str, when: DateTime<Utc>) -> StoreResult<bool> {
    Ok(c.exec(CLEAR, &[&event, &subject, &at(when)]).await? > 0)
}

fn alert_row(r: &Row) -> StoreResult<Alert> {
    Ok(Alert {
        id: int(r, 0)?,
        event: str(r, 1)?,
        subject: str(r, 2)?,
        severity: str(r, 3)?,
        message: str(r, 4)?,
        raised_at: ts(r, 5)?,
        last_seen_at: ts(r, 6)?,
        cleared_at: opt_ts(r, 7)?,
        notified_at: opt_ts(r, 8)?,
        cleared_notified_at: opt_ts(r, 9)?,
        incident_id: opt_int(r, 10)?,
    })
}

/// Alerts owed a mail, oldest first: not mailed as raised, or cleared and not mailed as cleared.
pub async fn unmailed(c: &mut Conn, limit: usize) -> StoreResult<Vec<Alert>> {
    let limit = i64::try_from(limit).map_err(|_| StoreError::Other(anyhow!("limit {limit}")))?;
    c.rows(UNMAILED, &[&limit]).await?.iter().map(alert_row).collect()
}

pub async fn mark_mailed(c: &mut Conn, id: i64, when: DateTime<Utc>) -> StoreResult<()> {
    c.exec(MARK_MAILED, &[&id, &at(when)]).await?;
    Ok(())
}

pub async fn mark_clear_mailed(c: &mut Conn, id: i64, when: DateTime<Utc>) -> StoreResult<()> {
    c.exec(MARK_CLEAR_MAILED, &[&id, &at(when)]).await?;
    Ok(())
}

/// Alerts, newest first; only the open ones with `open_only`.
pub async fn list(c: &mut Conn, open_only: bool) -> StoreResult<Vec<Alert>> {
    c.rows(LIST, &[&open_only]).await?.iter().map(alert_row).collect()
}

/// The alerts that went into incident `id`, oldest first.
pub async fn of_incident(c: &mut Conn, id: i64) -> StoreResult<Vec<Alert>> {
    c.rows(OF_INCIDENT, &[&id]).await?.iter().map(alert_row).collect()
}
