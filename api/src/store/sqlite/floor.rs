//! The benchmark's floor: the standard `/stats` questions as the plainest hand-written GROUP BYs,
//! on a read-only connection of their own — over the participation facts, and, for whole fiscal
//! years, over the year aggregates `/stats` itself reads. What `/stats` costs beyond the faster
//! of the two is the engine's and the HTTP layer's overhead.

use std::collections::BTreeMap;

use anyhow::Context;
use rusqlite::{params, Connection, OpenFlags};

/// The standard questions (docs/benchmarks.md), over `[from, to]`.
#[derive(Debug, Clone)]
pub enum Question {
    /// Participations and distinct people by municipality × function, with totals.
    MunicipalityFunction,
    /// One centre's participations, people, activities and open days by month, with totals.
    CenterMonths { center: String },
    /// Participations and people by age band × category, with totals.
    AgeBandCategory,
    /// Participations and people by fiscal year.
    FiscalYears,
}

/// Cells by dimension codes, and the totals row when the question has one.
pub type Answer = (BTreeMap<Vec<String>, Vec<u64>>, Option<Vec<u64>>);

/// Opens the database read-only, as a reporting tool would.
pub fn open(path: &str) -> anyhow::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {path} read-only"))
}

fn n(r: &rusqlite::Row, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

/// A bare fiscal year in the first column as its code (`2024` → `FY2024`): grouping by the
/// column itself lets SQLite follow the index.
fn fy(r: &rusqlite::Row) -> rusqlite::Result<String> {
    Ok(format!("FY{}", r.get::<_, i64>(0)?))
}

/// Adds `values` at `key` (starting from zeros), so registered and unregistered parts merge.
fn add(rows: &mut BTreeMap<Vec<String>, Vec<u64>>, key: Vec<String>, width: usize, values: &[(usize, u64)]) {
    let row = rows.entry(key).or_insert_with(|| vec![0; width]);
    for (i, v) in values {
        row[*i] += v;
    }
}

/// Answers `q` for `[from, to]` (ISO dates).
pub fn answer(c: &Connection, q: &Question, from: &str, to: &str) -> rusqlite::Result<Answer> {
    let mut rows = BTreeMap::new();
    let totals =
        match q {
            Question::MunicipalityFunction => {
                let mut s = c.prepare_cached(
                    "SELECT c.municipality, a.function, count(*), count(DISTINCT p.common_id)
                 FROM activities a JOIN centers c ON c.code = a.center
                   JOIN participations p ON p.activity_id = a.id
                 WHERE a.date BETWEEN ?1 AND ?2 GROUP BY 1, 2",
                )?;
                let mut r = s.query(params![from, to])?;
                while let Some(r) = r.next()? {
                    add(
                        &mut rows,
                        vec![r.get(0)?, r.get(1)?],
                        2,
                        &[(0, n(r, 2)?), (1, n(r, 3)?)],
                    );
                }
                let mut s = c.prepare_cached(
                    "SELECT c.municipality, a.function, sum(a.unregistered_elderly + a.unregistered_disabled
                        + a.unregistered_child + a.unregistered_other)
                 FROM activities a JOIN centers c ON c.code = a.center
                 WHERE a.date BETWEEN ?1 AND ?2 GROUP BY 1, 2",
                )?;
                let mut r = s.query(params![from, to])?;
                while let Some(r) = r.next()? {
                    add(&mut rows, vec![r.get(0)?, r.get(1)?], 2, &[(0, n(r, 2)?)]);
                }
                Some(registered_totals(c, from, to, None)?)
            }
            Question::CenterMonths { center } => {
                let mut s = c.prepare_cached(
                    "SELECT substr(a.date, 1, 7), count(*), count(DISTINCT p.common_id)
                 FROM activities a JOIN participations p ON p.activity_id = a.id
                 WHERE a.center = ?3 AND a.date BETWEEN ?1 AND ?2 GROUP BY 1",
                )?;
                let mut r = s.query(params![from, to, center])?;
                while let Some(r) = r.next()? {
                    add(&mut rows, vec![r.get(0)?], 4, &[(0, n(r, 1)?), (1, n(r, 2)?)]);
                }
                let mut s = c.prepare_cached(
                    "SELECT substr(date, 1, 7), sum(unregistered_elderly + unregistered_disabled
                        + unregistered_child + unregistered_other), count(*), count(DISTINCT date)
                 FROM activities WHERE center = ?3 AND date BETWEEN ?1 AND ?2 GROUP BY 1",
                )?;
                let mut r = s.query(params![from, to, center])?;
                while let Some(r) = r.next()? {
                    add(
                        &mut rows,
                        vec![r.get(0)?],
                        4,
                        &[(0, n(r, 1)?), (2, n(r, 2)?), (3, n(r, 3)?)],
                    );
                }
                let mut t = registered_totals(c, from, to, Some(center))?;
                let (activities, days): (u64, u64) = c
                    .prepare_cached(
                        "SELECT count(*), count(DISTINCT date) FROM activities
                     WHERE center = ?3 AND date BETWEEN ?1 AND ?2",
                    )?
                    .query_row(params![from, to, center], |r| Ok((n(r, 0)?, n(r, 1)?)))?;
                t.extend([activities, days]);
                Some(t)
            }
            Question::AgeBandCategory => {
                let mut s = c.prepare_cached(
                    "SELECT p.age_band, pc.category, count(*), count(DISTINCT p.common_id)
                 FROM activities a JOIN participations p ON p.activity_id = a.id
                   JOIN participation_categories pc
                     ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id
                 WHERE a.date BETWEEN ?1 AND ?2 GROUP BY 1, 2",
                )?;
                let mut r = s.query(params![from, to])?;
                while let Some(r) = r.next()? {
                    add(
                        &mut rows,
                        vec![r.get(0)?, r.get(1)?],
                        2,
                        &[(0, n(r, 2)?), (1, n(r, 3)?)],
                    );
                }
                // Unregistered people: age band unknown, their group as their category.
                let u: [u64; 4] = c
                .prepare_cached(
                    "SELECT sum(unregistered_elderly), sum(unregistered_disabled), sum(unregistered_child),
                            sum(unregistered_other)
                     FROM activities WHERE date BETWEEN ?1 AND ?2",
                )?
                .query_row(params![from, to], |r| Ok([n(r, 0)?, n(r, 1)?, n(r, 2)?, n(r, 3)?]))?;
                for (group, v) in ["elderly", "disabled", "child", "other"].into_iter().zip(u) {
                    add(&mut rows, vec!["unknown".into(), group.into()], 2, &[(0, v)]);
                }
                Some(registered_totals(c, from, to, None)?)
            }
            Question::FiscalYears => {
                let mut s = c.prepare_cached(
                    "SELECT a.fiscal_year, count(*), count(DISTINCT p.common_id)
                 FROM activities a JOIN participations p ON p.activity_id = a.id
                 WHERE a.date BETWEEN ?1 AND ?2 GROUP BY 1",
                )?;
                let mut r = s.query(params![from, to])?;
                while let Some(r) = r.next()? {
                    add(&mut rows, vec![fy(r)?], 2, &[(0, n(r, 1)?), (1, n(r, 2)?)]);
                }
                let mut s = c.prepare_cached(
                    "SELECT fiscal_year, sum(unregistered_elderly + unregistered_disabled
                        + unregistered_child + unregistered_other)
                 FROM activities WHERE date BETWEEN ?1 AND ?2 GROUP BY 1",
                )?;
                let mut r = s.query(params![from, to])?;
                while let Some(r) = r.next()? {
                    add(&mut rows, vec![fy(r)?], 2, &[(0, n(r, 1)?)]);
                }
                None
            }
        };
    rows.retain(|_, v| v.iter().any(|x| *x > 0));
    Ok((rows, totals))
}

