//! SQL for accounts, login sessions, refresh tokens and integrator API tokens.

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use shared::dto::auth::{ExtractGrant, Role, Scope};
use tiberius::Row;

use super::conn::{
    at, int, is_unique_violation, opt_bool, opt_date, opt_int, opt_str, opt_ts, str, ts, Conn, LockMode,
};
use crate::domain::account::{
    refresh_decision, Account, ApiToken, NewAccountRecord, Principal, RefreshDecision, StoredRefresh,
};
use crate::store::{ConflictKind, RefreshGrant, RefreshUse, StoreError, StoreResult};

pub(super) const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (username, display_name, password_hash, role, scope_level, scope_code,
                           created_at, updated_at)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P7)";
pub(super) const ACCOUNT_BY_ID: &str = "SELECT id, username, display_name, password_hash, role, scope_level,
     scope_code, disabled, failed_logins, locked_until, must_change_password FROM accounts WHERE id = @P1";
// Usernames are case-insensitive (the unique `username_key`, migration 0017); the length check
// keeps `alice ` from matching `alice`, as '=' in SQL Server ignores trailing spaces.
pub(super) const ACCOUNT_BY_USERNAME: &str = "SELECT id, username, display_name, password_hash, role,
     scope_level, scope_code, disabled, failed_logins, locked_until, must_change_password FROM accounts
     WHERE username_key = LOWER(@P1) AND DATALENGTH(username) = DATALENGTH(@P1)";
pub(super) const ACCOUNTS: &str = "SELECT id, username, display_name, password_hash, role, scope_level,
     scope_code, disabled, failed_logins, locked_until, must_change_password FROM accounts ORDER BY id";
// A password change clears failed logins and, in the same transaction, revokes every session.
pub(super) const CHANGE_PASSWORD: &str =
    "UPDATE accounts SET password_hash = @P2, must_change_password = @P3, password_changed_at = @P4,
                         failed_logins = 0, locked_until = NULL, updated_at = @P4
     WHERE id = @P1";
// The count goes up by an UPDATE, which takes the row's lock: concurrent failures count one
// after the other, and the lock is set by whichever reaches the threshold.
pub(super) const COUNT_FAILURE: &str =
    "UPDATE accounts SET failed_logins = failed_logins + 1, updated_at = @P2 WHERE id = @P1";
pub(super) const LOCK_AT_THRESHOLD: &str =
    "UPDATE accounts SET locked_until = @P3, failed_logins = 0 WHERE id = @P1 AND failed_logins >= @P2";
pub(super) const LOGIN_SUCCEEDED: &str =
    "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = @P1";
pub(super) const SET_DISABLED: &str = "UPDATE accounts SET disabled = @P2, updated_at = @P3 WHERE id = @P1";
pub(super) const REVOKE_ACCOUNT_SESSIONS: &str =
    "UPDATE sessions SET revoked_at = @P2 WHERE account_id = @P1 AND revoked_at IS NULL";
pub(super) const SET_PASSWORD: &str =
    "UPDATE accounts SET password_hash = @P2, updated_at = @P3 WHERE id = @P1";
pub(super) const SESSION_EXISTS: &str = "SELECT 1 FROM sessions WHERE id = @P1";
pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (id, account_id, created_at) VALUES (@P1, @P2, @P3)";
pub(super) const INSERT_REFRESH: &str =
    "INSERT INTO refresh_tokens (token_hash, session, issued_at, expires_at) VALUES (@P1, @P2, @P3, @P4)";
// Written first: the no-op UPDATE takes the token row's lock, so two presentations of one token
// are decided one after the other (the second sees it used).
pub(super) const CLAIM_REFRESH: &str = "UPDATE refresh_tokens SET used_at = used_at WHERE token_hash = @P1";
pub(super) const REFRESH_STATE: &str = "SELECT t.session, t.expires_at, t.used_at, s.revoked_at, s.account_id
     FROM refresh_tokens t JOIN sessions s ON s.id = t.session
     WHERE t.token_hash = @P1";
