//! Test support (not used by the node itself): a fresh, empty SQL Server database per test, on
//! the server named by `ATTAKA_TEST_MSSQL_URL`.
//!
//! ```no_run
//! # async fn t() -> anyhow::Result<()> {
//! if let Some(base) = api::store::mssql::testing::test_url() {
//!     let (url, guard) = api::store::mssql::testing::fresh_database(&base).await?;
//!     let store = api::store::mssql::MssqlStore::open(&url, 4).await?;
//!     // … migrate and use the store …
//!     drop(store);
//!     guard.drop_now().await; // or let the guard go: it drops the database then, best effort
//! }
//! # Ok(()) }
//! ```
//!
//! The login needs `CREATE ANY DATABASE` (or dbcreator) on that server; databases are named
//! `attaka_t_` and 16 hex digits, and only such names are ever dropped.
//!
//! Babelfish in its `single-db` migration mode has room for one user database only. There the
//! helper hands out the database of `ATTAKA_TEST_MSSQL_URL` itself, one test at a time: the
//! guard holds an exclusive session-owned application lock (`attaka:test_database`) on a
//! connection of its own until it is dropped, and before handing the database out the helper
//! drops the store's tables (only the tables `migrations/sqlserver/` creates, and
//! `schema_migrations`, `hub_migration_progress`), after the foreign keys other tables hold
//! on them. Tests then wait for each other, across processes.

use super::conn::connect;
use super::connect::ConnectOptions;

/// Every foreign key of the database: its table, its name and the table it refers to.
pub(super) const FOREIGN_KEYS: &str =
    "SELECT OBJECT_NAME(parent_object_id), name, OBJECT_NAME(referenced_object_id) FROM sys.foreign_keys";

/// The variable naming the test server: a `sqlserver://` URL (or ADO string) whose login may
/// create databases; its database part, if any, is only where the helper connects first.
pub const ENV: &str = "ATTAKA_TEST_MSSQL_URL";

/// Statements of this module, for the parse test (the name is a placeholder there).
#[cfg(test)]
pub(super) const SQL: &[&str] = &[
    CREATE_EXAMPLE,
    DROP_EXAMPLE,
    KICK_EXAMPLE,
    VERSION,
    SHARED_LOCK,
    FOREIGN_KEYS,
    DROP_TABLE_EXAMPLE,
    DROP_FOREIGN_KEY_EXAMPLE,
];
#[cfg(test)]
const DROP_TABLE_EXAMPLE: &str = "DROP TABLE IF EXISTS [activities]";
#[cfg(test)]
const DROP_FOREIGN_KEY_EXAMPLE: &str = "ALTER TABLE [region_members] DROP CONSTRAINT [region_members_fk]";
#[cfg(test)]
const CREATE_EXAMPLE: &str = "CREATE DATABASE [attaka_t_0123456789abcdef]";
#[cfg(test)]
const DROP_EXAMPLE: &str = "DROP DATABASE [attaka_t_0123456789abcdef]";
#[cfg(test)]
const KICK_EXAMPLE: &str =
    "ALTER DATABASE [attaka_t_0123456789abcdef] SET SINGLE_USER WITH ROLLBACK IMMEDIATE";

/// The test server's URL, when one is configured.
pub fn test_url() -> Option<String> {
    std::env::var(ENV).ok().filter(|v| !v.trim().is_empty())
}

fn random_name() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random source");
    format!("attaka_t_{}", hex::encode(bytes))
}