/// Answers `q` for fiscal years `first..=last` from the year aggregates; none for a question
/// they cannot answer (months).
pub fn answer_from_years(
    c: &Connection,
    q: &Question,
    first: i32,
    last: i32,
) -> rusqlite::Result<Option<Answer>> {
    let mut rows = BTreeMap::new();
    let (people_sql, unregistered_sql) = match q {
        Question::CenterMonths { .. } => return Ok(None),
        Question::MunicipalityFunction => (
            "SELECT c.municipality, y.function, sum(y.participations), count(DISTINCT y.common_id)
             FROM stats_person_years y JOIN centers c ON c.code = y.center
             WHERE y.fiscal_year BETWEEN ?1 AND ?2 GROUP BY 1, 2",
            "SELECT c.municipality, y.function, sum(y.unregistered_elderly + y.unregistered_disabled
                    + y.unregistered_child + y.unregistered_other)
             FROM stats_activity_years y JOIN centers c ON c.code = y.center
             WHERE y.fiscal_year BETWEEN ?1 AND ?2 GROUP BY 1, 2",
        ),
        Question::AgeBandCategory => (
            "SELECT age_band, category, sum(participations), count(DISTINCT common_id)
             FROM stats_person_year_categories WHERE fiscal_year BETWEEN ?1 AND ?2 GROUP BY 1, 2",
            // Unregistered people: age band unknown, their group as their category.
            "SELECT 'unknown', 'elderly', sum(unregistered_elderly) FROM stats_activity_years
               WHERE fiscal_year BETWEEN ?1 AND ?2
             UNION ALL SELECT 'unknown', 'disabled', sum(unregistered_disabled) FROM stats_activity_years
               WHERE fiscal_year BETWEEN ?1 AND ?2
             UNION ALL SELECT 'unknown', 'child', sum(unregistered_child) FROM stats_activity_years
               WHERE fiscal_year BETWEEN ?1 AND ?2
             UNION ALL SELECT 'unknown', 'other', sum(unregistered_other) FROM stats_activity_years
               WHERE fiscal_year BETWEEN ?1 AND ?2",
        ),
        Question::FiscalYears => (
            "SELECT fiscal_year, NULL, sum(participations), count(DISTINCT common_id)
             FROM stats_person_years WHERE fiscal_year BETWEEN ?1 AND ?2 GROUP BY 1",
            "SELECT fiscal_year, NULL, sum(unregistered_elderly + unregistered_disabled
                    + unregistered_child + unregistered_other)
             FROM stats_activity_years WHERE fiscal_year BETWEEN ?1 AND ?2 GROUP BY 1",
        ),
    };
    let key = |r: &rusqlite::Row| -> rusqlite::Result<Vec<String>> {
        let mut k: Vec<String> = vec![match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(_) => fy(r)?,
            _ => r.get(0)?,
        }];
        if let Some(second) = r.get::<_, Option<String>>(1)? {
            k.push(second);
        }
        Ok(k)
    };
    let mut s = c.prepare_cached(people_sql)?;
    let mut r = s.query(params![first, last])?;
    while let Some(r) = r.next()? {
        add(&mut rows, key(r)?, 2, &[(0, n(r, 2)?), (1, n(r, 3)?)]);
    }
    let mut s = c.prepare_cached(unregistered_sql)?;
    let mut r = s.query(params![first, last])?;
    while let Some(r) = r.next()? {
        add(&mut rows, key(r)?, 2, &[(0, n(r, 2)?)]);
    }
    rows.retain(|_, v| v.iter().any(|x| *x > 0));
    let totals = match q {
        Question::FiscalYears => None,
        _ => {
            let (registered, people): (u64, u64) = c
                .prepare_cached(
                    "SELECT sum(participations), count(DISTINCT common_id) FROM stats_person_years
                     WHERE fiscal_year BETWEEN ?1 AND ?2",
                )?
                .query_row(params![first, last], |r| Ok((n(r, 0)?, n(r, 1)?)))?;
            let unregistered = c
                .prepare_cached(
                    "SELECT sum(unregistered_elderly + unregistered_disabled + unregistered_child
                            + unregistered_other)
                     FROM stats_activity_years WHERE fiscal_year BETWEEN ?1 AND ?2",
                )?
                .query_row(params![first, last], |r| n(r, 0))?;
            Some(vec![registered + unregistered, people])
        }
    };
    Ok(Some((rows, totals)))
}

