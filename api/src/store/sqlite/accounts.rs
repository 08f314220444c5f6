//! SQL for accounts, login sessions, refresh tokens and integrator API tokens.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use shared::dto::auth::{ExtractGrant, Role, Scope};

use super::{audit, is_constraint, parse_opt_date, parse_ts, ts};
use crate::domain::account::{
    refresh_decision, Account, ApiToken, LoginFailures, NewAccountRecord, Principal, RefreshDecision,
    StoredRefresh,
};
use crate::domain::audit::AuditDraft;
use crate::store::{ConflictKind, RefreshGrant, RefreshUse, StoreError, StoreResult};

pub(super) fn scope_columns(scope: &Scope) -> (&'static str, Option<&str>) {
    (scope.level(), scope.code())
}

pub(super) fn scope_from(level: &str, code: Option<String>) -> rusqlite::Result<Scope> {
    match (level, code) {
        ("prefecture", _) => Ok(Scope::Prefecture),
        ("municipality", Some(c)) => Ok(Scope::Municipality(c)),
        ("region", Some(c)) => Ok(Scope::Region(c)),
        ("center", Some(c)) => Ok(Scope::Center(c)),
        (l, _) => Err(bad_value(format!("scope level {l:?}"))),
    }
}

fn bad_value(what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

fn role_from(s: &str) -> rusqlite::Result<Role> {
    Role::parse(s).ok_or_else(|| bad_value(format!("role {s:?}")))
}

const ACCOUNT_COLUMNS: &str = "id, username, display_name, password_hash, role, scope_level, scope_code,
     disabled, failed_logins, locked_until, must_change_password";

fn account_row(r: &Row) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        password_hash: r.get(3)?,
        role: role_from(&r.get::<_, String>(4)?)?,
        scope: scope_from(&r.get::<_, String>(5)?, r.get(6)?)?,
        disabled: r.get(7)?,
        failed_logins: r.get(8)?,
        locked_until: r
            .get::<_, Option<String>>(9)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        must_change_password: r.get(10)?,
    })
}

pub fn create(c: &mut Connection, a: &NewAccountRecord, audit: AuditDraft<Account>) -> StoreResult<Account> {
    let now = ts(Utc::now());
    let (level, code) = scope_columns(&a.scope);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = tx
        .query_row(
            "INSERT INTO accounts (username, display_name, password_hash, role, scope_level, scope_code,
                                   created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
            params![
                a.username,
                a.display_name,
                a.password_hash,
                a.role.as_str(),
                level,
                code,
                now
            ],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::Conflict(ConflictKind::Username)
            } else {
                e.into()
            }
        })?;
    let account = by_id(&tx, id)?;
    audit::append(&tx, &audit.entry_for(&account))?;
    tx.commit()?;
    Ok(account)
}

pub fn by_id(c: &Connection, id: i64) -> StoreResult<Account> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([id], account_row)?)
}

pub fn by_username(c: &mut Connection, username: &str) -> StoreResult<Option<Account>> {
    // Usernames are case-insensitive (unique index on `username COLLATE NOCASE`).
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?1 COLLATE NOCASE");
    Ok(c.prepare_cached(&sql)?
        .query_row([username], account_row)
        .optional()?)
}

pub fn all(c: &mut Connection) -> StoreResult<Vec<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id");
    let rows = c
        .prepare_cached(&sql)?
        .query_map([], account_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn login_failed(
    c: &mut Connection,
    id: i64,
    threshold: i64,
    lock_until: DateTime<Utc>,
) -> StoreResult<Account> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the count is read, so two
    // failures at once cannot both count from the same number.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (failed_logins, locked_until): (i64, Option<String>) = tx.query_row(
        "SELECT failed_logins, locked_until FROM accounts WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let after = LoginFailures {
        failed_logins,
        locked_until: locked_until.as_deref().map(parse_ts).transpose()?,
    }
    .after_failure(threshold, lock_until);
    tx.execute(
        "UPDATE accounts SET failed_logins = ?2, locked_until = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            id,
            after.failed_logins,
            after.locked_until.map(ts),
            ts(Utc::now())
        ],
    )?;
    tx.commit()?;
    by_id(c, id)
}

pub fn login_succeeded(c: &Connection, id: i64) -> StoreResult<()> {
    c.execute(
        "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

pub fn unlock(c: &mut Connection, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    login_succeeded(&tx, id)?;
    audit::append(&tx, &audit.entry_for(&()))?;
    tx.commit()?;
    Ok(())
}

pub fn set_disabled(c: &mut Connection, id: i64, disabled: bool, audit: AuditDraft<()>) -> StoreResult<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE accounts SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, disabled, ts(Utc::now())],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    if disabled {
        tx.execute(
            "UPDATE sessions SET revoked_at = ?2 WHERE account_id = ?1 AND revoked_at IS NULL",
            params![id, ts(Utc::now())],
        )?;
    }
    audit::append(&tx, &audit.entry_for(&()))?;
    tx.commit()?;
    Ok(())
}

