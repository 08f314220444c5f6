//! `/stats` facts from the year aggregates (migration 0010), for the plan's
//! `FactSource::YearAggregates` (the plan decides when they can answer: whole fiscal years, no
//! finer time, no distinct activities or days). Registered people and unregistered headcounts
//! are two queries whose rows the caller adds up by key (unregistered people add to counts,
//! never to distinct people). The fact columns and aggregates are those of the
//! participation-level SQL in stats.rs, with weight = participations.

use super::stats::{needs_region, push_aggregates, region_of, Sql};
use crate::stats::plan::{Aggregate, Selection};
use crate::stats::Dimension;

/// Expression of a dimension over the aggregate's columns. The fiscal year is the bare number,
/// so grouping can follow the index; [`label_years`] makes it `FY2024` afterwards.
fn expr(d: Dimension) -> &'static str {
    match d {
        Dimension::FiscalYear => "fiscal_year",
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
        // Never planned from the year aggregates.
        Dimension::Quarter | Dimension::Month | Dimension::Date => "NULL",
    }
}

/// Whether the question needs the municipality (and so the join to `centers`).
fn needs_municipality(s: &Selection) -> bool {
    s.dims.contains(&Dimension::Municipality)
        || s.filters.iter().any(|(d, _)| *d == Dimension::Municipality)
        || needs_region(&s.dims, &s.filters)
}

/// `SELECT dims, aggregates FROM (source) WHERE years and filters GROUP BY dims`.
fn query(q: &Selection, (first, last): (i32, i32), outputs: &[(usize, Aggregate)], source: &str) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ");
    for d in &q.dims {
        sql.push(expr(*d)).push(", ");
    }
    push_aggregates(&mut sql, outputs);
    sql.push(" FROM (")
        .push(source)
        .push(") WHERE fiscal_year BETWEEN CAST(")
        .bind(first.to_string())
        .push(" AS INTEGER) AND CAST(")
        .bind(last.to_string())
        .push(" AS INTEGER)");
    for (d, codes) in &q.filters {
        let e = if *d == Dimension::FiscalYear {
            "('FY' || fiscal_year)"
        } else {
            expr(*d)
        };
        sql.and_in(e, codes);
    }
    if !q.dims.is_empty() {
        let cols: Vec<String> = (1..=q.dims.len()).map(|i| i.to_string()).collect();
        sql.push(" GROUP BY ").push(&cols.join(", "));
    }
    sql
}

/// The two queries (registered people, unregistered headcounts) answering `outputs` for
/// `q` over the fiscal years `years`, with one row per category when `with_category`.
pub(super) fn queries(
    q: &Selection,
    years: (i32, i32),
    outputs: &[(usize, Aggregate)],
    with_category: bool,
) -> [Sql; 2] {
    let (municipality, join) = if needs_municipality(q) {
        ("c.municipality", " JOIN centers c ON c.code = y.center")
    } else {
        ("NULL", "")
    };
    // A membership runs for whole fiscal years: the region on the year's first day is the
    // region of every fact of the year.
    let region = if needs_region(&q.dims, &q.filters) {
        region_of("c.municipality", "(y.fiscal_year || '-04-01')")
    } else {
        "NULL".to_owned()
    };
    let (table, cat) = if with_category {
        ("stats_person_year_categories", "y.category")
    } else {
        ("stats_person_years", "NULL")
    };
    // A plain subquery: SQLite flattens it, so only the columns the question uses are read
    // (an index holding just those can answer it).
    let registered = format!(
        "SELECT y.fiscal_year, y.center, {municipality} AS municipality, {region} AS region, y.site, y.function, y.common_id,
                y.sex, y.age_band, y.reporting_group AS grp, y.care_level, y.household,
                y.participations AS weight, {cat} AS cat
         FROM {table} y{join}"
    );
    let unregistered = ["elderly", "disabled", "child", "other"]
        .map(|group| {
            // Unregistered people's category is their group (the codes are shared).
            format!(
                "SELECT y.fiscal_year, y.center, {municipality} AS municipality, {region} AS region, y.site, y.function,
                        NULL AS common_id, 'unknown' AS sex, 'unknown' AS age_band, '{group}' AS grp,
                        'unknown' AS care_level, 'unknown' AS household,
                        y.unregistered_{group} AS weight, '{group}' AS cat
                 FROM stats_activity_years y{join} WHERE y.unregistered_{group} > 0"
            )
        })
        .join(" UNION ALL ");
    [
        query(q, years, outputs, &registered),
        query(q, years, outputs, &unregistered),
    ]
}

