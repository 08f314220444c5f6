//! SQL for `/stats`: each step of the dialect-independent plan (`stats::plan`) as SQLite —
//! facts over participations and unregistered headcounts (or the year aggregates, in
//! stats_years.rs, or the month aggregates, in stats_months.rs), counts over activities, and registry measures over `persons`. Only
//! dimension expressions and placeholders are put together here, all from constants; every
//! value is a bound parameter.

use rusqlite::{params_from_iter, Connection};

use crate::stats::plan::{self, ActivityCount, Aggregate, FactSource, Merged, Selection, StatsRows, Step};
use crate::stats::{Dimension, StatsQuery};
use crate::store::StoreResult;

/// SQL text and its parameters, grown together so they stay in order.
#[derive(Default)]
pub(super) struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    pub(super) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    pub(super) fn bind(&mut self, v: impl Into<String>) -> &mut Self {
        self.text.push('?');
        self.binds.push(v.into());
        self
    }
    /// ` AND expr IN (?, ?, …)`
    pub(super) fn and_in(&mut self, expr: &str, codes: &[String]) {
        self.push(" AND ").push(expr).push(" IN (");
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(c.clone());
        }
        self.push(")");
    }
}

/// The region `municipality` belonged to on `date` (both SQL expressions), `unknown` when none:
/// memberships never overlap, so at most one row matches (decision 0026).
pub(super) fn region_of(municipality: &str, date: &str) -> String {
    format!(
        "coalesce((SELECT rm.region FROM region_members rm WHERE rm.municipality = {municipality}
             AND rm.valid_from <= {date} AND (rm.valid_to IS NULL OR rm.valid_to >= {date})), 'unknown')"
    )
}

/// Whether the question names the region (and so each fact's region must be looked up).
pub(super) fn needs_region(dims: &[Dimension], filters: &[(Dimension, Vec<String>)]) -> bool {
    dims.contains(&Dimension::Region) || filters.iter().any(|(d, _)| *d == Dimension::Region)
}

/// The registry's region: as of `ref` (the registration date for new registrations, the
/// bucket's day for the stock).
const REGISTRY_REGION: &str =
    "coalesce((SELECT rm.region FROM region_members rm WHERE rm.municipality = snap.municipality
     AND rm.valid_from <= snap.ref AND (rm.valid_to IS NULL OR rm.valid_to >= snap.ref)), 'unknown')";

/// Activity-side expression of a dimension, over the `act`/`facts` columns.
fn activity_expr(d: Dimension) -> &'static str {
    match d {
        Dimension::FiscalYear => "('FY' || fiscal_year)",
        Dimension::Quarter => {
            "('FY' || fiscal_year || 'Q' || ((CAST(substr(date, 6, 2) AS INTEGER) + 8) % 12 / 3 + 1))"
        }
        Dimension::Month => "substr(date, 1, 7)",
        Dimension::Date => "date",
        Dimension::Municipality => "municipality",
        Dimension::Region => "region",
        Dimension::Center => "center",
        Dimension::Site => "site",
        Dimension::Function => "function",
        Dimension::Sex => "sex",
        Dimension::AgeBand => "age_band",
        Dimension::Group => "grp",
        Dimension::Category => "cat",
        Dimension::CareLevel => "care_level",
        Dimension::Household => "household",
    }
}

