//! Accounts, the principal making a request, and the rules for new accounts.

use chrono::{DateTime, NaiveDate, Utc};
use shared::dto::auth::{AccountView, ApiTokenStatus, ApiTokenView, ExtractGrant, Role, Scope};
use shared::error::{FieldError, FieldErrors};

/// An account as stored (with its password hash).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub scope: Scope,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    /// Set by an administrator's reset until the account chooses its own password.
    pub must_change_password: bool,
}

impl Account {
    pub fn to_view(&self) -> AccountView {
        AccountView {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            scope: self.scope.clone(),
            disabled: self.disabled,
            locked_until: self.locked_until,
            must_change_password: self.must_change_password,
        }
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// An account's count of failed logins and the end of its lock, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginFailures {
    /// After one more failed login: the count goes up; when it reaches `threshold` the account
    /// is locked until `lock_until` and the count starts again from zero (the lock, not the
    /// count, then keeps the next guesses out).
    pub fn after_failure(self, threshold: i64, lock_until: DateTime<Utc>) -> LoginFailures {
        let failed_logins = self.failed_logins + 1;
        if failed_logins >= threshold {
            LoginFailures {
                failed_logins: 0,
                locked_until: Some(lock_until),
            }
        } else {
            LoginFailures {
                failed_logins,
                ..self
            }
        }
    }
}

/// A stored refresh token, as far as presenting it again is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRefresh {
    pub expires_at: DateTime<Utc>,
    /// Presented once already (it was rotated).
    pub used: bool,
    /// Its session (the family of tokens of one login) was revoked.
    pub session_revoked: bool,
}

/// What presenting a refresh token does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Valid: spend it and issue the next token of the session.
    Rotate,
    /// Unknown, expired, or of a revoked session: refuse, change nothing.
    Invalid,
    /// Spent already: a copy is in someone else's hands. Revoke the whole session.
    Reuse,
}

/// The refresh-token rule: `token` is the stored token with the hash presented (none: unknown).
/// An expired token or one of a revoked session is merely invalid, even if used before: the
/// session is already over, so there is nothing left to protect.
pub fn refresh_decision(token: Option<&StoredRefresh>, now: DateTime<Utc>) -> RefreshDecision {
    match token {
        None => RefreshDecision::Invalid,
        Some(t) if t.session_revoked || t.expires_at <= now => RefreshDecision::Invalid,
        Some(t) if t.used => RefreshDecision::Reuse,
        Some(_) => RefreshDecision::Rotate,
    }
}

/// A new account ready to store.
#[derive(Debug, Clone)]
pub struct NewAccountRecord {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub scope: Scope,
}

/// An integrator API token as stored.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub expires_on: Option<NaiveDate>,
    pub revoked: bool,
    /// The account that created it (none for tokens from before this was recorded).
    pub created_by: Option<i64>,
    /// Record-level extracts it may receive (`none` unless the prefecture granted them).
    pub extracts: ExtractGrant,
}

/// What became of the account that created an API token.
#[derive(Debug, Clone, Copy)]
pub enum Creator<'a> {
    /// Not recorded (an old token): nothing to check.
    Unrecorded,
    /// Recorded, but the account is no longer there.
    Gone,
    Account(&'a Account),
}

impl ApiToken {
    /// Whether the token works on `today`: not revoked, not expired, and its creator still
    /// enabled and holding a role that may issue it (`may_issue`, from the policy table).
    pub fn status(
        &self,
        today: NaiveDate,
        creator: Creator<'_>,
        may_issue: impl Fn(&Account) -> bool,
    ) -> ApiTokenStatus {
        if self.revoked {
            return ApiTokenStatus::Revoked;
        }
        if self.expires_on.is_some_and(|e| today > e) {
            return ApiTokenStatus::Expired;
        }
        match creator {
            Creator::Unrecorded => ApiTokenStatus::Active,
            Creator::Gone => ApiTokenStatus::CreatorDisabled,
            Creator::Account(a) if a.disabled => ApiTokenStatus::CreatorDisabled,
            Creator::Account(a) if !may_issue(a) => ApiTokenStatus::CreatorLostRole,
            Creator::Account(_) => ApiTokenStatus::Active,
        }
    }

