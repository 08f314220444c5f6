//! SQL for the operations log's changes (also those the node records at start) and scheduled
//! maintenance windows.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::ops_log::{in_window, minutes, opt_ts, SYSTEM};
use super::{audit, parse_ts, ts};
use crate::domain::audit::AuditDraft;
use crate::domain::ops_log::auto_changes::AppliedMigration;
use crate::domain::ops_log::{Change, ChangeRecord, LogWindow, Maintenance, MaintenanceRecord, Origin};
use crate::store::{StoreError, StoreResult};

const CHANGE_COLUMNS: &str = "id, changed_at, kind, summary, reason, impact, work_minutes, origin, auto_key,
     recorded_by, created_at, updated_at FROM ops_changes";

fn change_row(r: &Row) -> rusqlite::Result<Change> {
    let origin: String = r.get(7)?;
    Ok(Change {
        id: r.get(0)?,
        record: ChangeRecord {
            changed_at: parse_ts(&r.get::<_, String>(1)?)?,
            kind: r.get(2)?,
            summary: r.get(3)?,
            reason: r.get(4)?,
            impact: r.get(5)?,
            work_minutes: minutes(r, 6)?,
        },
        origin: if origin == "auto" {
            Origin::Automatic
        } else {
            Origin::Manual
        },
        auto_key: r.get(8)?,
        recorded_by: r.get(9)?,
        created_at: parse_ts(&r.get::<_, String>(10)?)?,
        updated_at: parse_ts(&r.get::<_, String>(11)?)?,
    })
}

fn change_by_id(c: &Connection, id: i64) -> StoreResult<Change> {
    Ok(
        c.prepare_cached(&format!("SELECT {CHANGE_COLUMNS} WHERE id = ?1"))?
            .query_row([id], change_row)?,
    )
}

/// A change's own columns: ?1…?6 of its INSERTs and its UPDATE.
fn change_values(r: &ChangeRecord) -> [Value; 6] {
    [
        ts(r.changed_at).into(),
        r.kind.clone().into(),
        r.summary.clone().into(),
        r.reason.clone().into(),
        r.impact.clone().into(),
        r.work_minutes.into(),
    ]
}

pub fn create_change(
    c: &mut Connection,
    record: &ChangeRecord,
    by: &str,
    at: DateTime<Utc>,
    draft: AuditDraft<Change>,
) -> StoreResult<Change> {
    audit::audited(c, draft, |tx| {
        let id = audit::written(
            tx,
            "INSERT INTO ops_changes (changed_at, kind, summary, reason, impact, work_minutes, origin,
                 auto_key, recorded_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'manual', NULL, ?7, ?8, ?8) RETURNING id",
            change_values(record)
                .into_iter()
                .chain([by.to_owned().into(), ts(at).into()]),
        )?;
        change_by_id(tx, id)
    })
}

pub fn update_change(
    c: &mut Connection,
    id: i64,
    record: &ChangeRecord,
    at: DateTime<Utc>,
    draft: AuditDraft<Change>,
) -> StoreResult<Change> {
    audit::audited(c, draft, |tx| {
        let id = audit::written(
            tx,
            "UPDATE ops_changes SET changed_at = ?1, kind = ?2, summary = ?3, reason = ?4, impact = ?5,
                 work_minutes = ?6, updated_at = ?7
             WHERE id = ?8 RETURNING id",
            change_values(record)
                .into_iter()
                .chain([ts(at).into(), id.into()]),
        )?;
        change_by_id(tx, id)
    })
}