pub(super) const REVOKE_SESSION_NOW: &str = "UPDATE sessions SET revoked_at = @P2 WHERE id = @P1";
pub(super) const SPEND_REFRESH: &str = "UPDATE refresh_tokens SET used_at = @P2 WHERE token_hash = @P1";
pub(super) const REVOKE_SESSION: &str =
    "UPDATE sessions SET revoked_at = @P2 WHERE id = @P1 AND revoked_at IS NULL";
pub(super) const SESSION_PRINCIPAL: &str = "SELECT a.id, a.username, a.role, a.scope_level, a.scope_code
     FROM sessions s JOIN accounts a ON a.id = s.account_id
     WHERE s.id = @P1 AND s.account_id = @P2 AND s.revoked_at IS NULL AND a.disabled = 0";
pub(super) const INSERT_API_TOKEN: &str =
    "INSERT INTO api_tokens (token_hash, prefix, name, scope_level, scope_code, created_by, created_at, expires_on,
                             extracts)
     OUTPUT INSERTED.id
     VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9)";
pub(super) const API_TOKEN_BY_ID: &str = "SELECT id, name, prefix, scope_level, scope_code, created_at,
     expires_on, revoked_at, created_by, extracts FROM api_tokens WHERE id = @P1";
pub(super) const API_TOKEN_BY_HASH: &str = "SELECT id, name, prefix, scope_level, scope_code, created_at,
     expires_on, revoked_at, created_by, extracts FROM api_tokens WHERE token_hash = @P1";
pub(super) const API_TOKENS: &str = "SELECT id, name, prefix, scope_level, scope_code, created_at,
     expires_on, revoked_at, created_by, extracts FROM api_tokens ORDER BY id";
pub(super) const REVOKE_API_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at = ISNULL(revoked_at, @P2) WHERE id = @P1";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    INSERT_ACCOUNT,
    ACCOUNT_BY_ID,
    ACCOUNT_BY_USERNAME,
    ACCOUNTS,
    CHANGE_PASSWORD,
    COUNT_FAILURE,
    LOCK_AT_THRESHOLD,
    LOGIN_SUCCEEDED,
    SET_DISABLED,
    REVOKE_ACCOUNT_SESSIONS,
    SET_PASSWORD,
    SESSION_EXISTS,
    INSERT_SESSION,
    INSERT_REFRESH,
    CLAIM_REFRESH,
    REFRESH_STATE,
    REVOKE_SESSION_NOW,
    SPEND_REFRESH,
    REVOKE_SESSION,
    SESSION_PRINCIPAL,
    INSERT_API_TOKEN,
    API_TOKEN_BY_ID,
    API_TOKEN_BY_HASH,
    API_TOKENS,
    REVOKE_API_TOKEN,
];

fn bad(what: String) -> StoreError {
    StoreError::Other(anyhow!("stored {what} cannot be read"))
}

fn scope_from(level: &str, code: Option<String>) -> StoreResult<Scope> {
    match (level, code) {
        ("prefecture", _) => Ok(Scope::Prefecture),
        ("municipality", Some(c)) => Ok(Scope::Municipality(c)),
        ("region", Some(c)) => Ok(Scope::Region(c)),
        ("center", Some(c)) => Ok(Scope::Center(c)),
        (l, _) => Err(bad(format!("scope level {l:?}"))),
    }
}

fn role_from(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| bad(format!("role {s:?}")))
}

fn account_row(r: &Row) -> StoreResult<Account> {
    Ok(Account {
        id: int(r, 0)?,
        username: str(r, 1)?,
        display_name: str(r, 2)?,
        password_hash: str(r, 3)?,
        role: role_from(&str(r, 4)?)?,
        scope: scope_from(&str(r, 5)?, opt_str(r, 6)?)?,
        disabled: opt_bool(r, 7)?.unwrap_or(false),
        failed_logins: int(r, 8)?,
        locked_until: opt_ts(r, 9)?,
        must_change_password: opt_bool(r, 10)?.unwrap_or(false),
    })
}

