//! SQL for the operations log's changes (also those the node records at start) and scheduled
//! maintenance windows; the T-SQL twin of `store/sqlite/ops_changes.rs`.

use chrono::{DateTime, Utc};
use tiberius::{Row, ToSql};

use super::conn::{at, int, is_unique_violation, opt_str, opt_ts, str, ts, Conn};
use super::ops_log::{by_id, in_window, minutes, written, SYSTEM};
use crate::domain::ops_log::auto_changes::AppliedMigration;
use crate::domain::ops_log::{Change, ChangeRecord, LogWindow, Maintenance, MaintenanceRecord, Origin};
use crate::store::StoreResult;

pub(super) const CHANGE_BY_ID: &str = "SELECT id, changed_at, kind, summary, reason, impact, work_minutes,
     origin, auto_key, recorded_by, created_at, updated_at
     FROM ops_changes WHERE id = @P1";
pub(super) const CHANGES: &str = "SELECT id, changed_at, kind, summary, reason, impact, work_minutes,
     origin, auto_key, recorded_by, created_at, updated_at
     FROM ops_changes WHERE changed_at >= @P1 AND changed_at < @P2 ORDER BY changed_at, id";
pub(super) const INSERT_CHANGE: &str =
    "INSERT INTO ops_changes (changed_at, kind, summary, reason, impact, work_minutes, origin, auto_key,
         recorded_by, created_at, updated_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, N'manual', NULL, @P7, @P8, @P8)";
pub(super) const UPDATE_CHANGE: &str =
    "UPDATE ops_changes SET changed_at = @P1, kind = @P2, summary = @P3, reason = @P4, impact = @P5,
         work_minutes = @P6, updated_at = @P7
     OUTPUT INSERTED.id
     WHERE id = @P8";
pub(super) const INSERT_AUTO_CHANGE: &str =
    "INSERT INTO ops_changes (changed_at, kind, summary, reason, impact, work_minutes, origin, auto_key,
         recorded_by, created_at, updated_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, N'auto', @P7, @P8, @P9, @P9)";
pub(super) const LATEST_AUTO_KEY: &str = "SELECT TOP (1) auto_key FROM ops_changes
     WHERE origin = N'auto' AND LEFT(auto_key, LEN(@P1 + N'.') - 1) = @P1
     ORDER BY id DESC";
pub(super) const APPLIED_MIGRATIONS: &str =
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
pub(super) const MAINTENANCE_BY_ID: &str = "SELECT id, starts_at, ends_at, summary, work_minutes,
     announced_at, cancelled_at, recorded_by
     FROM ops_maintenance WHERE id = @P1";
pub(super) const MAINTENANCE_WINDOWS: &str = "SELECT id, starts_at, ends_at, summary, work_minutes,
     announced_at, cancelled_at, recorded_by
     FROM ops_maintenance WHERE starts_at < @P2 AND ends_at > @P1 ORDER BY starts_at, id";
pub(super) const INSERT_MAINTENANCE: &str =
    "INSERT INTO ops_maintenance (starts_at, ends_at, summary, work_minutes, announced_at, recorded_by)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6)";
pub(super) const CANCEL_MAINTENANCE: &str =
    "UPDATE ops_maintenance SET cancelled_at = @P2 WHERE id = @P1 AND cancelled_at IS NULL";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    CHANGE_BY_ID,
    CHANGES,
    INSERT_CHANGE,
    UPDATE_CHANGE,
    INSERT_AUTO_CHANGE,
    LATEST_AUTO_KEY,
    APPLIED_MIGRATIONS,
    MAINTENANCE_BY_ID,
    MAINTENANCE_WINDOWS,
    INSERT_MAINTENANCE,
    CANCEL_MAINTENANCE,
];

fn change_row(r: &Row) -> StoreResult<Change> {
    Ok(Change {
        id: int(r, 0)?,
        record: ChangeRecord {
            changed_at: ts(r, 1)?,
            kind: str(r, 2)?,
            summary: str(r, 3)?,
            reason: str(r, 4)?,
            impact: str(r, 5)?,
            work_minutes: minutes(r, 6)?,
        },
        origin: if str(r, 7)? == "auto" {
            Origin::Automatic
        } else {
            Origin::Manual
        },
        auto_key: opt_str(r, 8)?,
        recorded_by: str(r, 9)?,
        created_at: ts(r, 10)?,
        updated_at: ts(r, 11)?,
    })
}

async fn change(c: &mut Conn, id: i64) -> StoreResult<Change> {
    by_id(c, CHANGE_BY_ID, id, change_row).await
}

