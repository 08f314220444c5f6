//! The T-SQL migrations (`migrations/sqlserver/`), embedded in the binary, and the runner that
//! applies them in order. They are the hub's share of `migrations/sqlite/`: the same numbers and
//! names, without the centre-only ones (`center_*`), which the hub never runs (a test checks the
//! two folders agree). A file may hold several batches, split on lines that read `GO`.

use chrono::Utc;

use super::conn::{at, Conn, LockMode};
use crate::store::StoreResult;

/// `(version, name, sql)`, in order.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../../migrations/sqlserver/0001_init.sql"),
    ),
    (
        2,
        "master_data",
        include_str!("../../../../migrations/sqlserver/0002_master_data.sql"),
    ),
    (
        4,
        "activities",
        include_str!("../../../../migrations/sqlserver/0004_activities.sql"),
    ),
    (
        7,
        "hub_sync",
        include_str!("../../../../migrations/sqlserver/0007_hub_sync.sql"),
    ),
    (
        8,
        "hub_no_activity_title",
        include_str!("../../../../migrations/sqlserver/0008_hub_no_activity_title.sql"),
    ),
    (
        9,
        "ops_alerts",
        include_str!("../../../../migrations/sqlserver/0009_ops_alerts.sql"),
    ),
    (
        10,
        "stats_year_aggregates",
        include_str!("../../../../migrations/sqlserver/0010_stats_year_aggregates.sql"),
    ),
    (
        11,
        "period_lock_hub_origin",
        include_str!("../../../../migrations/sqlserver/0011_period_lock_hub_origin.sql"),
    ),
    (
        13,
        "hub_duplicate_hints",
        include_str!("../../../../migrations/sqlserver/0013_hub_duplicate_hints.sql"),
    ),
    (
        14,
        "ops_alert_mail",
        include_str!("../../../../migrations/sqlserver/0014_ops_alert_mail.sql"),
    ),
    (
        15,
        "audit_chain",
        include_str!("../../../../migrations/sqlserver/0015_audit_chain.sql"),
    ),
    (
        16,
        "ops_uptime",
        include_str!("../../../../migrations/sqlserver/0016_ops_uptime.sql"),
    ),
    (
        17,
        "account_hardening",
        include_str!("../../../../migrations/sqlserver/0017_account_hardening.sql"),
    ),
    (
        18,
        "api_token_extracts",
        include_str!("../../../../migrations/sqlserver/0018_api_token_extracts.sql"),
    ),
    (
        19,
        "ops_log",
        include_str!("../../../../migrations/sqlserver/0019_ops_log.sql"),
    ),
    (
        20,
        "ops_alert_clear_mail",
        include_str!("../../../../migrations/sqlserver/0020_ops_alert_clear_mail.sql"),
    ),
    (
        21,
        "leases",
        include_str!("../../../../migrations/sqlserver/0021_leases.sql"),
    ),
    (
        23,
        "hub_sync_resends",
        include_str!("../../../../migrations/sqlserver/0023_hub_sync_resends.sql"),
    ),
    (
        24,
        "regions",
        include_str!("../../../../migrations/sqlserver/0024_regions.sql"),
    ),
    (
        25,
        "stats_month_aggregates",
        include_str!("../../../../migrations/sqlserver/0025_stats_month_aggregates.sql"),
    ),
    (
        26,
        "stats_changes",
        include_str!("../../../../migrations/sqlserver/0026_stats_changes.sql"),
    ),
];

pub(super) const CREATE_SCHEMA_MIGRATIONS: &str = "IF OBJECT_ID(N'schema_migrations', N'U') IS NULL
CREATE TABLE schema_migrations (
    version     INT NOT NULL PRIMARY KEY,
    name        NVARCHAR(200) NOT NULL,
    applied_at  DATETIME2(6) NOT NULL
)";
pub(super) const APPLIED: &str = "SELECT version FROM schema_migrations WHERE version = @P1";
pub(super) const RECORD: &str =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@P1, @P2, @P3)";

/// The SQL of this module, for the parse test.
#[cfg(test)]
pub(super) const SQL: &[&str] = &[CREATE_SCHEMA_MIGRATIONS, APPLIED, RECORD];

/// The batches of a migration file: its text split on lines that read `GO` (any case, alone on
/// the line), empty ones left out.
pub fn batches(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        if line.trim().eq_ignore_ascii_case("go") {
            out.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    out.push(current);
    out.into_iter()
        .filter(|b| {
            b.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .collect()
}

/// Serialises migrating nodes: two hubs starting together apply each migration once.
const LOCK: &str = "attaka:migrations";

/// Applies every pending migration, each in its own transaction; returns how many ran.
pub(crate) async fn run(c: &mut Conn) -> StoreResult<usize> {
    c.begin().await?;
    let made = async {
        c.lock(LOCK, LockMode::Exclusive).await?;
        c.batch(CREATE_SCHEMA_MIGRATIONS).await
    }
    .await;
    c.finish(made).await?;
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS {
        c.begin().await?;
        let step = async {
            c.lock(LOCK, LockMode::Exclusive).await?;
            let v = i32::try_from(version).unwrap_or(i32::MAX);
            if c.row(APPLIED, &[&v]).await?.is_some() {
                return Ok(false);
            }
            for batch in batches(sql) {
                c.batch(&batch).await.map_err(|e| match e {
                    crate::store::StoreError::Other(e) => crate::store::StoreError::Other(
                        e.context(format!("applying migration {version:04}_{name}")),
                    ),
                    e => e,
                })?;
            }
            c.exec(RECORD, &[&v, &name, &at(Utc::now())]).await?;
            Ok(true)
        }
        .await;
        if c.finish(step).await? {
            tracing::info!(version, name, "migration applied");
            applied += 1;
        }
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use shared::dto::meta::NodeRole;

    use super::*;
    use crate::store::sqlite::migrations::{applies_to, MIGRATIONS as SQLITE};

    fn files(dir: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("the migrations folder exists")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_sqlserver_folder_has_exactly_the_hub_migrations_of_the_sqlite_folder() {
        let hub_of_sqlite: Vec<String> = files("migrations/sqlite")
            .into_iter()
            .filter(|f| applies_to(&f[5..f.len() - 4], NodeRole::Hub))
            .collect();
        assert_eq!(files("migrations/sqlserver"), hub_of_sqlite);
        // And the embedded lists say the same as the folders.
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, n, _)| format!("{v:04}_{n}.sql"))
            .collect();
        assert_eq!(listed, hub_of_sqlite);
        let sqlite_hub: Vec<(u32, &str)> = SQLITE
            .iter()
            .filter(|(_, n, _)| applies_to(n, NodeRole::Hub))
            .map(|(v, n, _)| (*v, *n))
            .collect();
        let ours: Vec<(u32, &str)> = MIGRATIONS.iter().map(|(v, n, _)| (*v, *n)).collect();
        assert_eq!(ours, sqlite_hub);
    }

    #[test]
    fn a_migration_splits_into_batches_on_go_lines_only() {
        let sql = "ALTER TABLE t ADD c INT;\nGO\n-- note\nUPDATE t SET c = 1; -- GO here is not a separator\n  go  \n\n";
        let b = batches(sql);
        assert_eq!(b.len(), 2);
        assert!(b[0].starts_with("ALTER TABLE"));
        assert!(b[1].contains("UPDATE t SET c = 1"));
        assert_eq!(batches("-- only a comment\n").len(), 0);
    }
}
