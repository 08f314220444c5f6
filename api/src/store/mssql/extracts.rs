//! SQL for the de-identified record extracts in T-SQL (the columns and order of
//! `store/sqlite/extracts.rs`), streamed in chunks so memory does not grow with the number of
//! rows. Only constant expressions and `@Pn` placeholders are joined here.
//!
//! The `;`-joined categories come from STRING_AGG without `WITHIN GROUP` (Babelfish refuses
//! that clause) and are put in code order here, as SQLite's ordered group_concat gives them.

use futures_util::TryStreamExt;
use tiberius::ToSql;

use super::conn::{text_of, Conn, Param};
use super::stats::Sql;
use crate::stats::extract::{ExtractKind, ExtractQuery, Rows};
use crate::stats::Dimension;
use crate::store::{StoreError, StoreResult};

/// Rows handed to the receiver at a time.
pub const CHUNK: usize = 2000;

/// The single reporting group of a person at a centre, by the precedence in master data.
const PERSON_GROUP: &str = "(SELECT TOP (1) g.code FROM person_categories pc
     JOIN master_items ci ON ci.list = N'categories' AND ci.code = pc.category
     JOIN master_items g ON g.list = N'groups' AND g.code = ci.parent
   WHERE pc.center = p.center AND pc.common_id = p.common_id ORDER BY g.rank)";

fn filter_expr(kind: ExtractKind, d: Dimension) -> &'static str {
    match (kind, d) {
        (ExtractKind::Persons, Dimension::Municipality) => "c.municipality",
        (ExtractKind::Persons, Dimension::Center) => "p.center",
        (ExtractKind::Persons, Dimension::Group) => PERSON_GROUP,
        (_, Dimension::FiscalYear) => "CONCAT(N'FY', a.fiscal_year)",
        (_, Dimension::Quarter) => "CONCAT(N'FY', a.fiscal_year, N'Q', (MONTH(a.date) + 8) % 12 / 3 + 1)",
        (_, Dimension::Month) => "CONCAT(YEAR(a.date), N'-', RIGHT(CONCAT(N'0', MONTH(a.date)), 2))",
        (_, Dimension::Date) => {
            "CONCAT(YEAR(a.date), N'-', RIGHT(CONCAT(N'0', MONTH(a.date)), 2), N'-', RIGHT(CONCAT(N'0', DAY(a.date)), 2))"
        }
        (_, Dimension::Municipality) => "c.municipality",
        (_, Dimension::Center) => "a.center",
        (_, Dimension::Site) => "ISNULL(a.site, N'')",
        (_, Dimension::Function) => "a.[function]",
        (_, Dimension::Sex) => "p.sex",
        (_, Dimension::AgeBand) => "p.age_band",
        (_, Dimension::Group) => "p.reporting_group",
        (_, Dimension::CareLevel) => "p.care_level",
        (_, Dimension::Household) => "p.household",
        // Category is matched through EXISTS, the region by its own expression, below.
        (_, Dimension::Category) | (_, Dimension::Region) => "N''",
    }
}

/// The column holding `;`-joined categories, per kind.
fn categories_column(kind: ExtractKind) -> Option<usize> {
    match kind {
        ExtractKind::Participations => Some(11),
        ExtractKind::Persons => Some(7),
        ExtractKind::Activities => None,
    }
}