/// Writes a change with `sql` (INSERT_CHANGE, UPDATE_CHANGE or INSERT_AUTO_CHANGE: the
/// record's six columns as @P1…@P6, then `rest`); the ID of the row written, `NotFound` when
/// none was.
async fn write_change(
    c: &mut Conn,
    sql: &str,
    record: &ChangeRecord,
    rest: &[&dyn ToSql],
) -> StoreResult<i64> {
    let (changed, minutes) = (at(record.changed_at), i64::from(record.work_minutes));
    let columns: [&dyn ToSql; 6] = [
        &changed,
        &record.kind,
        &record.summary,
        &record.reason,
        &record.impact,
        &minutes,
    ];
    written(c, sql, &[&columns[..], rest].concat()).await
}

/// Inside `super::audited`'s transaction.
pub async fn create_change(
    c: &mut Conn,
    record: &ChangeRecord,
    by: &str,
    when: DateTime<Utc>,
) -> StoreResult<Change> {
    let id = write_change(c, INSERT_CHANGE, record, &[&by, &at(when)]).await?;
    change(c, id).await
}

/// Inside `super::audited`'s transaction; `NotFound` for an unknown ID.
pub async fn update_change(
    c: &mut Conn,
    id: i64,
    record: &ChangeRecord,
    when: DateTime<Utc>,
) -> StoreResult<Change> {
    let id = write_change(c, UPDATE_CHANGE, record, &[&at(when), &id]).await?;
    change(c, id).await
}

pub async fn changes(c: &mut Conn, window: LogWindow) -> StoreResult<Vec<Change>> {
    in_window(c, CHANGES, window, change_row).await
}

/// Write first: the INSERT runs alone (no transaction) and the unique index on `auto_key`
/// refuses a second row, so several processes starting at once record the change once.
pub async fn record_auto_change(
    c: &mut Conn,
    key: &str,
    record: &ChangeRecord,
    when: DateTime<Utc>,
) -> StoreResult<bool> {
    match write_change(c, INSERT_AUTO_CHANGE, record, &[&key, &SYSTEM, &at(when)]).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The newest automatic key starting with `prefix` (LEN ignores trailing spaces, hence the
/// `+ N'.'`; the comparison is binary, as SQLite's `substr` is).
pub async fn latest_auto_change_key(c: &mut Conn, prefix: &str) -> StoreResult<Option<String>> {
    match c.row(LATEST_AUTO_KEY, &[&prefix]).await? {
        Some(r) => opt_str(&r, 0),
        None => Ok(None),
    }
}

/// The hub's migrations as `schema_migrations` lists them. The SQL Server hub records only the
/// migrations it runs (the centre-only numbers are absent, never recorded as skipped).
pub async fn applied_migrations(c: &mut Conn) -> StoreResult<Vec<AppliedMigration>> {
    c.rows(APPLIED_MIGRATIONS, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(AppliedMigration {
                version: u32::try_from(int(r, 0)?).unwrap_or(0),
                name: str(r, 1)?,
                applied_at: ts(r, 2)?,
                skipped: false,
            })
        })
        .collect()
}

// ---- maintenance windows --------------------------------------------------------------------

fn maintenance_row(r: &Row) -> StoreResult<Maintenance> {
    Ok(Maintenance {
        id: int(r, 0)?,
        record: MaintenanceRecord {
            starts_at: ts(r, 1)?,
            ends_at: ts(r, 2)?,
            summary: str(r, 3)?,
            work_minutes: minutes(r, 4)?,
        },
        announced_at: ts(r, 5)?,
        cancelled_at: opt_ts(r, 6)?,
        recorded_by: str(r, 7)?,
    })
}

pub async fn maintenance(c: &mut Conn, id: i64) -> StoreResult<Maintenance> {
    by_id(c, MAINTENANCE_BY_ID, id, maintenance_row).await
}

/// Inside `super::audited`'s transaction.
pub async fn create_maintenance(
    c: &mut Conn,
    record: &MaintenanceRecord,
    by: &str,
    when: DateTime<Utc>,
) -> StoreResult<Maintenance> {
    let minutes = i64::from(record.work_minutes);
    let id = written(
        c,
        INSERT_MAINTENANCE,
        &[
            &at(record.starts_at),
            &at(record.ends_at),
            &record.summary,
            &minutes,
            &at(when),
            &by,
        ],
    )
    .await?;
    maintenance(c, id).await
}

/// Inside `super::audited`'s transaction: cancelling again changes nothing; `NotFound` for an
/// unknown ID (the read after the UPDATE finds no row, and the transaction rolls back).
pub async fn cancel_maintenance(c: &mut Conn, id: i64, when: DateTime<Utc>) -> StoreResult<Maintenance> {
    c.exec(CANCEL_MAINTENANCE, &[&id, &at(when)]).await?;
    maintenance(c, id).await
}

pub async fn maintenance_windows(c: &mut Conn, window: LogWindow) -> StoreResult<Vec<Maintenance>> {
    in_window(c, MAINTENANCE_WINDOWS, window, maintenance_row).await
}
