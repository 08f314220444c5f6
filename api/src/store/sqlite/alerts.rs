//! SQL for operational alert events: one open row per event and subject.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row, TransactionBehavior};

use super::{parse_ts, ts};
use crate::domain::alert::{Alert, NewAlert};
use crate::store::StoreResult;

/// Raises `alert`, or notes that it is still there; true when it was not open before.
pub fn raise(c: &mut Connection, alert: &NewAlert, at: DateTime<Utc>) -> StoreResult<bool> {
    // Check-then-write: the UPDATE of the open row is the check; BEGIN IMMEDIATE holds the write
    // lock from it to the INSERT, so two raisers cannot both open the same alert.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = ts(at);
    let seen = tx.execute(
        "UPDATE ops_alerts SET last_seen_at = ?3, message = ?4
         WHERE event = ?1 AND subject = ?2 AND cleared_at IS NULL",
        params![alert.event, alert.subject, now, alert.message],
    )?;
    if seen == 0 {
        // A new alert opens its incident (or joins the open one) in the same transaction.
        let incident = super::ops_log::incident_for_alert(&tx, alert, at)?;
        tx.execute(
            "INSERT INTO ops_alerts (event, subject, severity, message, raised_at, last_seen_at, incident_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            params![
                alert.event,
                alert.subject,
                alert.severity.as_str(),
                alert.message,
                now,
                incident
            ],
        )?;
    }
    tx.commit()?;
    Ok(seen == 0)
}

/// Clears the open alert of `event` about `subject`; true when there was one.
pub fn clear(c: &mut Connection, event: &str, subject: &str, at: DateTime<Utc>) -> StoreResult<bool> {
    let n = c.execute(
        "UPDATE ops_alerts SET cleared_at = ?3 WHERE event = ?1 AND subject = ?2 AND cleared_at IS NULL",
        params![event, subject, ts(at)],
    )?;
    Ok(n > 0)
}

const ALERT_COLUMNS: &str = "id, event, subject, severity, message, raised_at, last_seen_at, cleared_at,
     notified_at, cleared_notified_at, incident_id FROM ops_alerts";

fn opt_ts(r: &Row, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    r.get::<_, Option<String>>(i)?
        .as_deref()
        .map(parse_ts)
        .transpose()
}

fn alert_row(r: &Row) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get(0)?,
        event: r.get(1)?,
        subject: r.get(2)?,
        severity: r.get(3)?,
        message: r.get(4)?,
        raised_at: parse_ts(&r.get::<_, String>(5)?)?,
        last_seen_at: parse_ts(&r.get::<_, String>(6)?)?,
        cleared_at: opt_ts(r, 7)?,
        notified_at: opt_ts(r, 8)?,
        cleared_notified_at: opt_ts(r, 9)?,
        incident_id: r.get(10)?,
    })
}

/// Alerts owed a mail, oldest first: not mailed as raised, or cleared and not mailed as cleared.
pub fn unmailed(c: &mut Connection, limit: usize) -> StoreResult<Vec<Alert>> {
    let rows = c
        .prepare(&format!(
            "SELECT {ALERT_COLUMNS}
             WHERE notified_at IS NULL OR (cleared_at IS NOT NULL AND cleared_notified_at IS NULL)
             ORDER BY id LIMIT ?1"
        ))?
        .query_map([limit as i64], alert_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn mark_mailed(c: &mut Connection, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    c.execute(
        "UPDATE ops_alerts SET notified_at = ?2 WHERE id = ?1",
        params![id, ts(at)],
    )?;
    Ok(())
}

pub fn mark_clear_mailed(c: &mut Connection, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    c.execute(
        "UPDATE ops_alerts SET cleared_notified_at = ?2 WHERE id = ?1 AND cleared_at IS NOT NULL",
        params![id, ts(at)],
    )?;
    Ok(())
}

/// Alerts, newest first; only the open ones with `open_only`.
pub fn list(c: &mut Connection, open_only: bool) -> StoreResult<Vec<Alert>> {
    let rows = c
        .prepare(&format!(
            "SELECT {ALERT_COLUMNS} WHERE (NOT ?1 OR cleared_at IS NULL) ORDER BY raised_at DESC, id DESC"
        ))?
        .query_map([open_only], alert_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The alerts that went into incident `id`, oldest first.
pub fn of_incident(c: &mut Connection, id: i64) -> StoreResult<Vec<Alert>> {
    let rows = c
        .prepare(&format!(
            "SELECT {ALERT_COLUMNS} WHERE incident_id = ?1 ORDER BY raised_at, id"
        ))?
        .query_map([id], alert_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
