//! SQL for `/stats` in T-SQL: the queries of `store/sqlite/stats.rs` and `stats_years.rs`
//! translated (same facts, same measures, the same numbers), planned as steps that are run and
//! merged by row key. Only dimension expressions and `@Pn` placeholders are put together here,
//! all from constants; every value is a bound parameter.
//!
//! T-SQL differs from SQLite here in three ways that shape the text: GROUP BY takes no column
//! numbers and no subqueries, so dimensions are computed as `k0, k1, …` in a derived table and
//! grouped by name; strings join with CONCAT (which also turns numbers and dates into text);
//! and `[function]` is a reserved word, so the facts call it `fn`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::conn::{opt_int, text_of, Conn, Param};
use crate::stats::{time_buckets, time_code, Dimension, Measure, StatsQuery};
use crate::store::sqlite::stats_years::range as year_range;
use crate::store::StoreResult;

/// Rows of a statistics answer: dimension codes (in `dims` order) and one value per measure.
pub type StatsRows = Vec<(Vec<String>, Vec<u64>)>;

/// SQL text and its parameters, grown together so `@Pn` follow their values.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) binds: Vec<Param>,
}

impl Sql {
    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    pub(crate) fn bind(&mut self, v: Param) -> &mut Self {
        self.binds.push(v);
        let _ = write!(self.text, "@P{}", self.binds.len());
        self
    }
    fn bind_list(&mut self, codes: &[String]) {
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Param::Str(c.clone()));
        }
    }
    /// ` AND expr IN (@Pa, @Pb, …)`
    pub(crate) fn and_in(&mut self, expr: &str, codes: &[String]) {
        self.push(" AND ").push(expr).push(" IN (");
        self.bind_list(codes);
        self.push(")");
    }
}

/// `YYYY-MM` of a DATE column.
fn month_of(date: &str) -> String {
    format!("CONCAT(YEAR({date}), N'-', RIGHT(CONCAT(N'0', MONTH({date})), 2))")
}

/// `YYYY-MM-DD` of a DATE column.
fn day_of(date: &str) -> String {
    format!(
        "CONCAT(YEAR({date}), N'-', RIGHT(CONCAT(N'0', MONTH({date})), 2), N'-', RIGHT(CONCAT(N'0', DAY({date})), 2))"
    )
}

/// `FY2024Q1` from a fiscal-year expression and a DATE column.
fn quarter_of(fiscal_year: &str, date: &str) -> String {
    format!("CONCAT(N'FY', {fiscal_year}, N'Q', (MONTH({date}) + 8) % 12 / 3 + 1)")
}

/// The fiscal year (April to March) of a DATE column, as a number.
fn fiscal_year_of(date: &str) -> String {
    format!("(YEAR({date}) - CASE WHEN MONTH({date}) < 4 THEN 1 ELSE 0 END)")
}

/// Activity-side expression of a dimension, over the `act`/`facts` columns.
pub(crate) fn activity_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => "CONCAT(N'FY', fiscal_year)".into(),
        Dimension::Quarter => quarter_of("fiscal_year", "date"),
        Dimension::Month => month_of("date"),
        Dimension::Date => day_of("date"),
        Dimension::Municipality => "municipality".into(),
        Dimension::Center => "center".into(),
        Dimension::Site => "site".into(),
        Dimension::Function => "fn".into(),
        Dimension::Sex => "sex".into(),
        Dimension::AgeBand => "age_band".into(),
        Dimension::Group => "grp".into(),
        Dimension::Category => "cat".into(),
        Dimension::CareLevel => "care_level".into(),
        Dimension::Household => "household".into(),
    }
}

/// The age at `ref` of someone born in `bym` (`YYYY-MM`), in whole years.
const AGE: &str = "(YEAR(ref) - CAST(LEFT(bym, 4) AS INT) - CASE WHEN MONTH(ref) < CAST(SUBSTRING(bym, 6, 2) AS INT) THEN 1 ELSE 0 END)";