/// Registry-side expression of a dimension, over the `snap` columns (`d`: the date a time
/// dimension buckets by; `ref`: the date ages are taken at).
fn registry_expr(d: Dimension) -> &'static str {
    match d {
        Dimension::FiscalYear => "('FY' || (CAST(substr(d, 1, 4) AS INTEGER) - (substr(d, 6, 2) < '04')))",
        Dimension::Quarter => {
            "('FY' || (CAST(substr(d, 1, 4) AS INTEGER) - (substr(d, 6, 2) < '04')) || 'Q' \
             || ((CAST(substr(d, 6, 2) AS INTEGER) + 8) % 12 / 3 + 1))"
        }
        Dimension::Month => "substr(d, 1, 7)",
        Dimension::Date => "d",
        Dimension::Municipality => "municipality",
        Dimension::Region => REGISTRY_REGION,
        Dimension::Center => "center",
        // Not reachable: refused when the request is validated.
        Dimension::Site | Dimension::Function => "''",
        Dimension::Sex => "sex",
        // Age from the birth year-month (all the hub knows), counted at `ref`.
        Dimension::AgeBand => {
            "(SELECT b.code FROM master_items b WHERE b.list = 'age_bands'
                AND b.lower <= (CAST(substr(ref, 1, 4) AS INTEGER) - CAST(substr(bym, 1, 4) AS INTEGER)
                                - (substr(ref, 6, 2) < substr(bym, 6, 2)))
                AND (b.upper IS NULL OR b.upper >= (CAST(substr(ref, 1, 4) AS INTEGER)
                                - CAST(substr(bym, 1, 4) AS INTEGER) - (substr(ref, 6, 2) < substr(bym, 6, 2)))))"
        }
        Dimension::Group => "grp",
        Dimension::Category => "cat",
        Dimension::CareLevel => "care_level",
        Dimension::Household => "household",
    }
}

fn is_activity_level(d: Dimension) -> bool {
    !d.is_personal()
}

/// ` agg, agg, …`: the SQL aggregate of each output over the fact columns (`weight`,
/// `common_id`, `id`, `center`, `date`, `function`).
pub(super) fn push_aggregates(sql: &mut Sql, outputs: &[(usize, Aggregate)]) {
    for (i, (_, a)) in outputs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match a {
            Aggregate::Weight => sql.push("SUM(weight)"),
            Aggregate::WeightOfFunction(f) => sql
                .push("SUM(CASE WHEN function = ")
                .bind(*f)
                .push(" THEN weight ELSE 0 END)"),
            Aggregate::DistinctPersons => sql.push("COUNT(DISTINCT common_id)"),
            Aggregate::DistinctActivities => sql.push("COUNT(DISTINCT id)"),
            Aggregate::DistinctCenterDays => sql.push("COUNT(DISTINCT center || '|' || date)"),
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
        "NULL"
    };
    sql.push("WITH act AS (SELECT a.id, a.center, c.municipality, ")
        .push(region)
        .push(
            " AS region, coalesce(a.site, '') AS site, a.date, a.fiscal_year,
                  a.function, a.unregistered_elderly AS ue, a.unregistered_disabled AS ud,
                  a.unregistered_child AS uc, a.unregistered_other AS uo
           FROM activities a JOIN centers c ON c.code = a.center
           WHERE a.date BETWEEN ",
        );
    sql.bind(s.from.to_string()).push(" AND ").bind(s.to.to_string());
    for (d, codes) in s.filters.iter().filter(|(d, _)| is_activity_level(*d)) {
        let expr = match d {
            Dimension::FiscalYear => "('FY' || a.fiscal_year)",
            Dimension::Quarter => {
                "('FY' || a.fiscal_year || 'Q' || ((CAST(substr(a.date, 6, 2) AS INTEGER) + 8) % 12 / 3 + 1))"
            }
            Dimension::Month => "substr(a.date, 1, 7)",
            Dimension::Date => "a.date",
            Dimension::Municipality => "c.municipality",
            Dimension::Region => act_region.as_str(),
            Dimension::Center => "a.center",
            Dimension::Site => "coalesce(a.site, '')",
            _ => "a.function",
        };
        sql.and_in(expr, codes);
    }
    sql.push(")");
}

/// Registered participations and unregistered headcounts as one fact stream (`facts`), and
/// with `category` one row per category (`facts_c`).
fn facts_cte(sql: &mut Sql, with_category: bool) {
    sql.push(
        ", facts AS (
           SELECT act.id, act.center, act.municipality, act.region, act.site, act.date, act.fiscal_year, act.function,
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
        sql.push(" UNION ALL SELECT id, center, municipality, region, site, date, fiscal_year, function, NULL, 'unknown', 'unknown', '")
            .push(group)
            .push("', 'unknown', 'unknown', ")
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

/// ` AND …` for the personal filters over `facts`/`facts_c`.
fn personal_filters(sql: &mut Sql, s: &Selection, category_is_dim: bool) {
    for (d, codes) in s.filters.iter().filter(|(d, _)| d.is_personal()) {
        if *d == Dimension::Category && !category_is_dim {
            sql.push(" AND ((common_id IS NULL AND grp IN (");
            for (i, c) in codes.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(c.clone());
            }
            sql.push(")) OR EXISTS (SELECT 1 FROM participation_categories pc WHERE pc.activity_id = facts.id AND pc.common_id = facts.common_id AND pc.category IN (");
            for (i, c) in codes.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(c.clone());
            }
            sql.push(")))");
        } else {
            sql.and_in(activity_expr(*d), codes);
        }
    }
}

