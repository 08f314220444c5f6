//! What the figures screens ask `GET /stats` for and how they show it: the measures and
//! dimensions on offer with their Japanese names, periods written in 和暦 with 西暦, the table as
//! the screens read it, and the extra code lists the filters choose from.
//!
//! The figures page keeps its query in its own URL with the API's parameter names (`period`,
//! `from`, `to`, `rows`, `measures`, `filter`), so a reload, a bookmark or a link from the
//! overview opens the same table.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use shared::dates::{fiscal_year, format_wareki, to_wareki, Era};
use shared::dto::auth::{Role, Scope};
use shared::dto::master::{MasterItem, SiteView};
use shared::dto::meta::{MetaView, NodeRole};
use shared::dto::stats::{ColumnKind, StatsResponse};

use crate::api::{self, ApiError, StatsQuery};
use crate::session::Session;

/// Measures of `/stats` in the order the screens offer them, with their Japanese names.
pub const MEASURES: [(&str, &str); 9] = [
    ("participations", "延べ利用者数"),
    ("unique_persons", "実利用者数"),
    ("activities", "実施回数"),
    ("open_days", "開所日数"),
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
pub const DIMENSIONS: [(&str, &str); 14] = [
    ("fiscal_year", "年度"),
    ("quarter", "四半期"),
    ("month", "月"),
    ("date", "日付"),
    ("municipality", "市町村"),
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
pub const FILTER_DIMENSIONS: [&str; 10] = [
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

/// Whether the overview is the caller's natural landing place: an officer, or anyone on a hub.
pub fn overview_first(meta: &MetaView) -> bool {
    meta.node_role == NodeRole::Hub || matches!(meta.role, Role::Prefecture | Role::Municipality)
}

/// Dimensions worth offering to an account of `scope` (a centre account has one centre, in
/// one municipality, so those breakdowns say nothing).
pub fn offered_dimension(scope: &Scope, code: &str) -> bool {
    match scope {
        Scope::Prefecture => true,
        Scope::Municipality(_) => code != "municipality",
        Scope::Center(_) => !matches!(code, "municipality" | "center"),
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

// ---- periods -----------------------------------------------------------------------------

/// The period a table covers, as the page offers it.
#[derive(Debug, Clone, PartialEq)]
pub enum Period {
    /// A whole 年度.
    FiscalYear(i32),
    /// A quarter (1–4) of a 年度.
    Quarter(i32, u8),
    /// A calendar month.
    Month(i32, u32),
    /// From and to, inclusive.
    Range(NaiveDate, NaiveDate),
}

impl Period {
    /// The 年度 that `today` falls in.
    pub fn current_fiscal_year(today: NaiveDate) -> Period {
        Period::FiscalYear(fiscal_year(today))
    }

    /// The `period` parameter (`FY2024`, `FY2024Q1`, `2024-04`), or `from`/`to` for a range.
    pub fn apply(&self, query: &mut StatsQuery) {
        query.period.clear();
        query.from.clear();
        query.to.clear();
        match self {
            Period::FiscalYear(y) => query.period = format!("FY{y}"),
            Period::Quarter(y, q) => query.period = format!("FY{y}Q{q}"),
            Period::Month(y, m) => query.period = format!("{y}-{m:02}"),
            Period::Range(from, to) => {
                query.from = crate::format::iso(*from);
                query.to = crate::format::iso(*to);
            }
        }
    }

    /// Reads `period=…` or `from=…&to=…` back.
    pub fn parse(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> Option<Period> {
        if let Some(p) = period.filter(|p| !p.is_empty()) {
            if let Some(rest) = p.strip_prefix("FY") {
                return match rest.split_once('Q') {
                    Some((y, q)) => {
                        let (y, q) = (y.parse().ok()?, q.parse().ok()?);
                        (1..=4).contains(&q).then_some(Period::Quarter(y, q))
                    }
                    None => rest.parse().ok().map(Period::FiscalYear),
                };
            }
            let (y, m) = p.split_once('-')?;
            let (y, m) = (y.parse().ok()?, m.parse().ok()?);
            return (1..=12).contains(&m).then_some(Period::Month(y, m));
        }
        let from = NaiveDate::parse_from_str(from?, "%Y-%m-%d").ok()?;
        let to = NaiveDate::parse_from_str(to?, "%Y-%m-%d").ok()?;
        Some(Period::Range(from, to))
    }

    /// `令和6年度（2024年度）`, `令和6年11月（2024年11月）`, … as a heading says it.
    pub fn label(&self) -> String {
        match self {
            Period::FiscalYear(y) => fiscal_year_label(*y),
            Period::Quarter(y, q) => format!("{} {}", fiscal_year_label(*y), quarter_label(*q)),
            Period::Month(y, m) => month_label(*y, *m),
            Period::Range(from, to) => format!(
                "{}〜{}（{}〜{}）",
                format_wareki(*from),
                format_wareki(*to),
                crate::format::iso(*from),
                crate::format::iso(*to)
            ),
        }
    }

    /// A short form for file names: `FY2024`, `FY2024Q1`, `2024-04`, `2024-04-01_2024-06-30`.
    pub fn slug(&self) -> String {
        let mut q = StatsQuery::default();
        self.apply(&mut q);
        if q.period.is_empty() {
            format!("{}_{}", q.from, q.to)
        } else {
            q.period
        }
    }
}

/// The era year of a 年度, named as offices name it: FY2019 is 令和元年度 (the era changed in
/// its second month).
fn fiscal_year_wareki(year: i32) -> Option<(Era, u32)> {
    NaiveDate::from_ymd_opt(year, 5, 1).and_then(to_wareki)
}

fn era_year(era: Era, n: u32) -> String {
    if n == 1 {
        format!("{era}元年")
    } else {
        format!("{era}{n}年")
    }
}

/// `令和6年度（2024年度）`.
pub fn fiscal_year_label(year: i32) -> String {
    match fiscal_year_wareki(year) {
        Some((era, n)) => format!("{}度（{year}年度）", era_year(era, n)),
        None => format!("{year}年度"),
    }
}

/// `令和6年11月（2024年11月）`.
pub fn month_label(year: i32, month: u32) -> String {
    match NaiveDate::from_ymd_opt(year, month, 1).and_then(to_wareki) {
        Some((era, n)) => format!("{}{month}月（{year}年{month}月）", era_year(era, n)),
        None => format!("{year}年{month}月"),
    }
}

/// `第1四半期（4〜6月）`.
pub fn quarter_label(quarter: u8) -> &'static str {
    match quarter {
        1 => "第1四半期（4〜6月）",
        2 => "第2四半期（7〜9月）",
        3 => "第3四半期（10〜12月）",
        _ => "第4四半期（1〜3月）",
    }
}

/// Months of the 年度 `year`, April first: `(calendar year, month)`.
pub fn months_of_fiscal_year(year: i32) -> Vec<(i32, u32)> {
    (4..=12)
        .map(|m| (year, m))
        .chain((1..=3).map(|m| (year + 1, m)))
        .collect()
}

/// A short x-axis label for a time code and, where a new year starts, the year under it:
/// `2024-04` → (`4月`, `2024年`), `FY2024` → (`R6年度`, None), `FY2024Q1` → (`Q1`, `R6年度`).
pub fn time_tick(dimension: &str, code: &str, first: bool) -> (String, Option<String>) {
    match dimension {
        "month" => {
            let mut parts = code.split('-');
            let (y, m) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let month = m.trim_start_matches('0');
            let sub = (first || month == "1").then(|| format!("{y}年"));
            (format!("{month}月"), sub)
        }
        "fiscal_year" => {
            let year = code.trim_start_matches("FY").parse::<i32>().ok();
            let text = year
                .and_then(fiscal_year_wareki)
                .map(|(era, n)| format!("{}{}年度", era.letter(), n))
                .unwrap_or_else(|| code.to_owned());
            (text, year.map(|y| format!("{y}")))
        }
        "quarter" => match code.split_once('Q') {
            Some((fy, q)) => {
                let sub = (first || q == "1").then(|| fy.to_owned());
                (format!("Q{q}"), sub)
            }
            None => (code.to_owned(), None),
        },
        "date" => match NaiveDate::parse_from_str(code, "%Y-%m-%d") {
            Ok(d) => (
                format!("{}/{}", d.month(), d.day()),
                (first || d.day() == 1).then(|| format!("{}年", d.year())),
            ),
            Err(_) => (code.to_owned(), None),
        },
        _ => (code.to_owned(), None),
    }
}

// ---- the table as the screens read it ----------------------------------------------------

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

// ---- code lists for the filters ----------------------------------------------------------

/// Code lists the filters need beyond [`crate::master::MasterData`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FigureLists {
    pub functions: Vec<MasterItem>,
    pub groups: Vec<MasterItem>,
    pub age_bands: Vec<MasterItem>,
    pub sites: Vec<SiteView>,
}

impl FigureLists {
    pub async fn load(session: Session) -> Result<FigureLists, ApiError> {
        let (functions, groups, age_bands, sites) = futures::try_join!(
            api::code_list(session, "functions"),
            api::code_list(session, "groups"),
            api::code_list(session, "age_bands"),
            api::master_sites(session),
        )?;
        let sorted = |mut items: Vec<MasterItem>| {
            items.sort_by_key(|i| i.sort_order);
            items
        };
        Ok(FigureLists {
            functions: sorted(functions),
            groups: sorted(groups),
            age_bands: sorted(age_bands),
            sites,
        })
    }
}

/// `(code, label)` choices of a filter on `dimension`, limited to the caller's scope.
pub fn filter_choices(
    dimension: &str,
    scope: &Scope,
    master: &crate::master::MasterData,
    lists: &FigureLists,
) -> Vec<(String, String)> {
    let items = |list: &[MasterItem]| {
        list.iter()
            .map(|i| (i.code.clone(), i.label.clone()))
            .collect::<Vec<_>>()
    };
    let center_in_scope = |center: &str, municipality: &str| match scope {
        Scope::Prefecture => true,
        Scope::Municipality(m) => m == municipality,
        Scope::Center(c) => c == center,
    };
    match dimension {
        "municipality" => {
            // Only municipalities that have a centre the caller may see.
            let mut out: Vec<(String, String)> = master
                .municipalities
                .iter()
                .filter(|m| {
                    master
                        .centers
                        .iter()
                        .any(|c| c.municipality == m.code && center_in_scope(&c.code, &c.municipality))
                })
                .map(|m| (m.code.clone(), m.name.clone()))
                .collect();
            out.dedup();
            out
        }
        "center" => master
            .centers
            .iter()
            .filter(|c| center_in_scope(&c.code, &c.municipality))
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect(),
        "site" => {
            let centers: Vec<&str> = master
                .centers
                .iter()
                .filter(|c| center_in_scope(&c.code, &c.municipality))
                .map(|c| c.code.as_str())
                .collect();
            let mut out = vec![(String::new(), "本所".to_owned())];
            out.extend(
                lists
                    .sites
                    .iter()
                    .filter(|s| centers.contains(&s.center.as_str()))
                    .map(|s| (s.code.clone(), s.name.clone())),
            );
            out
        }
        "function" => items(&lists.functions),
        "group" => items(&lists.groups),
        "age_band" => items(&lists.age_bands),
        "sex" => items(&master.sex),
        "category" => items(&master.categories),
        "care_level" => items(&master.care_levels),
        "household" => items(&master.households),
        _ => Vec::new(),
    }
}

/// The filter lists of the signed-in session, loaded when a figures screen first needs them.
#[derive(Clone, Copy)]
pub struct Lists(LocalResource<Option<Result<Arc<FigureLists>, ApiError>>>);

impl Lists {
    pub fn new(session: Session) -> Lists {
        Lists(LocalResource::new(move || {
            let signed_in = session.is_signed_in();
            async move {
                if signed_in {
                    Some(FigureLists::load(session).await.map(Arc::new))
                } else {
                    None
                }
            }
        }))
    }

    pub fn get(&self) -> Option<Result<Arc<FigureLists>, ApiError>> {
        self.0.get().flatten()
    }
}

// ---- the page's query in its URL ---------------------------------------------------------

/// Reads a figures query from the page's URL; what is missing takes its default (this 年度,
/// no breakdown, the three usual measures, no filter).
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
