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
        tx.execute(
            "INSERT INTO ops_alerts (event, subject, severity, message, raised_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                alert.event,
                alert.subject,
                alert.severity.as_str(),
                alert.message,
                now
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

fn alert_row(r: &Row) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get(0)?,
        event: r.get(1)?,
        subject: r.get(2)?,
        severity: r.get(3)?,
        message: r.get(4)?,
        raised_at: parse_ts(&r.get::<_, String>(5)?)?,
        last_seen_at: parse_ts(&r.get::<_, String>(6)?)?,
        cleared_at: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
    })
}

/// Alerts not yet mailed to the operator, oldest first.
pub fn unmailed(c: &mut Connection, limit: usize) -> StoreResult<Vec<Alert>> {
    let rows = c
        .prepare(
            "SELECT id, event, subject, severity, message, raised_at, last_seen_at, cleared_at
             FROM ops_alerts WHERE notified_at IS NULL ORDER BY id LIMIT ?1",
        )?
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

/// Alerts, newest first; only the open ones with `open_only`.
pub fn list(c: &mut Connection, open_only: bool) -> StoreResult<Vec<Alert>> {
    let rows = c
        .prepare(
            "SELECT id, event, subject, severity, message, raised_at, last_seen_at, cleared_at
             FROM ops_alerts WHERE (NOT ?1 OR cleared_at IS NULL) ORDER BY raised_at DESC, id DESC",
        )?
        .query_map([open_only], alert_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