pub async fn create(c: &mut Conn, a: &NewAccountRecord) -> StoreResult<Account> {
    let now = at(Utc::now());
    let (level, code) = (a.scope.level(), a.scope.code());
    let row = c
        .row(
            INSERT_ACCOUNT,
            &[
                &a.username,
                &a.display_name,
                &a.password_hash,
                &a.role.as_str(),
                &level,
                &code,
                &now,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(ConflictKind::Username)
            } else {
                e
            }
        })?
        .ok_or_else(|| StoreError::Other(anyhow!("no id came back from the insert")))?;
    by_id(c, int(&row, 0)?).await
}

pub async fn by_id(c: &mut Conn, id: i64) -> StoreResult<Account> {
    match c.row(ACCOUNT_BY_ID, &[&id]).await? {
        Some(r) => account_row(&r),
        None => Err(StoreError::NotFound),
    }
}

pub async fn by_username(c: &mut Conn, username: &str) -> StoreResult<Option<Account>> {
    c.row(ACCOUNT_BY_USERNAME, &[&username])
        .await?
        .as_ref()
        .map(account_row)
        .transpose()
}

pub async fn all(c: &mut Conn) -> StoreResult<Vec<Account>> {
    c.rows(ACCOUNTS, &[]).await?.iter().map(account_row).collect()
}

pub async fn login_failed(
    c: &mut Conn,
    id: i64,
    threshold: i64,
    lock_until: DateTime<Utc>,
) -> StoreResult<Account> {
    c.begin().await?;
    let r = async {
        c.exec(COUNT_FAILURE, &[&id, &at(Utc::now())]).await?;
        c.exec(LOCK_AT_THRESHOLD, &[&id, &threshold, &at(lock_until)])
            .await?;
        Ok(())
    }
    .await;
    c.finish(r).await?;
    by_id(c, id).await
}

pub async fn login_succeeded(c: &mut Conn, id: i64) -> StoreResult<()> {
    c.exec(LOGIN_SUCCEEDED, &[&id]).await?;
    Ok(())
}

