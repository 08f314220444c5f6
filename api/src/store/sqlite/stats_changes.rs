//! SQL for the `/stats` result cache's change log (decision 0033). SQLite has one writer at a
//! time, so sequence numbers are handed out in commit order and a reader never skips an entry.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::ts;
use crate::domain::stats_change::{StatsChange, KEPT_FOR};
use crate::store::StoreResult;

/// Appends `changes` in one transaction and prunes what is older than [`KEPT_FOR`] (but the
/// newest row).
pub fn append(c: &mut Connection, changes: &[StatsChange], at: DateTime<Utc>) -> StoreResult<i64> {
    let tx = c.transaction()?;
    let mut last = 0;
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO stats_changes (center, fiscal_year, at) VALUES (?1, ?2, ?3)")?;
        for change in changes {
            let (center, year) = change.columns();
            insert.execute(params![center, year, ts(at)])?;
            last = tx.last_insert_rowid();
        }
    }
    // The newest row stays: a new row's number is the largest one's plus one, so a number is
    // never handed out twice.
    tx.execute(
        "DELETE FROM stats_changes
         WHERE at < ?1 AND seq < (SELECT max(seq) FROM stats_changes)",
        params![ts(at - KEPT_FOR)],
    )?;
    tx.commit()?;
    Ok(last)
}

/// The entries after `seq`, oldest first, at most `limit`.
pub fn since(c: &mut Connection, seq: i64, limit: usize) -> StoreResult<Vec<(i64, StatsChange)>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, center, fiscal_year FROM stats_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![seq, limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            StatsChange::from_columns(r.get(1)?, r.get(2)?),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The newest entry's number (0 when the log is empty).
pub fn head(c: &mut Connection) -> StoreResult<i64> {
    Ok(c.query_row("SELECT max(seq) FROM stats_changes", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .optional()?
    .flatten()
    .unwrap_or(0))
}