pub fn changes(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Change>> {
    in_window(
        c,
        &format!(
            "SELECT {CHANGE_COLUMNS} WHERE changed_at >= ?1 AND changed_at < ?2 ORDER BY changed_at, id"
        ),
        window,
        change_row,
    )
}

pub fn record_auto_change(
    c: &mut Connection,
    key: &str,
    record: &ChangeRecord,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    // Insert-if-absent on the unique key: two processes starting at once record it once.
    let rest: [Value; 3] = [key.to_owned().into(), SYSTEM.to_owned().into(), ts(at).into()];
    match audit::written(
        c,
        "INSERT INTO ops_changes (changed_at, kind, summary, reason, impact, work_minutes, origin, auto_key,
             recorded_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'auto', ?7, ?8, ?9, ?9)
         ON CONFLICT (auto_key) DO NOTHING RETURNING id",
        change_values(record).into_iter().chain(rest),
    ) {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn latest_auto_change_key(c: &mut Connection, prefix: &str) -> StoreResult<Option<String>> {
    Ok(c.query_row(
        "SELECT auto_key FROM ops_changes WHERE origin = 'auto' AND substr(auto_key, 1, length(?1)) = ?1
             ORDER BY id DESC LIMIT 1",
        [prefix],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn applied_migrations(c: &mut Connection) -> StoreResult<Vec<AppliedMigration>> {
    let rows = c
        .prepare("SELECT version, name, applied_at, skipped FROM schema_migrations ORDER BY version")?
        .query_map([], |r| {
            Ok(AppliedMigration {
                version: r.get(0)?,
                name: r.get(1)?,
                applied_at: parse_ts(&r.get::<_, String>(2)?)?,
                skipped: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

// ---- maintenance windows --------------------------------------------------------------------

const MAINTENANCE_COLUMNS: &str =
    "id, starts_at, ends_at, summary, work_minutes, announced_at, cancelled_at, recorded_by FROM ops_maintenance";

fn maintenance_row(r: &Row) -> rusqlite::Result<Maintenance> {
    Ok(Maintenance {
        id: r.get(0)?,
        record: MaintenanceRecord {
            starts_at: parse_ts(&r.get::<_, String>(1)?)?,
            ends_at: parse_ts(&r.get::<_, String>(2)?)?,
            summary: r.get(3)?,
            work_minutes: minutes(r, 4)?,
        },
        announced_at: parse_ts(&r.get::<_, String>(5)?)?,
        cancelled_at: opt_ts(r, 6)?,
        recorded_by: r.get(7)?,
    })
}

fn maintenance_by_id(c: &Connection, id: i64) -> StoreResult<Maintenance> {
    Ok(
        c.prepare_cached(&format!("SELECT {MAINTENANCE_COLUMNS} WHERE id = ?1"))?
            .query_row([id], maintenance_row)?,
    )
}

pub fn create_maintenance(
    c: &mut Connection,
    record: &MaintenanceRecord,
    by: &str,
    at: DateTime<Utc>,
    draft: AuditDraft<Maintenance>,
) -> StoreResult<Maintenance> {
    audit::audited(c, draft, |tx| {
        let id: i64 = tx.query_row(
            "INSERT INTO ops_maintenance (starts_at, ends_at, summary, work_minutes, announced_at, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![
                ts(record.starts_at),
                ts(record.ends_at),
                record.summary,
                record.work_minutes,
                ts(at),
                by,
            ],
            |r| r.get(0),
        )?;
        maintenance_by_id(tx, id)
    })
}

/// Cancelling again changes nothing; `NotFound` for an unknown ID (the read after the UPDATE
/// finds no row, and the transaction rolls back).
pub fn cancel_maintenance(
    c: &mut Connection,
    id: i64,
    at: DateTime<Utc>,
    draft: AuditDraft<Maintenance>,
) -> StoreResult<Maintenance> {
    audit::audited(c, draft, |tx| {
        tx.execute(
            "UPDATE ops_maintenance SET cancelled_at = ?2 WHERE id = ?1 AND cancelled_at IS NULL",
            params![id, ts(at)],
        )?;
        maintenance_by_id(tx, id)
    })
}

pub fn maintenance(c: &mut Connection, id: i64) -> StoreResult<Maintenance> {
    maintenance_by_id(c, id)
}

pub fn maintenance_windows(c: &mut Connection, window: LogWindow) -> StoreResult<Vec<Maintenance>> {
    in_window(
        c,
        &format!("SELECT {MAINTENANCE_COLUMNS} WHERE starts_at < ?2 AND ends_at > ?1 ORDER BY starts_at, id"),
        window,
        maintenance_row,
    )
}
