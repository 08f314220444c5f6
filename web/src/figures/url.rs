//! The figures page's query in its own URL, with the API's parameter names.

use chrono::NaiveDate;
use leptos_router::params::ParamsMap;

use super::{Period, DEFAULT_MEASURES, DEFAULT_ROWS, DIMENSIONS, FILTER_DIMENSIONS, MEASURES};
use crate::api::StatsQuery;

/// Reads a figures query from the page's URL; what is missing takes its default (this 年度 by
/// month, the three usual measures, no filter).
pub fn query_from_url(params: &ParamsMap, today: NaiveDate) -> (Period, StatsQuery) {
    let period = Period::parse(
        params.get_str("period"),
        params.get_str("from"),
        params.get_str("to"),
    )
    .unwrap_or_else(|| Period::current_fiscal_year(today));
    let list = |key: &str| -> Vec<String> {
        params
            .get_str(key)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // No `rows` at all: the month trend of the period; `rows=` (empty): one total row.
    let rows = if params.get_str("rows").is_none() {
        DEFAULT_ROWS.iter().map(|r| (*r).to_owned()).collect()
    } else {
        list("rows")
            .into_iter()
            .filter(|r| DIMENSIONS.iter().any(|(c, _)| c == r))
            .collect()
    };
    let mut measures: Vec<String> = list("measures")
        .into_iter()
        .filter(|m| MEASURES.iter().any(|(c, _)| c == m))
        .collect();
    if measures.is_empty() {
        measures = DEFAULT_MEASURES.iter().map(|m| (*m).to_owned()).collect();
    }
    let filters = params
        .get_all("filter")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| {
            let (dimension, codes) = f.split_once(':')?;
            FILTER_DIMENSIONS.contains(&dimension).then(|| {
                (
                    dimension.to_owned(),
                    codes.split(';').map(str::to_owned).collect::<Vec<_>>(),
                )
            })
        })
        .collect();
    let mut query = StatsQuery {
        measures,
        rows,
        filters,
        ..StatsQuery::default()
    };
    period.apply(&mut query);
    (period, query)
}

/// The figures page's address for a query: `/figures?measures=…&rows=…&period=…`.
pub fn figures_url(base: &str, query: &StatsQuery) -> String {
    let mut pairs = query.query_pairs();
    if query.rows.is_empty() {
        // Said explicitly, or the page would open with its default breakdown.
        pairs.push(("rows", String::new()));
    }
    let encoded = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect::<Vec<_>>()
        .join("&");
    format!("{base}?{encoded}")
}