    pub fn to_view(&self, status: ApiTokenStatus) -> ApiTokenView {
        ApiTokenView {
            id: self.id,
            name: self.name.clone(),
            scope: self.scope.clone(),
            created_at: self.created_at,
            expires_on: self.expires_on,
            revoked: self.revoked,
            prefix: self.prefix.clone(),
            status,
            extracts: self.extracts,
        }
    }
}

/// Who is calling: an account with a session, or an integrator token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub account_id: Option<i64>,
    pub api_token_id: Option<i64>,
    /// Username, or `token:<prefix>` for an API token.
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    /// The login session (refresh-token family); none for API tokens.
    pub session: Option<String>,
}

/// Checks a username: 3–64 of ASCII letters, digits, `.`, `_`, `-`, `@`. Usernames are
/// case-insensitive: `PREF` is the same account as `pref` (and cannot be created beside it).
pub fn check_username(errors: &mut FieldErrors, username: &str) {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !(3..=64).contains(&username.len()) || !ok_chars {
        errors.push(
            "username",
            "format",
            "ユーザー名は3〜64文字の半角英数字と . _ - @ で入力してください。",
        );
    }
}

/// Checks a new password against the policy (`domain::password_policy`), reported on `password`.
pub fn check_password(errors: &mut FieldErrors, username: &str, password: &str) {
    super::password_policy::check(errors, "password", username, password);
}

/// The scope shape each role needs.
pub fn check_role_scope(errors: &mut FieldErrors, role: Role, scope: &Scope) {
    let ok = match role {
        Role::CenterStaff | Role::CenterAdmin => matches!(scope, Scope::Center(_)),
        Role::Municipality => matches!(scope, Scope::Municipality(_)),
        Role::Region => matches!(scope, Scope::Region(_)),
        Role::Prefecture | Role::Operator => matches!(scope, Scope::Prefecture),
        Role::Integrator => true,
    };
    if !ok {
        errors.push("scope", "role_mismatch", "この役割には指定できない範囲です。");
    }
}

pub fn field_errors(e: FieldErrors) -> Result<(), Vec<FieldError>> {
    e.into_result()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0).unwrap()
    }

    fn token(used: bool, session_revoked: bool, expires_in_hours: i64) -> StoredRefresh {
        StoredRefresh {
            expires_at: now() + Duration::hours(expires_in_hours),
            used,
            session_revoked,
        }
    }

    #[test]
    fn a_fresh_refresh_token_is_rotated() {
        assert_eq!(
            refresh_decision(Some(&token(false, false, 1)), now()),
            RefreshDecision::Rotate
        );
    }

    #[test]
    fn a_reused_refresh_token_is_reported_as_reuse() {
        assert_eq!(
            refresh_decision(Some(&token(true, false, 1)), now()),
            RefreshDecision::Reuse
        );
    }

    #[test]
    fn an_unknown_expired_or_revoked_refresh_token_is_invalid_even_when_used_before() {
        assert_eq!(refresh_decision(None, now()), RefreshDecision::Invalid);
        assert_eq!(
            refresh_decision(Some(&token(false, false, 0)), now()),
            RefreshDecision::Invalid
        );
        assert_eq!(
            refresh_decision(Some(&token(true, false, -1)), now()),
            RefreshDecision::Invalid
        );
        assert_eq!(
            refresh_decision(Some(&token(true, true, 1)), now()),
            RefreshDecision::Invalid
        );
    }

    #[test]
    fn failed_logins_below_the_threshold_are_only_counted() {
        let before = LoginFailures {
            failed_logins: 3,
            locked_until: None,
        };
        let lock_until = now() + Duration::minutes(15);
        assert_eq!(
            before.after_failure(5, lock_until),
            LoginFailures {
                failed_logins: 4,
                locked_until: None
            }
        );
    }

    #[test]
    fn the_failure_that_reaches_the_threshold_locks_the_account_and_restarts_the_count() {
        let before = LoginFailures {
            failed_logins: 4,
            locked_until: None,
        };
        let lock_until = now() + Duration::minutes(15);
        assert_eq!(
            before.after_failure(5, lock_until),
            LoginFailures {
                failed_logins: 0,
                locked_until: Some(lock_until)
            }
        );
    }

    #[test]
    fn a_failure_below_the_threshold_leaves_an_earlier_lock_end_as_it_was() {
        let earlier = Some(now() - Duration::hours(1));
        let before = LoginFailures {
            failed_logins: 0,
            locked_until: earlier,
        };
        assert_eq!(before.after_failure(5, now()).locked_until, earlier);
    }
}
