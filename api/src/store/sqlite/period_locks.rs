//! SQL for period locks, and the check every activity write makes inside its transaction.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde_json::json;
use shared::dates::Period;
use shared::dto::auth::Scope;

use super::{audit, org, parse_ts, ts};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::period_lock::{period_label, HubLock, HubLocksApplied, NewPeriodLock, PeriodLock};
use crate::store::{Recorded, StoreError, StoreResult};

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
    if let Some(refusal) = lock.unlock_refusal() {
        return Err(StoreError::Conflict(refusal));
    }
    tx.execute(
        "UPDATE period_locks SET unlocked_by = ?2, unlocked_at = ?3 WHERE id = ?1",
        params![id, by, ts(Utc::now())],
    )?;
    tx.commit()?;
    by_id(c, id)
}

/// Whether the mirrored row `m` is the hub's lock `h` (the hub's ID and time of locking: IDs
/// start again on a replaced hub).
fn is_copy_of(m: &PeriodLock, h: &HubLock) -> bool {
    m.hub_lock_id == Some(h.hub_id)
        && m.locked_at == h.locked_at
        && m.scope == h.scope
        && m.period == h.period
}

/// The audit row of a change the hub's list made on this node, written in the same transaction.
fn audit_from_hub(
    tx: &Transaction,
    action: &str,
    id: i64,
    lock: &HubLock,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let by = if action.starts_with("period.unlock") {
        lock.unlocked_by.as_deref()
    } else {
        Some(lock.locked_by.as_str())
    };
    let detail = json!({
        "hub_lock_id": lock.hub_id,
        "scope": lock.scope,
        "period": lock.period.to_string(),
        "by": by,
    });
    audit::append(
        tx,
        &AuditEntry {
            at,
            actor: Some("sync:hub".into()),
            account_id: None,
            role: None,
            scope: None,
            action: action.to_owned(),
            target: Some(id.to_string()),
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: Some(detail.to_string()),
        },
    )
}

/// Mirrors `locks`, the hub's complete list of locks covering this centre, in one transaction:
/// a lock new to this node is inserted (as the hub's: `hub_lock_id`), an unlock on the hub
/// unlocks the copy, and a copy the hub no longer lists (a replaced hub) is unlocked. Each change
/// to what is refused writes an audit row (`period.lock.from_hub`, `period.unlock.from_hub`);
/// applying the same list again changes nothing. Records the pull in `sync_state`.
pub fn apply_hub(c: &mut Connection, locks: &[HubLock], at: DateTime<Utc>) -> StoreResult<HubLocksApplied> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mirrored: Vec<PeriodLock> = tx
        .prepare_cached(&format!("SELECT {LOCK_COLUMNS} WHERE hub_lock_id IS NOT NULL"))?
        .query_map([], lock_row)?
        .collect::<Result<_, _>>()?;
    let mut applied = HubLocksApplied::default();
    // Unlocks first, so a lock taken again on the hub never meets its old copy still active.
    for m in mirrored.iter().filter(|m| m.is_active()) {
        let hub = locks.iter().find(|h| is_copy_of(m, h));
        let (by, when) = match hub {
            Some(h) if h.is_active() => continue,
            Some(h) => (
                h.unlocked_by.clone().unwrap_or_else(|| "hub".into()),
                h.unlocked_at.unwrap_or(at),
            ),
            None => ("hub".to_owned(), at),
        };
        tx.prepare_cached("UPDATE period_locks SET unlocked_by = ?2, unlocked_at = ?3 WHERE id = ?1")?
            .execute(params![m.id, by, ts(when)])?;
        // A copy the hub no longer lists is audited as what it was here.
        let h = hub.cloned().unwrap_or_else(|| HubLock {
            hub_id: m.hub_lock_id.unwrap_or_default(),
            scope: m.scope.clone(),
            period: m.period,
            locked_by: m.locked_by.clone(),
            locked_at: m.locked_at,
            unlocked_by: Some(by),
            unlocked_at: Some(when),
        });
        audit_from_hub(&tx, "period.unlock.from_hub", m.id, &h, at)?;
        applied.unlocked += 1;
    }
    for h in locks {
        match mirrored.iter().find(|m| is_copy_of(m, h)) {
            None => {
                let id: i64 = tx
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
                    )?;
                // A lock already unlocked on the hub is kept as history; it never refused anything here.
                if h.is_active() {
                    audit_from_hub(&tx, "period.lock.from_hub", id, h, at)?;
                    applied.locked += 1;
                }
            }
            Some(m) if h.is_active() && !m.is_active() => {
                // Locked again on the hub (restored there from a backup taken before the unlock).
                tx.prepare_cached(
                    "UPDATE period_locks SET unlocked_by = NULL, unlocked_at = NULL WHERE id = ?1",
                )?
                .execute([m.id])?;
                audit_from_hub(&tx, "period.lock.from_hub", m.id, h, at)?;
                applied.locked += 1;
            }
            Some(_) => {}
        }
    }
    tx.execute(
        "UPDATE sync_state SET locks_pulled_at = ?1, locks_error = NULL WHERE id = 1",
        [ts(at)],
    )?;
    tx.commit()?;
    Ok(applied)
}

/// Records a failed pull of the hub's locks (shown in the sync status until the next success).
pub fn hub_pull_failed(c: &mut Connection, error: &str) -> StoreResult<()> {
    c.execute("UPDATE sync_state SET locks_error = ?1 WHERE id = 1", [error])?;
    Ok(())
}
