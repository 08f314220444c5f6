//! SQL for the `/stats` result cache's change log; the T-SQL twin of
//! `store/sqlite/stats_changes.rs` (decision 0033).
//!
//! A reader remembers the highest number it has read and asks for the entries after it, so the
//! numbers must become visible in the order they are handed out: an entry numbered 11 that
//! committed after 12 had been read would never be seen. Appends therefore run one at a time,
//! each in a transaction holding an application lock until it commits (which behaves the same on
//! SQL Server and Babelfish, where table hints do not lock).

use chrono::{DateTime, Utc};

use super::conn::{at as db_at, int, opt_int, opt_str, Conn, LockMode};
use crate::domain::stats_change::{StatsChange, KEPT_FOR};
use crate::store::StoreResult;

const LOCK: &str = "attaka:stats_changes";
pub(super) const INSERT: &str =
    "INSERT INTO stats_changes (center, fiscal_year, at) OUTPUT INSERTED.seq VALUES (@P1, @P2, @P3)";
pub(super) const PRUNE: &str = "DELETE FROM stats_changes WHERE at < @P1";
pub(super) const SINCE: &str = "SELECT TOP (@P2) seq, center, fiscal_year FROM stats_changes
     WHERE seq > @P1 ORDER BY seq";
pub(super) const HEAD: &str = "SELECT MAX(seq) FROM stats_changes";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[INSERT, PRUNE, SINCE, HEAD];

/// Appends `changes` in one transaction and prunes what is older than [`KEPT_FOR`].
pub async fn append(c: &mut Conn, changes: &[StatsChange], at: DateTime<Utc>) -> StoreResult<i64> {
    c.begin().await?;
    let result = async {
        c.lock(LOCK, LockMode::Exclusive).await?;
        let mut last = 0;
        for change in changes {
            let (center, year) = change.columns();
            if let Some(r) = c.row(INSERT, &[&center, &year, &db_at(at)]).await? {
                last = int(&r, 0)?;
            }
        }
        c.exec(PRUNE, &[&db_at(at - KEPT_FOR)]).await?;
        Ok(last)
    }
    .await;
    c.finish(result).await
}

/// The entries after `seq`, oldest first, at most `limit`.
pub async fn since(c: &mut Conn, seq: i64, limit: usize) -> StoreResult<Vec<(i64, StatsChange)>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.rows(SINCE, &[&seq, &limit])
        .await?
        .iter()
        .map(|r| {
            let year = opt_int(r, 2)?.map(|y| y as i32);
            Ok((int(r, 0)?, StatsChange::from_columns(opt_str(r, 1)?, year)))
        })
        .collect()
}

/// The newest entry's number (0 when the log is empty).
pub async fn head(c: &mut Conn) -> StoreResult<i64> {
    Ok(match c.row(HEAD, &[]).await? {
        Some(r) => opt_int(&r, 0)?.unwrap_or(0),
        None => 0,
    })
}
