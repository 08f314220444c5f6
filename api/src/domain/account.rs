//! Accounts, the principal making a request, and the rules for new accounts.

use chrono::{DateTime, NaiveDate, Utc};
use shared::dto::auth::{AccountView, ApiTokenStatus, ApiTokenView, Role, Scope};
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