fn select_dims(sql: &mut Sql, dims: &[Dimension], expr: fn(Dimension) -> &'static str) {
    sql.push("SELECT ");
    for d in dims {
        sql.push(expr(*d)).push(", ");
    }
}

fn group_by(sql: &mut Sql, dims: usize) {
    if dims > 0 {
        let cols: Vec<String> = (1..=dims).map(|i| i.to_string()).collect();
        sql.push(" GROUP BY ").push(&cols.join(", "));
    }
}

/// Runs a grouped query whose first `dims` columns are codes and the rest counts.
fn run(c: &Connection, sql: &Sql, dims: usize, values: usize) -> StoreResult<Vec<(Vec<String>, Vec<u64>)>> {
    let mut stmt = c.prepare(&sql.text)?;
    let rows = stmt
        .query_map(params_from_iter(sql.binds.iter()), |r| {
            let mut keys = Vec::with_capacity(dims);
            for i in 0..dims {
                keys.push(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    _ => r.get::<_, Option<String>>(i)?.unwrap_or_default(),
                });
            }
            let mut vals = Vec::with_capacity(values);
            for i in 0..values {
                vals.push(u64::try_from(r.get::<_, Option<i64>>(dims + i)?.unwrap_or(0)).unwrap_or(0));
            }
            Ok((keys, vals))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// [`Step::Facts`].
fn facts(
    c: &Connection,
    s: &Selection,
    source: FactSource,
    per_category: bool,
    outputs: &[(usize, Aggregate)],
    m: &mut Merged,
) -> StoreResult<()> {
    let columns = || outputs.iter().map(|(c, _)| *c);
    match source {
        FactSource::YearAggregates { first, last } => {
            // Registered people and unregistered headcounts: two queries, rows added by key.
            for sql in super::stats_years::queries(s, (first, last), outputs, per_category) {
                for (mut keys, values) in run(c, &sql, s.dims.len(), outputs.len())? {
                    super::stats_years::label_years(&s.dims, &mut keys);
                    m.add(keys, columns(), &values);
                }
            }
        }
        FactSource::MonthAggregates {
            first,
            last,
            head,
            tail,
        } => {
            let range = super::stats_months::Range {
                months: (first, last),
                edges: head.into_iter().chain(tail).collect(),
            };
            for sql in super::stats_months::queries(s, &range, outputs, per_category) {
                for (mut keys, values) in run(c, &sql, s.dims.len(), outputs.len())? {
                    super::stats_months::label(&s.dims, &mut keys);
                    m.add(keys, columns(), &values);
                }
            }
        }
        FactSource::Facts => {
            let mut sql = Sql::default();
            act_cte(&mut sql, s);
            facts_cte(&mut sql, per_category);
            select_dims(&mut sql, &s.dims, activity_expr);
            push_aggregates(&mut sql, outputs);
            sql.push(if per_category {
                " FROM facts_c WHERE 1 = 1"
            } else {
                " FROM facts WHERE 1 = 1"
            });
            personal_filters(&mut sql, s, per_category);
            group_by(&mut sql, s.dims.len());
            for (keys, values) in run(c, &sql, s.dims.len(), outputs.len())? {
                m.add(keys, columns(), &values);
            }
        }
    }
    Ok(())
}

/// [`Step::Activities`].
fn activities(
    c: &Connection,
    s: &Selection,
    outputs: &[(usize, ActivityCount)],
    m: &mut Merged,
) -> StoreResult<()> {
    let mut sql = Sql::default();
    act_cte(&mut sql, s);
    sql.push(" ");
    select_dims(&mut sql, &s.dims, activity_expr);
    sql.push("COUNT(*), COUNT(DISTINCT center || '|' || date) FROM act");
    group_by(&mut sql, s.dims.len());
    for (keys, values) in run(c, &sql, s.dims.len(), 2)? {
        let picked: Vec<u64> = outputs
            .iter()
            .map(|(_, what)| match what {
                ActivityCount::Activities => values[0],
                ActivityCount::OpenDays => values[1],
            })
            .collect();
        m.add(keys, outputs.iter().map(|(c, _)| *c), &picked);
    }
    Ok(())
}

/// `WITH snap AS (…)`: people of the registry in scope, with `d` and `ref` set by `window`.
fn snap_cte(sql: &mut Sql, filters: &[(Dimension, Vec<String>)], window: impl FnOnce(&mut Sql)) {
    sql.push(
        "WITH snap AS (
           SELECT p.center, c.municipality, p.common_id, p.sex, p.birth_year_month AS bym, p.care_level,
                  p.household, p.registered_on AS d,
                  (SELECT g.code FROM person_categories pc
                     JOIN master_items ci ON ci.list = 'categories' AND ci.code = pc.category
                     JOIN master_items g ON g.list = 'groups' AND g.code = ci.parent
                   WHERE pc.center = p.center AND pc.common_id = p.common_id
                   ORDER BY g.rank LIMIT 1) AS grp, ",
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
    select_dims(sql, dims, registry_expr);
    sql.push("COUNT(DISTINCT snap.common_id) FROM snap");
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
                sql.push(" AND EXISTS (SELECT 1 FROM person_categories pc WHERE pc.center = snap.center AND pc.common_id = snap.common_id");
                sql.and_in("pc.category", codes);
                sql.push(")");
            }
            _ => sql.and_in(registry_expr(*d), codes),
        }
    }
    group_by(sql, dims.len());
}

