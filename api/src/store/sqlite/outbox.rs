//! SQL for the centre node's sync outbox: writing entries inside the transactions that change
//! facts, full snapshots, and handing batches to the sender. Centre nodes only.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use shared::common_id::CommonId;
use uuid::Uuid;

use super::{activities, parse_date, parse_opt_date, parse_ts, ts};
use crate::domain::duplicate_hint::MatchKeyer;
use crate::domain::org::Site;
use crate::domain::person::Facts;
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
/// of `center` has started. Before that nothing is written: the first start sends a snapshot.
pub(super) fn record(
    c: &Connection,
    center: &str,
    make: impl FnOnce(&Connection) -> StoreResult<Change>,
) -> StoreResult<()> {
    if syncing_center(c)?.as_deref() == Some(center) {
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
    let mut record = activity.record;
    record.title = None;
    record.note = None;
    Ok(Change::UpsertActivity(record))
}

/// Everything the centre holds, preceded by a reset: the hub ends up with exactly this.
fn snapshot(c: &Connection, center: &str, keyer: Option<&MatchKeyer>) -> StoreResult<usize> {
    insert(c, center, &Change::ResetCenter)?;
    let sites: Vec<Site> = c
        .prepare(
            "SELECT code, center, name, opened_on, closed_on FROM sites WHERE center = ?1 ORDER BY code",
        )?
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
    let mut n = 1;
    for site in sites {
        insert(c, center, &Change::UpsertSite(site))?;
        n += 1;
    }
    let people: Vec<String> = c
        .prepare("SELECT common_id FROM persons WHERE center = ?1 ORDER BY common_id")?
        .query_map([center], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for raw in people {
        let id = CommonId::parse(&raw)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("stored common ID {raw}: {e}")))?;
        insert(c, center, &person_change(c, center, &id, keyer)?)?;
        n += 1;
    }
    let ids: Vec<String> = c
        .prepare("SELECT id FROM activities WHERE center = ?1 ORDER BY date, id")?
        .query_map([center], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        insert(c, center, &activity_change(c, center, &id)?)?;
        n += 1;
    }
    Ok(n)
}

/// Starts synchronisation of `center` on first use (a new stream and a full snapshot); later
/// calls leave everything as it is.
pub fn start(c: &mut Connection, center: &str, keyer: Option<&MatchKeyer>) -> StoreResult<bool> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(existing) = syncing_center(&tx)? {
        if existing != center {
            return Err(StoreError::Other(anyhow::anyhow!(
                "this database synchronises centre {existing}, not {center}"
            )));
        }
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

/// The batch to deliver: the one in flight again (unchanged), or the next entries waiting, at
/// most `max_entries` and about `max_bytes` (always at least one entry).
pub fn next_batch(
    c: &mut Connection,
    max_entries: usize,
    max_bytes: usize,
) -> StoreResult<Option<OutgoingBatch>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let state: Option<(String, i64, Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT stream, next_batch_seq, inflight_batch, inflight_last_seq FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((stream, next_batch_seq, inflight, inflight_last)) = state else {
        return Ok(None);
    };
    let stream =
        Uuid::parse_str(&stream).map_err(|e| StoreError::Other(anyhow::anyhow!("stored stream: {e}")))?;
    let read = |sql: &str, limit: i64| -> StoreResult<Vec<(u64, String)>> {
        let rows = tx
            .prepare_cached(sql)?
            .query_map([limit], |r| Ok((u64_of(r.get(0)?), r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    };
    if let (Some(batch_seq), Some(last)) = (inflight, inflight_last) {
        let entries = read(
            "SELECT seq, payload FROM sync_outbox WHERE sent_at IS NULL AND seq <= ?1 ORDER BY seq",
            last,
        )?;
        if !entries.is_empty() {
            return Ok(Some(OutgoingBatch {
                stream,
                batch_seq: u64_of(batch_seq),
                entries,
                resent: true,
            }));
        }
    }
    let mut entries = read(
        "SELECT seq, payload FROM sync_outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        i64::try_from(max_entries.max(1)).unwrap_or(i64::MAX),
    )?;
    let mut bytes = 0;
    if let Some(cut) = entries.iter().position(|(_, p)| {
        bytes += p.len() + 32;
        bytes > max_bytes
    }) {
        entries.truncate(cut.max(1));
    }
    let Some(&(last, _)) = entries.last() else {
        tx.execute(
            "UPDATE sync_state SET inflight_batch = NULL, inflight_last_seq = NULL WHERE id = 1",
            [],
        )?;
        tx.commit()?;
        return Ok(None);
    };
    tx.execute(
        "UPDATE sync_state SET inflight_batch = next_batch_seq, next_batch_seq = next_batch_seq + 1,
                               inflight_last_seq = ?1
         WHERE id = 1",
        [i64::try_from(last).unwrap_or(i64::MAX)],
    )?;
    tx.commit()?;
    Ok(Some(OutgoingBatch {
        stream,
        batch_seq: u64_of(next_batch_seq),
        entries,
        resent: false,
    }))
}

/// Marks everything up to `last_seq` as delivered (the hub acknowledged it).
pub fn acknowledge(c: &mut Connection, batch_seq: u64, last_seq: u64, at: DateTime<Utc>) -> StoreResult<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last = i64::try_from(last_seq).unwrap_or(i64::MAX);
    let now = ts(at);
    tx.execute(
        "UPDATE sync_outbox SET sent_at = ?2 WHERE sent_at IS NULL AND seq <= ?1",
        params![last, now],
    )?;
    tx.execute(
        "UPDATE sync_state SET last_acked_seq = max(last_acked_seq, ?1), last_success_at = ?2,
                               last_attempt_at = ?2, last_error = NULL,
                               inflight_batch = CASE WHEN inflight_batch = ?3 THEN NULL ELSE inflight_batch END,
                               inflight_last_seq = CASE WHEN inflight_batch = ?3 THEN NULL ELSE inflight_last_seq END
         WHERE id = 1",
        params![last, now, i64::try_from(batch_seq).unwrap_or(i64::MAX)],
    )?;
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
        "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2 WHERE id = 1",
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
                    locks_pulled_at, locks_error
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
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(OutboxState {
        center,
        stream: Uuid::parse_str(&stream)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("stored stream: {e}")))?,
        backlog,
        oldest_pending_at: oldest,
        last_acked_seq,
        last_attempt_at,
        last_success_at,
        last_error,
        locks_pulled_at,
        locks_error,
    }))
}