/// Turns the bare fiscal years of a row's keys into their codes (`2024` → `FY2024`).
pub(super) fn label_years(dims: &[Dimension], keys: &mut [String]) {
    for (d, k) in dims.iter().zip(keys.iter_mut()) {
        if *d == Dimension::FiscalYear {
            *k = format!("FY{k}");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rusqlite::Connection;
    use shared::common_id::{CenterCode, CommonId};
    use shared::dto::meta::NodeRole;
    use uuid::Uuid;

    use super::super::{activities, migrations, org};
    use crate::domain::activity::{ActivityRecord, Detail, Participation, Snapshot, Unregistered};
    use crate::domain::org::{Center, Site};

    /// Rows in the aggregates that a recomputation from the facts does not give, and the
    /// reverse: zero when the triggers kept them right.
    fn drift(c: &Connection) -> i64 {
        let pairs = [
            (
                "SELECT * FROM stats_person_years",
                "SELECT a.fiscal_year, a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex, p.age_band,
                        p.reporting_group, p.care_level, p.household, count(*)
                 FROM participations p JOIN activities a ON a.id = p.activity_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
            ),
            (
                "SELECT * FROM stats_person_year_categories",
                "SELECT a.fiscal_year, a.center, coalesce(a.site, ''), a.function, p.common_id, p.sex, p.age_band,
                        p.reporting_group, p.care_level, p.household, pc.category, count(*)
                 FROM participation_categories pc
                   JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
                   JOIN activities a ON a.id = p.activity_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11",
            ),
            (
                "SELECT * FROM stats_activity_years",
                "SELECT fiscal_year, center, coalesce(site, ''), function, count(*), sum(unregistered_elderly),
                        sum(unregistered_disabled), sum(unregistered_child), sum(unregistered_other)
                 FROM activities GROUP BY 1, 2, 3, 4",
            ),
            // The month aggregates (migration 0025), kept by their own triggers.
            (
                "SELECT * FROM stats_person_months",
                "SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id,
                        p.sex, p.age_band, p.reporting_group, p.care_level, p.household, count(*)
                 FROM participations p JOIN activities a ON a.id = p.activity_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
            ),
            (
                "SELECT * FROM stats_person_month_categories",
                "SELECT CAST(substr(a.date, 1, 4) || substr(a.date, 6, 2) AS INTEGER), a.center, coalesce(a.site, ''), a.function, p.common_id,
                        p.sex, p.age_band, p.reporting_group, p.care_level, p.household, pc.category, count(*)
                 FROM participation_categories pc
                   JOIN participations p ON p.activity_id = pc.activity_id AND p.common_id = pc.common_id
                   JOIN activities a ON a.id = p.activity_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11",
            ),
            (
                "SELECT * FROM stats_activity_months",
                "SELECT CAST(substr(date, 1, 4) || substr(date, 6, 2) AS INTEGER), center, coalesce(site, ''), function, count(*),
                        sum(unregistered_elderly), sum(unregistered_disabled), sum(unregistered_child),
                        sum(unregistered_other)
                 FROM activities GROUP BY 1, 2, 3, 4",
            ),
        ];
        pairs
            .iter()
            .map(|(kept, fresh)| {
                let n = |a: &str, b: &str| -> i64 {
                    c.query_row(&format!("SELECT count(*) FROM ({a} EXCEPT {b})"), [], |r| {
                        r.get(0)
                    })
                    .unwrap()
                };
                n(kept, fresh) + n(fresh, kept)
            })
            .sum()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn person(serial: u32, age_band: &str, categories: &[&str]) -> Participation {
        let center = CenterCode::parse("C001").unwrap();
        Participation {
            common_id: CommonId::issue(&center, serial).unwrap(),
            detail: Detail::default(),
            snapshot: Snapshot {
                age_band: age_band.into(),
                sex: "F".into(),
                group: if categories.contains(&"disabled") {
                    "disabled"
                } else {
                    "elderly"
                }
                .into(),
                categories: categories.iter().map(|c| (*c).to_owned()).collect(),
                care_level: "independent".into(),
                household: "alone".into(),
            },
        }
    }

    fn activity(on: &str, function: &str, site: Option<&str>, people: Vec<Participation>) -> ActivityRecord {
        ActivityRecord {
            id: Uuid::new_v4(),
            center: "C001".into(),
            site: site.map(str::to_owned),
            date: date(on),
            function: function.into(),
            title: None,
            start_time: None,
            end_time: None,
            staff_count: 1,
            volunteer_count: 0,
            unregistered: Unregistered {
                elderly: 2,
                ..Default::default()
            },
            note: None,
            participations: people,
        }
    }

    /// Each write appends its audit row.
    fn row<T>() -> crate::domain::audit::AuditDraft<T> {
        crate::ops::audit::by_cli("test.write", None, None)
    }

    #[test]
    fn the_year_and_month_aggregates_follow_every_write_to_the_facts() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        migrations::run(&mut c, NodeRole::Hub).unwrap();
        org::upsert_center(
            &mut c,
            &Center {
                code: "C001".into(),
                name: "テスト".into(),
                municipality: "392014".into(),
                operator_body: "社協".into(),
                opened_on: date("2009-04-01"),
                closed_on: None,
            },
        )
        .unwrap();
        let site = Site {
            code: "C001-S01".into(),
            center: "C001".into(),
            name: "サテライト".into(),
            opened_on: date("2015-04-01"),
            closed_on: None,
        };
        org::upsert_site(&mut c, &site, false).unwrap();
        let (a, b, d) = (
            person(1, "age_75_84", &["elderly"]),
            person(2, "age_85_plus", &["elderly"]),
            person(3, "age_40_64", &["disabled", "other"]),
        );
        let mut first = activity(
            "2024-05-10",
            "tsudoi",
            None,
            vec![a.clone(), b.clone(), d.clone()],
        );
        let second = activity("2024-05-17", "tsudoi", None, vec![a.clone(), d.clone()]);
        let third = activity("2025-01-08", "houmon", Some("C001-S01"), vec![b.clone()]);
        for r in [&first, &second, &third] {
            activities::create(&mut c, r, false, row()).unwrap();
        }
        assert_eq!(drift(&c), 0, "after creating");
        // Moved to another year and function, with one person fewer and one changed.
        first.date = date("2025-04-02");
        first.function = "kaigoyobou".into();
        let mut older = b.clone();
        older.snapshot.age_band = "age_85_plus".into();
        older.snapshot.categories = vec!["disabled".into(), "elderly".into()];
        first.participations = vec![a.clone(), older];
        first.unregistered.child = 3;
        activities::update(&mut c, &first, false, row()).unwrap();
        assert_eq!(drift(&c), 0, "after moving and editing");
        let mut changed = d.clone();
        changed.snapshot.care_level = "shien1".into();
        activities::put_participation(&mut c, "C001", second.id, &changed, false, row()).unwrap();
        assert_eq!(drift(&c), 0, "after replacing a participation");
        activities::delete_participation(&mut c, "C001", second.id, &a.common_id, false, row()).unwrap();
        c.execute(
            "DELETE FROM participation_categories WHERE activity_id = ?1 AND category = 'other'",
            [second.id.to_string()],
        )
        .unwrap();
        c.execute(
            "UPDATE participations SET household = 'with_family' WHERE activity_id = ?1",
            [second.id.to_string()],
        )
        .unwrap();
        assert_eq!(
            drift(&c),
            0,
            "after deleting a participation and a category, and an update"
        );
        activities::delete(&mut c, "C001", first.id, false, row()).unwrap();
        activities::delete(&mut c, "C001", third.id, false, row()).unwrap();
        assert_eq!(drift(&c), 0, "after deleting activities");
        let left: i64 = c
            .query_row(
                "SELECT count(*) FROM stats_person_years WHERE fiscal_year = 2025",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "nothing is left of deleted activities");
        let months: i64 = c
            .query_row(
                "SELECT count(*) FROM stats_person_months WHERE month = 202504",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(months, 0, "nor of their months");
    }
}
