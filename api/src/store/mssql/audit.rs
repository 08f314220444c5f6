//! SQL for the audit log: append-only rows chained by SHA-256 (the hash and the walk are
//! `domain::audit`'s), searchable by time, action, actor and target; the chain's check, and the
//! purge of rows past their retention.

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use tiberius::Row;

use super::conn::{at, int, opt_int, opt_str, str, ts, Conn, LockMode};
use crate::domain::audit::{self, AuditEntry, AuditQuery, AuditRecord, ChainReport, ChainWalk, Outcome};
use crate::store::{StoreError, StoreResult};

/// Reading the chain's head and inserting the next row are one step: every append holds this
/// application lock exclusively until its transaction ends, so no row slips in between.
const AUDIT_LOCK: &str = "attaka:audit";

pub(super) const NEWEST_HASH: &str = "SELECT TOP (1) hash FROM audit_log ORDER BY id DESC";
pub(super) const LAST_PURGE_HASH: &str = "SELECT TOP (1) last_hash FROM audit_purges ORDER BY id DESC";
pub(super) const INSERT: &str =
    "INSERT INTO audit_log (at, actor, account_id, role, scope, action, target, outcome, client,
                            request_id, detail, prev_hash, hash)
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13)";
pub(super) const ANY_UNHASHED: &str =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM audit_log WHERE hash IS NULL) THEN 1 ELSE 0 END";
pub(super) const CHAIN: &str =
    "SELECT id, prev_hash, hash, at, actor, account_id, role, scope, action, target, outcome,
            client, request_id, detail
     FROM audit_log WHERE hash IS NOT NULL ORDER BY id";
pub(super) const LAST_BEFORE: &str = "SELECT TOP (1) id, hash FROM audit_log WHERE at < @P1 ORDER BY id DESC";
pub(super) const DELETE_UP_TO: &str = "DELETE FROM audit_log WHERE id <= @P1";
pub(super) const INSERT_PURGE: &str =
    "INSERT INTO audit_purges (at, before, up_to_id, last_hash, rows) VALUES (@P1, @P2, @P3, @P4, @P5)";
// SQLite's LIKE ignores ASCII case; LOWER on both sides does the same under a binary collation.
pub(super) const QUERY: &str =
    "SELECT TOP (@P6) id, at, actor, account_id, role, scope, action, target, outcome, client,
            request_id, detail
     FROM audit_log
     WHERE (@P1 IS NULL OR LOWER(action) LIKE LOWER(@P1) + N'%')
       AND (@P2 IS NULL OR actor = @P2)
       AND (@P3 IS NULL OR target = @P3)
       AND (@P4 IS NULL OR at >= @P4)
       AND (@P5 IS NULL OR at < @P5)
     ORDER BY id DESC";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    NEWEST_HASH,
    LAST_PURGE_HASH,
    INSERT,
    ANY_UNHASHED,
    CHAIN,
    LAST_BEFORE,
    DELETE_UP_TO,
    INSERT_PURGE,
    QUERY,
];

async fn last_purge(c: &mut Conn) -> StoreResult<Option<Option<String>>> {
    Ok(match c.row(LAST_PURGE_HASH, &[]).await? {
        Some(r) => Some(opt_str(&r, 0)?),
        None => None,
    })
}

/// Appends a row linked to the one before, inside the caller's transaction (it takes the audit
/// lock, which the transaction then holds to its end).
pub(super) async fn append(c: &mut Conn, e: &AuditEntry) -> StoreResult<()> {
    c.lock(AUDIT_LOCK, LockMode::Exclusive).await?;
    let newest = match c.row(NEWEST_HASH, &[]).await? {
        Some(r) => opt_str(&r, 0)?,
        None => None,
    };
    let purged = last_purge(c).await?;
    let prev = audit::chain_head(newest.as_deref(), purged.flatten().as_deref());
    let hash = audit::row_hash(&prev, e);
    c.exec(
        INSERT,
        &[
            &at(e.at),
            &e.actor,
            &e.account_id,
            &e.role,
            &e.scope,
            &e.action,
            &e.target,
            &e.outcome.as_str(),
            &e.client,
            &e.request_id,
            &e.detail,
            &prev,
            &hash,
        ],
    )
    .await?;
    Ok(())
}

