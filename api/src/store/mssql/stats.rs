//! SQL for `/stats` in T-SQL: each step of the dialect-independent plan (`stats::plan`, the
//! same one the SQLite store runs) as T-SQL — facts over participations and unregistered
//! headcounts or the year or month aggregates, counts over activities, and registry measures over
//! `persons` — merged by row key as the plan says. Only dimension expressions and `@Pn` placeholders are put together here,
//! all from constants; every value is a bound parameter.
//!
//! T-SQL differs from SQLite here in three ways that shape the text: GROUP BY takes no column
//! numbers and no subqueries, so dimensions are computed as `k0, k1, …` in a derived table and
//! grouped by name; strings join with CONCAT (which also turns numbers and dates into text);
//! and `[function]` is a reserved word, so the facts call it `fn`.

use std::fmt::Write as _;

use super::conn::{opt_int, text_of, Conn, Param};
use crate::stats::plan::{
    self, ActivityCount, Aggregate, FactSource, Selection, StatsPlan, StatsRows, Step, StockBucket,
};
use crate::stats::{Dimension, StatsQuery};
use crate::store::StoreResult;

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

/// The region `municipality` belonged to on `date` (both SQL expressions), `unknown` when none:
/// memberships never overlap, so at most one row matches (decision 0026).
pub(crate) fn region_of(municipality: &str, date: &str) -> String {
    format!(
        "ISNULL((SELECT rm.region FROM region_members rm WHERE rm.municipality = {municipality}
             AND rm.valid_from <= {date} AND (rm.valid_to IS NULL OR rm.valid_to >= {date})), N'unknown')"
    )
}

/// Whether the question names the region (and so each fact's region must be looked up).
fn needs_region(dims: &[Dimension], filters: &[(Dimension, Vec<String>)]) -> bool {
    dims.contains(&Dimension::Region) || filters.iter().any(|(d, _)| *d == Dimension::Region)
}

/// Activity-side expression of a dimension, over the `act`/`facts` columns.
pub(crate) fn activity_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => "CONCAT(N'FY', fiscal_year)".into(),
        Dimension::Quarter => quarter_of("fiscal_year", "date"),
        Dimension::Month => month_of("date"),
        Dimension::Date => day_of("date"),
        Dimension::Municipality => "municipality".into(),
        Dimension::Region => "region".into(),
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
        // As of `ref`: the registration date for new registrations, the bucket's day for the stock.
        Dimension::Region => region_of("snap.municipality", "snap.ref"),
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

/// ` agg, agg, …`: the T-SQL aggregate of each output over the fact columns (`weight`,
/// `common_id`, `id`, `center`, `date`, `fn`).
fn push_aggregates(sql: &mut Sql, outputs: &[(usize, Aggregate)]) {
    for (i, (_, a)) in outputs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match a {
            Aggregate::Weight => sql.push("SUM(CAST(weight AS BIGINT))"),
            Aggregate::WeightOfFunction(f) => sql
                .push("SUM(CASE WHEN fn = ")
                .bind(Param::Str((*f).to_owned()))
                .push(" THEN CAST(weight AS BIGINT) ELSE 0 END)"),
            Aggregate::DistinctPersons => sql.push("COUNT_BIG(DISTINCT common_id)"),
            Aggregate::DistinctActivities => sql.push("COUNT_BIG(DISTINCT id)"),
            Aggregate::DistinctCenterDays => sql.push("COUNT_BIG(DISTINCT CONCAT(center, N'|', date))"),
        };
    }
}

