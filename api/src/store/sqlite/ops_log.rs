//! SQL for the operations log's inquiries and incidents (also those an alert opens, from
//! `alerts::raise`); changes and maintenance windows are in `ops_changes`.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{audit, parse_ts, ts};
use crate::domain::alert::NewAlert;
use crate::domain::audit::AuditDraft;
use crate::domain::ops_log::{
    incident_from_alert, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Origin,
};
use crate::store::StoreResult;

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

/// Every row `sql` selects for `window` (its bounds as ?1 and ?2), each read by `row`.
pub(super) fn in_window<T>(
    c: &Connection,
    sql: &str,
    window: LogWindow,
    row: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let rows = c
        .prepare_cached(sql)?
        .query_map(params![ts(window.from), ts(window.to)], row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
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

/// An inquiry's own columns: ?1…?10 of both its INSERT and its UPDATE.
fn inquiry_values(r: &InquiryRecord) -> [Value; 10] {
    [
        ts(r.received_at).into(),
        r.source_kind.clone().into(),
        r.source_code.clone().into(),
        r.channel.clone().into(),
        r.category.clone().into(),
        r.summary.clone().into(),
        r.answer.clone().into(),
        r.first_answered_at.map(ts).into(),
        r.closed_at.map(ts).into(),
        r.work_minutes.into(),
    ]
}

pub fn create_inquiry(
    c: &mut Connection,
    record: &InquiryRecord,
    by: &str,
    at: DateTime<Utc>,
    draft: AuditDraft<Inquiry>,
) -> StoreResult<Inquiry> {
    audit::audited(c, draft, |tx| {
        let id = audit::written(
            tx,
            "INSERT INTO ops_inquiries (received_at, source_kind, source_code, channel, category, summary,
                 answer, first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) RETURNING id",
            inquiry_values(record)
                .into_iter()
                .chain([by.to_owned().into(), ts(at).into()]),
        )?;
        inquiry_by_id(tx, id)
    })
}

pub fn update_inquiry(
    c: &mut Connection,
    id: i64,
    record: &InquiryRecord,
    at: DateTime<Utc>,
    draft: AuditDraft<Inquiry>,
) -> StoreResult<Inquiry> {
    audit::audited(c, draft, |tx| {
        let id = audit::written(
            tx,
            "UPDATE ops_inquiries SET received_at = ?1, source_kind = ?2, source_code = ?3, channel = ?4,
                 category = ?5, summary = ?6, answer = ?7, first_answered_at = ?8, closed_at = ?9,
                 work_minutes = ?10, updated_at = ?11
             WHERE id = ?12 RETURNING id",
            inquiry_values(record)
                .into_iter()
                .chain([ts(at).into(), id.into()]),
        )?;
        inquiry_by_id(tx, id)
    })
}

pub fn inquiry(c: &mut Connection, id: i64) -> StoreResult<Inquiry> {
    inquiry_by_id(c, id)
}

pub fn inquiries(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Inquiry>> {
    in_window(
        c,
        &format!(
            "SELECT {INQUIRY_COLUMNS} WHERE received_at < ?2 AND (closed_at IS NULL OR closed_at >= ?1)
             ORDER BY received_at, id"
        ),
        window,
        inquiry_row,
    )
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

/// An incident's own columns: ?1…?9 of both its INSERT and its UPDATE.
fn incident_values(r: &IncidentRecord) -> [Value; 9] {
    [
        ts(r.detected_at).into(),
        r.kind.clone().into(),
        r.summary.clone().into(),
        r.triaged_at.map(ts).into(),
        r.resolved_at.map(ts).into(),
        r.cause.clone().into(),
        r.impact.clone().into(),
        r.handling.clone().into(),
        r.work_minutes.into(),
    ]
}

fn insert_incident(
    c: &Connection,
    record: &IncidentRecord,
    origin: &str,
    alert: Option<&NewAlert>,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let rest: [Value; 6] = [
        origin.to_owned().into(),
        alert.map(|a| a.event.to_owned()).into(),
        alert.map(|a| a.subject.clone()).into(),
        i64::from(alert.is_some()).into(),
        by.to_owned().into(),
        ts(at).into(),
    ];
    audit::written(
        c,
        "INSERT INTO ops_incidents (detected_at, kind, summary, triaged_at, resolved_at, cause, impact,
             handling, work_minutes, origin, alert_event, alert_subject, alert_count, recorded_by,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15) RETURNING id",
        incident_values(record).into_iter().chain(rest),
    )
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
    audit::audited(c, draft, |tx| {
        let id = insert_incident(tx, record, "manual", None, by, at)?;
        incident_by_id(tx, id)
    })
}

pub fn update_incident(
    c: &mut Connection,
    id: i64,
    record: &IncidentRecord,
    at: DateTime<Utc>,
    draft: AuditDraft<Incident>,
) -> StoreResult<Incident> {
    audit::audited(c, draft, |tx| {
        let id = audit::written(
            tx,
            "UPDATE ops_incidents SET detected_at = ?1, kind = ?2, summary = ?3, triaged_at = ?4,
                 resolved_at = ?5, cause = ?6, impact = ?7, handling = ?8, work_minutes = ?9,
                 updated_at = ?10
             WHERE id = ?11 RETURNING id",
            incident_values(record)
                .into_iter()
                .chain([ts(at).into(), id.into()]),
        )?;
        incident_by_id(tx, id)
    })
}

pub fn incident(c: &mut Connection, id: i64) -> StoreResult<Incident> {
    incident_by_id(c, id)
}

pub fn incidents(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Incident>> {
    in_window(
        c,
        &format!(
            "SELECT {INCIDENT_COLUMNS} WHERE detected_at < ?2 AND (resolved_at IS NULL OR resolved_at >= ?1)
             ORDER BY detected_at, id"
        ),
        window,
        incident_row,
    )
}