/// Registry-side expression of a dimension, over the `snap` columns (`d`: the date a time
/// dimension buckets by; `ref`: the date ages are taken at).
fn registry_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => format!("CONCAT(N'FY', {})", fiscal_year_of("d")),
        Dimension::Quarter => quarter_of(&fiscal_year_of("d"), "d"),
        Dimension::Month => month_of("d"),
        Dimension::Date => day_of("d"),
        Dimension::Municipality => "municipality".into(),
        Dimension::Center => "center".into(),
        // Not reachable: refused when the request is validated.
        Dimension::Site | Dimension::Function => "N''".into(),
        Dimension::Sex => "sex".into(),
        // Age from the birth year-month (all the hub knows), counted at `ref`.
        Dimension::AgeBand => format!(
            "(SELECT TOP (1) b.code FROM master_items b WHERE b.list = N'age_bands'
                AND b.lower <= {AGE} AND (b.upper IS NULL OR b.upper >= {AGE}) ORDER BY b.sort_order)"
        ),
        Dimension::Group => "grp".into(),
        Dimension::Category => "cat".into(),
        Dimension::CareLevel => "care_level".into(),
        Dimension::Household => "household".into(),
    }
}

/// The measures of the activity side that the query asks for, with their SQL aggregate.
fn activity_aggregates(measures: &[Measure], personal: bool) -> Vec<(Measure, &'static str)> {
    measures
        .iter()
        .filter_map(|m| {
            let agg = match m {
                Measure::Participations => "SUM(CAST(weight AS BIGINT))",
                Measure::UniquePersons => "COUNT_BIG(DISTINCT common_id)",
                Measure::Activities if personal => "COUNT_BIG(DISTINCT id)",
                Measure::OpenDays if personal => "COUNT_BIG(DISTINCT CONCAT(center, N'|', date))",
                Measure::Visits => "SUM(CASE WHEN fn = N'houmon' THEN CAST(weight AS BIGINT) ELSE 0 END)",
                Measure::Consultations => {
                    "SUM(CASE WHEN fn = N'soudan' THEN CAST(weight AS BIGINT) ELSE 0 END)"
                }
                // つなぎ件数 counts つなぎ activities' participants, so the extracts alone give it back.
                Measure::Referrals => "SUM(CASE WHEN fn = N'tsunagi' THEN CAST(weight AS BIGINT) ELSE 0 END)",
                _ => return None,
            };
            Some((*m, agg))
        })
        .collect()
}

/// `WITH act AS (…)`: the activities in range and in the activity-level filters.
fn act_cte(sql: &mut Sql, q: &StatsQuery) {
    sql.push(
        "WITH act AS (
           SELECT a.id, a.center, c.municipality, ISNULL(a.site, N'') AS site, a.date, a.fiscal_year,
                  a.[function] AS fn, a.unregistered_elderly AS ue, a.unregistered_disabled AS ud,
                  a.unregistered_child AS uc, a.unregistered_other AS uo
           FROM activities a JOIN centers c ON c.code = a.center
           WHERE a.date BETWEEN ",
    );
    sql.bind(Param::Date(q.from))
        .push(" AND ")
        .bind(Param::Date(q.to));
    for (d, codes) in q.filters.iter().filter(|(d, _)| !d.is_personal()) {
        let expr = match d {
            Dimension::FiscalYear => "CONCAT(N'FY', a.fiscal_year)".into(),
            Dimension::Quarter => quarter_of("a.fiscal_year", "a.date"),
            Dimension::Month => month_of("a.date"),
            Dimension::Date => day_of("a.date"),
            Dimension::Municipality => "c.municipality".into(),
            Dimension::Center => "a.center".into(),
            Dimension::Site => "ISNULL(a.site, N'')".into(),
            _ => "a.[function]".into(),
        };
        sql.and_in(&expr, codes);
    }
    sql.push(")");
}

