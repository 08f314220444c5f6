//! SQL for the operations log's inquiries and incidents (also those an alert opens, from
//! `alerts::raise`); changes and maintenance windows are in `ops_changes`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{audit, parse_ts, ts};
use crate::domain::alert::NewAlert;
use crate::domain::audit::AuditDraft;
use crate::domain::ops_log::{
    incident_from_alert, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Origin,
};
use crate::store::{StoreError, StoreResult};

/// What the node writes as `recorded_by` for what it records itself.
pub const SYSTEM: &str = "system";

pub(super) fn opt_ts(r: &Row, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    r.get::<_, Option<String>>(i)?
        .as_deref()
        .map(parse_ts)
        .transpose()
}

pub(super) fn minutes(r: &Row, i: usize) -> rusqlite::Result<u32> {
    Ok(u32::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

/// Bounds of a window as stored text.
pub(super) fn bounds(w: LogWindow) -> (String, String) {
    (ts(w.from), ts(w.to))
}

// ---- inquiries ------------------------------------------------------------------------------

const INQUIRY_COLUMNS: &str = "id, received_at, source_kind, source_code, channel, category, summary, answer,
     first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at FROM ops_inquiries";

fn inquiry_row(r: &Row) -> rusqlite::Result<Inquiry> {
    Ok(Inquiry {
        id: r.get(0)?,
        record: InquiryRecord {
            received_at: parse_ts(&r.get::<_, String>(1)?)?,
            source_kind: r.get(2)?,
            source_code: r.get(3)?,
            channel: r.get(4)?,
            category: r.get(5)?,
            summary: r.get(6)?,
            answer: r.get(7)?,
            first_answered_at: opt_ts(r, 8)?,
            closed_at: opt_ts(r, 9)?,
            work_minutes: minutes(r, 10)?,
        },
        recorded_by: r.get(11)?,
        created_at: parse_ts(&r.get::<_, String>(12)?)?,
        updated_at: parse_ts(&r.get::<_, String>(13)?)?,
    })
}

fn inquiry_by_id(c: &Connection, id: i64) -> StoreResult<Inquiry> {
    Ok(
        c.prepare_cached(&format!("SELECT {INQUIRY_COLUMNS} WHERE id = ?1"))?
            .query_row([id], inquiry_row)?,
    )
}

pub fn create_inquiry(
    c: &mut Connection,
    record: &InquiryRecord,
    by: &str,
    at: DateTime<Utc>,
    draft: AuditDraft<Inquiry>,
) -> StoreResult<Inquiry> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO ops_inquiries (received_at, source_kind, source_code, channel, category, summary,
             answer, first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            ts(record.received_at),
            record.source_kind,
            record.source_code,
            record.channel,
            record.category,
            record.summary,
            record.answer,
            record.first_answered_at.map(ts),
            record.closed_at.map(ts),
            record.work_minutes,
            by,
            ts(at),
        ],
    )?;
    let stored = inquiry_by_id(&tx, tx.last_insert_rowid())?;
    audit::append(&tx, &draft.entry_for(&stored))?;
    tx.commit()?;
    Ok(stored)
}

pub fn update_inquiry(
    c: &mut Connection,
    id: i64,
    record: &InquiryRecord,
    at: DateTime<Utc>,
    draft: AuditDraft<Inquiry>,
) -> StoreResult<Inquiry> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE ops_inquiries SET received_at = ?2, source_kind = ?3, source_code = ?4, channel = ?5,
             category = ?6, summary = ?7, answer = ?8, first_answered_at = ?9, closed_at = ?10,
             work_minutes = ?11, updated_at = ?12
         WHERE id = ?1",
        params![
            id,
            ts(record.received_at),
            record.source_kind,
            record.source_code,
            record.channel,
            record.category,
            record.summary,
            record.answer,
            record.first_answered_at.map(ts),
            record.closed_at.map(ts),
            record.work_minutes,
            ts(at),
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let stored = inquiry_by_id(&tx, id)?;
    audit::append(&tx, &draft.entry_for(&stored))?;
    tx.commit()?;
    Ok(stored)
}

pub fn inquiry(c: &mut Connection, id: i64) -> StoreResult<Inquiry> {
    inquiry_by_id(c, id)
}

