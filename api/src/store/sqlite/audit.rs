//! SQL for the audit log: append-only rows chained by SHA-256, searchable by time, action,
//! actor and target; the chain's check, and the purge of rows past their retention.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{parse_ts, ts};
use crate::domain::audit::{self, AuditEntry, AuditQuery, AuditRecord, ChainReport, Outcome};
use crate::store::StoreResult;

/// The hash the next row links to: the newest row's, the last purge's, or the genesis.
fn chain_head(c: &Connection) -> rusqlite::Result<String> {
    let newest: Option<Option<String>> = c
        .prepare_cached("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let purged: Option<Option<String>> = c
        .prepare_cached("SELECT last_hash FROM audit_purges ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(audit::chain_head(newest.flatten(), purged))
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
        outcome: audit::outcome_from(&r.get::<_, String>(first + 7)?),
        client: r.get(first + 8)?,
        request_id: r.get(first + 9)?,
        detail: r.get(first + 10)?,
    })
}

/// Walks the chain from its start (the first hashed row) to the newest row: each row must link
/// to the one before and hash to what it says. The first row must link to the last purge's
/// hash or, with no purge, to the genesis (or to nothing, when older unhashed rows precede it).
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
    let mut walk = audit::ChainWalk::new(purged, unhashed_before);
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let prev: String = r.get(1)?;
        let hash: String = r.get(2)?;
        let entry = entry_at(r, 3)?;
        if !walk.next(id, &prev, &hash, &entry) {
            break;
        }
    }
    Ok(walk.report())
}

/// Removes the rows older than `before` and records the purge (with the hash of the last row
/// removed) and an `audit.purge` row, in one transaction. Returns how many rows went.
pub fn purge(c: &mut Connection, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<usize> {
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
    append(
        &tx,
        &AuditEntry {
            at,
            actor: Some("system".into()),
            account_id: None,
            role: None,
            scope: None,
            action: "audit.purge".into(),
            target: None,
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: Some(
                serde_json::json!({"before": ts(before), "rows": removed, "up_to_id": up_to_id}).to_string(),
            ),
        },
    )?;
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