/// Registered participations and unregistered headcounts as one fact stream (`facts`), and
/// with `category` one row per category (`facts_c`).
fn facts_cte(sql: &mut Sql, with_category: bool) {
    sql.push(
        ", facts AS (
           SELECT act.id, act.center, act.municipality, act.site, act.date, act.fiscal_year, act.fn,
                  p.common_id, p.sex, p.age_band, p.reporting_group AS grp, p.care_level, p.household,
                  1 AS weight
           FROM act JOIN participations p ON p.activity_id = act.id",
    );
    for (group, column) in [
        ("elderly", "ue"),
        ("disabled", "ud"),
        ("child", "uc"),
        ("other", "uo"),
    ] {
        sql.push(" UNION ALL SELECT id, center, municipality, site, date, fiscal_year, fn, NULL, N'unknown', N'unknown', N'")
            .push(group)
            .push("', N'unknown', N'unknown', ")
            .push(column)
            .push(" FROM act WHERE ")
            .push(column)
            .push(" > 0");
    }
    sql.push(")");
    if with_category {
        // Unregistered people's category is their group (the codes are shared).
        sql.push(
            ", facts_c AS (
               SELECT f.*, pc.category AS cat FROM facts f
                 JOIN participation_categories pc ON pc.activity_id = f.id AND pc.common_id = f.common_id
               UNION ALL SELECT f.*, f.grp AS cat FROM facts f WHERE f.common_id IS NULL)",
        );
    }
}

/// ` AND …` for the personal filters over the facts (aliased `f`).
fn personal_filters(sql: &mut Sql, q: &StatsQuery, category_is_dim: bool) {
    for (d, codes) in q.filters.iter().filter(|(d, _)| d.is_personal()) {
        if *d == Dimension::Category && !category_is_dim {
            sql.push(" AND ((f.common_id IS NULL AND f.grp IN (");
            sql.bind_list(codes);
            sql.push(
                ")) OR EXISTS (SELECT 1 FROM participation_categories pc
                   WHERE pc.activity_id = f.id AND pc.common_id = f.common_id AND pc.category IN (",
            );
            sql.bind_list(codes);
            sql.push(")))");
        } else {
            sql.and_in(&activity_expr(*d), codes);
        }
    }
}

/// `SELECT k0, …, <aggregates> FROM (SELECT <dims> AS k0, …, <rest> ` — the caller writes the
/// source and closes it with [`close_grouped`].
fn open_grouped(sql: &mut Sql, dims: &[String], aggregates: &[&str], rest: &str) {
    sql.push("SELECT ");
    for i in 0..dims.len() {
        let _ = write!(sql.text, "k{i}, ");
    }
    sql.push(&aggregates.join(", ")).push(" FROM (SELECT ");
    for (i, d) in dims.iter().enumerate() {
        let _ = write!(sql.text, "{d} AS k{i}, ");
    }
    sql.push(rest).push(" ");
}

/// `) t GROUP BY k0, …`
fn close_grouped(sql: &mut Sql, dims: usize) {
    sql.push(") t");
    if dims > 0 {
        let cols: Vec<String> = (0..dims).map(|i| format!("k{i}")).collect();
        sql.push(" GROUP BY ").push(&cols.join(", "));
    }
}

/// How a step's rows add to the answer.
#[derive(Debug, Clone)]
pub(crate) enum Merge {
    /// One value per measure, in this order.
    Measures(Vec<Measure>),
    /// Activities and open days counted over every activity (the values: count, days).
    Plain(Vec<Measure>),
    /// 登録者数 at the end of a time bucket: rows are keyed by the other dimensions, the bucket's
    /// time codes go back in their places.
    Registered(Vec<String>),
}

/// One query of a `/stats` answer.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) sql: Sql,
    pub(crate) dims: usize,
    pub(crate) values: usize,
    pub(crate) merge: Merge,
}

