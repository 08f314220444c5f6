//! Operational alert events: a condition that needs the operator, raised once while it lasts.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// An alert to raise: `event` is a stable name (`sync_backlog_stuck`), `subject` what it is
/// about (a centre code), `message` a Japanese sentence for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub event: &'static str,
    pub subject: String,
    pub severity: Severity,
    pub message: String,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: i64,
    pub event: String,
    pub subject: String,
    pub severity: String,
    pub message: String,
    pub raised_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    /// When it was mailed to the operator as raised, and as cleared.
    pub notified_at: Option<DateTime<Utc>>,
    pub cleared_notified_at: Option<DateTime<Utc>>,
    /// The incident of the operations log it opened or joined (none for a reminder).
    pub incident_id: Option<i64>,
}
