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
    /// A measure whose non-zero cells are published perturbed by the cell-key method (within
    /// `meta.perturbation.max_deviation` of the true value; zeros are exact). Absent: exact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub perturbed: bool,
}

/// The perturbation a table's people counts carry (decision 0020).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Perturbation {
    /// Always `cell_key`: each cell moves by a bounded amount looked up from the sum of its
    /// records' fixed keys, so the same cell always shows the same value.
    pub method: String,
    /// The most a published cell differs from the true value.
    pub max_deviation: u32,
    /// Cells published perturbed (non-zero people counts, totals included).
    pub cells: u64,
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
    /// The perturbation in force for the caller (none: exact figures).
    #[serde(default)]
    pub perturbation: Option<Perturbation>,
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
