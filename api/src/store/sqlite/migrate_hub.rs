//! `attaka migrate-hub`, the SQLite side: a hub database's tables read whole, read-only, as
//! plain values for the SQL Server side to type.

use anyhow::Context;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::store::mssql::migrate_hub::{is_schema_table, Value};

/// The source database, opened read-only (the node must not be running on it).
pub struct Source {
    conn: Connection,
}

impl Source {
    pub fn open(path: &str) -> anyhow::Result<Source> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening SQLite database {path} read-only"))?;
        Ok(Source { conn })
    }

    /// Whether the source has `table`.
    pub fn has_table(&self, table: &str) -> anyhow::Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// The first and last activity dates, when there are activities.
    pub fn activity_span(&self) -> anyhow::Result<Option<(String, String)>> {
        let (min, max): (Option<String>, Option<String>) =
            self.conn
                .query_row("SELECT MIN(date), MAX(date) FROM activities", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        Ok(min.zip(max))
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> anyhow::Result<u64> {
        anyhow::ensure!(is_schema_table(table), "{table:?} is not a hub table");
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Every row of `table`, the given columns in order, ordered by the first column (ids stay in order).
    pub fn rows(&self, table: &str, columns: &[String]) -> anyhow::Result<Vec<Vec<Value>>> {
        anyhow::ensure!(is_schema_table(table), "{table:?} is not a hub table");
        let list: Vec<String> = columns
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        let sql = format!("SELECT {} FROM \"{table}\" ORDER BY 1", list.join(", "));
        let mut stmt = self
            .conn
            .prepare(&sql)
            .with_context(|| format!("reading {table} from SQLite"))?;
        let rows = stmt.query_map([], |r| {
            (0..columns.len())
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(n) => Value::Int(n),
                        ValueRef::Real(f) => Value::Real(f),
                        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
