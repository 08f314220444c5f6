//! `attaka migrate-hub --from <sqlite> [--to <sqlserver>]`: copies a hub's SQLite database into
//! SQL Server, table by table in foreign-key order (the order `migrations/sqlserver/` creates
//! them), each table in one transaction recorded in `hub_migration_progress` on the target, so
//! a rerun skips what is done and redoes what was interrupted. Then it checks: rows per table,
//! and the statistics of every fiscal year with activities, exactly, on both stores.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::NaiveDate;

use crate::stats::{Dimension, Measure, StatsQuery};
use crate::store::mssql::migrate_hub::schema_tables;
use crate::store::mssql::MssqlStore;
use crate::store::sqlite::migrate_hub::Source;
use crate::store::sqlite::{HubNode, SqliteStore};
use crate::store::CommonStore;

/// What a run did and found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// (table, rows) copied in this run.
    pub copied: Vec<(String, u64)>,
    /// Tables skipped as already copied.
    pub skipped: Vec<String>,
    /// Every difference found by the checks (empty: the copy is faithful).
    pub differences: Vec<String>,
    /// Statistics questions compared.
    pub questions: usize,
    /// The report, for people.
    pub report: String,
}

fn sqlite_path(from: &str) -> &str {
    from.strip_prefix("sqlite://")
        .or_else(|| from.strip_prefix("sqlite:"))
        .unwrap_or(from)
}

/// The questions compared: for each fiscal year, every measure by fiscal year and in total,
/// activity measures by municipality × function, registry measures by municipality.
pub fn questions(first: NaiveDate, last: NaiveDate) -> Vec<StatsQuery> {
    let first_year = shared::dates::fiscal_year(first);
    let last_year = shared::dates::fiscal_year(last);
    let registry: Vec<Measure> = Measure::ALL.iter().copied().filter(|m| m.is_registry()).collect();
    let activity: Vec<Measure> = Measure::ALL
        .iter()
        .copied()
        .filter(|m| !m.is_registry())
        .collect();
    let mut out = Vec::new();
    for year in first_year..=last_year {
        let (from, to) = shared::dates::fiscal_year_range(year);
        let q = |measures: &[Measure], dims: &[Dimension]| StatsQuery {
            measures: measures.to_vec(),
            dims: dims.to_vec(),
            from,
            to,
            filters: Vec::new(),
        };
        out.push(q(&Measure::ALL, &[Dimension::FiscalYear]));
        out.push(q(&Measure::ALL, &[]));
        out.push(q(&activity, &[Dimension::Municipality, Dimension::Function]));
        out.push(q(&registry, &[Dimension::Municipality]));
    }
    out
}

/// Runs the copy and the checks; `Outcome::differences` empty means the target matches.
pub async fn run(from: &str, to: &str) -> anyhow::Result<Outcome> {
    let path = sqlite_path(from).to_owned();
    anyhow::ensure!(
        std::path::Path::new(&path).exists(),
        "no SQLite database at {path}"
    );
    let target = MssqlStore::open(to, 2).await?;
    target
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("migrating the target's schema")?;
    let tables = schema_tables();
    let done: Vec<String> = target
        .migration_progress()
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();

    let mut out = Outcome::default();
    // Empty what is not recorded as copied, children first: seeded rows, an interrupted copy.
    for table in tables.iter().rev() {
        if !done.contains(table) {
            target.migration_clear(table).await?;
        }
    }
    for table in &tables {
        if done.contains(table) {
            out.skipped.push(table.clone());
            continue;
        }
        let columns = target.migration_columns(table).await?;
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let source_path = path.clone();
        let table_name = table.clone();
        let rows = tokio::task::spawn_blocking(move || {
            let source = Source::open(&source_path)?;
            if !source.has_table(&table_name)? {
                return Ok(Vec::new());
            }
            source.rows(&table_name, &names)
        })
        .await??;
        let n = target.migration_copy(table, &columns, &rows).await?;
        tracing::info!(table = %table, rows = n, "copied");
        out.copied.push((table.clone(), n));
    }

    // Checks: rows per table.
    let source_path = path.clone();
    let tables_for_count = tables.clone();
    let (source_counts, span) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let source = Source::open(&source_path)?;
        let mut counts = Vec::new();
        for t in &tables_for_count {
            counts.push(if source.has_table(t)? { source.count(t)? } else { 0 });
        }
        Ok((counts, source.activity_span()?))
    })
    .await??;
    let mut report = String::new();
    let _ = writeln!(report, "table                              source     target");
    for (table, source_n) in tables.iter().zip(&source_counts) {
        let target_n = target.migration_count(table).await?;
        let mark = if target_n == *source_n { "" } else { "  DIFFERENT" };
        let _ = writeln!(report, "{table:<32} {source_n:>8} {target_n:>10}{mark}");
        if target_n != *source_n {
            out.differences.push(format!(
                "{table}: {source_n} rows on SQLite, {target_n} on SQL Server"
            ));
        }
    }

    // Checks: the statistics of every fiscal year with activities, on both stores.
    if let Some((first, last)) = span {
        let first = NaiveDate::parse_from_str(&first, "%Y-%m-%d").context("first activity date")?;
        let last = NaiveDate::parse_from_str(&last, "%Y-%m-%d").context("last activity date")?;
        let source = SqliteStore::<HubNode>::open(&path, 1).await?;
        for q in questions(first, last) {
            out.questions += 1;
            // Rows compared as sets: the order of rows is the caller's to choose (`/stats` sorts).
            let mut a = source.stats(&q).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
            let mut b = target.stats(&q).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
            a.sort();
            b.sort();
            if a != b {
                let first = a
                    .iter()
                    .zip(&b)
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!("; first difference: SQLite {x:?}, SQL Server {y:?}"))
                    .unwrap_or_default();
                out.differences.push(format!(
                    "statistics {:?} by {:?} from {} to {}: SQLite {} rows, SQL Server {} rows, not equal{first}",
                    q.measures,
                    q.dims,
                    q.from,
                    q.to,
                    a.len(),
                    b.len()
                ));
            }
        }
    }
    let _ = writeln!(
        report,
        "copied {} table(s), skipped {} already copied; compared {} statistics question(s); {}",
        out.copied.len(),
        out.skipped.len(),
        out.questions,
        if out.differences.is_empty() {
            "no difference".to_owned()
        } else {
            format!("{} difference(s):", out.differences.len())
        }
    );
    for d in &out.differences {
        let _ = writeln!(report, "  {d}");
    }
    out.report = report;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_cover_each_fiscal_year_and_never_break_registry_measures_down_by_function() {
        let qs = questions(
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        );
        assert_eq!(qs.len(), 4 * 3, "fiscal years 2023, 2024, 2025");
        for q in &qs {
            if q.dims.contains(&Dimension::Function) {
                assert!(q.measures.iter().all(|m| !m.is_registry()));
            }
        }
        assert!(qs
            .iter()
            .any(|q| q.measures.len() == Measure::ALL.len() && q.dims.is_empty()));
    }
}
