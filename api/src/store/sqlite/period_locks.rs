//! SQL for period locks, and the check every activity write makes inside its transaction.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use shared::dates::Period;
use shared::dto::auth::Scope;

use super::{audit, org, parse_ts, ts};
use crate::domain::audit::AuditDraft;
use crate::domain::period_lock::{
    self, mirror_hub_locks, HubLock, HubLockStep, HubLocksApplied, NewPeriodLock, PeriodLock,
};
use crate::store::{Recorded, StoreResult};

const LOCK_COLUMNS: &str =
    "id, scope_level, scope_code, period, locked_by, locked_at, unlocked_by, unlocked_at,
     hub_lock_id FROM period_locks";

fn lock_row(r: &Row) -> rusqlite::Result<PeriodLock> {
    let level: String = r.get(1)?;
    let code: Option<String> = r.get(2)?;
    let scope = match (level.as_str(), code) {
        ("municipality", Some(c)) => Scope::Municipality(c),
        ("center", Some(c)) => Scope::Center(c),
        _ => Scope::Prefecture,
    };
    let period: String = r.get(3)?;
    let period = Period::parse(&period).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(PeriodLock {
        id: r.get(0)?,
        scope,
        period,
        locked_by: r.get(4)?,
        locked_at: parse_ts(&r.get::<_, String>(5)?)?,
        unlocked_by: r.get(6)?,
        unlocked_at: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        hub_lock_id: r.get(8)?,
    })
}

/// Refuses with `PeriodLocked` a write to one of `center`'s activities whose date before
/// (`before`) or after (`after`) the change lies in a locked period (the rule:
/// `period_lock::check_activity_write`). Called inside the write's transaction, which already
/// holds the write lock (`BEGIN IMMEDIATE`), so a lock taken meanwhile is never missed.
pub fn check_activity_write(
    c: &Connection,
    center: &str,
    before: Option<NaiveDate>,
    after: Option<NaiveDate>,
) -> StoreResult<()> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let locks: Vec<PeriodLock> = c
        .prepare_cached(&format!(
            "SELECT {LOCK_COLUMNS} WHERE unlocked_at IS NULL
               AND ((from_date <= ?1 AND ?1 <= to_date) OR (from_date <= ?2 AND ?2 <= to_date))
             ORDER BY id"
        ))?
        .query_map(params![day(before), day(after)], lock_row)?
        .collect::<Result<_, _>>()?;
    if locks.is_empty() {
        // Nothing can refuse: spare reading the centre.
        return Ok(());
    }
    let center = org::center(c, center)?;
    period_lock::check_activity_write(&locks, &center, before, after)?;
    Ok(())
}

pub fn list(c: &mut Connection, include_unlocked: bool) -> StoreResult<Vec<PeriodLock>> {
    let rows = c
        .prepare_cached(&format!(
            "SELECT {LOCK_COLUMNS} WHERE ?1 OR unlocked_at IS NULL ORDER BY from_date DESC, id DESC"
        ))?
        .query_map([include_unlocked], lock_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn by_id(c: &Connection, id: i64) -> StoreResult<PeriodLock> {
    Ok(c.prepare_cached(&format!("SELECT {LOCK_COLUMNS} WHERE id = ?1"))?
        .query_row([id], lock_row)?)
}

pub fn lock(
    c: &mut Connection,
    lock: &NewPeriodLock,
    by: &str,
    audit: AuditDraft<Recorded<PeriodLock>>,
) -> StoreResult<Recorded<PeriodLock>> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the active lock of the same
    // scope and period is looked up, so two requests cannot both create it.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (level, code) = (lock.scope.level(), lock.scope.code());
    let period = lock.period.to_string();
    let existing: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM period_locks WHERE unlocked_at IS NULL AND scope_level = ?1
               AND ifnull(scope_code, '') = ifnull(?2, '') AND period = ?3",
        )?
        .query_row(params![level, code, period], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        let recorded = Recorded::Existing(by_id(&tx, id)?);
        audit::append(&tx, &audit.entry_for(&recorded))?;
        tx.commit()?;
        return Ok(recorded);
    }
    tx.execute(
        "INSERT INTO period_locks (scope_level, scope_code, period, from_date, to_date, locked_by, locked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            level,
            code,
            period,
            lock.period.from().to_string(),
            lock.period.to().to_string(),
            by,
            ts(Utc::now()),
        ],
    )?;
    let recorded = Recorded::New(by_id(&tx, tx.last_insert_rowid())?);
    audit::append(&tx, &audit.entry_for(&recorded))?;
    tx.commit()?;
    Ok(recorded)
}