/// Whether `name` is one of ours (the only names this module creates or drops; also what makes
/// putting it into the statement's text safe).
fn is_test_database(name: &str) -> bool {
    name.strip_prefix("attaka_t_")
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Drops the database it guards when dropped (best effort, on a thread of its own), unless
/// [`DropGuard::drop_now`] already did. On a single-database Babelfish it holds the shared
/// database's lock instead, and lets it go.
pub struct DropGuard {
    server: ConnectOptions,
    name: String,
    done: bool,
    /// Single-database server: the connection holding the session lock on the database.
    shared: Option<super::conn::Client>,
}

impl DropGuard {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now; errors are logged, not returned (a test's result does not hang on
    /// its clean-up).
    pub async fn drop_now(mut self) {
        self.done = true;
        if let Some(client) = self.shared.take() {
            let _ = client.close().await;
            return;
        }
        if let Err(e) = drop_database(&self.server, &self.name).await {
            tracing::warn!(database = %self.name, error = %format!("{e:#}"), "could not drop the test database");
        }
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.done || self.shared.take().is_some() {
            // The shared database's lock goes with its connection.
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        // A runtime of its own: the guard may be dropped inside or outside one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(drop_database(&server, &name))
        })
        .join();
    }
}

async fn drop_database(server: &ConnectOptions, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(is_test_database(name), "not a test database: {name}");
    let mut client = connect(&server.tiberius()).await?;
    // SQL Server refuses to drop a database in use (the store's pool may still hold connections);
    // Babelfish has no SINGLE_USER and needs none.
    let kick = format!("ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE");
    if let Ok(stream) = client.simple_query(kick).await {
        let _ = stream.into_results().await;
    }
    client
        .simple_query(format!("DROP DATABASE [{name}]"))
        .await?
        .into_results()
        .await?;
    Ok(())
}

/// Creates `attaka_t_<random>` on the server of `base_url` and returns a URL for it (the same
/// login and TLS settings), with a guard that drops it. On a single-database Babelfish: the base
/// database, emptied of the store's tables, held for this caller alone until the guard goes.
pub async fn fresh_database(base_url: &str) -> anyhow::Result<(String, DropGuard)> {
    let server = ConnectOptions::parse(base_url)?;
    let name = random_name();
    debug_assert!(is_test_database(&name));
    let mut client = connect(&server.tiberius()).await?;
    let created = async {
        client
            .simple_query(format!("CREATE DATABASE [{name}]"))
            .await?
            .into_results()
            .await
    }
    .await;
    match created {
        Ok(_) => {
            let url = server.with_database(&name).to_url();
            Ok((
                url,
                DropGuard {
                    server,
                    name,
                    done: false,
                    shared: None,
                },
            ))
        }
        Err(e) if is_babelfish(&mut client).await => {
            tracing::info!(error = %e, "no second database on this Babelfish: sharing the base database, one test at a time");
            shared_database(server, client).await
        }
        Err(e) => Err(anyhow::Error::new(e).context("creating a test database")),
    }
}

async fn is_babelfish(client: &mut super::conn::Client) -> bool {
    let version = async { client.simple_query(VERSION).await?.into_row().await }.await;
    matches!(version, Ok(Some(row)) if row.get::<&str, _>(0).is_some_and(|v| v.contains("Babelfish")))
}

pub(super) const VERSION: &str = "SELECT @@VERSION";
/// Held by the session (the guard's connection) until it closes.
pub(super) const SHARED_LOCK: &str = "DECLARE @status INT;
EXEC @status = sp_getapplock @Resource = N'attaka:test_database', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 1800000;
SELECT @status";

/// Test support: every row `sql` answers on the database at `url`, each cell as text (NULL as
/// none; dates and times in ISO form, bits as 0/1, binary as hex). For tests that look at the
/// hub's tables themselves, as they do with the SQLite file.
pub async fn rows_as_text(url: &str, sql: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let options = ConnectOptions::parse(url)?;
    let mut client = connect(&options.tiberius()).await?;
    let rows = client.simple_query(sql).await?.into_first_result().await?;
    let out = rows
        .iter()
        .map(|row| row.cells().map(|(_, d)| cell_text(d)).collect())
        .collect();
    client.close().await?;
    Ok(out)
}

/// Test support: runs `sql` on the database at `url`; how many rows it changed.
pub async fn execute(url: &str, sql: &str) -> anyhow::Result<u64> {
    let options = ConnectOptions::parse(url)?;
    let mut client = connect(&options.tiberius()).await?;
    let done = client.execute(sql, &[]).await?.total();
    client.close().await?;
    Ok(done)
}

fn cell_text(d: &tiberius::ColumnData<'static>) -> Option<String> {
    use tiberius::{ColumnData as C, FromSql};
    match d {
        C::String(v) => v.as_ref().map(|s| s.to_string()),
        C::I64(v) => v.map(|n| n.to_string()),
        C::I32(v) => v.map(|n| n.to_string()),
        C::I16(v) => v.map(|n| n.to_string()),
        C::U8(v) => v.map(|n| n.to_string()),
        C::F32(v) => v.map(|n| n.to_string()),
        C::F64(v) => v.map(|n| n.to_string()),
        C::Bit(v) => v.map(|b| u8::from(b).to_string()),
        C::Binary(v) => v.as_ref().map(hex::encode),
        C::Guid(v) => v.map(|g| g.to_string()),
        C::Numeric(v) => v.map(|n| n.to_string()),
        C::Date(_) => chrono::NaiveDate::from_sql(d)
            .ok()
            .flatten()
            .map(|x| x.to_string()),
        C::DateTime2(_) | C::DateTime(_) | C::SmallDateTime(_) => chrono::NaiveDateTime::from_sql(d)
            .ok()
            .flatten()
            .map(|x| x.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// The tables the migrations create, newest first (a table only refers to older ones, so they
/// drop in this order), and `schema_migrations`.
pub fn store_tables() -> Vec<String> {
    let mut tables = Vec::new();
    for (_, _, sql) in super::migrations::MIGRATIONS {
        for part in sql.split("CREATE TABLE ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                tables.push(name);
            }
        }
    }
    tables.push("schema_migrations".into());
    // `attaka migrate-hub`'s record of the tables it copied.
    tables.push("hub_migration_progress".into());
    tables.reverse();
    tables
}

async fn shared_database(
    server: ConnectOptions,
    mut client: super::conn::Client,
) -> anyhow::Result<(String, DropGuard)> {
    anyhow::ensure!(
        server.database.is_some(),
        "{ENV} must name the database to share on a single-database server"
    );
    let status: Option<i32> = client
        .simple_query(SHARED_LOCK)
        .await?
        .into_row()
        .await?
        .and_then(|r| r.get(0));
    anyhow::ensure!(
        status.is_some_and(|s| s >= 0),
        "waiting for the shared test database: sp_getapplock status {status:?}"
    );
    // Tables another branch's migrations made (the database is shared) may refer to ours:
    // their foreign keys go first, or ours would not drop.
    let tables = store_tables();
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let foreign: Vec<(String, String, String)> = client
        .simple_query(FOREIGN_KEYS)
        .await?
        .into_first_result()
        .await?
        .iter()
        .filter_map(|r| {
            let get = |i: usize| r.get::<&str, _>(i).map(str::to_owned);
            Some((get(0)?, get(1)?, get(2)?))
        })
        .collect();
    for (table, key, referenced) in foreign {
        if tables.contains(&referenced) && !tables.contains(&table) && plain(&table) && plain(&key) {
            client
                .simple_query(format!("ALTER TABLE [{table}] DROP CONSTRAINT [{key}]"))
                .await?
                .into_results()
                .await?;
        }
    }
    for table in tables {
        // Names from the migrations' own CREATE TABLE statements (letters, digits, _ only).
        client
            .simple_query(format!("DROP TABLE IF EXISTS [{table}]"))
            .await?
            .into_results()
            .await?;
    }
    let url = server.to_url();
    let name = server.database.clone().unwrap_or_default();
    Ok((
        url,
        DropGuard {
            server,
            name,
            done: false,
            shared: Some(client),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_count_as_test_databases() {
        assert!(is_test_database(&random_name()));
        assert!(!is_test_database("attaka"));
        assert!(!is_test_database("attaka_t_0123456789abcdeg"));
        assert!(!is_test_database(
            "attaka_t_0123456789abcdef]; DROP DATABASE x --"
        ));
    }

    #[test]
    fn the_shared_database_is_emptied_of_the_store_tables_children_first() {
        let tables = store_tables();
        let at = |t: &str| {
            tables
                .iter()
                .position(|x| x == t)
                .unwrap_or_else(|| panic!("{t}"))
        };
        assert!(at("participation_categories") < at("participations"));
        assert!(at("participations") < at("activities"));
        assert!(at("activities") < at("centers"));
        assert!(at("centers") < at("municipalities"));
        assert!(tables
            .iter()
            .all(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')));
        assert!(tables.contains(&"schema_migrations".to_owned()));
    }
}