/// [`Step::NewRegistrations`].
fn new_registrations(
    c: &Connection,
    s: &Selection,
    column: usize,
    filters: &[(Dimension, Vec<String>)],
    m: &mut Merged,
) -> StoreResult<()> {
    let mut sql = Sql::default();
    snap_cte(&mut sql, filters, |q| {
        q.push("p.registered_on AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on BETWEEN ")
            .bind(s.from.to_string())
            .push(" AND ")
            .bind(s.to.to_string());
    });
    registry_query(&mut sql, filters, &s.dims);
    for (keys, values) in run(c, &sql, s.dims.len(), 1)? {
        m.add(keys, [column], &values);
    }
    Ok(())
}

/// [`Step::RegisteredPersons`]: one query per bucket.
fn registered_persons(
    c: &Connection,
    s: &Selection,
    column: usize,
    dims: &[Dimension],
    filters: &[(Dimension, Vec<String>)],
    buckets: &[plan::StockBucket],
    m: &mut Merged,
) -> StoreResult<()> {
    for bucket in buckets {
        let on = bucket.on.to_string();
        let mut sql = Sql::default();
        snap_cte(&mut sql, filters, |q| {
            q.bind(on.clone())
                .push(" AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on <= ")
                .bind(on.clone())
                .push(" AND (p.ended_on IS NULL OR p.ended_on > ")
                .bind(on.clone())
                .push(")");
        });
        registry_query(&mut sql, filters, dims);
        for (keys, values) in run(c, &sql, dims.len(), 1)? {
            m.add(bucket.key(&s.dims, keys), [column], &values);
        }
    }
    Ok(())
}

/// Computes `q` by its plan; rows come back in no particular order, zero rows left out.
pub fn stats(c: &mut Connection, q: &StatsQuery) -> StoreResult<StatsRows> {
    let plan = plan::plan(q);
    let s = &plan.selection;
    let mut m = plan.merged();
    for step in &plan.steps {
        match step {
            Step::Facts {
                source,
                per_category,
                outputs,
            } => facts(c, s, *source, *per_category, outputs, &mut m)?,
            Step::Activities { outputs } => activities(c, s, outputs, &mut m)?,
            Step::NewRegistrations { column, filters } => new_registrations(c, s, *column, filters, &mut m)?,
            Step::RegisteredPersons {
                column,
                dims,
                filters,
                buckets,
            } => registered_persons(c, s, *column, dims, filters, buckets, &mut m)?,
        }
    }
    Ok(m.finish())
}