pub fn unlock(
    c: &mut Connection,
    id: i64,
    by: &str,
    audit: AuditDraft<PeriodLock>,
) -> StoreResult<PeriodLock> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the lock is read, so two
    // unlocks cannot both succeed.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let lock = by_id(&tx, id)?;
    lock.check_unlock()?;
    tx.execute(
        "UPDATE period_locks SET unlocked_by = ?2, unlocked_at = ?3 WHERE id = ?1",
        params![id, by, ts(Utc::now())],
    )?;
    let unlocked = by_id(&tx, id)?;
    audit::append(&tx, &audit.entry_for(&unlocked))?;
    tx.commit()?;
    Ok(unlocked)
}

/// Mirrors `locks`, the hub's complete list of locks covering this centre, in one transaction:
/// a lock new to this node is inserted (as the hub's: `hub_lock_id`), an unlock on the hub
/// unlocks the copy, and a copy the hub no longer lists (a replaced hub) is unlocked. Each change
/// to what is refused writes an audit row (`period.lock.from_hub`, `period.unlock.from_hub`);
/// applying the same list again changes nothing. Records the pull in `sync_state`.
pub fn apply_hub(c: &mut Connection, locks: &[HubLock], at: DateTime<Utc>) -> StoreResult<HubLocksApplied> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the copies are read, so two
    // pulls cannot both insert the same hub lock.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mirrored: Vec<PeriodLock> = tx
        .prepare_cached(&format!("SELECT {LOCK_COLUMNS} WHERE hub_lock_id IS NOT NULL"))?
        .query_map([], lock_row)?
        .collect::<Result<_, _>>()?;
    let steps = mirror_hub_locks(&mirrored, locks, at);
    for step in &steps {
        let id = match step {
            HubLockStep::Unlock {
                id, by, at: when, ..
            } => {
                tx.prepare_cached(
                    "UPDATE period_locks SET unlocked_by = ?2, unlocked_at = ?3 WHERE id = ?1",
                )?
                .execute(params![id, by, ts(*when)])?;
                *id
            }
            HubLockStep::Insert { lock: h, .. } => tx
                .prepare_cached(
                    "INSERT INTO period_locks (scope_level, scope_code, period, from_date, to_date, locked_by,
                                               locked_at, unlocked_by, unlocked_at, hub_lock_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                )?
                .query_row(
                    params![
                        h.scope.level(),
                        h.scope.code(),
                        h.period.to_string(),
                        h.period.from().to_string(),
                        h.period.to().to_string(),
                        h.locked_by,
                        ts(h.locked_at),
                        h.unlocked_by,
                        h.unlocked_at.map(ts),
                        h.hub_id,
                    ],
                    |r| r.get(0),
                )?,
            HubLockStep::Relock { id, .. } => {
                tx.prepare_cached(
                    "UPDATE period_locks SET unlocked_by = NULL, unlocked_at = NULL WHERE id = ?1",
                )?
                .execute([id])?;
                *id
            }
        };
        if let Some(entry) = step.audit_entry(id, at) {
            audit::append(&tx, &entry)?;
        }
    }
    tx.execute(
        "UPDATE sync_state SET locks_pulled_at = ?1, locks_error = NULL WHERE id = 1",
        [ts(at)],
    )?;
    tx.commit()?;
    Ok(HubLocksApplied::of(&steps))
}

/// Records a failed pull of the hub's locks (shown in the sync status until the next success).
pub fn hub_pull_failed(c: &mut Connection, error: &str) -> StoreResult<()> {
    c.execute("UPDATE sync_state SET locks_error = ?1 WHERE id = 1", [error])?;
    Ok(())
}