fn activity_steps(q: &StatsQuery, steps: &mut Vec<Step>) {
    let personal = q.dims.iter().any(|d| d.is_personal()) || q.filters.iter().any(|(d, _)| d.is_personal());
    let category = q.dims.contains(&Dimension::Category);
    let aggregates = activity_aggregates(&q.measures, personal);
    let list: Vec<&str> = aggregates.iter().map(|(_, a)| *a).collect();
    let measures: Vec<Measure> = aggregates.iter().map(|(m, _)| *m).collect();
    let years = year_range(q, personal);
    if let (false, Some(years)) = (aggregates.is_empty(), years) {
        // Whole fiscal years: from the year aggregates, a quarter of the rows and no joins.
        for sql in year_queries(q, years, &list, category) {
            steps.push(Step {
                sql,
                dims: q.dims.len(),
                values: list.len(),
                merge: Merge::Measures(measures.clone()),
            });
        }
    } else if !aggregates.is_empty() {
        let mut sql = Sql::default();
        act_cte(&mut sql, q);
        facts_cte(&mut sql, category);
        let dims: Vec<String> = q.dims.iter().map(|d| activity_expr(*d)).collect();
        sql.push(" ");
        open_grouped(&mut sql, &dims, &list, "f.*");
        sql.push(if category {
            "FROM facts_c f WHERE 1 = 1"
        } else {
            "FROM facts f WHERE 1 = 1"
        });
        personal_filters(&mut sql, q, category);
        close_grouped(&mut sql, q.dims.len());
        steps.push(Step {
            sql,
            dims: q.dims.len(),
            values: list.len(),
            merge: Merge::Measures(measures),
        });
    }
    let plain: Vec<Measure> = q
        .measures
        .iter()
        .copied()
        .filter(|x| !personal && matches!(x, Measure::Activities | Measure::OpenDays))
        .collect();
    if !plain.is_empty() {
        // Without personal dimensions, every activity counts, even one nobody attended.
        let mut sql = Sql::default();
        act_cte(&mut sql, q);
        sql.push(" ");
        let dims: Vec<String> = q.dims.iter().map(|d| activity_expr(*d)).collect();
        open_grouped(
            &mut sql,
            &dims,
            &["COUNT_BIG(*)", "COUNT_BIG(DISTINCT CONCAT(center, N'|', date))"],
            "a.*",
        );
        sql.push("FROM act a");
        close_grouped(&mut sql, q.dims.len());
        steps.push(Step {
            sql,
            dims: q.dims.len(),
            values: 2,
            merge: Merge::Plain(plain),
        });
    }
}

/// Expression of a dimension over the year aggregates' columns.
fn year_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => "CONCAT(N'FY', fiscal_year)".into(),
        // Refused by `range`.
        Dimension::Quarter | Dimension::Month | Dimension::Date => "NULL".into(),
        d => activity_expr(d),
    }
}

/// The registered-people and unregistered-headcount queries over the year aggregates, as in
/// `store/sqlite/stats_years.rs`.
fn year_queries(
    q: &StatsQuery,
    (first, last): (i32, i32),
    aggregates: &[&str],
    with_category: bool,
) -> [Sql; 2] {
    let needs_municipality = q.dims.contains(&Dimension::Municipality)
        || q.filters.iter().any(|(d, _)| *d == Dimension::Municipality);
    let (municipality, join) = if needs_municipality {
        ("c.municipality", " JOIN centers c ON c.code = y.center")
    } else {
        ("NULL", "")
    };
    let (table, cat) = if with_category {
        ("stats_person_year_categories", "y.category")
    } else {
        ("stats_person_years", "NULL")
    };
    let registered = format!(
        "SELECT y.fiscal_year, y.center, {municipality} AS municipality, y.site, y.[function] AS fn, y.common_id,
                y.sex, y.age_band, y.reporting_group AS grp, y.care_level, y.household,
                y.participations AS weight, {cat} AS cat
         FROM {table} y{join}"
    );
    let unregistered = ["elderly", "disabled", "child", "other"]
        .map(|group| {
            // Unregistered people's category is their group (the codes are shared).
            format!(
                "SELECT y.fiscal_year, y.center, {municipality} AS municipality, y.site, y.[function] AS fn,
                        NULL AS common_id, N'unknown' AS sex, N'unknown' AS age_band, N'{group}' AS grp,
                        N'unknown' AS care_level, N'unknown' AS household,
                        y.unregistered_{group} AS weight, N'{group}' AS cat
                 FROM stats_activity_years y{join} WHERE y.unregistered_{group} > 0"
            )
        })
        .join(" UNION ALL ");
    [registered, unregistered].map(|source| {
        let mut sql = Sql::default();
        let dims: Vec<String> = q.dims.iter().map(|d| year_expr(*d)).collect();
        open_grouped(&mut sql, &dims, aggregates, "s.*");
        sql.push("FROM (")
            .push(&source)
            .push(") s WHERE s.fiscal_year BETWEEN ")
            .bind(Param::Int(i64::from(first)))
            .push(" AND ")
            .bind(Param::Int(i64::from(last)));
        for (d, codes) in &q.filters {
            sql.and_in(&year_expr(*d), codes);
        }
        close_grouped(&mut sql, q.dims.len());
        sql
    })
}

