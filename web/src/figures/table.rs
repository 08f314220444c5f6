//! A `/stats` answer (asked with `labels=ja`) arranged as the table and the charts read it.

use shared::dto::stats::{ColumnKind, StatsResponse};

/// One row of a stats table: for each dimension its code and label, then the measures.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub keys: Vec<(String, String)>,
    pub values: Vec<Option<u64>>,
}

/// A `/stats` answer (asked with `labels=ja`) arranged for a table and a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Dimension codes, in row order.
    pub dimensions: Vec<String>,
    /// Measure codes, in column order.
    pub measures: Vec<String>,
    pub rows: Vec<TableRow>,
    pub totals: Option<Vec<Option<u64>>>,
    /// Whether any cell (totals included) is suppressed.
    pub has_suppressed: bool,
}

impl Table {
    pub fn from_response(response: &StatsResponse) -> Table {
        let mut dimensions = Vec::new();
        let mut measures = Vec::new();
        // For each dimension: (code column, label column if any).
        let mut key_columns: Vec<(usize, Option<usize>)> = Vec::new();
        let mut measure_columns = Vec::new();
        for (i, column) in response.columns.iter().enumerate() {
            match column.kind {
                ColumnKind::Dimension => {
                    dimensions.push(column.name.clone());
                    key_columns.push((i, None));
                }
                ColumnKind::Label => {
                    if let Some(last) = key_columns.last_mut() {
                        last.1 = Some(i);
                    }
                }
                ColumnKind::Measure => {
                    measures.push(column.name.clone());
                    measure_columns.push(i);
                }
            }
        }
        let text = |row: &[serde_json::Value], i: usize| match row.get(i) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let number = |row: &[serde_json::Value], i: usize| row.get(i).and_then(serde_json::Value::as_u64);
        let rows: Vec<TableRow> = response
            .rows
            .iter()
            .map(|row| TableRow {
                keys: key_columns
                    .iter()
                    .map(|&(code, label)| {
                        let code_text = text(row, code);
                        let label_text = label.map(|l| text(row, l)).unwrap_or_default();
                        let shown = if label_text.is_empty() {
                            code_text.clone()
                        } else {
                            label_text
                        };
                        (code_text, shown)
                    })
                    .collect(),
                values: measure_columns.iter().map(|&i| number(row, i)).collect(),
            })
            .collect();
        let totals = response
            .totals
            .as_ref()
            .map(|t| measure_columns.iter().map(|&i| number(t, i)).collect::<Vec<_>>());
        let has_suppressed = rows.iter().any(|r| r.values.iter().any(Option::is_none))
            || totals.as_ref().is_some_and(|t| t.iter().any(Option::is_none));
        Table {
            dimensions,
            measures,
            rows,
            totals,
            has_suppressed,
        }
    }

    /// The column of `measure`, if the table has it.
    pub fn measure_index(&self, measure: &str) -> Option<usize> {
        self.measures.iter().position(|m| m == measure)
    }

    /// The grand total of `measure` (None when absent or suppressed).
    pub fn total(&self, measure: &str) -> Option<u64> {
        let i = self.measure_index(measure)?;
        self.totals.as_ref().and_then(|t| t.get(i).copied().flatten())
    }
}