/// `WITH act AS (…)`: the activities in range and in the activity-level filters.
fn act_cte(sql: &mut Sql, s: &Selection) {
    // Each activity's region as of its date, only when the question names the region.
    let act_region = region_of("c.municipality", "a.date");
    let region = if needs_region(&s.dims, &s.filters) {
        act_region.as_str()
    } else {
        "CAST(NULL AS NVARCHAR(32))"
    };
    sql.push("WITH act AS (SELECT a.id, a.center, c.municipality, ")
        .push(region)
        .push(
            " AS region, ISNULL(a.site, N'') AS site, a.date, a.fiscal_year,
                  a.[function] AS fn, a.unregistered_elderly AS ue, a.unregistered_disabled AS ud,
                  a.unregistered_child AS uc, a.unregistered_other AS uo
           FROM activities a JOIN centers c ON c.code = a.center
           WHERE a.date BETWEEN ",
        );
    sql.bind(Param::Date(s.from))
        .push(" AND ")
        .bind(Param::Date(s.to));
    for (d, codes) in s.filters.iter().filter(|(d, _)| !d.is_personal()) {
        let expr = match d {
            Dimension::FiscalYear => "CONCAT(N'FY', a.fiscal_year)".into(),
            Dimension::Quarter => quarter_of("a.fiscal_year", "a.date"),
            Dimension::Month => month_of("a.date"),
            Dimension::Date => day_of("a.date"),
            Dimension::Municipality => "c.municipality".into(),
            Dimension::Region => act_region.clone(),
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
           SELECT act.id, act.center, act.municipality, act.region, act.site, act.date, act.fiscal_year, act.fn,
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
        sql.push(" UNION ALL SELECT id, center, municipality, region, site, date, fiscal_year, fn, NULL, N'unknown', N'unknown', N'")
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
fn personal_filters(sql: &mut Sql, s: &Selection, category_is_dim: bool) {
    for (d, codes) in s.filters.iter().filter(|(d, _)| d.is_personal()) {
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

/// `SELECT k0, …, <aggregates> FROM (SELECT <dims> AS k0, …, <rest> ` — T-SQL groups by no
/// column number, so the dimensions are named in a derived table; the caller writes the source
/// and closes it with [`close_grouped`].
fn open_grouped(sql: &mut Sql, dims: &[String], aggregates: impl FnOnce(&mut Sql), rest: &str) {
    sql.push("SELECT ");
    for i in 0..dims.len() {
        let _ = write!(sql.text, "k{i}, ");
    }
    aggregates(sql);
    sql.push(" FROM (SELECT ");
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

/// Expression of a dimension over the year aggregates' columns.
fn year_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => "CONCAT(N'FY', fiscal_year)".into(),
        // Never planned from the year aggregates.
        Dimension::Quarter | Dimension::Month | Dimension::Date => "NULL".into(),
        d => activity_expr(d),
    }
}

/// The registered-people and unregistered-headcount queries over the year aggregates (as in
/// `store/sqlite/stats_years.rs`); their rows are added by key.
fn year_queries(
    s: &Selection,
    (first, last): (i32, i32),
    outputs: &[(usize, Aggregate)],
    with_category: bool,
) -> [Sql; 2] {
    let with_region = needs_region(&s.dims, &s.filters);
    let needs_municipality = s.dims.contains(&Dimension::Municipality)
        || s.filters.iter().any(|(d, _)| *d == Dimension::Municipality)
        || with_region;
    let (municipality, join) = if needs_municipality {
        ("c.municipality", " JOIN centers c ON c.code = y.center")
    } else {
        ("NULL", "")
    };
    // A membership runs for whole fiscal years: the region on the year's first day is the
    // region of every fact of the year.
    let region = if with_region {
        region_of("c.municipality", "DATEFROMPARTS(y.fiscal_year, 4, 1)")
    } else {
        "CAST(NULL AS NVARCHAR(32))".to_owned()
    };
    let (table, cat) = if with_category {
        ("stats_person_year_categories", "y.category")
    } else {
        ("stats_person_years", "NULL")
    };
    let registered = format!(
        "SELECT y.fiscal_year, y.center, {municipality} AS municipality, {region} AS region, y.site, y.[function] AS fn, y.common_id,
                y.sex, y.age_band, y.reporting_group AS grp, y.care_level, y.household,
                y.participations AS weight, {cat} AS cat
         FROM {table} y{join}"
    );
    let unregistered = ["elderly", "disabled", "child", "other"]
        .map(|group| {
            // Unregistered people's category is their group (the codes are shared).
            format!(
                "SELECT y.fiscal_year, y.center, {municipality} AS municipality, {region} AS region, y.site, y.[function] AS fn,
                        NULL AS common_id, N'unknown' AS sex, N'unknown' AS age_band, N'{group}' AS grp,
                        N'unknown' AS care_level, N'unknown' AS household,
                        y.unregistered_{group} AS weight, N'{group}' AS cat
                 FROM stats_activity_years y{join} WHERE y.unregistered_{group} > 0"
            )
        })
        .join(" UNION ALL ");
    [registered, unregistered].map(|source| {
        let mut sql = Sql::default();
        let dims: Vec<String> = s.dims.iter().map(|d| year_expr(*d)).collect();
        open_grouped(&mut sql, &dims, |q| push_aggregates(q, outputs), "s.*");
        sql.push("FROM (")
            .push(&source)
            .push(") s WHERE s.fiscal_year BETWEEN ")
            .bind(Param::Int(i64::from(first)))
            .push(" AND ")
            .bind(Param::Int(i64::from(last)));
        for (d, codes) in &s.filters {
            sql.and_in(&year_expr(*d), codes);
        }
        close_grouped(&mut sql, s.dims.len());
        sql
    })
}

/// The fiscal year of a `month` column (`yyyymm`), as a number.
const MONTH_FISCAL_YEAR: &str = "(month / 100 - CASE WHEN month % 100 < 4 THEN 1 ELSE 0 END)";

/// Expression of a dimension over the month stream's columns.
fn month_expr(d: Dimension) -> String {
    match d {
        Dimension::FiscalYear => format!("CONCAT(N'FY', {MONTH_FISCAL_YEAR})"),
        Dimension::Quarter => {
            format!("CONCAT(N'FY', {MONTH_FISCAL_YEAR}, N'Q', (month % 100 + 8) % 12 / 3 + 1)")
        }
        Dimension::Month => "CONCAT(month / 100, N'-', RIGHT(CONCAT(N'0', month % 100), 2))".into(),
        // Never planned from the month aggregates.
        Dimension::Date => "NULL".into(),
        d => activity_expr(d),
    }
}

/// The registered-people and unregistered-headcount queries over the month aggregates for the
/// whole months `first..=last`, with the `edges` days from the facts in the same stream (as in
/// `store/sqlite/stats_months.rs`); their rows are added by key.
fn month_queries(
    s: &Selection,
    (first, last): (u32, u32),
    edges: &[(chrono::NaiveDate, chrono::NaiveDate)],
    outputs: &[(usize, Aggregate)],
    with_category: bool,
) -> [Sql; 2] {
    let with_region = needs_region(&s.dims, &s.filters);
    let with_municipality = s.dims.contains(&Dimension::Municipality)
        || s.filters.iter().any(|(d, _)| *d == Dimension::Municipality)
        || with_region;
    let municipality = if with_municipality {
        "c.municipality"
    } else {
        "CAST(NULL AS NVARCHAR(16))"
    };
    let (y_join, a_join) = if with_municipality {
        (
            " JOIN centers c ON c.code = y.center",
            " JOIN centers c ON c.code = a.center",
        )
    } else {
        ("", "")
    };
    // A membership runs for whole fiscal years (decision 0026): the region on the year's
    // first day is the region of every fact of the year, whichever source it comes from.
    let region = |fiscal_year: &str| {
        if with_region {
            region_of("c.municipality", &format!("DATEFROMPARTS({fiscal_year}, 4, 1)"))
        } else {
            "CAST(NULL AS NVARCHAR(32))".to_owned()
        }
    };
    let y_region = region("(y.month / 100 - CASE WHEN y.month % 100 < 4 THEN 1 ELSE 0 END)");
    let a_region = region("a.fiscal_year");
    let (table, cat, pc_join, pc_cat) = if with_category {
        (
            "stats_person_month_categories",
            "y.category",
            " JOIN participation_categories pc ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id",
            "pc.category",
        )
    } else {
        (
            "stats_person_months",
            "CAST(NULL AS NVARCHAR(40))",
            "",
            "CAST(NULL AS NVARCHAR(40))",
        )
    };
    let month_of_date = "YEAR(a.date) * 100 + MONTH(a.date)";
    let months = |sql: &mut Sql| {
        sql.push(" WHERE y.month BETWEEN ")
            .bind(Param::Int(i64::from(first)))
            .push(" AND ")
            .bind(Param::Int(i64::from(last)));
    };
    let days = |sql: &mut Sql, (from, to): (chrono::NaiveDate, chrono::NaiveDate)| {
        sql.push(" WHERE a.date BETWEEN ")
            .bind(Param::Date(from))
            .push(" AND ")
            .bind(Param::Date(to));
    };
    let registered = |sql: &mut Sql| {
        sql.push(&format!(
            "SELECT y.month, y.center, {municipality} AS municipality, {y_region} AS region, y.site,
                    y.[function] AS fn, y.common_id, y.sex, y.age_band, y.reporting_group AS grp,
                    y.care_level, y.household, y.participations AS weight, {cat} AS cat
             FROM {table} y{y_join}"
        ));
        months(sql);
        for edge in edges {
            sql.push(&format!(
                " UNION ALL SELECT {month_of_date}, a.center, {municipality}, {a_region}, ISNULL(a.site, N''),
                        a.[function], p.common_id, p.sex, p.age_band, p.reporting_group, p.care_level,
                        p.household, 1, {pc_cat}
                 FROM activities a JOIN participations p ON p.activity_id = a.id{pc_join}{a_join}"
            ));
            days(sql, *edge);
        }
    };
    let unregistered = |sql: &mut Sql| {
        for (i, group) in ["elderly", "disabled", "child", "other"].into_iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            // Unregistered people's category is their group (the codes are shared).
            sql.push(&format!(
                "SELECT y.month, y.center, {municipality} AS municipality, {y_region} AS region, y.site,
                        y.[function] AS fn, CAST(NULL AS NVARCHAR(32)) AS common_id, N'unknown' AS sex,
                        N'unknown' AS age_band, N'{group}' AS grp, N'unknown' AS care_level,
                        N'unknown' AS household, y.unregistered_{group} AS weight, N'{group}' AS cat
                 FROM stats_activity_months y{y_join}"
            ));
            months(sql);
            sql.push(&format!(" AND y.unregistered_{group} > 0"));
            for edge in edges {
                sql.push(&format!(
                    " UNION ALL SELECT {month_of_date}, a.center, {municipality}, {a_region}, ISNULL(a.site, N''),
                            a.[function], NULL, N'unknown', N'unknown', N'{group}', N'unknown', N'unknown',
                            a.unregistered_{group}, N'{group}'
                     FROM activities a{a_join}"
                ));
                days(sql, *edge);
                sql.push(&format!(" AND a.unregistered_{group} > 0"));
            }
        }
    };
    let grouped = |source: &dyn Fn(&mut Sql)| {
        let mut sql = Sql::default();
        let dims: Vec<String> = s.dims.iter().map(|d| month_expr(*d)).collect();
        open_grouped(&mut sql, &dims, |q| push_aggregates(q, outputs), "s.*");
        sql.push("FROM (");
        source(&mut sql);
        sql.push(") s WHERE 1 = 1");
        for (d, codes) in &s.filters {
            sql.and_in(&month_expr(*d), codes);
        }
        close_grouped(&mut sql, s.dims.len());
        sql
    };
    [grouped(&registered), grouped(&unregistered)]
}

/// `WITH snap AS (…)`: people of the registry in scope, with `d` and `ref` set by `window`.
fn snap_cte(sql: &mut Sql, filters: &[(Dimension, Vec<String>)], window: impl FnOnce(&mut Sql)) {
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
    for (d, codes) in filters {
        match d {
            Dimension::Municipality => sql.and_in("c.municipality", codes),
            Dimension::Center => sql.and_in("p.center", codes),
            _ => {}
        }
    }
    sql.push(")");
}

fn registry_query(sql: &mut Sql, filters: &[(Dimension, Vec<String>)], dims: &[Dimension]) {
    let category = dims.contains(&Dimension::Category);
    sql.push(" ");
    let exprs: Vec<String> = dims.iter().map(|d| registry_expr(*d)).collect();
    open_grouped(
        sql,
        &exprs,
        |q| {
            q.push("COUNT_BIG(DISTINCT common_id)");
        },
        "snap.common_id",
    );
    sql.push("FROM snap");
    if category {
        sql.push(
            " JOIN (SELECT center AS pc_center, common_id AS pc_id, category AS cat FROM person_categories) pcs
               ON pcs.pc_center = snap.center AND pcs.pc_id = snap.common_id",
        );
    }
    sql.push(" WHERE 1 = 1");
    for (d, codes) in filters {
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

/// Where a query's rows go in the answer.
pub(crate) enum Apply<'p> {
    /// Values in order into these columns.
    Columns(Vec<usize>),
    /// Activities and open days over every activity (values: count, days), picked per output.
    Activities(&'p [(usize, ActivityCount)]),
    /// 登録者数 at the end of a bucket: one value into `column`, the bucket's time codes put
    /// back among the row's keys.
    Stock { column: usize, bucket: &'p StockBucket },
}

/// One T-SQL query of a plan.
pub(crate) struct Query<'p> {
    pub(crate) sql: Sql,
    pub(crate) dims: usize,
    pub(crate) values: usize,
    pub(crate) apply: Apply<'p>,
}

/// Every query that answers `plan`, in the order they run.
pub(crate) fn queries(plan: &StatsPlan) -> Vec<Query<'_>> {
    let s = &plan.selection;
    let mut out = Vec::new();
    for step in &plan.steps {
        match step {
            Step::Facts {
                source,
                per_category,
                outputs,
            } => {
                let columns: Vec<usize> = outputs.iter().map(|(c, _)| *c).collect();
                match source {
                    FactSource::YearAggregates { first, last } => {
                        for sql in year_queries(s, (*first, *last), outputs, *per_category) {
                            out.push(Query {
                                sql,
                                dims: s.dims.len(),
                                values: outputs.len(),
                                apply: Apply::Columns(columns.clone()),
                            });
                        }
                    }
                    FactSource::MonthAggregates {
                        first,
                        last,
                        head,
                        tail,
                    } => {
                        let edges: Vec<_> = head.iter().chain(tail.iter()).copied().collect();
                        for sql in month_queries(s, (*first, *last), &edges, outputs, *per_category) {
                            out.push(Query {
                                sql,
                                dims: s.dims.len(),
                                values: outputs.len(),
                                apply: Apply::Columns(columns.clone()),
                            });
                        }
                    }
                    FactSource::Facts => {
                        let mut sql = Sql::default();
                        act_cte(&mut sql, s);
                        facts_cte(&mut sql, *per_category);
                        let dims: Vec<String> = s.dims.iter().map(|d| activity_expr(*d)).collect();
                        sql.push(" ");
                        open_grouped(&mut sql, &dims, |q| push_aggregates(q, outputs), "f.*");
                        sql.push(if *per_category {
                            "FROM facts_c f WHERE 1 = 1"
                        } else {
                            "FROM facts f WHERE 1 = 1"
                        });
                        personal_filters(&mut sql, s, *per_category);
                        close_grouped(&mut sql, s.dims.len());
                        out.push(Query {
                            sql,
                            dims: s.dims.len(),
                            values: outputs.len(),
                            apply: Apply::Columns(columns),
                        });
                    }
                }
            }
            Step::Activities { outputs } => {
                let mut sql = Sql::default();
                act_cte(&mut sql, s);
                sql.push(" ");
                let dims: Vec<String> = s.dims.iter().map(|d| activity_expr(*d)).collect();
                open_grouped(
                    &mut sql,
                    &dims,
                    |q| {
                        q.push("COUNT_BIG(*), COUNT_BIG(DISTINCT CONCAT(center, N'|', date))");
                    },
                    "a.*",
                );
                sql.push("FROM act a");
                close_grouped(&mut sql, s.dims.len());
                out.push(Query {
                    sql,
                    dims: s.dims.len(),
                    values: 2,
                    apply: Apply::Activities(outputs),
                });
            }
            Step::NewRegistrations { column, filters } => {
                let mut sql = Sql::default();
                snap_cte(&mut sql, filters, |q| {
                    q.push("p.registered_on AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on BETWEEN ")
                        .bind(Param::Date(s.from))
                        .push(" AND ")
                        .bind(Param::Date(s.to));
                });
                registry_query(&mut sql, filters, &s.dims);
                out.push(Query {
                    sql,
                    dims: s.dims.len(),
                    values: 1,
                    apply: Apply::Columns(vec![*column]),
                });
            }
            Step::RegisteredPersons {
                column,
                dims,
                filters,
                buckets,
            } => {
                for bucket in buckets {
                    let mut sql = Sql::default();
                    snap_cte(&mut sql, filters, |q| {
                        q.push("CAST(")
                            .bind(Param::Date(bucket.on))
                            .push(" AS DATE) AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on <= ")
                            .bind(Param::Date(bucket.on))
                            .push(" AND (p.ended_on IS NULL OR p.ended_on > ")
                            .bind(Param::Date(bucket.on))
                            .push(")");
                    });
                    registry_query(&mut sql, filters, dims);
                    out.push(Query {
                        sql,
                        dims: dims.len(),
                        values: 1,
                        apply: Apply::Stock {
                            column: *column,
                            bucket,
                        },
                    });
                }
            }
        }
    }
    out
}

/// Computes `q` by its plan; rows come back in no particular order, zero rows left out.
pub async fn stats(c: &mut Conn, q: &StatsQuery) -> StoreResult<StatsRows> {
    let plan = plan::plan(q);
    let mut m = plan.merged();
    for query in queries(&plan) {
        let mut rows: Vec<(Vec<String>, Vec<u64>)> = Vec::new();
        c.for_each_row(&query.sql.text, &query.sql.binds, |r| {
            let mut keys = Vec::with_capacity(query.dims);
            for (_, cell) in r.cells().take(query.dims) {
                keys.push(text_of(cell)?.unwrap_or_default());
            }
            let mut values = Vec::with_capacity(query.values);
            for i in 0..query.values {
                let v = opt_int(&r, query.dims + i)?.unwrap_or(0);
                values.push(u64::try_from(v).unwrap_or(0));
            }
            rows.push((keys, values));
            Ok(())
        })
        .await?;
        for (keys, values) in rows {
            match &query.apply {
                Apply::Columns(columns) => m.add(keys, columns.iter().copied(), &values),
                Apply::Activities(outputs) => {
                    let picked: Vec<u64> = outputs
                        .iter()
                        .map(|(_, what)| match what {
                            ActivityCount::Activities => values[0],
                            ActivityCount::OpenDays => values[1],
                        })
                        .collect();
                    m.add(keys, outputs.iter().map(|(c, _)| *c), &picked);
                }
                Apply::Stock { column, bucket } => {
                    m.add(bucket.key(&plan.selection.dims, keys), [*column], &values)
                }
            }
        }
    }
    Ok(m.finish())
}