/// `WITH snap AS (…)`: people of the registry in scope, with `d` and `ref` set by `window`.
fn snap_cte(sql: &mut Sql, q: &StatsQuery, window: impl FnOnce(&mut Sql)) {
    sql.push(
        "WITH snap AS (
           SELECT p.center, c.municipality, p.common_id, p.sex, p.birth_year_month AS bym, p.care_level,
                  p.household, p.registered_on AS d,
                  (SELECT TOP (1) g.code FROM person_categories pc
                     JOIN master_items ci ON ci.list = N'categories' AND ci.code = pc.category
                     JOIN master_items g ON g.list = N'groups' AND g.code = ci.parent
                   WHERE pc.center = p.center AND pc.common_id = p.common_id
                   ORDER BY g.rank) AS grp, ",
    );
    window(sql);
    for (d, codes) in &q.filters {
        match d {
            Dimension::Municipality => sql.and_in("c.municipality", codes),
            Dimension::Center => sql.and_in("p.center", codes),
            _ => {}
        }
    }
    sql.push(")");
}

fn registry_query(sql: &mut Sql, q: &StatsQuery, dims: &[Dimension]) {
    let category = dims.contains(&Dimension::Category);
    sql.push(" ");
    let exprs: Vec<String> = dims.iter().map(|d| registry_expr(*d)).collect();
    open_grouped(sql, &exprs, &["COUNT_BIG(DISTINCT common_id)"], "snap.common_id");
    sql.push("FROM snap");
    if category {
        sql.push(
            " JOIN (SELECT center AS pc_center, common_id AS pc_id, category AS cat FROM person_categories) pcs
               ON pcs.pc_center = snap.center AND pcs.pc_id = snap.common_id",
        );
    }
    sql.push(" WHERE 1 = 1");
    for (d, codes) in &q.filters {
        match d {
            Dimension::Municipality | Dimension::Center | Dimension::Site | Dimension::Function => {}
            Dimension::Category if !category => {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM person_categories pc
                       WHERE pc.center = snap.center AND pc.common_id = snap.common_id",
                );
                sql.and_in("pc.category", codes);
                sql.push(")");
            }
            _ => sql.and_in(&registry_expr(*d), codes),
        }
    }
    close_grouped(sql, dims.len());
}

