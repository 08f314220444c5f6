//! Accounts, the principal making a request, and the rules for new accounts.

use chrono::{DateTime, NaiveDate, Utc};
use shared::dto::auth::{AccountView, ApiTokenView, Role, Scope};
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
        }
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
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
}

impl ApiToken {
    pub fn to_view(&self) -> ApiTokenView {
        ApiTokenView {
            id: self.id,
            name: self.name.clone(),
            scope: self.scope.clone(),
            created_at: self.created_at,
            expires_on: self.expires_on,
            revoked: self.revoked,
            prefix: self.prefix.clone(),
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

/// Checks a username: 3–64 of ASCII letters, digits, `.`, `_`, `-`, `@`.
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

/// Checks a new password: at least 10 characters, not the username.
pub fn check_password(errors: &mut FieldErrors, username: &str, password: &str) {
    if password.chars().count() < 10 {
        errors.push("password", "too_short", "パスワードは10文字以上にしてください。");
    } else if password.chars().count() > 200 {
        errors.push("password", "too_long", "パスワードは200文字以内にしてください。");
    } else if password.eq_ignore_ascii_case(username) {
        errors.push(
            "password",
            "same_as_username",
            "ユーザー名と同じパスワードは使えません。",
        );
    }
}

/// The scope shape each role needs.
pub fn check_role_scope(errors: &mut FieldErrors, role: Role, scope: &Scope) {
    let ok = match role {
        Role::CenterStaff | Role::CenterAdmin => matches!(scope, Scope::Center(_)),
        Role::Municipality => matches!(scope, Scope::Municipality(_)),
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

/// What presenting a refresh token does, from its stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshVerdict {
    /// Expired, or its session revoked: refused, nothing changes.
    Invalid,
    /// Already used once: a sign of theft; the whole session is revoked.
    Reused,
    /// Valid: spent now, and the session goes on with a new token.
    Rotate,
}

/// The verdict on a refresh token that expires at `expires_at`, was used (`used`), whose
/// session is revoked (`revoked`), presented at `now`.
pub fn refresh_verdict(
    expires_at: DateTime<Utc>,
    used: bool,
    revoked: bool,
    now: DateTime<Utc>,
) -> RefreshVerdict {
    if revoked || expires_at <= now {
        RefreshVerdict::Invalid
    } else if used {
        RefreshVerdict::Reused
    } else {
        RefreshVerdict::Rotate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_rotates_once_and_never_after_expiry_or_revocation() {
        let now = Utc::now();
        let later = now + chrono::Duration::minutes(1);
        assert_eq!(refresh_verdict(later, false, false, now), RefreshVerdict::Rotate);
        assert_eq!(refresh_verdict(later, true, false, now), RefreshVerdict::Reused);
        assert_eq!(refresh_verdict(now, false, false, now), RefreshVerdict::Invalid);
        assert_eq!(refresh_verdict(later, true, true, now), RefreshVerdict::Invalid);
    }
}
