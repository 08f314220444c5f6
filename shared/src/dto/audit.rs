//! The audit log as shown to the prefecture and the operator.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecordView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Username, `token:<prefix>`, or the name tried in a failed login.
    pub actor: Option<String>,
    pub role: Option<String>,
    pub scope: Option<String>,
    /// e.g. `person.read`, `auth.login`.
    pub action: String,
    pub target: Option<String>,
    /// `ok`, `denied`, `invalid`, `not_found`, `failed`.
    pub outcome: String,
    pub client: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisabledInput {
    pub disabled: bool,
}
