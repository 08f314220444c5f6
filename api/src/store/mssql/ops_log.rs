//! SQL for the operations log's inquiries and incidents (also those an alert opens, from
//! `alerts::raise`); changes and maintenance windows are in `ops_changes`. The T-SQL twin of
//! `store/sqlite/ops_log.rs`: writes take the audit row in their transaction (`super::audited`),
//! new rows come back through `OUTPUT INSERTED.id`.

use chrono::{DateTime, Utc};
use tiberius::{Row, ToSql};

use super::conn::{at, int, opt_str, opt_ts, str, ts, Conn};
use crate::domain::alert::NewAlert;
use crate::domain::ops_log::{
    incident_from_alert, Incident, IncidentRecord, Inquiry, InquiryRecord, LogWindow, Origin,
};
use crate::store::{StoreError, StoreResult};

/// What the node writes as `recorded_by` for what it records itself.
pub(super) const SYSTEM: &str = "system";

pub(super) const INQUIRY_BY_ID: &str = "SELECT id, received_at, source_kind, source_code, channel, category,
     summary, answer, first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at
     FROM ops_inquiries WHERE id = @P1";
pub(super) const INQUIRIES: &str = "SELECT id, received_at, source_kind, source_code, channel, category,
     summary, answer, first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at
     FROM ops_inquiries WHERE received_at < @P2 AND (closed_at IS NULL OR closed_at >= @P1)
     ORDER BY received_at, id";
pub(super) const INSERT_INQUIRY: &str =
    "INSERT INTO ops_inquiries (received_at, source_kind, source_code, channel, category, summary,
         answer, first_answered_at, closed_at, work_minutes, recorded_by, created_at, updated_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P12)";
pub(super) const UPDATE_INQUIRY: &str =
    "UPDATE ops_inquiries SET received_at = @P1, source_kind = @P2, source_code = @P3, channel = @P4,
         category = @P5, summary = @P6, answer = @P7, first_answered_at = @P8, closed_at = @P9,
         work_minutes = @P10, updated_at = @P11
     OUTPUT INSERTED.id
     WHERE id = @P12";
pub(super) const INCIDENT_BY_ID: &str = "SELECT id, detected_at, kind, origin, alert_event, alert_subject,
     alert_count, summary, triaged_at, resolved_at, cause, impact, handling, work_minutes, recorded_by,
     created_at, updated_at
     FROM ops_incidents WHERE id = @P1";
pub(super) const INCIDENTS: &str = "SELECT id, detected_at, kind, origin, alert_event, alert_subject,
     alert_count, summary, triaged_at, resolved_at, cause, impact, handling, work_minutes, recorded_by,
     created_at, updated_at
     FROM ops_incidents WHERE detected_at < @P2 AND (resolved_at IS NULL OR resolved_at >= @P1)
     ORDER BY detected_at, id";
pub(super) const INSERT_INCIDENT: &str =
    "INSERT INTO ops_incidents (detected_at, kind, summary, triaged_at, resolved_at, cause, impact, handling,
         work_minutes, origin, alert_event, alert_subject, alert_count, recorded_by, created_at, updated_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P15)";
pub(super) const UPDATE_INCIDENT: &str =
    "UPDATE ops_incidents SET detected_at = @P1, kind = @P2, summary = @P3, triaged_at = @P4,
         resolved_at = @P5, cause = @P6, impact = @P7, handling = @P8, work_minutes = @P9, updated_at = @P10
     OUTPUT INSERTED.id
     WHERE id = @P11";
pub(super) const OPEN_INCIDENT_OF_ALERT: &str = "SELECT TOP (1) id FROM ops_incidents
     WHERE alert_event = @P1 AND alert_subject = @P2 AND resolved_at IS NULL
     ORDER BY id DESC";
pub(super) const JOIN_INCIDENT: &str =
    "UPDATE ops_incidents SET alert_count = alert_count + 1 WHERE id = @P1";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    INQUIRY_BY_ID,
    INQUIRIES,
    INSERT_INQUIRY,
    UPDATE_INQUIRY,
    INCIDENT_BY_ID,
    INCIDENTS,
    INSERT_INCIDENT,
    UPDATE_INCIDENT,
    OPEN_INCIDENT_OF_ALERT,
    JOIN_INCIDENT,
];