pub fn set_password(c: &mut Connection, id: i64, hash: &str) -> StoreResult<()> {
    let n = c.execute(
        "UPDATE accounts SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, hash, ts(Utc::now())],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Replaces the password, sets or clears the forced change, forgets failed logins, and
/// revokes every session of the account (its refresh tokens die with them), with the audit
/// row, in one transaction.
pub fn change_password(
    c: &mut Connection,
    id: i64,
    hash: &str,
    must_change: bool,
    audit: AuditDraft<()>,
) -> StoreResult<()> {
    // Writes only; BEGIN IMMEDIATE so the password, the revoked sessions and the audit row land
    // together without a deferred transaction's upgrade failing under a concurrent writer.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = ts(Utc::now());
    let n = tx.execute(
        "UPDATE accounts SET password_hash = ?2, must_change_password = ?3, password_changed_at = ?4,
                             failed_logins = 0, locked_until = NULL, updated_at = ?4
         WHERE id = ?1",
        params![id, hash, must_change, now],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    tx.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE account_id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    audit::append(&tx, &audit.entry_for(&()))?;
    tx.commit()?;
    Ok(())
}

pub fn insert_refresh(c: &mut Connection, g: &RefreshGrant) -> StoreResult<()> {
    // Writes only (session if new, then token); BEGIN IMMEDIATE so the two land together without
    // a deadlock-prone lock upgrade.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = ts(Utc::now());
    tx.execute(
        "INSERT INTO sessions (id, account_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
        params![g.session, g.account_id, now],
    )?;
    tx.execute(
        "INSERT INTO refresh_tokens (token_hash, session, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![g.token_hash, g.session, now, ts(g.expires_at)],
    )?;
    tx.commit()?;
    Ok(())
}

/// A refresh token's row: session, expiry, when used, when its session was revoked, account.
type RefreshRow = (String, String, Option<String>, Option<String>, i64);

pub fn use_refresh(c: &mut Connection, hash: &str, now: DateTime<Utc>) -> StoreResult<RefreshUse> {
    // Check-then-write: BEGIN IMMEDIATE takes the write lock before the token is read, so two
    // requests presenting the same token cannot both rotate it: the second sees it used (reuse).
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<RefreshRow> = tx
        .query_row(
            "SELECT t.session, t.expires_at, t.used_at, s.revoked_at, s.account_id
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session
             WHERE t.token_hash = ?1",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let token = match &row {
        Some((_, expires_at, used_at, revoked_at, _)) => Some(StoredRefresh {
            expires_at: parse_ts(expires_at)?,
            used: used_at.is_some(),
            session_revoked: revoked_at.is_some(),
        }),
        None => None,
    };
    match (refresh_decision(token.as_ref(), now), row) {
        (RefreshDecision::Reuse, Some((session, ..))) => {
            tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1",
                params![session, ts(now)],
            )?;
            tx.commit()?;
            Ok(RefreshUse::Reused)
        }
        (RefreshDecision::Rotate, Some((session, _, _, _, account_id))) => {
            tx.execute(
                "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![hash, ts(now)],
            )?;
            tx.commit()?;
            let account = by_id(c, account_id)?;
            Ok(RefreshUse::Rotated { account, session })
        }
        _ => Ok(RefreshUse::Invalid),
    }
}

pub fn revoke_session(c: &mut Connection, session: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![session, ts(Utc::now())],
    )?;
    Ok(())
}

pub fn session_principal(
    c: &mut Connection,
    session: &str,
    account_id: i64,
) -> StoreResult<Option<Principal>> {
    let row = c
        .prepare_cached(
            "SELECT a.id, a.username, a.role, a.scope_level, a.scope_code
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.id = ?1 AND s.account_id = ?2 AND s.revoked_at IS NULL AND a.disabled = 0",
        )?
        .query_row(params![session, account_id], |r| {
            Ok(Principal {
                account_id: Some(r.get(0)?),
                api_token_id: None,
                name: r.get(1)?,
                role: role_from(&r.get::<_, String>(2)?)?,
                scope: scope_from(&r.get::<_, String>(3)?, r.get(4)?)?,
                session: Some(session.to_owned()),
            })
        })
        .optional()?;
    Ok(row)
}

const TOKEN_COLUMNS: &str =
    "id, name, prefix, scope_level, scope_code, created_at, expires_on, revoked_at, created_by, extracts";

fn token_row(r: &Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        name: r.get(1)?,
        prefix: r.get(2)?,
        scope: scope_from(&r.get::<_, String>(3)?, r.get(4)?)?,
        created_at: parse_ts(&r.get::<_, String>(5)?)?,
        expires_on: parse_opt_date(r.get(6)?)?,
        revoked: r.get::<_, Option<String>>(7)?.is_some(),
        created_by: r.get(8)?,
        extracts: {
            let grant: String = r.get(9)?;
            ExtractGrant::parse(&grant).ok_or_else(|| bad_value(format!("extract grant {grant:?}")))?
        },
    })
}

pub fn create_api_token(
    c: &mut Connection,
    t: &ApiToken,
    hash: &str,
    created_by: Option<i64>,
    audit: AuditDraft<ApiToken>,
) -> StoreResult<ApiToken> {
    let (level, code) = scope_columns(&t.scope);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id: i64 = tx.query_row(
        "INSERT INTO api_tokens (token_hash, prefix, name, scope_level, scope_code, created_by, created_at, expires_on,
                                 extracts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        params![
            hash,
            t.prefix,
            t.name,
            level,
            code,
            created_by,
            ts(t.created_at),
            t.expires_on.map(|d| d.to_string()),
            t.extracts.as_str()
        ],
        |r| r.get(0),
    )?;
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1");
    let token = tx.prepare_cached(&sql)?.query_row([id], token_row)?;
    audit::append(&tx, &audit.entry_for(&token))?;
    tx.commit()?;
    Ok(token)
}

pub fn api_token_by_hash(c: &mut Connection, hash: &str) -> StoreResult<Option<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([hash], token_row).optional()?)
}

pub fn api_tokens(c: &mut Connection) -> StoreResult<Vec<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id");
    let rows = c
        .prepare_cached(&sql)?
        .query_map([], token_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn revoke_api_token(c: &mut Connection, id: i64, audit: AuditDraft<()>) -> StoreResult<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
        params![id, ts(Utc::now())],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    audit::append(&tx, &audit.entry_for(&()))?;
    tx.commit()?;
    Ok(())
}
