//! `attaka migrate-hub` against a real SQL Server (or Babelfish): a generated SQLite hub is
//! copied, checked, copied again (nothing to do, no duplicate), and copied after an
//! interruption (a table recorded as not copied while its rows are there).

use std::sync::Arc;

use api::domain::alert::{NewAlert, Severity};
use api::generate::GenerateArgs;
use api::ops::migrate_hub;
use api::store::mssql::migrate_hub::schema_tables;
use api::store::mssql::MssqlStore;
use api::store::CommonStore;
use shared::dto::meta::NodeRole;

use crate::harness::{mssql::URL_VAR, sqlite_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_hub_moves_to_sql_server_with_the_same_figures_and_a_rerun_resumes_without_duplicates() {
    let Some(base) = api::store::mssql::testing::test_url() else {
        eprintln!("SKIPPED: {URL_VAR} not set — migrate_hub did not run on SQL Server");
        return;
    };
    // A small generated hub on SQLite.
    let dir = tempfile::tempdir().unwrap();
    let settings = sqlite_settings(NodeRole::Hub, dir.path());
    let path = settings.sqlite_path().unwrap().display().to_string();
    {
        let store = api::store::open_common(&settings).await.unwrap();
        store.migrate().await.unwrap();
        let args = GenerateArgs {
            centers: 3,
            years: 2,
            last_fiscal_year: Some(2024),
            people: 120,
            seed: 7,
        };
        api::generate::run(Arc::clone(&store), &settings, &args)
            .await
            .unwrap();
        // Rows in tables with an IDENTITY column on SQL Server: their ids must be kept.
        let now = chrono::Utc::now();
        for subject in ["a", "b", "c"] {
            let alert = NewAlert {
                event: "backup_failed",
                subject: subject.into(),
                severity: Severity::Warn,
                message: "test".into(),
            };
            assert!(store.raise_alert(&alert, now).await.unwrap());
        }
        store.start_uptime_run(now).await.unwrap();
        // An account: `accounts` has a computed column on SQL Server (`username_key`), which
        // the copy must leave to the server.
        let new = shared::dto::auth::NewAccount {
            username: "Pref-Officer".into(),
            display_name: "県".into(),
            password: "a long enough passphrase 2026".into(),
            role: shared::dto::auth::Role::Prefecture,
            scope: shared::dto::auth::Scope::Prefecture,
        };
        let row = api::ops::audit::by_cli("account.create", Some(new.username.clone()), None);
        api::auth::accounts::create(store.as_ref(), &settings, new, None, row)
            .await
            .unwrap();
    }

    let (url, guard) = api::store::mssql::testing::fresh_database(&base).await.unwrap();
    let from = format!("sqlite://{path}");

    let first = migrate_hub::run(&from, &url).await.unwrap();
    eprintln!("{}", first.report);
    assert!(first.differences.is_empty(), "{:?}", first.differences);
    assert_eq!(first.copied.len(), schema_tables().len());
    assert!(first.skipped.is_empty());
    let copied = |t: &str| {
        first
            .copied
            .iter()
            .find(|(n, _)| n == t)
            .map(|(_, r)| *r)
            .unwrap()
    };
    assert!(copied("activities") > 0 && copied("participations") > 0);
    assert!(first.questions >= 8, "two fiscal years of questions");
    assert_eq!(copied("ops_alerts"), 3);
    assert_eq!(copied("accounts"), 1);
    let source = api::store::open_common(&settings).await.unwrap();
    let target = MssqlStore::open(&url, 1).await.unwrap();
    assert_eq!(
        target.alerts(false).await.unwrap(),
        source.alerts(false).await.unwrap(),
        "alerts with the same ids"
    );
    let officer = target.find_account("pref-officer").await.unwrap();
    assert_eq!(
        officer.map(|a| a.username),
        Some("Pref-Officer".to_owned()),
        "found by its case-insensitive key, computed on the server"
    );
    drop(target);

    // A second run: every table recorded, nothing copied, still equal.
    let second = migrate_hub::run(&from, &url).await.unwrap();
    assert!(second.copied.is_empty(), "{:?}", second.copied);
    assert_eq!(second.skipped.len(), schema_tables().len());
    assert!(second.differences.is_empty(), "{:?}", second.differences);

    // An interruption: the last table with rows is not recorded though its rows are there.
    let target = MssqlStore::open(&url, 1).await.unwrap();
    let last = first
        .copied
        .iter()
        .rev()
        .find(|(_, n)| *n > 0)
        .map(|(t, _)| t.clone())
        .unwrap();
    assert!(target.migration_forget(&last).await.unwrap());
    drop(target);
    let third = migrate_hub::run(&from, &url).await.unwrap();
    assert_eq!(
        third.copied.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        [last.as_str()]
    );
    assert!(third.differences.is_empty(), "{:?}", third.differences);

    guard.drop_now().await;
}
