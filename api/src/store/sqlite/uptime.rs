//! SQL for the uptime ledger: a row per run of the server, its heartbeats, the runs in a period.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{parse_ts, ts};
use crate::domain::uptime::Run;
use crate::store::StoreResult;

pub fn start(c: &mut Connection, at: DateTime<Utc>) -> StoreResult<i64> {
    c.execute(
        "INSERT INTO ops_uptime (started_at, last_seen_at) VALUES (?1, ?1)",
        [ts(at)],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn beat(c: &mut Connection, run: i64, at: DateTime<Utc>) -> StoreResult<()> {
    c.execute(
        "UPDATE ops_uptime SET last_seen_at = ?2 WHERE id = ?1",
        params![run, ts(at)],
    )?;
    Ok(())
}

/// The runs that overlap `[from, to)`, and when the first run ever began.
pub fn runs(
    c: &mut Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<(Vec<Run>, Option<DateTime<Utc>>)> {
    let runs = c
        .prepare(
            "SELECT started_at, last_seen_at FROM ops_uptime
             WHERE last_seen_at >= ?1 AND started_at < ?2 ORDER BY started_at",
        )?
        .query_map(params![ts(from), ts(to)], |r| {
            Ok(Run {
                started_at: parse_ts(&r.get::<_, String>(0)?)?,
                last_seen_at: parse_ts(&r.get::<_, String>(1)?)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let first: Option<Option<String>> = c
        .query_row("SELECT min(started_at) FROM ops_uptime", [], |r| r.get(0))
        .optional()?;
    let first = first.flatten().as_deref().map(parse_ts).transpose()?;
    Ok((runs, first))
}
