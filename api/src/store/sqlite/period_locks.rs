//! SQL for period locks, and the check every activity write makes inside its transaction.

use chrono::{NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use shared::dates::Period;
use shared::dto::auth::Scope;

use super::{org, parse_ts, ts};
use crate::domain::period_lock::{period_label, NewPeriodLock, PeriodLock};
use crate::store::{Recorded, StoreError, StoreResult};

const LOCK_COLUMNS: &str =
    "id, scope_level, scope_code, period, locked_by, locked_at, unlocked_by, unlocked_at FROM period_locks";

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
    })
}

/// Refuses with `PeriodLocked` when an active lock covers `center`'s activities on `date`.
/// Called inside the write's transaction, so a lock taken meanwhile is never missed.
pub fn ensure_unlocked(c: &Connection, center: &str, date: NaiveDate) -> StoreResult<()> {
    let day = date.to_string();
    let locks: Vec<PeriodLock> = c
        .prepare_cached(&format!(
            "SELECT {LOCK_COLUMNS} WHERE unlocked_at IS NULL AND from_date <= ?1 AND ?1 <= to_date"
        ))?
        .query_map([&day], lock_row)?
        .collect::<Result<_, _>>()?;
    if locks.is_empty() {
        return Ok(());
    }
    let center = org::center(c, center)?;
    match locks.iter().find(|l| l.refuses(&center, date)) {
        Some(l) => Err(StoreError::PeriodLocked(period_label(&l.period))),
        None => Ok(()),
    }
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

pub fn lock(c: &mut Connection, lock: &NewPeriodLock, by: &str) -> StoreResult<Recorded<PeriodLock>> {
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
        return Ok(Recorded::Existing(by_id(&tx, id)?));
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
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Recorded::New(by_id(c, id)?))
}

pub fn unlock(c: &mut Connection, id: i64, by: &str) -> StoreResult<PeriodLock> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let lock = by_id(&tx, id)?;
    if !lock.is_active() {
        return Err(StoreError::Conflict("already_unlocked"));
    }
    tx.execute(
        "UPDATE period_locks SET unlocked_by = ?2, unlocked_at = ?3 WHERE id = ?1",
        params![id, by, ts(Utc::now())],
    )?;
    tx.commit()?;
    by_id(c, id)
}
