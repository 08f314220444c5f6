//! `/stats` facts from the month aggregates (migration 0025), for the plan's
//! `FactSource::MonthAggregates`: whole months from `stats_*_months`, and the days before the
//! first whole month and after the last from the facts, in the same stream (one `UNION ALL`
//! per kind of fact, grouped once, so a person seen in an edge day and in a whole month is one
//! distinct person). As for the years (stats_years.rs), registered people and unregistered
//! headcounts are two queries whose rows the caller adds up by key. The time dimensions are
//! numbers computed from the month (`yyyymm`) so grouping stays cheap; [`label`] makes them
//! codes afterwards.

use chrono::NaiveDate;

use super::stats::{needs_region, push_aggregates, region_of, Sql};
use crate::stats::plan::{Aggregate, Selection};
use crate::stats::Dimension;

/// The fiscal year of a `month` column (`yyyymm`), as a number.
const FISCAL_YEAR: &str = "(month / 100 - (month % 100 < 4))";

/// `yyyymm` of an activity's date.
const MONTH_OF_DATE: &str = "CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER)";

/// Expression of a dimension over the stream's columns: time as numbers ([`label`] turns them
/// into codes), everything else as the years have it.
fn expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => FISCAL_YEAR.to_owned(),
        // FY2024Q1 as 20241.
        Dimension::Quarter => format!("({FISCAL_YEAR} * 10 + (month % 100 + 8) % 12 / 3 + 1)"),
        Dimension::Month => "month".to_owned(),
        Dimension::Municipality => "municipality".to_owned(),
        Dimension::Region => "region".to_owned(),
        Dimension::Center => "center".to_owned(),
        Dimension::Site => "site".to_owned(),
        Dimension::Function => "function".to_owned(),
        Dimension::Sex => "sex".to_owned(),
        Dimension::AgeBand => "age_band".to_owned(),
        Dimension::Group => "grp".to_owned(),
        Dimension::Category => "cat".to_owned(),
        Dimension::CareLevel => "care_level".to_owned(),
        Dimension::Household => "household".to_owned(),
        // Never planned from the month aggregates.
        Dimension::Date => "NULL".to_owned(),
    }
}

/// Expression of a dimension's code, for filters.
fn code(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => format!("('FY' || {FISCAL_YEAR})"),
        Dimension::Quarter => format!("('FY' || {FISCAL_YEAR} || 'Q' || ((month % 100 + 8) % 12 / 3 + 1))"),
        Dimension::Month => "printf('%04d-%02d', month / 100, month % 100)".to_owned(),
        d => expr(d),
    }
}

/// Whether the question needs the municipality (and so the join to `centers`).
fn needs_municipality(s: &Selection) -> bool {
    s.dims.contains(&Dimension::Municipality)
        || s.filters.iter().any(|(d, _)| *d == Dimension::Municipality)
        || needs_region(&s.dims, &s.filters)
}

/// Where the rows of one kind of fact come from.
pub(super) struct Range {
    /// Whole months, `yyyymm`.
    pub(super) months: (u32, u32),
    /// Edge days read from the facts.
    pub(super) edges: Vec<(NaiveDate, NaiveDate)>,
}

/// `SELECT dims, aggregates FROM (source) WHERE filters GROUP BY dims`; `source` pushes the
/// stream (with its own parameters).
fn query(q: &Selection, outputs: &[(usize, Aggregate)], source: impl FnOnce(&mut Sql)) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ");
    for d in &q.dims {
        sql.push(&expr(*d)).push(", ");
    }
    push_aggregates(&mut sql, outputs);
    sql.push(" FROM (");
    source(&mut sql);
    sql.push(") WHERE 1 = 1");
    for (d, codes) in &q.filters {
        sql.and_in(&code(*d), codes);
    }
    if !q.dims.is_empty() {
        let cols: Vec<String> = (1..=q.dims.len()).map(|i| i.to_string()).collect();
        sql.push(" GROUP BY ").push(&cols.join(", "));
    }
    sql
}

/// ` WHERE a.date BETWEEN ? AND ?`
fn edge(sql: &mut Sql, (from, to): (NaiveDate, NaiveDate)) {
    sql.push(" WHERE a.date BETWEEN ")
        .bind(from.to_string())
        .push(" AND ")
        .bind(to.to_string());
}

