//! SQL for leases: which process of several on the database runs a job.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};

use super::ts;
use crate::store::StoreResult;

/// Takes or renews a lease by writing first, in one IMMEDIATE transaction: the write lock first,
/// then the clock, so the lease runs for `ttl` from the write however long another process kept
/// the lock (every process on a SQLite file is on this host, and reads this host's clock). The
/// UPDATE succeeds only when the lease is free (expired) or `holder`'s own; with no row at all
/// the INSERT makes one; another holder's running lease leaves both without effect.
pub fn take_lease(c: &mut Connection, name: &str, holder: &str, ttl: chrono::Duration) -> StoreResult<bool> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now();
    let until = ts(now + ttl);
    let updated = tx.execute(
        "UPDATE leases SET holder = ?2, expires_at = ?3
         WHERE name = ?1 AND (holder = ?2 OR expires_at <= ?4)",
        params![name, holder, until, ts(now)],
    )?;
    let held = updated > 0
        || tx.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![name, holder, until],
        )? > 0;
    tx.commit()?;
    Ok(held)
}

pub fn release_lease(c: &mut Connection, name: &str, holder: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2",
        params![name, holder, ts(DateTime::<Utc>::UNIX_EPOCH)],
    )?;
    Ok(())
}
