//! SQL for the centres re-sending because the hub was behind them (a hub restored from an older
//! copy); the T-SQL twin of the `sync_resends` part of `store/sqlite/sync.rs`.

use chrono::{DateTime, Utc};
use tiberius::ToSql;

use super::conn::{at, int, is_unique_violation, opt_str, opt_ts, str, ts, Conn};
use super::sync::{i64_of, parse_stream, u64_of};
use crate::domain::sync::{Resend, StreamPosition};
use crate::store::StoreResult;

pub(super) const RESENDS: &str =
    "SELECT center, detected_at, acked_stream, acked_seq, hub_stream, hub_seq, caught_up_at
     FROM sync_resends WHERE caught_up_at IS NULL OR caught_up_at >= @P1 ORDER BY center";
pub(super) const REOPEN: &str =
    "UPDATE sync_resends SET detected_at = @P2, acked_stream = @P3, acked_seq = @P4, hub_stream = @P5,
         hub_seq = @P6, caught_up_at = NULL
     WHERE center = @P1 AND caught_up_at IS NOT NULL";
pub(super) const INSERT: &str =
    "INSERT INTO sync_resends (center, detected_at, acked_stream, acked_seq, hub_stream, hub_seq)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6)";
pub(super) const END: &str =
    "UPDATE sync_resends SET caught_up_at = @P2 WHERE center = @P1 AND caught_up_at IS NULL";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[RESENDS, REOPEN, INSERT, END];

pub async fn resends(c: &mut Conn, since: DateTime<Utc>) -> StoreResult<Vec<Resend>> {
    c.rows(RESENDS, &[&at(since)])
        .await?
        .iter()
        .map(|r| {
            Ok(Resend {
                center: str(r, 0)?,
                detected_at: ts(r, 1)?,
                acked: StreamPosition {
                    stream: parse_stream(&str(r, 2)?)?,
                    last_seq: u64_of(int(r, 3)?),
                },
                hub: match opt_str(r, 4)? {
                    Some(s) => Some(StreamPosition {
                        stream: parse_stream(&s)?,
                        last_seq: u64_of(int(r, 5)?),
                    }),
                    None => None,
                },
                caught_up_at: opt_ts(r, 6)?,
            })
        })
        .collect()
}

/// Write first, each statement alone: the UPDATE opens a closed note again (an open one stays
/// as first made); with no row the INSERT makes one, and when another note was inserted just
/// now the primary key refuses this one, which leaves that open note as it is.
pub async fn note_resend(
    c: &mut Conn,
    center: &str,
    acked: &StreamPosition,
    hub: Option<&StreamPosition>,
    when: DateTime<Utc>,
) -> StoreResult<()> {
    let (acked_stream, hub_stream) = (acked.stream.to_string(), hub.map(|h| h.stream.to_string()));
    let (acked_seq, hub_seq) = (i64_of(acked.last_seq), i64_of(hub.map_or(0, |h| h.last_seq)));
    let values: [&dyn ToSql; 6] = [
        &center,
        &at(when),
        &acked_stream,
        &acked_seq,
        &hub_stream,
        &hub_seq,
    ];
    if c.exec(REOPEN, &values).await? > 0 {
        return Ok(());
    }
    match c.exec(INSERT, &values).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn end_resend(c: &mut Conn, center: &str, when: DateTime<Utc>) -> StoreResult<bool> {
    Ok(c.exec(END, &[&center, &at(when)]).await? > 0)
}
