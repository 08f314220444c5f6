//! Connections: a small deadpool manager over tiberius, and the pooled connection the store's
//! SQL runs on (queries with `@P1…` parameters, transactions, application locks, and readers of
//! result columns).

use std::borrow::Cow;

use anyhow::anyhow;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use deadpool::managed::{self, Metrics, Object, RecycleResult};
use tiberius::{ColumnData, Row, ToSql};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::store::{StoreError, StoreResult};

pub(crate) type Client = tiberius::Client<Compat<TcpStream>>;

/// Opens TDS connections with one configuration.
pub(crate) struct Manager {
    pub(crate) config: tiberius::Config,
}

/// Every connection runs with XACT_ABORT ON: an error inside a transaction rolls the whole
/// transaction back (never half of it committed), on SQL Server and Babelfish alike.
pub(crate) const SESSION_SETUP: &str = "SET XACT_ABORT ON";

/// Rolls back what a connection returned to the pool may still hold open.
pub(crate) const ROLLBACK_OPEN: &str = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION";

pub(crate) async fn connect(config: &tiberius::Config) -> tiberius::Result<Client> {
    let tcp = TcpStream::connect(config.get_addr()).await?;
    tcp.set_nodelay(true)?;
    let mut client = match Client::connect(config.clone(), tcp.compat_write()).await {
        // Azure SQL may send the client on to another host.
        Err(tiberius::error::Error::Routing { host, port }) => {
            let mut config = config.clone();
            config.host(&host);
            config.port(port);
            let tcp = TcpStream::connect(config.get_addr()).await?;
            tcp.set_nodelay(true)?;
            Client::connect(config, tcp.compat_write()).await?
        }
        other => other?,
    };
    client.simple_query(SESSION_SETUP).await?.into_results().await?;
    Ok(client)
}

impl managed::Manager for Manager {
    type Type = Client;
    type Error = tiberius::error::Error;

    async fn create(&self) -> Result<Client, Self::Error> {
        connect(&self.config).await
    }

    async fn recycle(&self, client: &mut Client, _: &Metrics) -> RecycleResult<Self::Error> {
        // Also proves the connection still answers.
        client.simple_query(ROLLBACK_OPEN).await?.into_results().await?;
        Ok(())
    }
}

pub(crate) type Pool = managed::Pool<Manager>;

/// How an application lock is held (`sp_getapplock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    Shared,
    Exclusive,
}

/// `sp_getapplock` on a resource named by `@P1`, owned by the transaction (released at commit or
/// rollback), waiting at most a minute; its status comes back as a row (negative: not granted).
/// The store serialises its check-then-write steps with these rather than with table hints:
/// Babelfish accepts UPDLOCK/HOLDLOCK but does not enforce them, and SERIALIZABLE needs a server
/// setting there, while an application lock blocks the same way on SQL Server and Babelfish.
pub(crate) const APPLOCK_EXCLUSIVE: &str = "DECLARE @status INT;
EXEC @status = sp_getapplock @Resource = @P1, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 60000;
SELECT @status";
pub(crate) const APPLOCK_SHARED: &str = "DECLARE @status INT;
EXEC @status = sp_getapplock @Resource = @P1, @LockMode = 'Shared', @LockOwner = 'Transaction', @LockTimeout = 60000;
SELECT @status";

pub(crate) const BEGIN: &str = "BEGIN TRANSACTION";

/// Parameters put into one statement at most (SQL Server takes 2100 with the RPC's own).
pub(crate) const MAX_PARAMS: usize = 2000;

/// `@Pfrom, …` for `n` parameters.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("@P{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(@P1, @P2), (@P3, @P4), …` for `rows` rows of `columns` values.
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}
pub(crate) const COMMIT: &str = "COMMIT TRANSACTION";

/// A parameter of SQL put together at run time (statistics, extracts).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Str(String),
    Int(i64),
    Date(NaiveDate),
}

impl ToSql for Param {
    fn to_sql(&self) -> ColumnData<'_> {
        match self {
            Param::Str(s) => ColumnData::String(Some(Cow::Borrowed(s.as_str()))),
            Param::Int(n) => n.to_sql(),
            Param::Date(d) => d.to_sql(),
        }
    }
}

