//! Audit entries: who did what to which record, from where, with what result.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Invalid,
    NotFound,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Invalid => "invalid",
            Outcome::NotFound => "not_found",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Username (or `token:<prefix>`); for a failed login, the name that was tried.
    pub actor: Option<String>,
    pub account_id: Option<i64>,
    pub role: Option<String>,
    /// `prefecture`, `municipality:392014`, `center:C001`.
    pub scope: Option<String>,
    /// Dotted verb, e.g. `person.read`, `auth.login`.
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub client: Option<String>,
    pub request_id: Option<String>,
    /// Small structured detail (JSON), never personal data.
    pub detail: Option<String>,
}

/// What a walk of the audit chain found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: u64,
    /// The newest row checked and its hash: note it outside the database (the daily log does)
    /// to tell later whether rows were rewritten from there on.
    pub head: Option<(i64, String)>,
    /// The first row that breaks the chain, and how.
    pub broken_at: Option<(i64, String)>,
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u64,
}