/// [`append`] in a transaction of its own.
pub async fn append_alone(c: &mut Conn, e: &AuditEntry) -> StoreResult<()> {
    c.begin().await?;
    let r = append(c, e).await;
    c.finish(r).await
}

fn entry_at(r: &Row, first: usize) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        at: ts(r, first)?,
        actor: opt_str(r, first + 1)?,
        account_id: opt_int(r, first + 2)?,
        role: opt_str(r, first + 3)?,
        scope: opt_str(r, first + 4)?,
        action: str(r, first + 5)?,
        target: opt_str(r, first + 6)?,
        outcome: Outcome::from_stored(&str(r, first + 7)?),
        client: opt_str(r, first + 8)?,
        request_id: opt_str(r, first + 9)?,
        detail: opt_str(r, first + 10)?,
    })
}

/// Walks the chain from its start to the newest row, streaming the rows.
pub async fn verify_chain(c: &mut Conn) -> StoreResult<ChainReport> {
    let purged = last_purge(c).await?;
    let unhashed_before = match c.row(ANY_UNHASHED, &[]).await? {
        Some(r) => int(&r, 0)? != 0,
        None => false,
    };
    let mut walk = ChainWalk::start(purged, unhashed_before);
    let read_to_end = async {
        let mut rows = c
            .stream_client()
            .query(CHAIN, &[])
            .await
            .map_err(|e| StoreError::Other(anyhow!(e)))?
            .into_row_stream();
        while let Some(r) = rows.try_next().await.map_err(|e| StoreError::Other(anyhow!(e)))? {
            let (id, prev, hash) = (int(&r, 0)?, str(&r, 1)?, str(&r, 2)?);
            if !walk.step(id, &prev, &hash, &entry_at(&r, 3)?) {
                // The rest is left unread: the connection is closed, not pooled.
                return Ok(false);
            }
        }
        Ok::<_, StoreError>(true)
    }
    .await?;
    if read_to_end {
        c.settle();
    }
    Ok(walk.finish())
}

/// Removes the rows older than `before` and records the purge (with the hash of the last row
/// removed) and an `audit.purge` row, in one transaction under the audit lock.
pub async fn purge(c: &mut Conn, before: DateTime<Utc>, when: DateTime<Utc>) -> StoreResult<usize> {
    c.begin().await?;
    let r = async {
        c.lock(AUDIT_LOCK, LockMode::Exclusive).await?;
        let Some(last) = c.row(LAST_BEFORE, &[&at(before)]).await? else {
            return Ok(0);
        };
        let (up_to_id, last_hash) = (int(&last, 0)?, opt_str(&last, 1)?);
        let removed = c.exec(DELETE_UP_TO, &[&up_to_id]).await?;
        let removed_i = i64::try_from(removed).unwrap_or(i64::MAX);
        c.exec(
            INSERT_PURGE,
            &[&at(when), &at(before), &up_to_id, &last_hash, &removed_i],
        )
        .await?;
        append(
            c,
            &AuditEntry {
                at: when,
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
                    serde_json::json!({
                        "before": before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                        "rows": removed,
                        "up_to_id": up_to_id
                    })
                    .to_string(),
                ),
            },
        )
        .await?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
    .await;
    c.finish(r).await
}

pub async fn query(c: &mut Conn, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    let limit = i64::try_from(q.limit.min(10_000)).unwrap_or(10_000);
    c.rows(
        QUERY,
        &[
            &q.action_prefix,
            &q.actor,
            &q.target,
            &q.since.map(at),
            &q.until.map(at),
            &limit,
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(AuditRecord {
            id: int(r, 0)?,
            entry: entry_at(r, 1)?,
        })
    })
    .collect()
}