/// Participations (registered and unregistered) and distinct people over the whole range, of
/// one centre or of all.
fn registered_totals(
    c: &Connection,
    from: &str,
    to: &str,
    center: Option<&str>,
) -> rusqlite::Result<Vec<u64>> {
    let (people_sql, unregistered_sql) = if center.is_some() {
        (
            "SELECT count(*), count(DISTINCT p.common_id)
             FROM activities a JOIN participations p ON p.activity_id = a.id
             WHERE a.center = ?3 AND a.date BETWEEN ?1 AND ?2",
            "SELECT sum(unregistered_elderly + unregistered_disabled + unregistered_child + unregistered_other)
             FROM activities WHERE center = ?3 AND date BETWEEN ?1 AND ?2",
        )
    } else {
        (
            "SELECT count(*), count(DISTINCT p.common_id)
             FROM activities a JOIN participations p ON p.activity_id = a.id
             WHERE a.date BETWEEN ?1 AND ?2 AND ?3 IS NULL",
            "SELECT sum(unregistered_elderly + unregistered_disabled + unregistered_child + unregistered_other)
             FROM activities WHERE date BETWEEN ?1 AND ?2 AND ?3 IS NULL",
        )
    };
    let (registered, people): (u64, u64) = c
        .prepare_cached(people_sql)?
        .query_row(params![from, to, center], |r| Ok((n(r, 0)?, n(r, 1)?)))?;
    let unregistered: u64 = c
        .prepare_cached(unregistered_sql)?
        .query_row(params![from, to, center], |r| n(r, 0))?;
    Ok(vec![registered + unregistered, people])
}

