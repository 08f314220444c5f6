//! SQL for the de-identified record extracts, read in chunks so memory does not grow with the
//! number of rows. As in stats.rs, only constant expressions and placeholders are joined here.

use std::collections::HashMap;

use rusqlite::{params_from_iter, Connection};

use crate::stats::extract::{ExtractKind, ExtractQuery, Rows};
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
        (ExtractKind::Participations, Dimension::Municipality) => {
            "(SELECT municipality FROM centers WHERE code = a.center)"
        }
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
        // Category is matched through EXISTS, the region through `region_filter`, below.
        (_, Dimension::Category) | (_, Dimension::Region) => "''",
    }
}

/// The region filter's expression and the values its own placeholders take (before the
/// codes'): a record's region is its municipality's on the record's date, a person's on the
/// last day of the period (decision 0026).
fn region_filter(kind: ExtractKind, to: &str) -> (String, Vec<String>) {
    use super::stats::region_of;
    match kind {
        ExtractKind::Persons => (
            region_of("c.municipality", "?"),
            vec![to.to_owned(), to.to_owned()],
        ),
        ExtractKind::Activities => (region_of("c.municipality", "a.date"), Vec::new()),
        ExtractKind::Participations => (
            region_of(
                "(SELECT municipality FROM centers WHERE code = a.center)",
                "a.date",
            ),
            Vec::new(),
        ),
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Streams the rows of `q` to `sink` in chunks; stops early when `sink` returns false.
/// Returns the number of rows sent.
pub fn extract(c: &mut Connection, q: &ExtractQuery, sink: &mut dyn FnMut(Rows) -> bool) -> StoreResult<u64> {
    let (from, to) = (q.from.to_string(), q.to.to_string());
    let last_day = to.clone();
    let mut binds: Vec<String> = Vec::new();
    let mut sql = match q.kind {
        ExtractKind::Participations => {
            binds.extend([from, to]);
            // Municipality and categories are filled in below: a join per row to `centers`
            // and a category lookup per participation cost more than the rest of the row.
            "SELECT p.activity_id, p.common_id, a.center, '', coalesce(a.site, ''), a.date,
                    'FY' || a.fiscal_year, a.function, p.sex, p.age_band, p.reporting_group, '',
                    p.care_level, p.household
             FROM participations p JOIN activities a ON a.id = p.activity_id
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
        } else if *d == Dimension::Region {
            let (expr, own) = region_filter(q.kind, &last_day);
            sql.push_str(&format!(" AND {expr} IN ({})", placeholders(codes.len())));
            binds.extend(own);
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
        // `a.id` (not `p.activity_id`): the planner then walks the participations of each
        // activity in key order instead of sorting them.
        ExtractKind::Participations => " ORDER BY a.date, a.center, a.id, p.common_id",
    });
    let columns = q.kind.columns().len();
    let participations = q.kind == ExtractKind::Participations;
    let municipality_of: HashMap<String, String> = if participations {
        c.prepare("SELECT code, municipality FROM centers")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    } else {
        HashMap::new()
    };
    // One lookup per activity gives the categories of all its participations, in the order
    // the participations come (common ID, then category).
    let mut categories_of = c.prepare(
        "SELECT common_id, category FROM participation_categories WHERE activity_id = ?1
         ORDER BY common_id, category",
    )?;
    let mut categories: Vec<(String, String)> = Vec::new();
    let mut categories_for = String::new();
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(binds.iter()))?;
    let mut chunk = Rows::new(columns, CHUNK);
    let mut sent = 0u64;
    while let Some(r) = rows.next()? {
        let first = chunk.fields();
        for i in 0..columns {
            // Participations: column 3 is the municipality of the centre in column 2, column
            // 11 the categories of the person in column 1 at the activity in column 0.
            if participations && i == 3 {
                let m = municipality_of
                    .get(chunk.field(first + 2))
                    .map_or("", String::as_str);
                chunk.push(m);
                continue;
            }
            if participations && i == 11 {
                if chunk.field(first) != categories_for {
                    categories_for = chunk.field(first).to_owned();
                    categories.clear();
                    let mut found = categories_of.query([&categories_for])?;
                    while let Some(f) = found.next()? {
                        let (id, category): (String, String) = (f.get(0)?, f.get(1)?);
                        match categories.last_mut() {
                            Some((last, joined)) if *last == id => {
                                joined.push(';');
                                joined.push_str(&category);
                            }
                            _ => categories.push((id, category)),
                        }
                    }
                }
                let person = chunk.field(first + 1);
                let at = categories.binary_search_by(|(id, _)| id.as_str().cmp(person));
                chunk.push(at.map_or("", |k| categories[k].1.as_str()));
                continue;
            }
            match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => chunk.push(""),
                rusqlite::types::ValueRef::Integer(n) => chunk.push_int(n),
                // The store writes UTF-8 only: validate (fast) and borrow; repair only if not.
                rusqlite::types::ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(text) => chunk.push(text),
                    Err(_) => chunk.push(&String::from_utf8_lossy(t)),
                },
                other => chunk.push(&format!("{other:?}")),
            }
        }
        if chunk.len() == CHUNK {
            sent += CHUNK as u64;
            if !sink(std::mem::replace(&mut chunk, Rows::new(columns, CHUNK))) {
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
