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
    /// The part of it within scheduled maintenance windows (left out of the contract's 稼働率).
    #[serde(default)]
    pub maintenance_seconds: i64,
}

/// 稼働率 of one month (Japan time), up to now for the current month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UptimeReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Start of what is measured: the month's start, or the first run ever when later.
    pub from: DateTime<Utc>,
    /// End of what is measured: the month's end, or now. Equal to `from` when nothing of the
    /// month was recorded (a month before the node's first run).
    pub to: DateTime<Utc>,
    /// 0 when nothing of the month was recorded.
    pub period_seconds: i64,
    pub up_seconds: i64,
    /// `up_seconds / period_seconds`; null when nothing of the month was recorded (記録なし),
    /// which is no rate at all rather than 100 %.
    pub ratio: Option<f64>,
    /// Time within scheduled maintenance windows (計画停止), up or down.
    #[serde(default)]
    pub maintenance_seconds: i64,
    /// 稼働率 as the contract measures it: up time outside the maintenance windows over the
    /// measured time outside them; null when nothing was recorded (or all of it was maintenance).
    #[serde(default)]
    pub ratio_excluding_maintenance: Option<f64>,
    /// The contract's target (`uptime.target`, 0.95).
    pub target: f64,
    /// Whether `ratio_excluding_maintenance` reached `target`; false when there is no record.
    pub met: bool,
    pub outages: Vec<Outage>,
}
