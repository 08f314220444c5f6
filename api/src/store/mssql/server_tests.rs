//! Tests against a real server (SQL Server or Babelfish), when `ATTAKA_TEST_MSSQL_URL` names
//! one; without it each says it was skipped and why.

use super::testing::{self, DropGuard};
use super::MssqlStore;
use crate::store::CommonStore;

/// A migrated store on a fresh database, or none (and a note) without a test server.
async fn store(test: &str) -> Option<(MssqlStore, DropGuard)> {
    let Some(base) = testing::test_url() else {
        eprintln!(
            "{test}: skipped: {} is not set, so there is no SQL Server to run against",
            testing::ENV
        );
        return None;
    };
    let (url, guard) = testing::fresh_database(&base)
        .await
        .expect("a fresh test database");
    let store = MssqlStore::open(&url, 4)
        .await
        .expect("connecting to the test database");
    store.migrate().await.expect("migrating the test database");
    Some((store, guard))
}

#[tokio::test]
async fn migrations_apply_once_on_the_server() {
    let Some((store, guard)) = store("migrations_apply_once_on_the_server").await else {
        return;
    };
    assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
    let codes = store.codes().await.unwrap();
    let _ = codes;
    assert_eq!(store.municipalities().await.unwrap().len(), 34);
    drop(store);
    guard.drop_now().await;
}