pub(super) fn minutes(r: &Row, i: usize) -> StoreResult<u32> {
    Ok(u32::try_from(int(r, i)?).unwrap_or(0))
}

/// Every row `sql` selects for `window` (its bounds as @P1 and @P2), each read by `row`.
pub(super) async fn in_window<T>(
    c: &mut Conn,
    sql: &str,
    window: LogWindow,
    row: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    c.rows(sql, &[&at(window.from), &at(window.to)])
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The one row `sql` selects for `id` (as @P1), read by `row`; `NotFound` without one.
pub(super) async fn by_id<T>(
    c: &mut Conn,
    sql: &str,
    id: i64,
    row: fn(&Row) -> StoreResult<T>,
) -> StoreResult<T> {
    match c.row(sql, &[&id]).await? {
        Some(r) => row(&r),
        None => Err(StoreError::NotFound),
    }
}

/// The ID of the row an INSERT or UPDATE with `OUTPUT INSERTED.id` wrote; `NotFound` when it
/// wrote none (an UPDATE of an unknown ID).
pub(super) async fn written(c: &mut Conn, sql: &str, params: &[&dyn ToSql]) -> StoreResult<i64> {
    match c.row(sql, params).await? {
        Some(r) => int(&r, 0),
        None => Err(StoreError::NotFound),
    }
}

// ---- inquiries ------------------------------------------------------------------------------

fn inquiry_row(r: &Row) -> StoreResult<Inquiry> {
    Ok(Inquiry {
        id: int(r, 0)?,
        record: InquiryRecord {
            received_at: ts(r, 1)?,
            source_kind: str(r, 2)?,
            source_code: opt_str(r, 3)?,
            channel: str(r, 4)?,
            category: str(r, 5)?,
            summary: str(r, 6)?,
            answer: opt_str(r, 7)?,
            first_answered_at: opt_ts(r, 8)?,
            closed_at: opt_ts(r, 9)?,
            work_minutes: minutes(r, 10)?,
        },
        recorded_by: str(r, 11)?,
        created_at: ts(r, 12)?,
        updated_at: ts(r, 13)?,
    })
}

pub async fn inquiry(c: &mut Conn, id: i64) -> StoreResult<Inquiry> {
    by_id(c, INQUIRY_BY_ID, id, inquiry_row).await
}

pub async fn inquiries(c: &mut Conn, window: LogWindow) -> StoreResult<Vec<Inquiry>> {
    in_window(c, INQUIRIES, window, inquiry_row).await
}

/// Writes an inquiry with `sql` (INSERT_INQUIRY or UPDATE_INQUIRY: the record's ten columns
/// as @P1…@P10, then `rest`) and reads it back; `NotFound` when no row was written.
async fn write_inquiry(
    c: &mut Conn,
    sql: &str,
    record: &InquiryRecord,
    rest: &[&dyn ToSql],
) -> StoreResult<Inquiry> {
    let (received, answered, closed) = (
        at(record.received_at),
        record.first_answered_at.map(at),
        record.closed_at.map(at),
    );
    let minutes = i64::from(record.work_minutes);
    let columns: [&dyn ToSql; 10] = [
        &received,
        &record.source_kind,
        &record.source_code,
        &record.channel,
        &record.category,
        &record.summary,
        &record.answer,
        &answered,
        &closed,
        &minutes,
    ];
    let id = written(c, sql, &[&columns[..], rest].concat()).await?;
    inquiry(c, id).await
}

/// Inside `super::audited`'s transaction.
pub async fn create_inquiry(
    c: &mut Conn,
    record: &InquiryRecord,
    by: &str,
    when: DateTime<Utc>,
) -> StoreResult<Inquiry> {
    write_inquiry(c, INSERT_INQUIRY, record, &[&by, &at(when)]).await
}

/// Inside `super::audited`'s transaction; `NotFound` for an unknown ID.
pub async fn update_inquiry(
    c: &mut Conn,
    id: i64,
    record: &InquiryRecord,
    when: DateTime<Utc>,
) -> StoreResult<Inquiry> {
    write_inquiry(c, UPDATE_INQUIRY, record, &[&at(when), &id]).await
}

// ---- incidents ------------------------------------------------------------------------------

fn incident_row(r: &Row) -> StoreResult<Incident> {
    Ok(Incident {
        id: int(r, 0)?,
        record: IncidentRecord {
            detected_at: ts(r, 1)?,
            kind: str(r, 2)?,
            summary: str(r, 7)?,
            triaged_at: opt_ts(r, 8)?,
            resolved_at: opt_ts(r, 9)?,
            cause: opt_str(r, 10)?,
            impact: opt_str(r, 11)?,
            handling: opt_str(r, 12)?,
            work_minutes: minutes(r, 13)?,
        },
        origin: if str(r, 3)? == "alert" {
            Origin::Automatic
        } else {
            Origin::Manual
        },
        alert_event: opt_str(r, 4)?,
        alert_subject: opt_str(r, 5)?,
        alert_count: minutes(r, 6)?,
        recorded_by: str(r, 14)?,
        created_at: ts(r, 15)?,
        updated_at: ts(r, 16)?,
    })
}

pub async fn incident(c: &mut Conn, id: i64) -> StoreResult<Incident> {
    by_id(c, INCIDENT_BY_ID, id, incident_row).await
}

pub async fn incidents(c: &mut Conn, window: LogWindow) -> StoreResult<Vec<Incident>> {
    in_window(c, INCIDENTS, window, incident_row).await
}

/// Writes an incident with `sql` (INSERT_INCIDENT or UPDATE_INCIDENT: the record's nine
/// columns as @P1…@P9, then `rest`); the ID of the row written, `NotFound` when none was.
async fn write_incident(
    c: &mut Conn,
    sql: &str,
    record: &IncidentRecord,
    rest: &[&dyn ToSql],
) -> StoreResult<i64> {
    let (detected, triaged, resolved) = (
        at(record.detected_at),
        record.triaged_at.map(at),
        record.resolved_at.map(at),
    );
    let minutes = i64::from(record.work_minutes);
    let columns: [&dyn ToSql; 9] = [
        &detected,
        &record.kind,
        &record.summary,
        &triaged,
        &resolved,
        &record.cause,
        &record.impact,
        &record.handling,
        &minutes,
    ];
    written(c, sql, &[&columns[..], rest].concat()).await
}

async fn insert_incident(
    c: &mut Conn,
    record: &IncidentRecord,
    origin: &str,
    alert: Option<&NewAlert>,
    by: &str,
    when: DateTime<Utc>,
) -> StoreResult<i64> {
    let (event, subject) = (alert.map(|a| a.event), alert.map(|a| a.subject.as_str()));
    let count = i64::from(alert.is_some());
    let rest: [&dyn ToSql; 6] = [&origin, &event, &subject, &count, &by, &at(when)];
    write_incident(c, INSERT_INCIDENT, record, &rest).await
}

/// Inside `alerts::raise`'s transaction, which holds the alert's application lock (event and
/// subject), for a newly raised alert: the incident it opens, or the unresolved one of the same
/// event and subject it joins; none for an event that opens no incident.
pub(super) async fn incident_for_alert(
    c: &mut Conn,
    alert: &NewAlert,
    when: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let Some(record) = incident_from_alert(alert, when) else {
        return Ok(None);
    };
    if let Some(r) = c
        .row(OPEN_INCIDENT_OF_ALERT, &[&alert.event, &alert.subject])
        .await?
    {
        let id = int(&r, 0)?;
        c.exec(JOIN_INCIDENT, &[&id]).await?;
        return Ok(Some(id));
    }
    Ok(Some(
        insert_incident(c, &record, "alert", Some(alert), SYSTEM, when).await?,
    ))
}

/// Inside `super::audited`'s transaction.
pub async fn create_incident(
    c: &mut Conn,
    record: &IncidentRecord,
    by: &str,
    when: DateTime<Utc>,
) -> StoreResult<Incident> {
    let id = insert_incident(c, record, "manual", None, by, when).await?;
    incident(c, id).await
}

/// Inside `super::audited`'s transaction; `NotFound` for an unknown ID.
pub async fn update_incident(
    c: &mut Conn,
    id: i64,
    record: &IncidentRecord,
    when: DateTime<Utc>,
) -> StoreResult<Incident> {
    let id = write_incident(c, UPDATE_INCIDENT, record, &[&at(when), &id]).await?;
    incident(c, id).await
}
