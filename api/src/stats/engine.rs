//! From a parsed `/stats` request to a finished table: checking codes against master data,
//! applying the caller's scope, ordering rows, totals and suppression. No HTTP, no SQL.

use std::cmp::Ordering;

use shared::dto::auth::Scope;
use shared::error::FieldError;

use super::cellkey::{perturb, CellKey, CellKeys};
use super::suppress::{suppress, Linked};
use super::table::{Labeler, Table, TableRow};
use super::{Dimension, Measure, StatsQuery, StatsRequest, UNKNOWN};

/// What the request may touch: the caller's scope turned into filters.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Query(StatsQuery),
    /// The filters and the scope do not meet: an empty table, without asking the database.
    Nothing,
}

fn valid_time_code(d: Dimension, code: &str) -> bool {
    match d {
        Dimension::FiscalYear => code
            .strip_prefix("FY")
            .is_some_and(|y| y.len() == 4 && y.parse::<i32>().is_ok()),
        Dimension::Quarter => code
            .strip_prefix("FY")
            .and_then(|r| r.split_once('Q'))
            .is_some_and(|(y, q)| {
                y.len() == 4 && y.parse::<i32>().is_ok() && matches!(q, "1" | "2" | "3" | "4")
            }),
        Dimension::Month => chrono::NaiveDate::parse_from_str(&format!("{code}-01"), "%Y-%m-%d").is_ok(),
        Dimension::Date => code.parse::<chrono::NaiveDate>().is_ok(),
        _ => false,
    }
}

