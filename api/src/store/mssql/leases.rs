//! SQL for leases: which process of several on the database runs a job; the T-SQL twin of
//! `store/sqlite/leases.rs`.

use chrono::{DateTime, Utc};

use super::conn::{at, is_unique_violation, Conn};
use crate::store::StoreResult;

pub(super) const RENEW: &str = "UPDATE leases SET holder = @P2, expires_at = @P3
     WHERE name = @P1 AND (holder = @P2 OR expires_at <= @P4)";
pub(super) const INSERT: &str = "INSERT INTO leases (name, holder, expires_at) VALUES (@P1, @P2, @P3)";
pub(super) const RELEASE: &str = "UPDATE leases SET expires_at = @P3 WHERE name = @P1 AND holder = @P2";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[RENEW, INSERT, RELEASE];

/// Takes or renews a lease by writing first, each statement alone: the UPDATE succeeds only
/// when the lease is free (expired) or `holder`'s own; with no row at all the INSERT makes one,
/// and a concurrent INSERT of the same name fails on the primary key, so exactly one holder
/// gets it (no lock needed, no MERGE).
pub async fn take_lease(
    c: &mut Conn,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> StoreResult<bool> {
    let until = at(now + ttl);
    if c.exec(RENEW, &[&name, &holder, &until, &at(now)]).await? > 0 {
        return Ok(true);
    }
    match c.exec(INSERT, &[&name, &holder, &until]).await {
        Ok(_) => Ok(true),
        // Another holder's row: the lease runs (or another process inserted it just now).
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn release_lease(c: &mut Conn, name: &str, holder: &str) -> StoreResult<()> {
    c.exec(RELEASE, &[&name, &holder, &at(DateTime::<Utc>::UNIX_EPOCH)])
        .await?;
    Ok(())
}
