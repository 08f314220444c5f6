//! SQL for the uptime ledger: a row per run of the server, its heartbeats, the runs in a period.

use anyhow::anyhow;
use chrono::{DateTime, Utc};

use super::conn::{at, int, opt_ts, ts, Conn};
use crate::domain::uptime::Run;
use crate::store::{StoreError, StoreResult};

pub(super) const START: &str =
    "INSERT INTO ops_uptime (started_at, last_seen_at) OUTPUT INSERTED.id VALUES (@P1, @P1)";
pub(super) const BEAT: &str = "UPDATE ops_uptime SET last_seen_at = @P2 WHERE id = @P1";
pub(super) const RUNS: &str = "SELECT started_at, last_seen_at FROM ops_uptime
     WHERE last_seen_at >= @P1 AND started_at < @P2 ORDER BY started_at";
pub(super) const FIRST: &str = "SELECT MIN(started_at) FROM ops_uptime";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[START, BEAT, RUNS, FIRST];

pub async fn start(c: &mut Conn, when: DateTime<Utc>) -> StoreResult<i64> {
    let row = c
        .row(START, &[&at(when)])
        .await?
        .ok_or_else(|| StoreError::Other(anyhow!("no id came back from the insert")))?;
    int(&row, 0)
}

pub async fn beat(c: &mut Conn, run: i64, when: DateTime<Utc>) -> StoreResult<()> {
    c.exec(BEAT, &[&run, &at(when)]).await?;
    Ok(())
}

/// The runs that overlap `[from, to)`, and when the first run ever began.
pub async fn runs(
    c: &mut Conn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<(Vec<Run>, Option<DateTime<Utc>>)> {
    let runs = c
        .rows(RUNS, &[&at(from), &at(to)])
        .await?
        .iter()
        .map(|r| {
            Ok(Run {
                started_at: ts(r, 0)?,
                last_seen_at: ts(r, 1)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    let first = match c.row(FIRST, &[]).await? {
        Some(r) => opt_ts(&r, 0)?,
        None => None,
    };
    Ok((runs, first))
}
