//! Login, token refresh, accounts and integrator API tokens.

use serde::{Deserialize, Serialize};

/// Roles, as in the architecture note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CenterStaff,
    CenterAdmin,
    Municipality,
    /// A regional office of the prefecture (福祉保健所): the municipalities of its region.
    Region,
    Prefecture,
    Operator,
    Integrator,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::CenterStaff,
        Role::CenterAdmin,
        Role::Municipality,
        Role::Region,
        Role::Prefecture,
        Role::Operator,
        Role::Integrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CenterStaff => "center_staff",
            Role::CenterAdmin => "center_admin",
            Role::Municipality => "municipality",
            Role::Region => "region",
            Role::Prefecture => "prefecture",
            Role::Operator => "operator",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Japanese label for screens.
    pub fn label(self) -> &'static str {
        match self {
            Role::CenterStaff => "センター職員",
            Role::CenterAdmin => "センター管理者",
            Role::Municipality => "市町村",
            Role::Region => "福祉保健所",
            Role::Prefecture => "県",
            Role::Operator => "運用保守",
            Role::Integrator => "連携(API)",
        }
    }
}

/// What part of the prefecture an account may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "level", content = "code", rename_all = "snake_case")]
pub enum Scope {
    /// The whole prefecture (高知県 390003).
    Prefecture,
    /// One municipality, by its 6-digit code.
    Municipality(String),
    /// The municipalities of one region (a regional office's area, e.g. `aki`), by its code.
    /// Which municipalities those are depends on the date: membership is master data on the
    /// hub, with periods.
    Region(String),
    /// One centre, by its centre code (e.g. `C012`).
    Center(String),
}

impl Scope {
    pub fn level(&self) -> &'static str {
        match self {
            Scope::Prefecture => "prefecture",
            Scope::Municipality(_) => "municipality",
            Scope::Region(_) => "region",
            Scope::Center(_) => "center",
        }
    }
    pub fn code(&self) -> Option<&str> {
        match self {
            Scope::Prefecture => None,
            Scope::Municipality(c) | Scope::Region(c) | Scope::Center(c) => Some(c),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Short-lived bearer token (JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Single-use refresh token; each refresh returns a new one.
    pub refresh_token: String,
    pub account: AccountView,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    pub refresh_token: String,
}

/// An account as shown to itself and to administrators (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub disabled: bool,
    /// Set while new addresses must wait before trying this account again: its hourly budget
    /// of failed logins is spent (addresses that signed in to it before may still try).
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Set after an administrator's reset: the account must choose a new password
    /// (`POST /api/v1/auth/password`) before anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Changing one's own password: the current one, then the new one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters; not a common password, not containing the username or
    /// 「あったか」. No rule on character kinds.
    pub new_password: String,
}

/// An administrator's reset: a temporary password the account must change at its next login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub new_password: String,
}

/// Whether an integrator API token still works, and if not why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiTokenStatus {
    #[default]
    Active,
    Revoked,
    Expired,
    /// The account that created it is disabled (or gone): the token stops with it.
    CreatorDisabled,
    /// The account that created it no longer holds a role that may issue such a token.
    CreatorLostRole,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// What the token is for, e.g. `市町村集計スクリプト`.
    pub name: String,
    pub scope: Scope,
    /// Optional expiry date; none means until revoked.
    pub expires_on: Option<chrono::NaiveDate>,
    /// Record-level extracts the token may receive (default `none`). Only a prefecture
    /// officer grants `coarsened`, and `detailed` only to a prefecture-wide token.
    #[serde(default)]
    pub extracts: ExtractGrant,
}

/// What an integrator token may receive from `/api/v1/extracts/*`, chosen by the prefecture
/// when the token is made (docs/privacy.md has the table of what each role receives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExtractGrant {
    /// No record-level extracts (403): figures only, through `/stats`.
    #[default]
    None,
    /// Extracts as a municipality officer receives them: per-recipient pseudonyms in place of
    /// common IDs, coarsened quasi-identifiers.
    Coarsened,
    /// Extracts as the prefecture receives them (common IDs, exact dates and attributes), for
    /// the prefecture's own analysts; prefecture-wide tokens only.
    Detailed,
}

impl ExtractGrant {
    pub const ALL: [ExtractGrant; 3] = [
        ExtractGrant::None,
        ExtractGrant::Coarsened,
        ExtractGrant::Detailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExtractGrant::None => "none",
            ExtractGrant::Coarsened => "coarsened",
            ExtractGrant::Detailed => "detailed",
        }
    }

    pub fn parse(s: &str) -> Option<ExtractGrant> {
        ExtractGrant::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_on: Option<chrono::NaiveDate>,
    pub revoked: bool,
    /// First characters of the token, to recognise it.
    pub prefix: String,
    /// Whether it works now; a token stops when its creator is disabled or loses the role.
    #[serde(default)]
    pub status: ApiTokenStatus,
    /// Record-level extracts the token may receive.
    pub extracts: ExtractGrant,
}

/// Returned once, when the token is created; only its hash is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    pub token: String,
    pub info: ApiTokenView,
}
