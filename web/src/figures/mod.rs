//! What the figures screens ask `GET /stats` for and how they show it: the measures and
//! dimensions on offer with their Japanese names, periods written in 和暦 with 西暦, the table as
//! the screens read it, and the extra code lists the filters choose from.
//!
//! The figures page keeps its query in its own URL with the API's parameter names (`period`,
//! `from`, `to`, `rows`, `measures`, `filter`), so a reload, a bookmark or a link from the
//! overview opens the same table.

mod fetch;
mod lists;
mod period;
mod table;
mod url;

pub use fetch::{latest_stats, waiting, StatsAnswer};
pub use lists::{filter_choices, FigureLists, Lists};
pub use period::{
    fiscal_year_label, month_label, months_of_fiscal_year, quarter_label, time_tick, unfinished, Period,
};
pub use table::{Table, TableRow};
pub use url::{figures_url, query_from_url};

use shared::dto::auth::{Role, Scope};
use shared::dto::meta::MetaView;

/// Measures of `/stats` in the order the screens offer them, with their Japanese names.
pub const MEASURES: [(&str, &str); 9] = [
    ("participations", "延べ利用者数"),
    ("unique_persons", "実利用者数"),
    ("activities", "実施回数"),
    // Summed over centres: a day two centres are open counts twice (issue 14).
    ("open_days", "延べ開所日数（センター日数）"),
    ("new_registrations", "新規登録者数"),
    ("registered_persons", "登録者数"),
    ("visits", "訪問件数"),
    ("consultations", "相談件数"),
    ("referrals", "つなぎ件数"),
];

/// What a new figures page shows.
pub const DEFAULT_MEASURES: [&str; 3] = ["participations", "unique_persons", "activities"];

/// What a new figures page breaks down by: the months of the period.
pub const DEFAULT_ROWS: [&str; 1] = ["month"];

/// Dimensions of `/stats` in the API's order (time, place, person), with Japanese names.
pub const DIMENSIONS: [(&str, &str); 15] = [
    ("fiscal_year", "年度"),
    ("quarter", "四半期"),
    ("month", "月"),
    ("date", "日付"),
    ("municipality", "市町村"),
    ("region", "福祉保健所"),
    ("center", "センター"),
    ("site", "サテライト"),
    ("function", "機能"),
    ("sex", "性別"),
    ("age_band", "年齢区分"),
    ("group", "対象区分"),
    ("category", "該当区分"),
    ("care_level", "要介護度"),
    ("household", "世帯"),
];

/// Dimensions the page can filter on (a time filter is the period itself).
pub const FILTER_DIMENSIONS: [&str; 11] = [
    "region",
    "municipality",
    "center",
    "site",
    "function",
    "group",
    "category",
    "sex",
    "age_band",
    "care_level",
    "household",
];

/// The first programme year (FY2009): older years hold nothing.
pub const FIRST_FISCAL_YEAR: i32 = 2009;

/// The Japanese name of a measure (the code itself if unknown).
pub fn measure_label(code: &str) -> &str {
    MEASURES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// The Japanese name of a dimension (the code itself if unknown).
pub fn dimension_label(code: &str) -> &str {
    DIMENSIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// Dimensions that run along time: a chart over them is a line.
pub fn is_time_dimension(code: &str) -> bool {
    matches!(code, "fiscal_year" | "quarter" | "month" | "date")
}

/// Whether the caller has figures at all: every role but the operator (integrators have no UI).
pub fn figures_allowed(meta: &MetaView) -> bool {
    !matches!(meta.role, Role::Operator | Role::Integrator)
}

/// Dimensions worth offering to an account of `scope` (a centre account has one centre, in
/// one municipality, so those breakdowns say nothing). A region account keeps `region`: its
/// one row carries the region's name over its municipalities, and its filter names the region.
pub fn offered_dimension(scope: &Scope, code: &str) -> bool {
    match scope {
        Scope::Prefecture | Scope::Region(_) => true,
        Scope::Municipality(_) => !matches!(code, "municipality" | "region"),
        Scope::Center(_) => !matches!(code, "municipality" | "region" | "center"),
    }
}

// ---- numbers -----------------------------------------------------------------------------

/// `12,345`: digits grouped by thousands as Japanese reports write them.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A cell as shown: the count, or `＊` where small-cell suppression hid it.
pub fn cell(value: Option<u64>) -> String {
    value.map_or_else(|| SUPPRESSED.to_owned(), count)
}

/// The mark of a suppressed cell.
pub const SUPPRESSED: &str = "＊";
