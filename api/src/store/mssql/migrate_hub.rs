//! `attaka migrate-hub`, the SQL Server side: the target's columns, the progress table, and one
//! table's rows written in one transaction (see `ops::migrate_hub` for the order and the checks).
//!
//! Table names never come from the source: they are the names `migrations/sqlserver/` creates
//! (checked by [`is_schema_table`] before they enter a statement's text, bracket-quoted).
//! Values are always parameters (`@P1…`), at most [`MAX_PARAMS`] per statement.

use std::borrow::Cow;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use tiberius::{ColumnData, ToSql};

use super::conn::{int, opt_int, str, Conn};
use super::migrations::MIGRATIONS;
use super::MssqlStore;
use crate::store::StoreResult;

/// Parameters per INSERT at most (SQL Server takes 2100).
pub const MAX_PARAMS: usize = 2000;

pub(super) const CREATE_PROGRESS: &str = "IF OBJECT_ID(N'hub_migration_progress', N'U') IS NULL
CREATE TABLE hub_migration_progress (
    table_name NVARCHAR(128) NOT NULL PRIMARY KEY,
    rows       BIGINT NOT NULL,
    copied_at  DATETIME2 NOT NULL
)";
pub(super) const FINISHED: &str = "SELECT table_name, rows FROM hub_migration_progress";
pub(super) const RECORD: &str =
    "INSERT INTO hub_migration_progress (table_name, rows, copied_at) VALUES (@P1, @P2, SYSUTCDATETIME())";
pub(super) const FORGET: &str = "DELETE FROM hub_migration_progress WHERE table_name = @P1";
pub(super) const COLUMNS: &str = "SELECT COLUMN_NAME, DATA_TYPE,
    COLUMNPROPERTY(OBJECT_ID(TABLE_NAME), COLUMN_NAME, 'IsIdentity')
FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = @P1
  AND COLUMNPROPERTY(OBJECT_ID(TABLE_NAME), COLUMN_NAME, 'IsComputed') = 0
ORDER BY ORDINAL_POSITION";

/// Statements built from a table name (the parse test checks them with an example name).
#[cfg(test)]
const DELETE_EXAMPLE: &str = "DELETE FROM [activities]";
#[cfg(test)]
const COUNT_EXAMPLE: &str = "SELECT COUNT_BIG(*) FROM [activities]";
#[cfg(test)]
const IDENTITY_ON_EXAMPLE: &str = "SET IDENTITY_INSERT [audit_log] ON";
#[cfg(test)]
const IDENTITY_OFF_EXAMPLE: &str = "SET IDENTITY_INSERT [audit_log] OFF";
#[cfg(test)]
const INSERT_EXAMPLE: &str = "INSERT INTO [sites] ([code], [center]) VALUES (@P1, @P2), (@P3, @P4)";

#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    CREATE_PROGRESS,
    FINISHED,
    RECORD,
    FORGET,
    COLUMNS,
    DELETE_EXAMPLE,
    COUNT_EXAMPLE,
    IDENTITY_ON_EXAMPLE,
    IDENTITY_OFF_EXAMPLE,
    INSERT_EXAMPLE,
];

/// The hub's tables in the order `migrations/sqlserver/` creates them: a table's foreign keys
/// name tables created before it, so this is an order to fill them in.
pub fn schema_tables() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, _, sql) in MIGRATIONS {
        for line in sql.lines() {
            if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Whether `table` is one of the hub's tables (the only names put into a statement's text).
pub fn is_schema_table(table: &str) -> bool {
    schema_tables().iter().any(|t| t == table)
}

/// A column of the target table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub identity: bool,
}

/// A value read from the source, before it takes the target column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A value as a parameter of the target column's type.
#[derive(Debug, Clone)]
enum Cell {
    Null(&'static str),
    Int(i64),
    Bit(bool),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Date(NaiveDate),
    Stamp(NaiveDateTime),
}

impl ToSql for Cell {
    fn to_sql(&self) -> ColumnData<'_> {
        match self {
            Cell::Null("int") => ColumnData::I64(None),
            Cell::Null("bit") => ColumnData::Bit(None),
            Cell::Null("real") => ColumnData::F64(None),
            Cell::Null("blob") => ColumnData::Binary(None),
            Cell::Null("date") => ColumnData::Date(None),
            Cell::Null("stamp") => ColumnData::DateTime2(None),
            Cell::Null(_) => ColumnData::String(None),
            Cell::Int(n) => n.to_sql(),
            Cell::Bit(b) => b.to_sql(),
            Cell::Real(f) => f.to_sql(),
            Cell::Text(s) => ColumnData::String(Some(Cow::Borrowed(s.as_str()))),
            Cell::Blob(b) => ColumnData::Binary(Some(Cow::Borrowed(b.as_slice()))),
            Cell::Date(d) => d.to_sql(),
            Cell::Stamp(t) => t.to_sql(),
        }
    }
}

