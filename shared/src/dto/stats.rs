//! `GET /api/v1/stats` JSON answer (api.md).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Dimension,
    /// Japanese label of the dimension value beside it (with `labels=ja`).
    Label,
    Measure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsColumn {
    pub name: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsMeta {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// `prefecture`, `municipality:392014`, `center:C001`: the scope the server applied.
    pub scope: String,
    /// Measure cells returned as `null` by small-cell suppression (including totals).
    pub suppressed_cells: u64,
    /// The threshold k in force for the caller (none: no suppression).
    pub suppression_threshold: Option<u64>,
    pub generated_at: chrono::DateTime<chrono::FixedOffset>,
    /// Notes on reading the table, e.g. that `category` rows need not add up.
    pub notes: Vec<String>,
}

/// Rows are arrays in column order: dimension codes (and labels) as strings, measures as
/// integers or `null` where suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsResponse {
    pub columns: Vec<StatsColumn>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Object>>))]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// With `totals=true`: the grand total computed by the server (for `unique_persons` a true
    /// distinct count, never a sum); dimension positions are `null`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub totals: Option<Vec<serde_json::Value>>,
    pub meta: StatsMeta,
}