/// How big the database is: rows of the fact tables and the span of activity dates.
pub fn sizes(c: &Connection) -> rusqlite::Result<Vec<(&'static str, String)>> {
    let count = |sql: &str| -> rusqlite::Result<String> {
        c.query_row(sql, [], |r| Ok(r.get::<_, i64>(0)?.to_string()))
    };
    let span: (Option<String>, Option<String>) =
        c.query_row("SELECT min(date), max(date) FROM activities", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(vec![
        ("centres", count("SELECT count(*) FROM centers")?),
        (
            "municipalities with a centre",
            count("SELECT count(DISTINCT municipality) FROM centers")?,
        ),
        ("registrations (persons)", count("SELECT count(*) FROM persons")?),
        ("activities", count("SELECT count(*) FROM activities")?),
        ("participations", count("SELECT count(*) FROM participations")?),
        (
            "participation categories",
            count("SELECT count(*) FROM participation_categories")?,
        ),
        (
            "unregistered headcount",
            count(
                "SELECT coalesce(sum(unregistered_elderly + unregistered_disabled + unregistered_child
                                     + unregistered_other), 0) FROM activities",
            )?,
        ),
        (
            "activity dates",
            format!("{} … {}", span.0.unwrap_or_default(), span.1.unwrap_or_default()),
        ),
    ])
}

/// Copies everything in the write-ahead log into the database file and empties the log, so
/// reads go through the memory map rather than the log (after a migration wrote much).
/// The first and last fiscal years with activities.
pub type YearSpan = Option<(i32, i32)>;

/// The centres' codes and the first and last fiscal years with activities (the load run's mix).
pub fn centers_and_years(c: &Connection) -> rusqlite::Result<(Vec<String>, YearSpan)> {
    let mut s = c.prepare("SELECT code FROM centers ORDER BY code")?;
    let centers = s
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let years = c.query_row(
        "SELECT min(fiscal_year), max(fiscal_year) FROM activities",
        [],
        |r| Ok(r.get::<_, Option<i32>>(0)?.zip(r.get::<_, Option<i32>>(1)?)),
    )?;
    Ok((centers, years))
}

/// Checkpoints the WAL into the database file.
pub fn settle(path: &str) -> anyhow::Result<()> {
    let c = Connection::open(path).with_context(|| format!("opening {path}"))?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_come_in_code_order_with_the_span_of_fiscal_years_and_none_without_activities() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE centers (code TEXT PRIMARY KEY);
             CREATE TABLE activities (fiscal_year INTEGER);
             INSERT INTO centers VALUES ('C002'), ('C001');",
        )
        .unwrap();
        assert_eq!(
            centers_and_years(&c).unwrap(),
            (vec!["C001".to_owned(), "C002".to_owned()], None)
        );
        c.execute_batch("INSERT INTO activities VALUES (2025), (2021), (2023);")
            .unwrap();
        assert_eq!(centers_and_years(&c).unwrap().1, Some((2021, 2025)));
    }
}