/// A pooled connection. While a request is on the wire or a transaction is open it is marked
/// unsettled; dropped unsettled (a cancelled request, a failed rollback) it is closed instead of
/// going back to the pool, so the server rolls back whatever it held.
pub(crate) struct Conn {
    obj: Option<Object<Manager>>,
    unsettled: bool,
    in_tx: bool,
}

fn db_error(e: tiberius::error::Error) -> StoreError {
    StoreError::Other(anyhow::Error::new(e).context("SQL Server"))
}

/// The server's error number, when the server refused the request (2627/2601 unique key, 547
/// foreign key or check constraint).
pub(crate) fn server_code(e: &StoreError) -> Option<u32> {
    match e {
        StoreError::Other(e) => e.downcast_ref::<tiberius::error::Error>().and_then(|e| e.code()),
        _ => None,
    }
}

/// Whether the server refused a duplicate key (a primary key or unique index).
pub(crate) fn is_unique_violation(e: &StoreError) -> bool {
    matches!(server_code(e), Some(2627 | 2601))
}

/// Whether the server refused a write for a foreign key or check constraint.
pub(crate) fn is_constraint_violation(e: &StoreError) -> bool {
    matches!(server_code(e), Some(547))
}

impl Conn {
    pub(crate) async fn get(pool: &Pool) -> StoreResult<Conn> {
        let obj = pool
            .get()
            .await
            .map_err(|e| StoreError::Other(anyhow!("getting a SQL Server connection: {e}")))?;
        Ok(Conn {
            obj: Some(obj),
            unsettled: false,
            in_tx: false,
        })
    }

    fn client(&mut self) -> &mut Client {
        self.obj.as_mut().expect("a connection until dropped")
    }

    /// Settles after a request: a refusal by the server leaves the connection usable, anything
    /// else (I/O, protocol) does not.
    fn after<T>(&mut self, r: tiberius::Result<T>) -> StoreResult<T> {
        match r {
            Ok(v) => {
                self.unsettled = self.in_tx;
                Ok(v)
            }
            Err(e @ tiberius::error::Error::Server(_)) => {
                self.unsettled = self.in_tx;
                Err(db_error(e))
            }
            Err(e) => Err(db_error(e)),
        }
    }

    /// Runs a query; the rows of its first result set.
    pub(crate) async fn rows(&mut self, sql: &str, params: &[&dyn ToSql]) -> StoreResult<Vec<Row>> {
        let (sql, params) = typed_nulls(sql, params);
        self.unsettled = true;
        let r = async {
            self.client()
                .query(sql.as_ref(), &params)
                .await?
                .into_first_result()
                .await
        }
        .await;
        self.after(r)
    }

    /// Runs a query expected to give at most one row.
    pub(crate) async fn row(&mut self, sql: &str, params: &[&dyn ToSql]) -> StoreResult<Option<Row>> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    /// Runs a statement (or several); the rows they changed, in all.
    pub(crate) async fn exec(&mut self, sql: &str, params: &[&dyn ToSql]) -> StoreResult<u64> {
        let (sql, params) = typed_nulls(sql, params);
        self.unsettled = true;
        let r = self
            .client()
            .execute(sql.as_ref(), &params)
            .await
            .map(|r| r.total());
        self.after(r)
    }

    /// Runs an INSERT `template` whose `{rows}` stands for its VALUES rows, for rows of `columns`
    /// values each (`values` row after row), as few statements as SQL Server's limits allow
    /// (at most 1000 rows and about 2000 parameters a statement). Only placeholders are put
    /// into the text. Returns the rows inserted.
    pub(crate) async fn insert_rows(
        &mut self,
        template: &str,
        columns: usize,
        values: &[&dyn ToSql],
    ) -> StoreResult<u64> {
        debug_assert!(columns > 0 && values.len().is_multiple_of(columns));
        let per_statement = (MAX_PARAMS / columns).clamp(1, 1000);
        let mut inserted = 0;
        for chunk in values.chunks(per_statement * columns) {
            let sql = template.replace("{rows}", &value_rows(chunk.len() / columns, columns));
            inserted += self.exec(&sql, chunk).await?;
        }
        Ok(inserted)
    }