fn stamp(s: &str) -> anyhow::Result<NaiveDateTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.naive_utc());
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t);
        }
    }
    bail!("not a timestamp: {s:?}")
}

fn cell(column: &Column, v: &Value) -> anyhow::Result<Cell> {
    let ty = column.data_type.to_ascii_lowercase();
    let kind = match ty.as_str() {
        "bigint" | "int" | "smallint" | "tinyint" => "int",
        "bit" => "bit",
        "float" | "real" | "decimal" | "numeric" => "real",
        "varbinary" | "binary" | "image" => "blob",
        "date" => "date",
        "datetime2" | "datetime" | "datetimeoffset" | "smalldatetime" => "stamp",
        _ => "text",
    };
    Ok(match (kind, v) {
        (k, Value::Null) => Cell::Null(k),
        ("int", Value::Int(n)) => Cell::Int(*n),
        ("bit", Value::Int(n)) => Cell::Bit(*n != 0),
        ("real", Value::Real(f)) => Cell::Real(*f),
        ("real", Value::Int(n)) => Cell::Real(*n as f64),
        ("blob", Value::Blob(b)) => Cell::Blob(b.clone()),
        ("blob", Value::Text(s)) => Cell::Blob(s.as_bytes().to_vec()),
        ("date", Value::Text(s)) => Cell::Date(
            NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("not a date: {s:?}"))?,
        ),
        ("stamp", Value::Text(s)) => Cell::Stamp(stamp(s)?),
        ("text", Value::Text(s)) => Cell::Text(s.clone()),
        ("text", Value::Int(n)) => Cell::Text(n.to_string()),
        (_, v) => bail!("column {} ({}): cannot take {v:?}", column.name, column.data_type),
    })
}

fn checked(table: &str) -> anyhow::Result<&str> {
    if is_schema_table(table) {
        Ok(table)
    } else {
        Err(anyhow!("{table:?} is not a table of the hub's schema"))
    }
}

