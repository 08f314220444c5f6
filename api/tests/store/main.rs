//! Store conformance: one story of behaviour tests over the store traits (`CommonStore`,
//! `CenterStore`, `HubStore`), written once and run against every dialect, as Atuin's
//! `db_story` does.
//!
//! - A test of the common part runs on a SQLite centre, a SQLite hub and a SQL Server hub
//!   (`<module>::sqlite_center::<test>`, `::sqlite_hub::`, `::mssql_hub::`).
//! - A hub test runs on a SQLite hub and a SQL Server hub (`::sqlite_hub::`, `::mssql_hub::`).
//! - A centre test runs on SQLite only: centres never run SQL Server.
//!
//! The SQL Server variants run when `ATTAKA_TEST_MSSQL_URL` is set (see `harness::mssql`);
//! otherwise each prints `SKIPPED: ATTAKA_TEST_MSSQL_URL not set — <test> …` and returns (and
//! passes: libtest and nextest have no way to skip at run time).
//! Count them with
//! `cargo nextest run -E 'binary(store)' --success-output immediate 2>&1 | grep -c 'SKIPPED:'`
//! (or list them: `cargo nextest list -E 'binary(store) and test(/mssql_hub/)'`).
//!
//! Every story gets a database of its own, so tests may count rows exactly.

/// Runs each named `async fn(Fresh<dyn CommonStore>)` of the calling module on every store that
/// has the common part: a SQLite centre, a SQLite hub and a SQL Server hub.
macro_rules! common_story {
    ($($test:ident),+ $(,)?) => {
        mod sqlite_center {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(crate::harness::fresh_center().await.common()).await;
                }
            )+
        }
        mod sqlite_hub {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(crate::harness::sqlite_hub().await.common()).await;
                }
            )+
        }
        mod mssql_hub {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let name = concat!(module_path!(), "::", stringify!($test));
                    if let Some(hub) = crate::harness::mssql_hub(name).await {
                        super::$test(hub.common()).await;
                    }
                }
            )+
        }
    };
}

/// Runs each named `async fn(Fresh<dyn HubStore>)` of the calling module on a SQLite hub and a
/// SQL Server hub.
macro_rules! hub_story {
    ($($test:ident),+ $(,)?) => {
        mod sqlite_hub {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(crate::harness::sqlite_hub().await).await;
                }
            )+
        }
        mod mssql_hub {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let name = concat!(module_path!(), "::", stringify!($test));
                    if let Some(hub) = crate::harness::mssql_hub(name).await {
                        super::$test(hub).await;
                    }
                }
            )+
        }
    };
}

/// Runs each named `async fn(Fresh<dyn CenterStore>)` of the calling module on a SQLite centre.
macro_rules! center_story {
    ($($test:ident),+ $(,)?) => {
        mod sqlite_center {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(crate::harness::fresh_center().await).await;
                }
            )+
        }
    };
}

mod accounts;
mod activities;
mod cell_keys;
mod center;
mod common;
mod concurrency;
mod credentials;
mod data;
mod duplicate_hints;
mod figures;
mod harness;
mod hub;
mod hub_locks;
mod kana;
mod locked;
mod migrate_hub;
mod month_aggregates;
mod ops;
mod ops_log;
mod outbox;
mod regions;
mod stats_changes;
