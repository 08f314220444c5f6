//! Operations figures: the node's own availability for a month.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A time the node was not running (between two runs of the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outage {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub seconds: i64,
}

/// 稼働率 of one month (Japan time), up to now for the current month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UptimeReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Start of what is measured: the month's start, or the first run ever when later.
    pub from: DateTime<Utc>,
    /// End of what is measured: the month's end, or now.
    pub to: DateTime<Utc>,
    pub period_seconds: i64,
    pub up_seconds: i64,
    /// `up_seconds / period_seconds` (1 when nothing is measured yet).
    pub ratio: f64,
    /// The contract's target (`uptime.target`, 0.95).
    pub target: f64,
    pub met: bool,
    pub outages: Vec<Outage>,
}
