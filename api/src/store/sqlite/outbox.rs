//! SQL for the centre node's sync outbox: writing entries inside the transactions that change
//! facts, full snapshots, and handing batches to the sender. Centre nodes only.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use shared::common_id::CommonId;
use uuid::Uuid;

use super::{activities, parse_date, parse_opt_date, parse_ts, ts};
use crate::domain::duplicate_hint::MatchKeyer;
use crate::domain::org::Site;
use crate::domain::person::Facts;
use crate::domain::sync::outbox::{self, InFlight, OutboxCursor, SnapshotEntry};
use crate::domain::sync::{Change, OutboxState, OutgoingBatch, PersonFactsRecord};
use crate::store::{StoreError, StoreResult};

/// How long acknowledged entries are kept (for diagnosis) before they are deleted.
const KEEP_SENT_DAYS: i64 = 7;

/// The centre whose changes are being synchronised, once synchronisation has started.
fn syncing_center(c: &Connection) -> StoreResult<Option<String>> {
    Ok(c.prepare_cached("SELECT center FROM sync_state WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

fn insert(c: &Connection, center: &str, change: &Change) -> StoreResult<()> {
    let payload = change.to_json(center)?;
    c.prepare_cached("INSERT INTO sync_outbox (op, payload, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![change.to_op(center).name(), payload, ts(Utc::now())])?;
    Ok(())
}

/// Writes the change `make` describes, inside the caller's transaction, when synchronisation
/// of `center` has started (`outbox::records_changes_of`).
pub(super) fn record(
    c: &Connection,
    center: &str,
    make: impl FnOnce(&Connection) -> StoreResult<Change>,
) -> StoreResult<()> {
    if outbox::records_changes_of(syncing_center(c)?.as_deref(), center) {
        let change = make(c)?;
        insert(c, center, &change)?;
    }
    Ok(())
}

/// A person's facts as stored now.
/// With the prefecture's key (`keyer`) it carries the duplicate hint's match key, derived here
/// from the person's identity row: the kana and birth date themselves never enter the outbox.
pub(super) fn person_change(
    c: &Connection,
    center: &str,
    id: &CommonId,
    keyer: Option<&MatchKeyer>,
) -> StoreResult<Change> {
    let match_key = match keyer {
        Some(keyer) => c
            .prepare_cached(
                "SELECT kana_key, birth_date FROM person_private WHERE center = ?1 AND common_id = ?2",
            )?
            .query_row(params![center, id.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, parse_date(&r.get::<_, String>(1)?)?))
            })
            .optional()?
            .map(|(kana_key, birth_date)| keyer.derive_normalized(&kana_key, birth_date)),
        None => None,
    };
    let record = c
        .prepare_cached(
            "SELECT sex, birth_year_month, residence_municipality, care_level, household, registered_on,
                    ended_on, end_reason,
                    (SELECT group_concat(category, ';') FROM person_categories pc
                      WHERE pc.center = p.center AND pc.common_id = p.common_id)
             FROM persons p WHERE center = ?1 AND common_id = ?2",
        )?
        .query_row(params![center, id.as_str()], |r| {
            let mut categories: Vec<String> = r
                .get::<_, Option<String>>(8)?
                .unwrap_or_default()
                .split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            categories.sort();
            Ok(PersonFactsRecord {
                common_id: id.clone(),
                facts: Facts {
                    sex: r.get(0)?,
                    birth_year_month: r.get(1)?,
                    residence_municipality: r.get(2)?,
                    care_level: r.get(3)?,
                    household: r.get(4)?,
                    registered_on: parse_date(&r.get::<_, String>(5)?)?,
                    categories,
                    disabilities: Vec::new(),
                },
                ended_on: parse_opt_date(r.get(6)?)?,
                end_reason: r.get(7)?,
                match_key: match_key.clone(),
            })
        })?;
    Ok(Change::UpsertPerson(record))
}

/// An activity with its participations as stored now, without title or note.
pub(super) fn activity_change(c: &Connection, center: &str, id: &str) -> StoreResult<Change> {
    let activity = activities::find(c, Some(center), id, false)?.ok_or(StoreError::NotFound)?;
    Ok(Change::upsert_activity(activity.record))
}

/// Everything the centre holds, in the order `outbox::snapshot_entries` gives; returns how many
/// entries were written.
fn snapshot(c: &Connection, center: &str, keyer: Option<&MatchKeyer>) -> StoreResult<usize> {
    let sites: Vec<Site> = c
        .prepare("SELECT code, center, name, opened_on, closed_on FROM sites WHERE center = ?1")?
        .query_map([center], |r| {
            Ok(Site {
                code: r.get(0)?,
                center: r.get(1)?,
                name: r.get(2)?,
                opened_on: parse_date(&r.get::<_, String>(3)?)?,
                closed_on: parse_opt_date(r.get(4)?)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let people: Vec<CommonId> = c
        .prepare("SELECT common_id FROM persons WHERE center = ?1")?
        .query_map([center], |r| r.get::<_, String>(0))?
        .map(|raw| {
            let raw = raw?;
            CommonId::parse(&raw)
                .map_err(|e| StoreError::Other(anyhow::anyhow!("stored common ID {raw}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let activities: Vec<(NaiveDate, Uuid)> = c
        .prepare("SELECT date, id FROM activities WHERE center = ?1")?
        .query_map([center], |r| {
            let id: String = r.get(1)?;
            let id = Uuid::parse_str(&id).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
            })?;
            Ok((parse_date(&r.get::<_, String>(0)?)?, id))
        })?
        .collect::<Result<_, _>>()?;
    let entries = outbox::snapshot_entries(sites, people, activities);
    let n = entries.len();
    for entry in entries {
        let change = match entry {
            SnapshotEntry::Reset => Change::ResetCenter,
            SnapshotEntry::Site(site) => Change::UpsertSite(site),
            SnapshotEntry::Person(id) => person_change(c, center, &id, keyer)?,
            SnapshotEntry::Activity(id) => activity_change(c, center, &id.to_string())?,
        };
        insert(c, center, &change)?;
    }
    Ok(n)
}

/// Starts synchronisation of `center` on first use (a new stream and a full snapshot); later
/// calls leave everything as it is.
pub fn start(c: &mut Connection, center: &str, keyer: Option<&MatchKeyer>) -> StoreResult<bool> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the sync state is read, so
    // two first starts cannot both begin a stream.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let syncing = syncing_center(&tx)?;
    if !outbox::starts_now(syncing.as_deref(), center).map_err(anyhow::Error::new)? {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO sync_state (id, center, stream, started_at) VALUES (1, ?1, ?2, ?3)",
        params![center, Uuid::new_v4().to_string(), ts(Utc::now())],
    )?;
    tx.execute("DELETE FROM sync_outbox", [])?;
    let n = snapshot(&tx, center, keyer)?;
    tx.commit()?;
    tracing::info!(
        center,
        entries = n,
        "synchronisation started with a full snapshot"
    );
    Ok(true)
}

/// Starts over: a new stream whose first entries are a full snapshot, replacing whatever had
/// not been acknowledged yet. For a hub that lost track (restore on either side, a new hub).
pub fn resnapshot(c: &mut Connection, center: &str, keyer: Option<&MatchKeyer>) -> StoreResult<usize> {
    // Write first: the UPDATE of the sync state, under BEGIN IMMEDIATE, holds the write lock
    // before the snapshot reads what the centre holds, so no change slips between them.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE sync_state SET center = ?1, stream = ?2, inflight_batch = NULL, inflight_last_seq = NULL
         WHERE id = 1",
        params![center, Uuid::new_v4().to_string()],
    )?;
    if n == 0 {
        tx.execute(
            "INSERT INTO sync_state (id, center, stream, started_at) VALUES (1, ?1, ?2, ?3)",
            params![center, Uuid::new_v4().to_string(), ts(Utc::now())],
        )?;
    }
    tx.execute("DELETE FROM sync_outbox WHERE sent_at IS NULL", [])?;
    let entries = snapshot(&tx, center, keyer)?;
    tx.commit()?;
    Ok(entries)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Where delivery stands, once synchronisation has started.
fn cursor(c: &Connection) -> StoreResult<Option<OutboxCursor>> {
    Ok(c.prepare_cached(
        "SELECT stream, next_batch_seq, inflight_batch, inflight_last_seq, last_acked_seq
         FROM sync_state WHERE id = 1",
    )?
    .query_row([], |r| {
        let stream: String = r.get(0)?;
        let in_flight = match (r.get::<_, Option<i64>>(2)?, r.get::<_, Option<i64>>(3)?) {
            (Some(batch_seq), Some(last_seq)) => Some(InFlight {
                batch_seq: u64_of(batch_seq),
                last_seq: u64_of(last_seq),
            }),
            _ => None,
        };
        Ok(OutboxCursor {
            stream: Uuid::parse_str(&stream).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
            })?,
            next_batch_seq: u64_of(r.get(1)?),
            in_flight,
            last_acked_seq: u64_of(r.get(4)?),
        })
    })
    .optional()?)
}

fn write_cursor(c: &Connection, cursor: &OutboxCursor) -> StoreResult<()> {
    let f = cursor.in_flight;
    c.prepare_cached(
        "UPDATE sync_state SET next_batch_seq = ?1, inflight_batch = ?2, inflight_last_seq = ?3,
                               last_acked_seq = ?4
         WHERE id = 1",
    )?
    .execute(params![
        i64_of(cursor.next_batch_seq),
        f.map(|f| i64_of(f.batch_seq)),
        f.map(|f| i64_of(f.last_seq)),
        i64_of(cursor.last_acked_seq),
    ])?;
    Ok(())
}

/// The batch to deliver (the rule: `OutboxCursor::resend` and `send_next`): the one in flight
/// again, unchanged, or the next entries waiting.
pub fn next_batch(
    c: &mut Connection,
    max_entries: usize,
    max_bytes: usize,
) -> StoreResult<Option<OutgoingBatch>> {
    // Check-then-write: BEGIN IMMEDIATE holds the write lock from the cursor's read to its
    // update, so two senders cannot take the same batch number.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(cursor) = cursor(&tx)? else {
        return Ok(None);
    };
    let read = |sql: &str, limit: u64| -> StoreResult<Vec<(u64, String)>> {
        let rows = tx
            .prepare_cached(sql)?
            .query_map([i64_of(limit)], |r| Ok((u64_of(r.get(0)?), r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    };
    if let Some(through) = cursor.in_flight_through() {
        let unacknowledged = read(
            "SELECT seq, payload FROM sync_outbox WHERE sent_at IS NULL AND seq <= ?1 ORDER BY seq",
            through,
        )?;
        if let Some(batch) = cursor.resend(unacknowledged) {
            return Ok(Some(batch));
        }
    }
    let waiting = read(
        "SELECT seq, payload FROM sync_outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        u64::try_from(outbox::batch_entry_limit(max_entries)).unwrap_or(u64::MAX),
    )?;
    let (batch, after) = cursor.send_next(waiting, max_bytes);
    write_cursor(&tx, &after)?;
    tx.commit()?;
    Ok(batch)
}

/// Marks everything up to `last_seq` as delivered (the hub acknowledged it), and moves the
/// cursor (`OutboxCursor::acknowledged`).
pub fn acknowledge(
    c: &mut Connection,
    stream: Uuid,
    batch_seq: u64,
    last_seq: u64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    // Check-then-write: BEGIN IMMEDIATE holds the write lock from the cursor's read to its
    // update, so a batch taken meanwhile is not cleared by this acknowledgement.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = ts(at);
    tx.execute(
        "UPDATE sync_outbox SET sent_at = ?2 WHERE sent_at IS NULL AND seq <= ?1",
        params![i64_of(last_seq), now],
    )?;
    if let Some(cursor) = cursor(&tx)? {
        write_cursor(&tx, &cursor.acknowledged(batch_seq, last_seq))?;
        tx.execute(
            "UPDATE sync_state SET last_success_at = ?1, last_attempt_at = ?1, last_error = NULL,
                 acked_stream = ?2
             WHERE id = 1",
            params![&now, stream.to_string()],
        )?;
    }
    tx.execute(
        "DELETE FROM sync_outbox WHERE sent_at IS NOT NULL AND sent_at < ?1",
        [ts(at - Duration::days(KEEP_SENT_DAYS))],
    )?;
    tx.commit()?;
    Ok(())
}

/// Records a failed delivery.
pub fn failed(c: &mut Connection, error: &str, at: DateTime<Utc>) -> StoreResult<()> {
    c.execute(
        "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, last_failure = ?2, last_failure_at = ?1
         WHERE id = 1",
        params![ts(at), error],
    )?;
    Ok(())
}

/// The outbox and delivery state, once synchronisation has started.
pub fn state(c: &mut Connection) -> StoreResult<Option<OutboxState>> {
    let row = c
        .query_row(
            "SELECT center, stream, last_acked_seq, last_attempt_at, last_success_at, last_error,
                    (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL),
                    (SELECT min(created_at) FROM sync_outbox WHERE sent_at IS NULL),
                    locks_pulled_at, locks_error, acked_stream, last_failure, last_failure_at
             FROM sync_state WHERE id = 1",
            [],
            |r| {
                let opt_ts = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                    r.get::<_, Option<String>>(i)?
                        .as_deref()
                        .map(parse_ts)
                        .transpose()
                };
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    u64_of(r.get(2)?),
                    opt_ts(3)?,
                    opt_ts(4)?,
                    r.get::<_, Option<String>>(5)?,
                    u64_of(r.get(6)?),
                    opt_ts(7)?,
                    opt_ts(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    opt_ts(12)?,
                ))
            },
        )
        .optional()?;
    let Some((
        center,
        stream,
        last_acked_seq,
        last_attempt_at,
        last_success_at,
        last_error,
        backlog,
        oldest,
        locks_pulled_at,
        locks_error,
        acked_stream,
        last_failure,
        last_failure_at,
    )) = row
    else {
        return Ok(None);
    };
    let parse_stream =
        |s: &str| Uuid::parse_str(s).map_err(|e| StoreError::Other(anyhow::anyhow!("stored stream: {e}")));
    Ok(Some(OutboxState {
        center,
        stream: parse_stream(&stream)?,
        backlog,
        oldest_pending_at: oldest,
        last_acked_seq,
        last_attempt_at,
        last_success_at,
        last_error,
        last_failure: last_failure_at.zip(last_failure),
        acked_stream: acked_stream.as_deref().map(parse_stream).transpose()?,
        locks_pulled_at,
        locks_error,
    }))
}