/// The two queries (registered people, unregistered headcounts) answering `outputs` for `q`
/// over `range`, with one row per category when `with_category`.
pub(super) fn queries(
    q: &Selection,
    range: &Range,
    outputs: &[(usize, Aggregate)],
    with_category: bool,
) -> [Sql; 2] {
    let with_municipality = needs_municipality(q);
    let municipality = if with_municipality {
        "c.municipality"
    } else {
        "NULL"
    };
    // A membership runs for whole fiscal years: the region on the year's first day is the
    // region of every fact of the year (decision 0026), whichever source the fact comes from.
    let with_region = needs_region(&q.dims, &q.filters);
    let region = |fiscal_year: &str| {
        if with_region {
            region_of("c.municipality", &format!("({fiscal_year} || '-04-01')"))
        } else {
            "NULL".to_owned()
        }
    };
    let y_join = if with_municipality {
        " JOIN centers c ON c.code = y.center"
    } else {
        ""
    };
    let a_join = if with_municipality {
        " JOIN centers c ON c.code = a.center"
    } else {
        ""
    };
    let (table, cat, pc_join, pc_cat) = if with_category {
        (
            "stats_person_month_categories",
            "y.category",
            " JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id",
            "pc.category",
        )
    } else {
        ("stats_person_months", "NULL", "", "NULL")
    };
    let y_region = region("(y.month / 100 - (y.month % 100 < 4))");
    let a_region = region("a.fiscal_year");
    let months = |sql: &mut Sql| {
        sql.push(" WHERE y.month BETWEEN ")
            .bind(range.months.0.to_string())
            .push(" AND ")
            .bind(range.months.1.to_string());
    };
    // A plain subquery when there are no edge days: SQLite flattens it, so only the columns
    // the question uses are read (an index holding just those can answer it).
    let registered = |sql: &mut Sql| {
        sql.push(&format!(
            "SELECT y.month AS month, y.center AS center, {municipality} AS municipality, {y_region} AS region,
                    y.site AS site, y.function AS function, y.common_id AS common_id, y.sex AS sex,
                    y.age_band AS age_band, y.reporting_group AS grp, y.care_level AS care_level,
                    y.household AS household, y.participations AS weight, {cat} AS cat
             FROM {table} y{y_join}"
        ));
        months(sql);
        for days in &range.edges {
            sql.push(&format!(
                " UNION ALL SELECT {MONTH_OF_DATE}, a.center, {municipality}, {a_region}, coalesce(a.site, ''),
                        a.function, p.common_id, p.sex, p.age_band, p.reporting_group, p.care_level,
                        p.household, 1, {pc_cat}
                 FROM activities a JOIN participations p ON p.activity_id = a.id{pc_join}{a_join}"
            ));
            edge(sql, *days);
        }
    };
    let unregistered = |sql: &mut Sql| {
        for (i, group) in ["elderly", "disabled", "child", "other"].into_iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            // Unregistered people's category is their group (the codes are shared).
            sql.push(&format!(
                "SELECT y.month AS month, y.center AS center, {municipality} AS municipality, {y_region} AS region,
                        y.site AS site, y.function AS function, NULL AS common_id, 'unknown' AS sex,
                        'unknown' AS age_band, '{group}' AS grp, 'unknown' AS care_level,
                        'unknown' AS household, y.unregistered_{group} AS weight, '{group}' AS cat
                 FROM stats_activity_months y{y_join}"
            ));
            months(sql);
            sql.push(&format!(" AND y.unregistered_{group} > 0"));
            for days in &range.edges {
                sql.push(&format!(
                    " UNION ALL SELECT {MONTH_OF_DATE}, a.center, {municipality}, {a_region}, coalesce(a.site, ''),
                            a.function, NULL, 'unknown', 'unknown', '{group}', 'unknown', 'unknown',
                            a.unregistered_{group}, '{group}'
                     FROM activities a{a_join}"
                ));
                edge(sql, *days);
                sql.push(&format!(" AND a.unregistered_{group} > 0"));
            }
        }
    };
    [query(q, outputs, registered), query(q, outputs, unregistered)]
}

/// Turns the numbers of a row's time keys into their codes (`2024` → `FY2024`, `20241` →
/// `FY2024Q1`, `202404` → `2024-04`).
pub(super) fn label(dims: &[Dimension], keys: &mut [String]) {
    for (d, k) in dims.iter().zip(keys.iter_mut()) {
        match d {
            Dimension::FiscalYear => *k = format!("FY{k}"),
            Dimension::Quarter if k.len() > 1 => {
                let (year, quarter) = k.split_at(k.len() - 1);
                *k = format!("FY{year}Q{quarter}");
            }
            Dimension::Month if k.len() > 2 => {
                let (year, month) = k.split_at(k.len() - 2);
                *k = format!("{year}-{month}");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_become_the_codes_of_the_facts_path() {
        let dims = [
            Dimension::FiscalYear,
            Dimension::Quarter,
            Dimension::Month,
            Dimension::Center,
        ];
        let mut keys = ["2024", "20244", "202503", "C001"].map(str::to_owned);
        label(&dims, &mut keys);
        assert_eq!(keys, ["FY2024", "FY2024Q4", "2025-03", "C001"]);
    }
}