pub fn inquiries(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Inquiry>> {
    let (from, to) = bounds(window);
    let rows = c
        .prepare_cached(&format!(
            "SELECT {INQUIRY_COLUMNS} WHERE received_at < ?2 AND (closed_at IS NULL OR closed_at >= ?1)
             ORDER BY received_at, id"
        ))?
        .query_map(params![from, to], inquiry_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

// ---- incidents ------------------------------------------------------------------------------

const INCIDENT_COLUMNS: &str =
    "id, detected_at, kind, origin, alert_event, alert_subject, alert_count, summary,
     triaged_at, resolved_at, cause, impact, handling, work_minutes, recorded_by, created_at, updated_at
     FROM ops_incidents";

fn incident_row(r: &Row) -> rusqlite::Result<Incident> {
    let origin: String = r.get(3)?;
    Ok(Incident {
        id: r.get(0)?,
        record: IncidentRecord {
            detected_at: parse_ts(&r.get::<_, String>(1)?)?,
            kind: r.get(2)?,
            summary: r.get(7)?,
            triaged_at: opt_ts(r, 8)?,
            resolved_at: opt_ts(r, 9)?,
            cause: r.get(10)?,
            impact: r.get(11)?,
            handling: r.get(12)?,
            work_minutes: minutes(r, 13)?,
        },
        origin: if origin == "alert" {
            Origin::Automatic
        } else {
            Origin::Manual
        },
        alert_event: r.get(4)?,
        alert_subject: r.get(5)?,
        alert_count: minutes(r, 6)?,
        recorded_by: r.get(14)?,
        created_at: parse_ts(&r.get::<_, String>(15)?)?,
        updated_at: parse_ts(&r.get::<_, String>(16)?)?,
    })
}

fn incident_by_id(c: &Connection, id: i64) -> StoreResult<Incident> {
    Ok(
        c.prepare_cached(&format!("SELECT {INCIDENT_COLUMNS} WHERE id = ?1"))?
            .query_row([id], incident_row)?,
    )
}

fn insert_incident(
    c: &Connection,
    record: &IncidentRecord,
    origin: &str,
    alert: Option<&NewAlert>,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    c.execute(
        "INSERT INTO ops_incidents (detected_at, kind, origin, alert_event, alert_subject, alert_count, summary,
             triaged_at, resolved_at, cause, impact, handling, work_minutes, recorded_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        params![
            ts(record.detected_at),
            record.kind,
            origin,
            alert.map(|a| a.event),
            alert.map(|a| a.subject.as_str()),
            i64::from(alert.is_some()),
            record.summary,
            record.triaged_at.map(ts),
            record.resolved_at.map(ts),
            record.cause,
            record.impact,
            record.handling,
            record.work_minutes,
            by,
            ts(at),
        ],
    )?;
    Ok(c.last_insert_rowid())
}

/// Inside `alerts::raise`'s transaction, for a newly raised alert: the incident it opens, or
/// the unresolved one of the same event and subject it joins; none for a reminder.
pub(super) fn incident_for_alert(
    c: &Connection,
    alert: &NewAlert,
    at: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let Some(record) = incident_from_alert(alert, at) else {
        return Ok(None);
    };
    let open: Option<i64> = c
        .query_row(
            "SELECT id FROM ops_incidents
             WHERE alert_event = ?1 AND alert_subject = ?2 AND resolved_at IS NULL
             ORDER BY id DESC LIMIT 1",
            params![alert.event, alert.subject],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = open {
        c.execute(
            "UPDATE ops_incidents SET alert_count = alert_count + 1 WHERE id = ?1",
            [id],
        )?;
        return Ok(Some(id));
    }
    Ok(Some(insert_incident(
        c,
        &record,
        "alert",
        Some(alert),
        SYSTEM,
        at,
    )?))
}

pub fn create_incident(
    c: &mut Connection,
    record: &IncidentRecord,
    by: &str,
    at: DateTime<Utc>,
    draft: AuditDraft<Incident>,
) -> StoreResult<Incident> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = insert_incident(&tx, record, "manual", None, by, at)?;
    let stored = incident_by_id(&tx, id)?;
    audit::append(&tx, &draft.entry_for(&stored))?;
    tx.commit()?;
    Ok(stored)
}

pub fn update_incident(
    c: &mut Connection,
    id: i64,
    record: &IncidentRecord,
    at: DateTime<Utc>,
    draft: AuditDraft<Incident>,
) -> StoreResult<Incident> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE ops_incidents SET detected_at = ?2, kind = ?3, summary = ?4, triaged_at = ?5,
             resolved_at = ?6, cause = ?7, impact = ?8, handling = ?9, work_minutes = ?10, updated_at = ?11
         WHERE id = ?1",
        params![
            id,
            ts(record.detected_at),
            record.kind,
            record.summary,
            record.triaged_at.map(ts),
            record.resolved_at.map(ts),
            record.cause,
            record.impact,
            record.handling,
            record.work_minutes,
            ts(at),
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let stored = incident_by_id(&tx, id)?;
    audit::append(&tx, &draft.entry_for(&stored))?;
    tx.commit()?;
    Ok(stored)
}

pub fn incident(c: &mut Connection, id: i64) -> StoreResult<Incident> {
    incident_by_id(c, id)
}

pub fn incidents(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Incident>> {
    let (from, to) = bounds(window);
    let rows = c
        .prepare_cached(&format!(
            "SELECT {INCIDENT_COLUMNS} WHERE detected_at < ?2 AND (resolved_at IS NULL OR resolved_at >= ?1)
             ORDER BY detected_at, id"
        ))?
        .query_map(params![from, to], incident_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