pub async fn set_disabled(c: &mut Conn, id: i64, disabled: bool) -> StoreResult<()> {
    let now = at(Utc::now());
    if c.exec(SET_DISABLED, &[&id, &disabled, &now]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    if disabled {
        c.exec(REVOKE_ACCOUNT_SESSIONS, &[&id, &now]).await?;
    }
    Ok(())
}

pub async fn set_password(c: &mut Conn, id: i64, hash: &str) -> StoreResult<()> {
    if c.exec(SET_PASSWORD, &[&id, &hash, &at(Utc::now())]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Adds a refresh token, and its session when the session is new. The session's application
/// lock makes "insert the session unless it is there" one step for concurrent grants.
/// Replaces the password, sets or clears the forced change, forgets failed logins, and
/// revokes every session of the account (its refresh tokens die with them); the caller's
/// transaction holds both.
pub async fn change_password(c: &mut Conn, id: i64, hash: &str, must_change: bool) -> StoreResult<()> {
    let now = at(Utc::now());
    if c.exec(CHANGE_PASSWORD, &[&id, &hash, &must_change, &now]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    c.exec(REVOKE_ACCOUNT_SESSIONS, &[&id, &now]).await?;
    Ok(())
}

pub async fn insert_refresh(c: &mut Conn, g: &RefreshGrant) -> StoreResult<()> {
    let now = at(Utc::now());
    c.begin().await?;
    let r = async {
        c.lock(&format!("attaka:session:{}", g.session), LockMode::Exclusive)
            .await?;
        if c.row(SESSION_EXISTS, &[&g.session]).await?.is_none() {
            c.exec(INSERT_SESSION, &[&g.session, &g.account_id, &now]).await?;
        }
        c.exec(
            INSERT_REFRESH,
            &[&g.token_hash, &g.session, &now, &at(g.expires_at)],
        )
        .await?;
        Ok(())
    }
    .await;
    c.finish(r).await
}

pub async fn use_refresh(c: &mut Conn, hash: &str, now: DateTime<Utc>) -> StoreResult<RefreshUse> {
    c.begin().await?;
    let r = async {
        c.exec(CLAIM_REFRESH, &[&hash]).await?;
        let Some(row) = c.row(REFRESH_STATE, &[&hash]).await? else {
            return Ok(None);
        };
        let session = str(&row, 0)?;
        let stored = StoredRefresh {
            expires_at: ts(&row, 1)?,
            used: opt_ts(&row, 2)?.is_some(),
            session_revoked: opt_ts(&row, 3)?.is_some(),
        };
        let verdict = refresh_decision(Some(&stored), now);
        match verdict {
            RefreshDecision::Invalid => {}
            RefreshDecision::Reuse => {
                c.exec(REVOKE_SESSION_NOW, &[&session, &at(now)]).await?;
            }
            RefreshDecision::Rotate => {
                c.exec(SPEND_REFRESH, &[&hash, &at(now)]).await?;
            }
        }
        Ok(Some((verdict, session, int(&row, 4)?)))
    }
    .await;
    match c.finish(r).await? {
        None | Some((RefreshDecision::Invalid, _, _)) => Ok(RefreshUse::Invalid),
        Some((RefreshDecision::Reuse, _, _)) => Ok(RefreshUse::Reused),
        Some((RefreshDecision::Rotate, session, account_id)) => Ok(RefreshUse::Rotated {
            account: by_id(c, account_id).await?,
            session,
        }),
    }
}

pub async fn revoke_session(c: &mut Conn, session: &str) -> StoreResult<()> {
    c.exec(REVOKE_SESSION, &[&session, &at(Utc::now())]).await?;
    Ok(())
}

pub async fn session_principal(
    c: &mut Conn,
    session: &str,
    account_id: i64,
) -> StoreResult<Option<Principal>> {
    let Some(r) = c.row(SESSION_PRINCIPAL, &[&session, &account_id]).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        account_id: Some(int(&r, 0)?),
        api_token_id: None,
        name: str(&r, 1)?,
        role: role_from(&str(&r, 2)?)?,
        scope: scope_from(&str(&r, 3)?, opt_str(&r, 4)?)?,
        session: Some(session.to_owned()),
    }))
}

fn token_row(r: &Row) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: int(r, 0)?,
        name: str(r, 1)?,
        prefix: str(r, 2)?,
        scope: scope_from(&str(r, 3)?, opt_str(r, 4)?)?,
        created_at: ts(r, 5)?,
        expires_on: opt_date(r, 6)?,
        revoked: opt_ts(r, 7)?.is_some(),
        created_by: opt_int(r, 8)?,
        extracts: {
            let grant = str(r, 9)?;
            ExtractGrant::parse(&grant).ok_or_else(|| bad(format!("extract grant {grant:?}")))?
        },
    })
}

pub async fn create_api_token(
    c: &mut Conn,
    t: &ApiToken,
    hash: &str,
    created_by: Option<i64>,
) -> StoreResult<ApiToken> {
    let (level, code) = (t.scope.level(), t.scope.code());
    let row = c
        .row(
            INSERT_API_TOKEN,
            &[
                &hash,
                &t.prefix,
                &t.name,
                &level,
                &code,
                &created_by,
                &at(t.created_at),
                &t.expires_on,
                &t.extracts.as_str(),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::Other(anyhow!("no id came back from the insert")))?;
    let id = int(&row, 0)?;
    match c.row(API_TOKEN_BY_ID, &[&id]).await? {
        Some(r) => token_row(&r),
        None => Err(StoreError::NotFound),
    }
}

pub async fn api_token_by_hash(c: &mut Conn, hash: &str) -> StoreResult<Option<ApiToken>> {
    c.row(API_TOKEN_BY_HASH, &[&hash])
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
}

pub async fn api_tokens(c: &mut Conn) -> StoreResult<Vec<ApiToken>> {
    c.rows(API_TOKENS, &[]).await?.iter().map(token_row).collect()
}

pub async fn revoke_api_token(c: &mut Conn, id: i64) -> StoreResult<()> {
    if c.exec(REVOKE_API_TOKEN, &[&id, &at(Utc::now())]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