/// The query of `q`.
pub(crate) fn query(q: &ExtractQuery) -> Sql {
    let mut sql = Sql::default();
    match q.kind {
        ExtractKind::Participations => {
            sql.push(
                "SELECT p.activity_id, p.common_id, a.center, c.municipality, ISNULL(a.site, N''), a.date,
                        CONCAT(N'FY', a.fiscal_year), a.[function], p.sex, p.age_band, p.reporting_group,
                        (SELECT STRING_AGG(pc.category, N';') FROM participation_categories pc
                          WHERE pc.activity_id = p.activity_id AND pc.common_id = p.common_id),
                        p.care_level, p.household
                 FROM participations p JOIN activities a ON a.id = p.activity_id
                   JOIN centers c ON c.code = a.center
                 WHERE a.date BETWEEN ",
            )
            .bind(Param::Date(q.from))
            .push(" AND ")
            .bind(Param::Date(q.to));
        }
        ExtractKind::Activities => {
            sql.push(
                "SELECT a.id, a.center, c.municipality, ISNULL(a.site, N''), a.date, CONCAT(N'FY', a.fiscal_year),
                        a.[function], (SELECT COUNT_BIG(*) FROM participations p WHERE p.activity_id = a.id),
                        a.unregistered_elderly, a.unregistered_disabled, a.unregistered_child, a.unregistered_other,
                        a.staff_count, a.volunteer_count
                 FROM activities a JOIN centers c ON c.code = a.center
                 WHERE a.date BETWEEN ",
            )
            .bind(Param::Date(q.from))
            .push(" AND ")
            .bind(Param::Date(q.to));
        }
        ExtractKind::Persons => {
            // Everyone whose registration overlaps the period.
            sql.push(
                "SELECT p.common_id, p.center, c.municipality, p.sex, p.birth_year_month, p.residence_municipality,
                        ",
            )
            .push(PERSON_GROUP)
            .push(
                ",
                        (SELECT STRING_AGG(pc.category, N';') FROM person_categories pc
                          WHERE pc.center = p.center AND pc.common_id = p.common_id),
                        p.care_level, p.household, p.registered_on, p.ended_on, p.end_reason
                 FROM persons p JOIN centers c ON c.code = p.center
                 WHERE p.registered_on <= ",
            )
            .bind(Param::Date(q.to))
            .push(" AND (p.ended_on IS NULL OR p.ended_on >= ")
            .bind(Param::Date(q.from))
            .push(")");
        }
    }
    for (d, codes) in &q.filters {
        if *d == Dimension::Category {
            sql.push(match q.kind {
                ExtractKind::Persons => {
                    " AND EXISTS (SELECT 1 FROM person_categories pc WHERE pc.center = p.center AND pc.common_id = p.common_id"
                }
                _ => {
                    " AND EXISTS (SELECT 1 FROM participation_categories pc WHERE pc.activity_id = p.activity_id AND pc.common_id = p.common_id"
                }
            });
            sql.and_in("pc.category", codes);
            sql.push(")");
        } else if *d == Dimension::Region {
            // A record's region is its municipality's on the record's date, a person's on the
            // last day of the period (decision 0026).
            let date = match q.kind {
                ExtractKind::Persons => {
                    sql.binds.push(Param::Date(q.to));
                    format!("@P{}", sql.binds.len())
                }
                _ => "a.date".to_owned(),
            };
            sql.and_in(&super::stats::region_of("c.municipality", &date), codes);
        } else {
            sql.and_in(filter_expr(q.kind, *d), codes);
        }
    }
    sql.push(match q.kind {
        ExtractKind::Persons => " ORDER BY p.center, p.common_id",
        ExtractKind::Activities => " ORDER BY a.date, a.center, a.id",
        ExtractKind::Participations => " ORDER BY a.date, a.center, a.id, p.common_id",
    });
    sql
}

/// `b;a;c` as `a;b;c`.
fn sorted_codes(joined: &str) -> String {
    let mut codes: Vec<&str> = joined.split(';').filter(|c| !c.is_empty()).collect();
    codes.sort_unstable();
    codes.join(";")
}

/// Streams the rows of `q` to `rows` in chunks; stops early, without error, when the receiver
/// is gone. Returns the number of rows sent.
pub async fn extract(
    c: &mut Conn,
    q: &ExtractQuery,
    rows: tokio::sync::mpsc::Sender<Rows>,
) -> StoreResult<u64> {
    let sql = query(q);
    let columns = q.kind.columns().len();
    let categories = categories_column(q.kind);
    let params: Vec<&dyn ToSql> = sql.binds.iter().map(|p| p as &dyn ToSql).collect();
    let mut chunk = Rows::new(columns, CHUNK);
    let mut sent = 0u64;
    let finished = async {
        let mut stream = c
            .stream_client()
            .query(sql.text.as_str(), &params)
            .await
            .map_err(|e| StoreError::Other(anyhow::Error::new(e)))?
            .into_row_stream();
        while let Some(r) = stream
            .try_next()
            .await
            .map_err(|e| StoreError::Other(anyhow::Error::new(e)))?
        {
            for (i, (_, cell)) in r.cells().enumerate().take(columns) {
                let text = text_of(cell)?.unwrap_or_default();
                if Some(i) == categories {
                    chunk.push(&sorted_codes(&text));
                } else {
                    chunk.push(&text);
                }
            }
            if chunk.len() == CHUNK {
                sent += CHUNK as u64;
                let full = std::mem::replace(&mut chunk, Rows::new(columns, CHUNK));
                if rows.send(full).await.is_err() {
                    // The rest is left unread: the connection is closed, not pooled.
                    return Ok::<_, StoreError>(false);
                }
            }
        }
        Ok(true)
    }
    .await?;
    if !finished {
        return Ok(sent);
    }
    c.settle();
    if !chunk.is_empty() {
        sent += chunk.len() as u64;
        let _ = rows.send(chunk).await;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_categories_come_out_in_code_order() {
        assert_eq!(sorted_codes("other;disabled;elderly"), "disabled;elderly;other");
        assert_eq!(sorted_codes(""), "");
    }
}