fn registry_steps(q: &StatsQuery, steps: &mut Vec<Step>) {
    if q.measures.contains(&Measure::NewRegistrations) {
        let mut sql = Sql::default();
        snap_cte(&mut sql, q, |s| {
            s.push("p.registered_on AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on BETWEEN ")
                .bind(Param::Date(q.from))
                .push(" AND ")
                .bind(Param::Date(q.to));
        });
        registry_query(&mut sql, q, &q.dims);
        steps.push(Step {
            sql,
            dims: q.dims.len(),
            values: 1,
            merge: Merge::Measures(vec![Measure::NewRegistrations]),
        });
    }
    if q.measures.contains(&Measure::RegisteredPersons) {
        // 登録者数 is a stock: counted at the end of each time bucket (or of the period).
        let other: Vec<Dimension> = q.dims.iter().copied().filter(|d| !d.is_time()).collect();
        for (time_keys, end) in time_buckets(&q.dims, q.from, q.to) {
            let skip = q
                .filters
                .iter()
                .filter(|(d, _)| d.is_time())
                .any(|(d, codes)| !codes.contains(&time_code(*d, end)));
            if skip {
                continue;
            }
            let mut sql = Sql::default();
            snap_cte(&mut sql, q, |s| {
                s.push("CAST(")
                    .bind(Param::Date(end))
                    .push(" AS DATE) AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on <= ")
                    .bind(Param::Date(end))
                    .push(" AND (p.ended_on IS NULL OR p.ended_on > ")
                    .bind(Param::Date(end))
                    .push(")");
            });
            let mut bucket_query = q.clone();
            // Time filters select buckets, not registration dates.
            bucket_query.filters.retain(|(d, _)| !d.is_time());
            registry_query(&mut sql, &bucket_query, &other);
            steps.push(Step {
                sql,
                dims: other.len(),
                values: 1,
                merge: Merge::Registered(time_keys),
            });
        }
    }
}

/// Every query that answers `q`, in the order they run.
pub(crate) fn plan(q: &StatsQuery) -> Vec<Step> {
    let mut steps = Vec::new();
    if q.measures.iter().any(|x| !x.is_registry()) {
        activity_steps(q, &mut steps);
    }
    if q.measures.iter().any(|x| x.is_registry()) {
        registry_steps(q, &mut steps);
    }
    steps
}

/// Collects measure values by row key.
struct Merger<'a> {
    measures: &'a [Measure],
    rows: HashMap<Vec<String>, Vec<u64>>,
}

impl Merger<'_> {
    fn add(&mut self, key: Vec<String>, measure: Measure, value: u64) {
        let Some(i) = self.measures.iter().position(|m| *m == measure) else {
            return;
        };
        let row = self
            .rows
            .entry(key)
            .or_insert_with(|| vec![0; self.measures.len()]);
        row[i] += value;
    }
}

/// Computes `q`; rows come back in no particular order, zero rows left out.
pub async fn stats(c: &mut Conn, q: &StatsQuery) -> StoreResult<StatsRows> {
    let mut m = Merger {
        measures: &q.measures,
        rows: HashMap::new(),
    };
    for step in plan(q) {
        let mut rows: Vec<(Vec<String>, Vec<u64>)> = Vec::new();
        c.for_each_row(&step.sql.text, &step.sql.binds, |r| {
            let mut keys = Vec::with_capacity(step.dims);
            for (_, cell) in r.cells().take(step.dims) {
                keys.push(text_of(cell)?.unwrap_or_default());
            }
            let mut values = Vec::with_capacity(step.values);
            for i in 0..step.values {
                let v = opt_int(&r, step.dims + i)?.unwrap_or(0);
                values.push(u64::try_from(v).unwrap_or(0));
            }
            rows.push((keys, values));
            Ok(())
        })
        .await?;
        for (keys, values) in rows {
            match &step.merge {
                Merge::Measures(measures) => {
                    for (measure, v) in measures.iter().zip(values) {
                        m.add(keys.clone(), *measure, v);
                    }
                }
                Merge::Plain(measures) => {
                    for measure in measures {
                        let v = if *measure == Measure::Activities {
                            values[0]
                        } else {
                            values[1]
                        };
                        m.add(keys.clone(), *measure, v);
                    }
                }
                Merge::Registered(time_keys) => {
                    // Put the bucket's time codes back in their places among the dimensions.
                    let mut full = Vec::with_capacity(q.dims.len());
                    let (mut t, mut o) = (time_keys.iter(), keys.into_iter());
                    for d in &q.dims {
                        full.push(if d.is_time() { t.next().cloned() } else { o.next() }.unwrap_or_default());
                    }
                    m.add(full, Measure::RegisteredPersons, values[0]);
                }
            }
        }
    }
    Ok(m.rows
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| *x > 0))
        .collect())
}
