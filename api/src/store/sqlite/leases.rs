//! SQL for leases: which process of several on the database runs a job.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::ts;
use crate::store::StoreResult;

/// Takes or renews a lease by writing first: the UPDATE succeeds only when the lease is free
/// (expired) or `holder`'s own; with no row at all the INSERT makes one, and a concurrent
/// INSERT of the same name fails on the primary key, so exactly one holder gets it.
pub fn take_lease(
    c: &mut Connection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> StoreResult<bool> {
    let until = ts(now + ttl);
    let updated = c.execute(
        "UPDATE leases SET holder = ?2, expires_at = ?3
         WHERE name = ?1 AND (holder = ?2 OR expires_at <= ?4)",
        params![name, holder, until, ts(now)],
    )?;
    if updated > 0 {
        return Ok(true);
    }
    match c.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)",
        params![name, holder, until],
    ) {
        Ok(_) => Ok(true),
        // Another holder's row: the lease runs (or another process inserted it just now).
        Err(e) if super::is_constraint(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub fn release_lease(c: &mut Connection, name: &str, holder: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2",
        params![name, holder, ts(DateTime::<Utc>::UNIX_EPOCH)],
    )?;
    Ok(())
}
