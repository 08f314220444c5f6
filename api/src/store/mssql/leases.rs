//! SQL for leases: which process of several on the database runs a job; the T-SQL twin of
//! `store/sqlite/leases.rs`.

use chrono::{DateTime, Utc};

use super::conn::{at, is_unique_violation, Conn};
use crate::store::StoreResult;

/// Both statements read the time from the server (`SYSUTCDATETIME()`, as the statement runs):
/// hub processes on several hosts share one clock, and a renewal that reaches the server late
/// (a stalled server, a wait for a pooled connection) still runs for `@P3` milliseconds from its
/// write, never from when the caller asked.
pub(super) const RENEW: &str =
    "UPDATE leases SET holder = @P2, expires_at = DATEADD(millisecond, @P3, SYSUTCDATETIME())
     WHERE name = @P1 AND (holder = @P2 OR expires_at <= SYSUTCDATETIME())";
pub(super) const INSERT: &str = "INSERT INTO leases (name, holder, expires_at)
     VALUES (@P1, @P2, DATEADD(millisecond, @P3, SYSUTCDATETIME()))";
pub(super) const RELEASE: &str = "UPDATE leases SET expires_at = @P3 WHERE name = @P1 AND holder = @P2";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[RENEW, INSERT, RELEASE];

/// Takes or renews a lease by writing first, each statement alone: the UPDATE succeeds only
/// when the lease is free (expired) or `holder`'s own (a concurrent UPDATE of the row waits for
/// this one's lock and then finds the new expiry, on SQL Server and Babelfish alike); with no row
/// at all the INSERT makes one, and a concurrent INSERT of the same name fails on the primary
/// key, so exactly one holder gets it (no lock hint, no MERGE).
pub async fn take_lease(c: &mut Conn, name: &str, holder: &str, ttl: chrono::Duration) -> StoreResult<bool> {
    // DATEADD takes an INT: up to 24 days, far beyond any lease of ours.
    let ms = i32::try_from(ttl.num_milliseconds().max(0)).unwrap_or(i32::MAX);
    if c.exec(RENEW, &[&name, &holder, &ms]).await? > 0 {
        return Ok(true);
    }
    match c.exec(INSERT, &[&name, &holder, &ms]).await {
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