fn quoted(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

fn store_err(e: crate::store::StoreError) -> anyhow::Error {
    anyhow!("{e:#}")
}

impl MssqlStore {
    /// Creates the progress table when missing; the tables already copied, with their rows.
    pub async fn migration_progress(&self) -> anyhow::Result<Vec<(String, u64)>> {
        let mut c = self.conn().await.map_err(store_err)?;
        c.batch(CREATE_PROGRESS).await.map_err(store_err)?;
        let rows = c.rows(FINISHED, &[]).await.map_err(store_err)?;
        rows.iter()
            .map(|r| Ok((str(r, 0)?, int(r, 1)? as u64)))
            .collect::<StoreResult<Vec<_>>>()
            .map_err(store_err)
    }

    /// Forgets that `table` was copied: the next run empties it (and the tables after it that
    /// are not recorded) and copies it again. Returns whether it was recorded.
    pub async fn migration_forget(&self, table: &str) -> anyhow::Result<bool> {
        let table = checked(table)?;
        let mut c = self.conn().await.map_err(store_err)?;
        Ok(c.exec(FORGET, &[&table]).await.map_err(store_err)? > 0)
    }

    /// The target table's columns, in order.
    pub async fn migration_columns(&self, table: &str) -> anyhow::Result<Vec<Column>> {
        let table = checked(table)?;
        let mut c = self.conn().await.map_err(store_err)?;
        let rows = c.rows(COLUMNS, &[&table]).await.map_err(store_err)?;
        let columns = rows
            .iter()
            .map(|r| {
                Ok(Column {
                    name: str(r, 0)?,
                    data_type: str(r, 1)?,
                    identity: opt_int(r, 2)?.unwrap_or(0) == 1,
                })
            })
            .collect::<StoreResult<Vec<_>>>()
            .map_err(store_err)?;
        if columns.is_empty() {
            bail!("the target has no table {table} (is its schema migrated?)");
        }
        Ok(columns)
    }

    /// Rows in `table` on the target.
    pub async fn migration_count(&self, table: &str) -> anyhow::Result<u64> {
        let table = checked(table)?;
        let mut c = self.conn().await.map_err(store_err)?;
        let sql = format!("SELECT COUNT_BIG(*) FROM {}", quoted(table));
        let row = c.row(&sql, &[]).await.map_err(store_err)?;
        Ok(row
            .map(|r| int(&r, 0))
            .transpose()
            .map_err(store_err)?
            .unwrap_or(0) as u64)
    }

    /// Empties `table` on the target (a table not recorded as copied: whatever a migration
    /// seeded or an interrupted copy left).
    pub async fn migration_clear(&self, table: &str) -> anyhow::Result<u64> {
        let table = checked(table)?;
        let mut c = self.conn().await.map_err(store_err)?;
        c.exec(&format!("DELETE FROM {}", quoted(table)), &[])
            .await
            .map_err(store_err)
    }

    /// Writes `rows` (values in the order of `columns`) into the empty `table` and records it
    /// as copied, in one transaction: an interruption leaves either all of it or none recorded.
    pub async fn migration_copy(
        &self,
        table: &str,
        columns: &[Column],
        rows: &[Vec<Value>],
    ) -> anyhow::Result<u64> {
        let table = checked(table)?;
        anyhow::ensure!(!columns.is_empty(), "{table}: no columns");
        let identity = columns.iter().any(|c| c.identity);
        let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
        let per_statement = (MAX_PARAMS / columns.len()).max(1);
        let mut c = self.conn().await.map_err(store_err)?;
        c.begin().await.map_err(store_err)?;
        let r: anyhow::Result<u64> = async {
            c.exec(&format!("DELETE FROM {}", quoted(table)), &[])
                .await
                .map_err(store_err)?;
            if identity {
                c.batch(&format!("SET IDENTITY_INSERT {} ON", quoted(table)))
                    .await
                    .map_err(store_err)?;
            }
            for chunk in rows.chunks(per_statement) {
                insert(&mut c, table, &names, columns, chunk).await?;
            }
            if identity {
                c.batch(&format!("SET IDENTITY_INSERT {} OFF", quoted(table)))
                    .await
                    .map_err(store_err)?;
            }
            let n = rows.len() as i64;
            c.exec(RECORD, &[&table, &n]).await.map_err(store_err)?;
            Ok(rows.len() as u64)
        }
        .await;
        match r {
            Ok(n) => c.finish(Ok(n)).await.map_err(store_err),
            Err(e) => {
                let _ = c
                    .finish::<()>(Err(crate::store::StoreError::Other(anyhow!("rolled back"))))
                    .await;
                Err(e.context(format!("copying {table}")))
            }
        }
    }
}

async fn insert(
    c: &mut Conn,
    table: &str,
    names: &[String],
    columns: &[Column],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let mut cells: Vec<Cell> = Vec::with_capacity(rows.len() * columns.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        anyhow::ensure!(
            row.len() == columns.len(),
            "{table}: a row of {} values",
            row.len()
        );
        let mut marks = Vec::with_capacity(columns.len());
        for (column, v) in columns.iter().zip(row) {
            cells.push(cell(column, v).with_context(|| table.to_string())?);
            marks.push(format!("@P{}", cells.len()));
        }
        tuples.push(format!("({})", marks.join(", ")));
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quoted(table),
        names.join(", "),
        tuples.join(", ")
    );
    let params: Vec<&dyn ToSql> = cells.iter().map(|c| c as &dyn ToSql).collect();
    c.exec(&sql, &params).await.map_err(store_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_tables_come_in_creation_order_and_only_they_may_enter_a_statement() {
        let tables = schema_tables();
        let pos = |t: &str| tables.iter().position(|x| x == t).unwrap();
        assert!(pos("municipalities") < pos("centers"));
        assert!(pos("centers") < pos("sites"));
        assert!(pos("activities") < pos("participations"));
        assert!(is_schema_table("audit_log"));
        assert!(!is_schema_table("schema_migrations"));
        assert!(!is_schema_table("x]; DROP TABLE centers; --"));
    }

    #[test]
    fn values_take_the_target_columns_type_or_are_refused() {
        let col = |t: &str| Column {
            name: "c".into(),
            data_type: t.into(),
            identity: false,
        };
        assert!(matches!(
            cell(&col("date"), &Value::Text("2025-04-01".into())).unwrap(),
            Cell::Date(_)
        ));
        assert!(matches!(
            cell(
                &col("datetime2"),
                &Value::Text("2025-04-01T00:00:00.000001Z".into())
            )
            .unwrap(),
            Cell::Stamp(_)
        ));
        assert!(matches!(
            cell(&col("bit"), &Value::Int(1)).unwrap(),
            Cell::Bit(true)
        ));
        assert!(matches!(
            cell(&col("bigint"), &Value::Null).unwrap(),
            Cell::Null("int")
        ));
        assert!(cell(&col("bigint"), &Value::Text("x".into())).is_err());
        assert!(cell(&col("date"), &Value::Text("April".into())).is_err());
    }
}