    /// Runs `template` with `{ids}` standing for a list of placeholders, once per chunk of
    /// `ids` (at most [`MAX_PARAMS`] a statement).
    pub(crate) async fn for_ids(&mut self, template: &str, ids: &[&str]) -> StoreResult<u64> {
        let mut changed = 0;
        for chunk in ids.chunks(MAX_PARAMS) {
            let sql = template.replace("{ids}", &placeholders(1, chunk.len()));
            let params: Vec<&dyn ToSql> = chunk.iter().map(|id| id as &dyn ToSql).collect();
            changed += self.exec(&sql, &params).await?;
        }
        Ok(changed)
    }

    /// Runs a batch without parameters (migrations, transaction control).
    pub(crate) async fn batch(&mut self, sql: &str) -> StoreResult<()> {
        self.unsettled = true;
        let r = async { self.client().simple_query(sql).await?.into_results().await }.await;
        self.after(r).map(|_| ())
    }

    /// Starts a transaction; end it with [`Conn::finish`].
    pub(crate) async fn begin(&mut self) -> StoreResult<()> {
        self.in_tx = true;
        self.batch(BEGIN).await
    }

    /// Commits when `result` is a success, rolls back when it is an error; returns `result`
    /// (or the commit's error).
    pub(crate) async fn finish<T>(&mut self, result: StoreResult<T>) -> StoreResult<T> {
        match result {
            Ok(v) => {
                self.batch(COMMIT).await?;
                self.in_tx = false;
                self.unsettled = false;
                Ok(v)
            }
            Err(e) => {
                if self.batch(ROLLBACK_OPEN).await.is_ok() {
                    self.in_tx = false;
                    self.unsettled = false;
                }
                Err(e)
            }
        }
    }

    /// Takes the application lock `resource` for the rest of the transaction.
    pub(crate) async fn lock(&mut self, resource: &str, mode: LockMode) -> StoreResult<()> {
        debug_assert!(self.in_tx, "application locks are owned by a transaction");
        let sql = match mode {
            LockMode::Exclusive => APPLOCK_EXCLUSIVE,
            LockMode::Shared => APPLOCK_SHARED,
        };
        let status = match self.row(sql, &[&resource]).await? {
            Some(r) => int(&r, 0)?,
            None => -999,
        };
        if status < 0 {
            return Err(StoreError::Other(anyhow!(
                "sp_getapplock {resource:?} was not granted (status {status})"
            )));
        }
        Ok(())
    }

    /// Runs a query put together at run time, handing each row to `each`.
    pub(crate) async fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Param],
        mut each: impl FnMut(Row) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let refs: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        for row in self.rows(sql, &refs).await? {
            each(row)?;
        }
        Ok(())
    }

    /// The client itself, for streaming; the connection stays unsettled until [`Conn::settle`].
    pub(crate) fn stream_client(&mut self) -> &mut Client {
        self.unsettled = true;
        self.client()
    }

    /// Marks a streamed result as read to its end.
    pub(crate) fn settle(&mut self) {
        self.unsettled = self.in_tx;
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.unsettled || self.in_tx {
            if let Some(obj) = self.obj.take() {
                // Out of the pool: dropping the client closes the socket.
                drop(Object::take(obj));
            }
        }
    }
}

