//! SQL for `/stats`: activity measures over participations and unregistered headcounts, and
//! registry measures over `persons`. Only dimension expressions and placeholders are put
//! together here, all from constants; every value is a bound parameter.

use std::collections::HashMap;

use rusqlite::{params_from_iter, Connection};

use crate::stats::{time_buckets, Dimension, Measure, StatsQuery};
use crate::store::StoreResult;

/// Rows of a statistics answer: dimension codes (in `dims` order) and one value per measure.
pub type StatsRows = Vec<(Vec<String>, Vec<u64>)>;

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

/// The measures of the activity side that the query asks for, with their SQL aggregate.
fn activity_aggregates(measures: &[Measure], personal: bool) -> Vec<(Measure, &'static str)> {
    measures
        .iter()
        .filter_map(|m| {
            let agg = match m {
                Measure::Participations => "SUM(weight)",
                Measure::UniquePersons => "COUNT(DISTINCT common_id)",
                Measure::Activities if personal => "COUNT(DISTINCT id)",
                Measure::OpenDays if personal => "COUNT(DISTINCT center || '|' || date)",
                Measure::Visits => "SUM(CASE WHEN function = 'houmon' THEN weight ELSE 0 END)",
                Measure::Consultations => "SUM(CASE WHEN function = 'soudan' THEN weight ELSE 0 END)",
                // つなぎ件数 counts つなぎ activities' participants, so the extracts alone give it back.
                Measure::Referrals => "SUM(CASE WHEN function = 'tsunagi' THEN weight ELSE 0 END)",
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
           SELECT a.id, a.center, c.municipality, coalesce(a.site, '') AS site, a.date, a.fiscal_year,
                  a.function, a.unregistered_elderly AS ue, a.unregistered_disabled AS ud,
                  a.unregistered_child AS uc, a.unregistered_other AS uo
           FROM activities a JOIN centers c ON c.code = a.center
           WHERE a.date BETWEEN ",
    );
    sql.bind(q.from.to_string()).push(" AND ").bind(q.to.to_string());
    for (d, codes) in q.filters.iter().filter(|(d, _)| is_activity_level(*d)) {
        let expr = match d {
            Dimension::FiscalYear => "('FY' || a.fiscal_year)",
            Dimension::Quarter => {
                "('FY' || a.fiscal_year || 'Q' || ((CAST(substr(a.date, 6, 2) AS INTEGER) + 8) % 12 / 3 + 1))"
            }
            Dimension::Month => "substr(a.date, 1, 7)",
            Dimension::Date => "a.date",
            Dimension::Municipality => "c.municipality",
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
           SELECT act.id, act.center, act.municipality, act.site, act.date, act.fiscal_year, act.function,
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
        sql.push(" UNION ALL SELECT id, center, municipality, site, date, fiscal_year, function, NULL, 'unknown', 'unknown', '")
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
fn personal_filters(sql: &mut Sql, q: &StatsQuery, category_is_dim: bool) {
    for (d, codes) in q.filters.iter().filter(|(d, _)| d.is_personal()) {
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

fn activity_side(c: &Connection, q: &StatsQuery, m: &mut Merger) -> StoreResult<()> {
    let personal = q.dims.iter().any(|d| d.is_personal()) || q.filters.iter().any(|(d, _)| d.is_personal());
    let category = q.dims.contains(&Dimension::Category);
    let aggregates = activity_aggregates(&q.measures, personal);
    let list: Vec<&str> = aggregates.iter().map(|(_, a)| *a).collect();
    let years = super::stats_years::range(q, personal);
    if let (false, Some(years)) = (aggregates.is_empty(), years) {
        // Whole fiscal years: from the year aggregates, a quarter of the rows and no joins.
        for sql in super::stats_years::queries(q, years, &list, category) {
            for (mut keys, values) in run(c, &sql, q.dims.len(), aggregates.len())? {
                super::stats_years::label_years(&q.dims, &mut keys);
                for ((measure, _), v) in aggregates.iter().zip(values) {
                    m.add(keys.clone(), *measure, v);
                }
            }
        }
    } else if !aggregates.is_empty() {
        let mut sql = Sql::default();
        act_cte(&mut sql, q);
        facts_cte(&mut sql, category);
        select_dims(&mut sql, &q.dims, activity_expr);
        sql.push(&list.join(", "));
        sql.push(if category {
            " FROM facts_c WHERE 1 = 1"
        } else {
            " FROM facts WHERE 1 = 1"
        });
        personal_filters(&mut sql, q, category);
        group_by(&mut sql, q.dims.len());
        for (keys, values) in run(c, &sql, q.dims.len(), aggregates.len())? {
            for ((measure, _), v) in aggregates.iter().zip(values) {
                m.add(keys.clone(), *measure, v);
            }
        }
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
        select_dims(&mut sql, &q.dims, activity_expr);
        sql.push("COUNT(*), COUNT(DISTINCT center || '|' || date) FROM act");
        group_by(&mut sql, q.dims.len());
        for (keys, values) in run(c, &sql, q.dims.len(), 2)? {
            for measure in &plain {
                let v = if *measure == Measure::Activities {
                    values[0]
                } else {
                    values[1]
                };
                m.add(keys.clone(), *measure, v);
            }
        }
    }
    Ok(())
}

/// `WITH snap AS (…)`: people of the registry in scope, with `d` and `ref` set by `window`.
fn snap_cte(sql: &mut Sql, q: &StatsQuery, window: impl FnOnce(&mut Sql)) {
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
    select_dims(sql, dims, registry_expr);
    sql.push("COUNT(DISTINCT snap.common_id) FROM snap");
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
                sql.push(" AND EXISTS (SELECT 1 FROM person_categories pc WHERE pc.center = snap.center AND pc.common_id = snap.common_id");
                sql.and_in("pc.category", codes);
                sql.push(")");
            }
            _ => sql.and_in(registry_expr(*d), codes),
        }
    }
    group_by(sql, dims.len());
}

fn registry_side(c: &Connection, q: &StatsQuery, m: &mut Merger) -> StoreResult<()> {
    if q.measures.contains(&Measure::NewRegistrations) {
        let mut sql = Sql::default();
        snap_cte(&mut sql, q, |s| {
            s.push("p.registered_on AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on BETWEEN ")
                .bind(q.from.to_string())
                .push(" AND ")
                .bind(q.to.to_string());
        });
        registry_query(&mut sql, q, &q.dims);
        for (keys, values) in run(c, &sql, q.dims.len(), 1)? {
            m.add(keys, Measure::NewRegistrations, values[0]);
        }
    }
    if q.measures.contains(&Measure::RegisteredPersons) {
        // 登録者数 is a stock: counted at the end of each time bucket (or of the period).
        let other: Vec<Dimension> = q.dims.iter().copied().filter(|d| !d.is_time()).collect();
        for (time_keys, end) in time_buckets(&q.dims, q.from, q.to) {
            let end = end.to_string();
            let mut sql = Sql::default();
            snap_cte(&mut sql, q, |s| {
                s.bind(end.clone())
                    .push(" AS ref FROM persons p JOIN centers c ON c.code = p.center WHERE p.registered_on <= ")
                    .bind(end.clone())
                    .push(" AND (p.ended_on IS NULL OR p.ended_on > ")
                    .bind(end.clone())
                    .push(")");
            });
            let mut bucket_query = q.clone();
            // Time filters select buckets, not registration dates.
            bucket_query.filters.retain(|(d, _)| !d.is_time());
            let skip =
                q.filters.iter().filter(|(d, _)| d.is_time()).any(|(d, codes)| {
                    !codes.contains(&crate::stats::time_code(*d, end.parse().unwrap_or(q.to)))
                });
            if skip {
                continue;
            }
            registry_query(&mut sql, &bucket_query, &other);
            for (keys, values) in run(c, &sql, other.len(), 1)? {
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
    Ok(())
}

/// Computes `q`; rows come back in no particular order, zero rows left out.
pub fn stats(c: &mut Connection, q: &StatsQuery) -> StoreResult<StatsRows> {
    let mut m = Merger {
        measures: &q.measures,
        rows: HashMap::new(),
    };
    if q.measures.iter().any(|x| !x.is_registry()) {
        activity_side(c, q, &mut m)?;
    }
    if q.measures.iter().any(|x| x.is_registry()) {
        registry_side(c, q, &mut m)?;
    }
    Ok(m.rows
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| *x > 0))
        .collect())
}
