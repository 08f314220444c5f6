//! SQL for the audit log: append-only rows, searchable by time, action, actor and target.

use rusqlite::{params, Connection};

use super::{parse_ts, ts};
use crate::domain::audit::{AuditEntry, AuditQuery, AuditRecord, Outcome};
use crate::store::StoreResult;

pub fn append(c: &Connection, e: &AuditEntry) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO audit_log (at, actor, account_id, role, scope, action, target, outcome, client,
                                request_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
    ])?;
    Ok(())
}

fn outcome(s: &str) -> Outcome {
    match s {
        "ok" => Outcome::Ok,
        "denied" => Outcome::Denied,
        "invalid" => Outcome::Invalid,
        "not_found" => Outcome::NotFound,
        _ => Outcome::Failed,
    }
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
                    entry: AuditEntry {
                        at: parse_ts(&r.get::<_, String>(1)?)?,
                        actor: r.get(2)?,
                        account_id: r.get(3)?,
                        role: r.get(4)?,
                        scope: r.get(5)?,
                        action: r.get(6)?,
                        target: r.get(7)?,
                        outcome: outcome(&r.get::<_, String>(8)?),
                        client: r.get(9)?,
                        request_id: r.get(10)?,
                        detail: r.get(11)?,
                    },
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