/// The SQL type of a NULL parameter, as tiberius would declare it.
fn null_type(d: &ColumnData<'_>) -> Option<&'static str> {
    Some(match d {
        ColumnData::U8(None) => "TINYINT",
        ColumnData::I16(None) => "SMALLINT",
        ColumnData::I32(None) => "INT",
        ColumnData::I64(None) => "BIGINT",
        ColumnData::F32(None) => "REAL",
        ColumnData::F64(None) => "FLOAT",
        ColumnData::Bit(None) => "BIT",
        ColumnData::String(None) => "NVARCHAR(4000)",
        ColumnData::Guid(None) => "UNIQUEIDENTIFIER",
        ColumnData::Binary(None) => "VARBINARY(MAX)",
        ColumnData::Numeric(None) => "NUMERIC",
        ColumnData::DateTime(None) => "DATETIME",
        ColumnData::SmallDateTime(None) => "SMALLDATETIME",
        ColumnData::Time(None) => "TIME",
        ColumnData::Date(None) => "DATE",
        ColumnData::DateTime2(None) => "DATETIME2",
        ColumnData::DateTimeOffset(None) => "DATETIMEOFFSET",
        _ => return None,
    })
}

/// NULL parameters as typed NULL constants. tiberius sends a NULL parameter with the TDS NULL
/// type (0x1F), which SQL Server takes and Babelfish refuses ("Data type 0x1F is unknown"), so a
/// NULL `@Pn` becomes `CAST(NULL AS type)` in the text (the type tiberius would have declared),
/// and the other parameters are numbered again in order. Only that constant enters the text,
/// never a value.
pub(crate) fn typed_nulls<'a, 'p>(
    sql: &'a str,
    params: &[&'p dyn ToSql],
) -> (Cow<'a, str>, Vec<&'p dyn ToSql>) {
    let nulls: Vec<Option<&'static str>> = params.iter().map(|p| null_type(&p.to_sql())).collect();
    if nulls.iter().all(Option::is_none) {
        return (Cow::Borrowed(sql), params.to_vec());
    }
    // New numbers of the parameters that stay.
    let mut renumbered = Vec::with_capacity(params.len());
    let mut kept = Vec::new();
    for (p, null) in params.iter().zip(&nulls) {
        if null.is_none() {
            kept.push(*p);
            renumbered.push(kept.len());
        } else {
            renumbered.push(0);
        }
    }
    let mut out = String::with_capacity(sql.len() + 32);
    let mut rest = sql;
    while let Some(at) = rest.find("@P") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) if (1..=params.len()).contains(&n) => match nulls[n - 1] {
                Some(ty) => {
                    let _ = std::fmt::Write::write_fmt(&mut out, format_args!("CAST(NULL AS {ty})"));
                }
                None => {
                    let _ = std::fmt::Write::write_fmt(&mut out, format_args!("@P{}", renumbered[n - 1]));
                }
            },
            _ => out.push_str(&rest[at..at + 2 + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    (Cow::Owned(out), kept)
}

fn cell(r: &Row, i: usize) -> StoreResult<&ColumnData<'static>> {
    r.cells()
        .nth(i)
        .map(|(_, d)| d)
        .ok_or_else(|| StoreError::Other(anyhow!("result column {i} missing")))
}

fn conversion(i: usize, what: &str, d: &ColumnData<'_>) -> StoreError {
    StoreError::Other(anyhow!("result column {i}: {d:?} is not {what}"))
}

fn missing(i: usize) -> StoreError {
    StoreError::Other(anyhow!("result column {i} is NULL"))
}

/// An integer of any width (INT, BIGINT, SMALLINT, TINYINT, BIT), or none for NULL.
pub(crate) fn opt_int(r: &Row, i: usize) -> StoreResult<Option<i64>> {
    Ok(match cell(r, i)? {
        ColumnData::I64(v) => *v,
        ColumnData::I32(v) => v.map(i64::from),
        ColumnData::I16(v) => v.map(i64::from),
        ColumnData::U8(v) => v.map(i64::from),
        ColumnData::Bit(v) => v.map(i64::from),
        ColumnData::String(None) | ColumnData::Numeric(None) => None,
        d => return Err(conversion(i, "an integer", d)),
    })
}

pub(crate) fn int(r: &Row, i: usize) -> StoreResult<i64> {
    opt_int(r, i)?.ok_or_else(|| missing(i))
}

pub(crate) fn opt_str(r: &Row, i: usize) -> StoreResult<Option<String>> {
    match cell(r, i)? {
        ColumnData::String(v) => Ok(v.as_ref().map(|s| s.to_string())),
        ColumnData::I32(None) | ColumnData::I64(None) | ColumnData::Date(None) => Ok(None),
        d => Err(conversion(i, "text", d)),
    }
}

pub(crate) fn str(r: &Row, i: usize) -> StoreResult<String> {
    opt_str(r, i)?.ok_or_else(|| missing(i))
}

pub(crate) fn opt_bool(r: &Row, i: usize) -> StoreResult<Option<bool>> {
    Ok(opt_int(r, i)?.map(|v| v != 0))
}

pub(crate) fn opt_bytes(r: &Row, i: usize) -> StoreResult<Option<Vec<u8>>> {
    match cell(r, i)? {
        ColumnData::Binary(v) => Ok(v.as_ref().map(|b| b.to_vec())),
        d => Err(conversion(i, "bytes", d)),
    }
}

pub(crate) fn opt_date(r: &Row, i: usize) -> StoreResult<Option<NaiveDate>> {
    r.try_get::<NaiveDate, _>(i).map_err(db_error)
}

pub(crate) fn date(r: &Row, i: usize) -> StoreResult<NaiveDate> {
    opt_date(r, i)?.ok_or_else(|| missing(i))
}

pub(crate) fn opt_ts(r: &Row, i: usize) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(r.try_get::<NaiveDateTime, _>(i)
        .map_err(db_error)?
        .map(|t| t.and_utc()))
}

pub(crate) fn ts(r: &Row, i: usize) -> StoreResult<DateTime<Utc>> {
    opt_ts(r, i)?.ok_or_else(|| missing(i))
}

/// An instant as the store keeps it: UTC, to the microsecond (DATETIME2(6)), as the SQLite
/// store's RFC 3339 text keeps it, so what is read back equals what a caller sees written.
pub(crate) fn at(t: DateTime<Utc>) -> NaiveDateTime {
    let t = t.naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}

/// A column as extract or statistics text: codes as they are, numbers in decimal, dates as
/// `YYYY-MM-DD`, NULL as empty.
pub(crate) fn text_of(d: &ColumnData<'static>) -> StoreResult<Option<String>> {
    Ok(match d {
        ColumnData::String(v) => v.as_ref().map(|s| s.to_string()),
        ColumnData::I64(v) => v.map(|n| n.to_string()),
        ColumnData::I32(v) => v.map(|n| n.to_string()),
        ColumnData::I16(v) => v.map(|n| n.to_string()),
        ColumnData::U8(v) => v.map(|n| n.to_string()),
        ColumnData::Date(_) => <NaiveDate as tiberius::FromSql>::from_sql(d)
            .map_err(db_error)?
            .map(|d| d.to_string()),
        other => return Err(StoreError::Other(anyhow!("unexpected column {other:?}"))),
    })
}

/// An application lock's resource name: `prefix:key`, or `prefix:#` and the key's SHA-256 when
/// that would pass the 255 characters `sp_getapplock` takes.
pub(crate) fn resource(prefix: &str, key: &str) -> String {
    // (sp_getapplock's @Resource is nvarchar(255).)
    let name = format!("{prefix}:{key}");
    if name.chars().count() <= 200 {
        return name;
    }
    use sha2::{Digest, Sha256};
    format!("{prefix}:#{}", hex::encode(Sha256::digest(key.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_parameters_become_typed_null_constants_and_the_rest_are_renumbered() {
        let (a, b, c): (Option<&str>, i64, Option<NaiveDate>) = (None, 7, None);
        let d = "x";
        let params: [&dyn ToSql; 4] = [&a, &b, &c, &d];
        let (sql, kept) = typed_nulls(
            "SELECT @P1, @P2, @P3, @P4 WHERE @P1 IS NULL OR @P4 = @P2",
            &params,
        );
        assert_eq!(
            sql,
            "SELECT CAST(NULL AS NVARCHAR(4000)), @P1, CAST(NULL AS DATE), @P2 WHERE CAST(NULL AS NVARCHAR(4000)) IS NULL OR @P2 = @P1"
        );
        assert_eq!(kept.len(), 2);
        assert!(matches!(kept[0].to_sql(), ColumnData::I64(Some(7))));
    }

    #[test]
    fn parameter_numbers_past_nine_are_read_whole() {
        let none: Option<i64> = None;
        let one = 1i64;
        let mut params: Vec<&dyn ToSql> = vec![&one; 12];
        params[0] = &none;
        let (sql, kept) = typed_nulls("VALUES (@P1, @P10, @P11, @P12, @P2)", &params);
        assert_eq!(sql, "VALUES (CAST(NULL AS BIGINT), @P9, @P10, @P11, @P1)");
        assert_eq!(kept.len(), 11);
    }

    #[test]
    fn rows_and_lists_of_placeholders_number_on() {
        assert_eq!(value_rows(2, 3), "(@P1, @P2, @P3), (@P4, @P5, @P6)");
        assert_eq!(placeholders(3, 2), "@P3, @P4");
    }

    #[test]
    fn without_nulls_the_text_is_left_alone() {
        let x = 1i32;
        let (sql, kept) = typed_nulls("SELECT @P1", &[&x]);
        assert!(matches!(sql, Cow::Borrowed(_)));
        assert_eq!(kept.len(), 1);
    }
}
