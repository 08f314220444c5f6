//! The SQLite migrations, embedded in the binary, and the runner that applies them in order.

use anyhow::Context;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use shared::dto::meta::NodeRole;

/// `(version, name, sql)`, in order. Files whose name starts with `center_` create identity
/// tables and run on centre nodes only; files whose name starts with `hub_` run on the hub only.
/// A test checks this list against `migrations/sqlite/`.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "master_data",
        include_str!("../../../../migrations/sqlite/0002_master_data.sql"),
    ),
    (
        3,
        "center_identity",
        include_str!("../../../../migrations/sqlite/0003_center_identity.sql"),
    ),
    (
        4,
        "activities",
        include_str!("../../../../migrations/sqlite/0004_activities.sql"),
    ),
    (
        5,
        "center_activity_notes",
        include_str!("../../../../migrations/sqlite/0005_center_activity_notes.sql"),
    ),
    (
        6,
        "center_sync_outbox",
        include_str!("../../../../migrations/sqlite/0006_center_sync_outbox.sql"),
    ),
    (
        7,
        "hub_sync",
        include_str!("../../../../migrations/sqlite/0007_hub_sync.sql"),
    ),
    (
        8,
        "hub_no_activity_title",
        include_str!("../../../../migrations/sqlite/0008_hub_no_activity_title.sql"),
    ),
    (
        9,
        "ops_alerts",
        include_str!("../../../../migrations/sqlite/0009_ops_alerts.sql"),
    ),
    (
        10,
        "stats_year_aggregates",
        include_str!("../../../../migrations/sqlite/0010_stats_year_aggregates.sql"),
    ),
    (
        11,
        "period_lock_hub_origin",
        include_str!("../../../../migrations/sqlite/0011_period_lock_hub_origin.sql"),
    ),
    (
        12,
        "center_hub_locks_pull",
        include_str!("../../../../migrations/sqlite/0012_center_hub_locks_pull.sql"),
    ),
    (
        13,
        "hub_duplicate_hints",
        include_str!("../../../../migrations/sqlite/0013_hub_duplicate_hints.sql"),
    ),
    (
        14,
        "ops_alert_mail",
        include_str!("../../../../migrations/sqlite/0014_ops_alert_mail.sql"),
    ),
    (
        15,
        "audit_chain",
        include_str!("../../../../migrations/sqlite/0015_audit_chain.sql"),
    ),
    (
        16,
        "ops_uptime",
        include_str!("../../../../migrations/sqlite/0016_ops_uptime.sql"),
    ),
    (
        17,
        "account_hardening",
        include_str!("../../../../migrations/sqlite/0017_account_hardening.sql"),
    ),
    (
        18,
        "api_token_extracts",
        include_str!("../../../../migrations/sqlite/0018_api_token_extracts.sql"),
    ),
    (
        19,
        "ops_log",
        include_str!("../../../../migrations/sqlite/0019_ops_log.sql"),
    ),
    (
        20,
        "ops_alert_clear_mail",
        include_str!("../../../../migrations/sqlite/0020_ops_alert_clear_mail.sql"),
    ),
    (
        21,
        "leases",
        include_str!("../../../../migrations/sqlite/0021_leases.sql"),
    ),
    (
        22,
        "center_sync_positions",
        include_str!("../../../../migrations/sqlite/0022_center_sync_positions.sql"),
    ),
    (
        23,
        "hub_sync_resends",
        include_str!("../../../../migrations/sqlite/0023_hub_sync_resends.sql"),
    ),
    (
        24,
        "regions",
        include_str!("../../../../migrations/sqlite/0024_regions.sql"),
    ),
    (
        25,
        "stats_month_aggregates",
        include_str!("../../../../migrations/sqlite/0025_stats_month_aggregates.sql"),
    ),
    (
        26,
        "stats_changes",
        include_str!("../../../../migrations/sqlite/0026_stats_changes.sql"),
    ),
];

/// Whether a migration applies to a node of this role.
pub fn applies_to(name: &str, role: NodeRole) -> bool {
    if name.starts_with("center_") {
        role == NodeRole::Center
    } else if name.starts_with("hub_") {
        role == NodeRole::Hub
    } else {
        true
    }
}

/// Applies every pending migration, each in its own transaction; returns how many ran.
pub fn run(conn: &mut Connection, role: NodeRole) -> anyhow::Result<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     INTEGER PRIMARY KEY,
             name        TEXT NOT NULL,
             applied_at  TEXT NOT NULL,
             skipped     INTEGER NOT NULL DEFAULT 0
         );",
    )
    .context("creating schema_migrations")?;
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS {
        // Check-then-write: BEGIN IMMEDIATE takes the write lock before the version is looked up, so
        // two processes opening the file cannot both apply a migration.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_some() {
            continue;
        }
        let skip = !applies_to(name, role);
        if !skip {
            tx.execute_batch(sql)
                .with_context(|| format!("applying migration {version:04}_{name}"))?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at, skipped) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![version, name, Utc::now().to_rfc3339(), skip],
        )?;
        tx.commit()?;
        if skip {
            // Recorded so the version sequence stays whole, but not for this node's role.
            tracing::info!(version, name, "migration recorded, not for this node's role");
        } else {
            tracing::info!(version, name, "migration applied");
        }
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_matches_the_migration_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations/sqlite exists")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, n, _)| format!("{v:04}_{n}.sql"))
            .collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn the_hub_never_creates_identity_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, NodeRole::Hub).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'person_private'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn the_hub_has_no_place_for_activity_notes_but_has_the_activity_facts() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, NodeRole::Hub).unwrap();
        let count = |name: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(count("center_activity_notes"), 0);
        assert_eq!(count("activities"), 1);
        assert_eq!(count("participations"), 1);
    }

    #[test]
    fn hub_only_migrations_run_on_the_hub_only() {
        assert!(applies_to("hub_sync", NodeRole::Hub));
        assert!(!applies_to("hub_sync", NodeRole::Center));
        assert!(!applies_to("center_sync_outbox", NodeRole::Hub));
        assert!(applies_to("activities", NodeRole::Hub) && applies_to("activities", NodeRole::Center));
        let mut hub = Connection::open_in_memory().unwrap();
        run(&mut hub, NodeRole::Hub).unwrap();
        let columns = |conn: &Connection, table: &str| -> Vec<String> {
            let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)").unwrap();
            stmt.query_map([table], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert!(!columns(&hub, "activities").contains(&"title".to_owned()));
        assert!(columns(&hub, "sync_credentials").contains(&"token_hash".to_owned()));
        assert!(columns(&hub, "sync_outbox").is_empty());
        let mut centre = Connection::open_in_memory().unwrap();
        run(&mut centre, NodeRole::Center).unwrap();
        assert!(columns(&centre, "activities").contains(&"title".to_owned()));
        assert!(columns(&centre, "sync_credentials").is_empty());
        assert!(columns(&centre, "sync_outbox").contains(&"payload".to_owned()));
        assert!(columns(&centre, "period_locks").contains(&"hub_lock_id".to_owned()));
        assert!(columns(&centre, "sync_state").contains(&"locks_error".to_owned()));
    }

    #[test]
    fn running_twice_applies_nothing_the_second_time() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(run(&mut conn, NodeRole::Center).unwrap(), MIGRATIONS.len());
        assert_eq!(run(&mut conn, NodeRole::Center).unwrap(), 0);
    }
}
