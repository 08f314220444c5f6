//! SQL for the audit log: append-only rows chained by SHA-256, searchable by time, action,
//! actor and target; the chain's check, and the purge of rows past their retention.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{parse_ts, ts};
use crate::domain::audit::{
    self, AuditDraft, AuditEntry, AuditQuery, AuditRecord, ChainReport, ChainWalk, Outcome,
};
use crate::store::{StoreError, StoreResult};

/// The hash the next row links to (`audit::chain_head`): from the newest row and the last purge.
fn chain_head(c: &Connection) -> rusqlite::Result<String> {
    let (newest, purged): (Option<String>, Option<String>) = c
        .prepare_cached(
            "SELECT (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),
                    (SELECT last_hash FROM audit_purges ORDER BY id DESC LIMIT 1)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(audit::chain_head(newest.as_deref(), purged.as_deref()))
}

/// Runs `write` and appends its audit row in one IMMEDIATE transaction: both commit or neither
/// does (decision 0016), as the SQL Server store's `audited`.
pub fn audited<T>(
    c: &mut Connection,
    draft: AuditDraft<T>,
    write: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done = write(&tx)?;
    append(&tx, &draft.entry_for(&done))?;
    tx.commit()?;
    Ok(done)
}

/// The ID of the row an INSERT or UPDATE with `RETURNING id` wrote; `NotFound` when it wrote
/// none (an UPDATE of an unknown ID).
pub fn written(c: &Connection, sql: &str, values: impl IntoIterator<Item = Value>) -> StoreResult<i64> {
    c.prepare_cached(sql)?
        .query_row(params_from_iter(values), |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Appends a row linked to the one before. Call it inside a write transaction (the caller's,
/// or [`append_alone`]'s), so no other row can slip between reading the head and inserting.
pub fn append(c: &Connection, e: &AuditEntry) -> StoreResult<()> {
    let prev = chain_head(c)?;
    let hash = audit::row_hash(&prev, e);
    c.prepare_cached(
        "INSERT INTO audit_log (at, actor, account_id, role, scope, action, target, outcome, client,
                                request_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        ts(e.at),
        e.actor,
        e.account_id,
        e.role,
        e.scope,
        e.action,
        e.target,
        e.outcome.as_str(),
        e.client,
        e.request_id,
        e.detail,
        prev,
        hash,
    ])?;
    Ok(())
}

/// [`append`] in a transaction of its own that takes the write lock first.
pub fn append_alone(c: &mut Connection, e: &AuditEntry) -> StoreResult<()> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the chain head is read, so
    // two appends cannot link to the same row.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    append(&tx, e)?;
    tx.commit()?;
    Ok(())
}

fn entry_at(r: &Row, first: usize) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        at: parse_ts(&r.get::<_, String>(first)?)?,
        actor: r.get(first + 1)?,
        account_id: r.get(first + 2)?,
        role: r.get(first + 3)?,
        scope: r.get(first + 4)?,
        action: r.get(first + 5)?,
        target: r.get(first + 6)?,
        outcome: Outcome::from_stored(&r.get::<_, String>(first + 7)?),
        client: r.get(first + 8)?,
        request_id: r.get(first + 9)?,
        detail: r.get(first + 10)?,
    })
}

/// Walks the chain from its start (the first hashed row) to the newest row, each row checked by
/// `audit::ChainWalk`.
pub fn verify_chain(c: &mut Connection) -> StoreResult<ChainReport> {
    let purged: Option<Option<String>> = c
        .query_row(
            "SELECT last_hash FROM audit_purges ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let unhashed_before: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE hash IS NULL)",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(
        "SELECT id, prev_hash, hash, at, actor, account_id, role, scope, action, target, outcome,
                client, request_id, detail
         FROM audit_log WHERE hash IS NOT NULL ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut walk = ChainWalk::start(purged, unhashed_before);
    while let Some(r) = rows.next()? {
        let (id, prev, hash): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if !walk.step(id, &prev, &hash, &entry_at(r, 3)?) {
            break;
        }
    }
    Ok(walk.finish())
}

/// Removes the rows older than `before` and records the purge (with the hash of the last row
/// removed) and an `audit.purge` row, in one transaction. Returns how many rows went.
pub fn purge(c: &mut Connection, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<usize> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the last row to remove is
    // read, so no row is appended between choosing it and recording its hash.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<(i64, Option<String>)> = tx
        .query_row(
            "SELECT id, hash FROM audit_log WHERE at < ?1 ORDER BY id DESC LIMIT 1",
            [ts(before)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((up_to_id, last_hash)) = last else {
        return Ok(0);
    };
    let removed = tx.execute("DELETE FROM audit_log WHERE id <= ?1", [up_to_id])?;
    tx.execute(
        "INSERT INTO audit_purges (at, before, up_to_id, last_hash, rows) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ts(at), ts(before), up_to_id, last_hash, removed as i64],
    )?;
    append(&tx, &audit::purge_entry(at, before, removed as u64, up_to_id))?;
    tx.commit()?;
    Ok(removed)
}

pub fn query(c: &mut Connection, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, at, actor, account_id, role, scope, action, target, outcome, client, request_id, detail
         FROM audit_log
         WHERE (?1 IS NULL OR action LIKE ?1 || '%')
           AND (?2 IS NULL OR actor = ?2)
           AND (?3 IS NULL OR target = ?3)
           AND (?4 IS NULL OR at >= ?4)
           AND (?5 IS NULL OR at < ?5)
         ORDER BY id DESC
         LIMIT ?6",
    )?;
    let rows = stmt
        .query_map(
            params![
                q.action_prefix,
                q.actor,
                q.target,
                q.since.map(ts),
                q.until.map(ts),
                q.limit.min(10_000) as i64
            ],
            |r| {
                Ok(AuditRecord {
                    id: r.get(0)?,
                    entry: entry_at(r, 1)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