/// Checks that every filter code exists, and that registry measures are not split by what
/// only activities have.
pub fn check(request: &StatsRequest, labeler: &Labeler, known: &KnownCodes) -> Result<(), Vec<FieldError>> {
    let mut errors = filter_code_errors(&request.filters, labeler, known);
    if request.measures.iter().any(|m| m.is_registry()) {
        for d in request.rows.iter().filter(|d| !d.applies_to_registry()) {
            errors.push(FieldError::new(
                "rows",
                "not_for_registry",
                format!("新規登録者数・登録者数は {} では分けられません。", d.code()),
            ));
        }
        for (d, _) in request.filters.iter().filter(|(d, _)| !d.applies_to_registry()) {
            errors.push(FieldError::new(
                "filter",
                "not_for_registry",
                format!("新規登録者数・登録者数は {} で絞り込めません。", d.code()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Filter codes that do not exist, as field errors on `filter`.
pub fn filter_code_errors(
    filters: &[(Dimension, Vec<String>)],
    labeler: &Labeler,
    known: &KnownCodes,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (d, codes) in filters {
        for code in codes {
            let ok = if d.is_time() {
                valid_time_code(*d, code)
            } else if let Some(list) = d.code_list() {
                code == UNKNOWN || labeler.codes().get(list, code).is_some()
            } else {
                match d {
                    Dimension::Municipality => labeler.codes().is_municipality(code),
                    Dimension::Region => code == UNKNOWN || known.regions.iter().any(|r| r == code),
                    Dimension::Center => known.centers.iter().any(|c| c == code),
                    Dimension::Site => code.is_empty() || known.sites.iter().any(|s| s == code),
                    _ => false,
                }
            };
            if !ok {
                errors.push(FieldError::new(
                    "filter",
                    "unknown_code",
                    format!("filter {} のコード「{code}」はありません。", d.code()),
                ));
            }
        }
    }
    errors
}

/// Centre and site codes that exist.
#[derive(Debug, Clone, Default)]
pub struct KnownCodes {
    pub centers: Vec<String>,
    pub sites: Vec<String>,
    pub regions: Vec<String>,
}

/// Narrows the request's filters to the caller's scope.
pub fn plan(request: &StatsRequest, scope: &Scope, dims: &[Dimension]) -> Planned {
    match scoped_filters(&request.filters, scope) {
        None => Planned::Nothing,
        Some(filters) => Planned::Query(StatsQuery {
            measures: request.measures.clone(),
            dims: dims.to_vec(),
            from: request.from,
            to: request.to,
            filters,
        }),
    }
}

/// The filters narrowed to `scope`; none when they cannot meet (a filter outside the scope).
pub fn scoped_filters(
    filters: &[(Dimension, Vec<String>)],
    scope: &Scope,
) -> Option<Vec<(Dimension, Vec<String>)>> {
    let mut filters = filters.to_vec();
    let (dim, code) = match scope {
        Scope::Prefecture => (None, None),
        Scope::Municipality(m) => (Some(Dimension::Municipality), Some(m.clone())),
        // The region's municipalities as of each fact's date: the store resolves the region of
        // every fact (decision 0026), so a filter on it is all the scope needs.
        Scope::Region(r) => (Some(Dimension::Region), Some(r.clone())),
        Scope::Center(c) => (Some(Dimension::Center), Some(c.clone())),
    };
    if let (Some(dim), Some(code)) = (dim, code) {
        match filters.iter_mut().find(|(d, _)| *d == dim) {
            Some((_, codes)) => codes.retain(|c| *c == code),
            None => filters.push((dim, vec![code])),
        }
    }
    if filters.iter().any(|(_, codes)| codes.is_empty()) {
        return None;
    }
    Some(filters)
}

/// The position of a code in its dimension's natural order.
fn order(labeler: &Labeler, d: Dimension, a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    match (a == UNKNOWN, b == UNKNOWN) {
        (true, _) => return Ordering::Greater,
        (_, true) => return Ordering::Less,
        _ => {}
    }
    match d.code_list() {
        Some(list) => {
            let pos = |c: &str| labeler.codes().get(list, c).map_or(i32::MAX, |i| i.sort_order);
            pos(a).cmp(&pos(b)).then_with(|| a.cmp(b))
        }
        None => a.cmp(b),
    }
}

/// The disclosure control a caller's figures get (decision 0020): small-cell suppression
/// with threshold `k` (none or ≤ 1: off), and for some roles the cell-key perturbation of at
/// most `max` with the cells' keys.
#[derive(Debug, Clone, Default)]
pub struct Disclosure {
    pub threshold: Option<u64>,
    pub perturbation: Option<(u32, CellKeys)>,
}

/// What the disclosure control did to a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Controlled {
    /// Cells returned as `null` (`x` in CSV), totals included.
    pub suppressed: u64,
    /// Non-zero people-count cells published perturbed, totals included.
    pub perturbed: u64,
}

/// 延べ利用者数 = 訪問 + 相談 + つなぎ on the rows of those functions alone.
pub fn linked(measures: &[Measure]) -> Vec<Linked> {
    let whole = measures.iter().position(|m| *m == Measure::Participations);
    let parts: Vec<usize> = measures
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, Measure::Visits | Measure::Consultations | Measure::Referrals))
        .map(|(i, _)| i)
        .collect();
    match whole {
        Some(whole) if !parts.is_empty() => vec![Linked { whole, parts }],
        _ => Vec::new(),
    }
}

/// Orders rows, adds totals and applies the disclosure control. Suppression decides on the
/// true values; the cells it leaves are then perturbed, each by its own cell key.
pub fn assemble(
    request: &StatsRequest,
    rows: Vec<(Vec<String>, Vec<u64>)>,
    totals: Option<Vec<u64>>,
    labeler: &Labeler,
    disclosure: &Disclosure,
) -> (Table, Controlled) {
    let mut rows = rows;
    rows.sort_by(|(a, _), (b, _)| {
        request
            .rows
            .iter()
            .enumerate()
            .map(|(i, d)| order(labeler, *d, &a[i], &b[i]))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    let keys: Vec<Vec<String>> = rows.iter().map(|(k, _)| k.clone()).collect();
    let mut values: Vec<Vec<Option<u64>>> = rows
        .iter()
        .map(|(_, v)| v.iter().map(|x| Some(*x)).collect())
        .collect();
    let mut totals: Option<Vec<Option<u64>>> = totals.map(|t| t.into_iter().map(Some).collect());
    let people: Vec<bool> = request.measures.iter().map(|m| m.counts_people()).collect();
    let mut done = Controlled::default();
    if let Some(k) = disclosure.threshold.filter(|k| *k > 1) {
        let links = linked(&request.measures);
        done.suppressed = suppress(&keys, &mut values, &people, &links, totals.as_mut(), k) as u64;
    }
    let mut perturbed = vec![false; people.len()];
    if let Some((max, cells)) = &disclosure.perturbation {
        perturbed.clone_from(&people);
        let mut publish = |cell: &mut Option<u64>, key: Option<CellKey>, at: &dyn std::fmt::Debug| {
            let Some(v) = *cell else { return };
            if v == 0 {
                return;
            }
            match key {
                Some(k) if k.records == v => {
                    *cell = Some(perturb(v, k.key, *max));
                    done.perturbed += 1;
                }
                other => {
                    // The records behind the figure could not all be found: publishing it
                    // without its own key could let a differently spelled query average the
                    // noise away, so it is hidden instead.
                    tracing::error!(?at, figure = v, records = ?other.map(|k| k.records), "cell key does not match its figure: cell hidden");
                    *cell = None;
                    done.suppressed += 1;
                }
            }
        };
        for (r, row) in values.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate().filter(|(c, _)| people[*c]) {
                publish(cell, cells.cell(&keys[r], c), &(&keys[r], c));
            }
        }
        if let Some(t) = totals.as_mut() {
            for (c, cell) in t.iter_mut().enumerate().filter(|(c, _)| people[*c]) {
                publish(cell, cells.total(c), &("totals", c));
            }
        }
    }
    let table = Table {
        dims: request.rows.clone(),
        measures: request.measures.clone(),
        rows: keys
            .into_iter()
            .zip(values)
            .map(|(keys, values)| TableRow { keys, values })
            .collect(),
        totals,
        perturbed,
    };
    (table, done)
}

/// Reading notes for `meta.notes`, in Japanese only: they are printed on the figures page and
/// head the CSV/xlsx header blocks, where an API code such as `unique_persons` means nothing.
pub fn notes(request: &StatsRequest) -> Vec<String> {
    let mut out = Vec::new();
    if request.rows.contains(&Dimension::Category) {
        out.push(
            "該当区分は1人が複数の区分に該当しうるため、行を足しても合計になりません（合計行はサーバーが重複なく数えた値です）。"
                .to_owned(),
        );
    }
    if request.measures.contains(&Measure::UniquePersons) && !request.rows.is_empty() {
        out.push("実利用者数は各行で重複なく数えた人数で、行を足しても合計にはなりません。".to_owned());
    }
    if request.measures.contains(&Measure::RegisteredPersons) {
        out.push("登録者数は各期間の末日時点の人数です（期間・月などで絞り込んだときは、絞り込んだ範囲の末日時点）。".to_owned());
    }
    if request.measures.iter().any(|m| m.is_registry()) && request.rows.contains(&Dimension::AgeBand) {
        out.push("登録者の年齢区分は生年月（日を除く）から求めています。".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::params::stats_request;

    #[test]
    fn a_municipality_filter_outside_the_callers_scope_yields_nothing() {
        let r = stats_request("measures=participations&period=FY2024&filter=municipality:392022").unwrap();
        let planned = plan(&r, &Scope::Municipality("392014".into()), &r.rows);
        assert_eq!(planned, Planned::Nothing);
    }

    #[test]
    fn a_region_scope_becomes_a_region_filter_and_refuses_another_region() {
        let r = stats_request("measures=participations&rows=municipality&period=FY2024").unwrap();
        let Planned::Query(q) = plan(&r, &Scope::Region("aki".into()), &r.rows) else {
            panic!("expected a query");
        };
        assert_eq!(q.filters, [(Dimension::Region, vec!["aki".to_owned()])]);
        let other = stats_request("measures=participations&period=FY2024&filter=region:hata").unwrap();
        assert_eq!(
            plan(&other, &Scope::Region("aki".into()), &other.rows),
            Planned::Nothing
        );
    }

    #[test]
    fn the_reading_notes_name_measures_and_breakdowns_in_japanese_only() {
        let r =
            stats_request("measures=unique_persons,registered_persons&rows=category,age_band&period=FY2024")
                .unwrap();
        let all = notes(&r);
        assert_eq!(all.len(), 4, "{all:?}");
        for n in &all {
            assert!(
                !n.chars().any(|c| c.is_ascii_alphabetic()),
                "an API code in a printed note: {n}"
            );
        }
    }

    #[test]
    fn the_scope_becomes_a_filter() {
        let r = stats_request("measures=participations&rows=center&period=FY2024").unwrap();
        let Planned::Query(q) = plan(&r, &Scope::Center("C001".into()), &r.rows) else {
            panic!("expected a query");
        };
        assert_eq!(q.filters, [(Dimension::Center, vec!["C001".to_owned()])]);
    }
}
