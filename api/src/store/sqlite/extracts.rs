//! SQL for the de-identified record extracts, read in chunks so memory does not grow with the
//! number of rows. As in stats.rs, only constant expressions and placeholders are joined here.

use rusqlite::{params_from_iter, Connection};

use crate::stats::extract::{ExtractKind, ExtractQuery};
use crate::stats::Dimension;
use crate::store::StoreResult;

/// Rows handed to the sink at a time.
pub const CHUNK: usize = 2000;

/// The single reporting group of a person at a centre, by the precedence in master data.
const PERSON_GROUP: &str = "(SELECT g.code FROM person_categories pc
     JOIN master_items ci ON ci.list = 'categories' AND ci.code = pc.category
     JOIN master_items g ON g.list = 'groups' AND g.code = ci.parent
   WHERE pc.center = p.center AND pc.common_id = p.common_id ORDER BY g.rank LIMIT 1)";

fn filter_expr(kind: ExtractKind, d: Dimension) -> &'static str {
    match (kind, d) {
        (ExtractKind::Persons, Dimension::Municipality) => "c.municipality",
        (ExtractKind::Persons, Dimension::Center) => "p.center",
        (ExtractKind::Persons, Dimension::Group) => PERSON_GROUP,
        (_, Dimension::FiscalYear) => "('FY' || a.fiscal_year)",
        (_, Dimension::Quarter) => {
            "('FY' || a.fiscal_year || 'Q' || ((CAST(substr(a.date, 6, 2) AS INTEGER) + 8) % 12 / 3 + 1))"
        }
        (_, Dimension::Month) => "substr(a.date, 1, 7)",
        (_, Dimension::Date) => "a.date",
        (_, Dimension::Municipality) => "c.municipality",
        (_, Dimension::Center) => "a.center",
        (_, Dimension::Site) => "coalesce(a.site, '')",
        (_, Dimension::Function) => "a.function",
        (_, Dimension::Sex) => "p.sex",
        (_, Dimension::AgeBand) => "p.age_band",
        (_, Dimension::Group) => "p.reporting_group",
        (_, Dimension::CareLevel) => "p.care_level",
        (_, Dimension::Household) => "p.household",
        // Category is matched through EXISTS below.
        (_, Dimension::Category) => "''",
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Streams the rows of `q` to `sink` in chunks; stops early when `sink` returns false.
/// Returns the number of rows sent.
pub fn extract(
    c: &mut Connection,
    q: &ExtractQuery,
    sink: &mut dyn FnMut(Vec<Vec<String>>) -> bool,
) -> StoreResult<u64> {
    let (from, to) = (q.from.to_string(), q.to.to_string());
    let mut binds: Vec<String> = Vec::new();
    let mut sql = match q.kind {
        ExtractKind::Participations => {
            binds.extend([from, to]);
            "SELECT p.activity_id, p.common_id, a.center, c.municipality, coalesce(a.site, ''), a.date,
                    'FY' || a.fiscal_year, a.function, p.sex, p.age_band, p.reporting_group,
                    (SELECT group_concat(category, ';') FROM (SELECT category FROM participation_categories pc
                       WHERE pc.activity_id = p.activity_id AND pc.common_id = p.common_id ORDER BY category)),
                    p.care_level, p.household
             FROM participations p JOIN activities a ON a.id = p.activity_id JOIN centers c ON c.code = a.center
             WHERE a.date BETWEEN ? AND ?"
                .to_owned()
        }
        ExtractKind::Activities => {
            binds.extend([from, to]);
            "SELECT a.id, a.center, c.municipality, coalesce(a.site, ''), a.date, 'FY' || a.fiscal_year, a.function,
                    (SELECT count(*) FROM participations p WHERE p.activity_id = a.id),
                    a.unregistered_elderly, a.unregistered_disabled, a.unregistered_child, a.unregistered_other,
                    a.staff_count, a.volunteer_count
             FROM activities a JOIN centers c ON c.code = a.center
             WHERE a.date BETWEEN ? AND ?"
                .to_owned()
        }
        ExtractKind::Persons => {
            // Everyone whose registration overlaps the period.
            binds.extend([to, from]);
            format!(
                "SELECT p.common_id, p.center, c.municipality, p.sex, p.birth_year_month, p.residence_municipality,
                        {PERSON_GROUP},
                        (SELECT group_concat(category, ';') FROM (SELECT category FROM person_categories pc
                           WHERE pc.center = p.center AND pc.common_id = p.common_id ORDER BY category)),
                        p.care_level, p.household, p.registered_on, p.ended_on, p.end_reason
                 FROM persons p JOIN centers c ON c.code = p.center
                 WHERE p.registered_on <= ? AND (p.ended_on IS NULL OR p.ended_on >= ?)"
            )
        }
    };
    for (d, codes) in &q.filters {
        if *d == Dimension::Category {
            let table = match q.kind {
                ExtractKind::Persons => {
                    "person_categories pc WHERE pc.center = p.center AND pc.common_id = p.common_id"
                }
                _ => "participation_categories pc WHERE pc.activity_id = p.activity_id AND pc.common_id = p.common_id",
            };
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM {table} AND pc.category IN ({}))",
                placeholders(codes.len())
            ));
        } else {
            sql.push_str(&format!(
                " AND {} IN ({})",
                filter_expr(q.kind, *d),
                placeholders(codes.len())
            ));
        }
        binds.extend(codes.iter().cloned());
    }
    sql.push_str(match q.kind {
        ExtractKind::Persons => " ORDER BY p.center, p.common_id",
        ExtractKind::Activities => " ORDER BY a.date, a.center, a.id",
        ExtractKind::Participations => " ORDER BY a.date, a.center, p.activity_id, p.common_id",
    });
    let columns = q.kind.columns().len();
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(binds.iter()))?;
    let mut chunk: Vec<Vec<String>> = Vec::with_capacity(CHUNK);
    let mut sent = 0u64;
    while let Some(r) = rows.next()? {
        let mut record = Vec::with_capacity(columns);
        for i in 0..columns {
            let v = match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => String::new(),
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            };
            record.push(v);
        }
        chunk.push(record);
        if chunk.len() == CHUNK {
            sent += CHUNK as u64;
            if !sink(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))) {
                return Ok(sent);
            }
        }
    }
    if !chunk.is_empty() {
        sent += chunk.len() as u64;
        sink(chunk);
    }
    Ok(sent)
}
