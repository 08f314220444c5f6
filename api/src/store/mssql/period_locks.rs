//! SQL for period locks, and the check every fact write of a bulk load makes inside its
//! transaction. Locking and writing facts are serialised by one application lock: lock changes
//! hold it exclusively, fact writes shared (they do not wait for each other), so a write never
//! misses a lock taken while it runs.

use anyhow::anyhow;
use chrono::{NaiveDate, Utc};
use shared::dates::Period;
use shared::dto::auth::Scope;
use tiberius::Row;

use super::conn::{at, int, opt_int, opt_str, opt_ts, str, ts, Conn, LockMode};
use super::org;
use crate::domain::audit::AuditDraft;
use crate::domain::period_lock::{period_label, NewPeriodLock, PeriodLock};
use crate::store::{Recorded, StoreError, StoreResult};

/// The application lock between period locks and the fact writes they refuse.
pub(super) const PERIOD_LOCKS: &str = "attaka:period_locks";

pub(super) const LIST: &str = "SELECT id, scope_level, scope_code, period, locked_by, locked_at, unlocked_by,
     unlocked_at, hub_lock_id FROM period_locks
     WHERE @P1 = 1 OR unlocked_at IS NULL ORDER BY from_date DESC, id DESC";
pub(super) const BY_ID: &str =
    "SELECT id, scope_level, scope_code, period, locked_by, locked_at, unlocked_by,
     unlocked_at, hub_lock_id FROM period_locks WHERE id = @P1";
pub(super) const ACTIVE_OF: &str =
    "SELECT id FROM period_locks WHERE unlocked_at IS NULL AND scope_level = @P1
     AND ISNULL(scope_code, N'') = ISNULL(@P2, N'') AND period = @P3";
pub(super) const INSERT: &str =
    "INSERT INTO period_locks (scope_level, scope_code, period, from_date, to_date, locked_by, locked_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7)";
pub(super) const UNLOCK: &str = "UPDATE period_locks SET unlocked_by = @P2, unlocked_at = @P3 WHERE id = @P1";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[LIST, BY_ID, ACTIVE_OF, INSERT, UNLOCK];

fn lock_row(r: &Row) -> StoreResult<PeriodLock> {
    let level = str(r, 1)?;
    let scope = match (level.as_str(), opt_str(r, 2)?) {
        ("municipality", Some(c)) => Scope::Municipality(c),
        ("center", Some(c)) => Scope::Center(c),
        _ => Scope::Prefecture,
    };
    let period = str(r, 3)?;
    let period =
        Period::parse(&period).map_err(|e| StoreError::Other(anyhow!("stored period {period:?}: {e}")))?;
    Ok(PeriodLock {
        id: int(r, 0)?,
        scope,
        period,
        locked_by: str(r, 4)?,
        locked_at: ts(r, 5)?,
        unlocked_by: opt_str(r, 6)?,
        unlocked_at: opt_ts(r, 7)?,
        hub_lock_id: opt_int(r, 8)?,
    })
}

/// Refuses with `PeriodLocked` when an active lock covers one of `writes` (a centre's
/// activities on a date), reading the active locks and the centres once. Called inside the load's transaction, which holds [`PERIOD_LOCKS`] shared.
pub(super) async fn ensure_all_unlocked<'a>(
    c: &mut Conn,
    writes: impl IntoIterator<Item = (&'a str, NaiveDate)>,
) -> StoreResult<()> {
    let locks: Vec<PeriodLock> = c
        .rows(super::facts::ACTIVE_LOCKS, &[])
        .await?
        .iter()
        .map(lock_row)
        .collect::<StoreResult<_>>()?;
    if locks.is_empty() {
        return Ok(());
    }
    let centers: std::collections::HashMap<String, crate::domain::org::Center> = org::centers(c)
        .await?
        .into_iter()
        .map(|center| (center.code.clone(), center))
        .collect();
    for (center, date) in writes {
        let covering: Vec<&PeriodLock> = locks
            .iter()
            .filter(|l| l.period.from() <= date && date <= l.period.to())
            .collect();
        if covering.is_empty() {
            continue;
        }
        let center = centers.get(center).ok_or(StoreError::NotFound)?;
        if let Some(l) = covering.iter().find(|l| l.refuses(center, date)) {
            return Err(StoreError::PeriodLocked(period_label(&l.period)));
        }
    }
    Ok(())
}

pub async fn list(c: &mut Conn, include_unlocked: bool) -> StoreResult<Vec<PeriodLock>> {
    c.rows(LIST, &[&include_unlocked])
        .await?
        .iter()
        .map(lock_row)
        .collect()
}

async fn by_id(c: &mut Conn, id: i64) -> StoreResult<PeriodLock> {
    match c.row(BY_ID, &[&id]).await? {
        Some(r) => lock_row(&r),
        None => Err(StoreError::NotFound),
    }
}

/// Locks a period: "is there an active lock of this scope and period? if not, insert one" under
/// the exclusive [`PERIOD_LOCKS`] lock, so two requests never both insert, and no fact write of
/// a bulk load runs in between.
pub async fn lock(
    c: &mut Conn,
    lock: &NewPeriodLock,
    by: &str,
    audit: AuditDraft<Recorded<PeriodLock>>,
) -> StoreResult<Recorded<PeriodLock>> {
    let (level, code) = (lock.scope.level(), lock.scope.code());
    let period = lock.period.to_string();
    c.begin().await?;
    let r = async {
        c.lock(PERIOD_LOCKS, LockMode::Exclusive).await?;
        let recorded = if let Some(r) = c.row(ACTIVE_OF, &[&level, &code, &period]).await? {
            Recorded::Existing(by_id(c, int(&r, 0)?).await?)
        } else {
            let row = c
                .row(
                    INSERT,
                    &[
                        &level,
                        &code,
                        &period,
                        &lock.period.from(),
                        &lock.period.to(),
                        &by,
                        &at(Utc::now()),
                    ],
                )
                .await?
                .ok_or_else(|| StoreError::Other(anyhow!("no id came back from the insert")))?;
            Recorded::New(by_id(c, int(&row, 0)?).await?)
        };
        super::audit::append(c, &audit.entry_for(&recorded)).await?;
        Ok(recorded)
    }
    .await;
    c.finish(r).await
}

/// Unlocks an active lock, under the exclusive [`PERIOD_LOCKS`] lock (read, decide, write).
pub async fn unlock(
    c: &mut Conn,
    id: i64,
    by: &str,
    audit: AuditDraft<PeriodLock>,
) -> StoreResult<PeriodLock> {
    c.begin().await?;
    let r = async {
        c.lock(PERIOD_LOCKS, LockMode::Exclusive).await?;
        by_id(c, id).await?.check_unlock()?;
        c.exec(UNLOCK, &[&id, &by, &at(Utc::now())]).await?;
        let unlocked = by_id(c, id).await?;
        super::audit::append(c, &audit.entry_for(&unlocked)).await?;
        Ok(unlocked)
    }
    .await;
    c.finish(r).await
}
