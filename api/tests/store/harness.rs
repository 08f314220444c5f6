//! Fresh stores for the conformance story: a database of its own per test, opened the way the
//! node opens it (`api::store::open` on `Settings`), migrated, and seeded with two centres and a
//! site through the store itself. SQLite always; SQL Server for the hub when
//! `ATTAKA_TEST_MSSQL_URL` is set and [`mssql::mssql_fresh_url`] can make a database.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use api::config::Settings;
use api::domain::org::{Center, Site};
use api::store::{CenterStore, CommonStore, HubStore, NodeStore};
use chrono::NaiveDate;
use shared::dto::meta::NodeRole;

/// The centre of the centre node under test, and a second centre in another municipality (as in
/// the HTTP tests' `helpers.rs`).
pub const CENTER: &str = "C001";
pub const OTHER_CENTER: &str = "C002";
pub const CENTER_MUNICIPALITY: &str = "392014";
pub const OTHER_MUNICIPALITY: &str = "392022";
/// The seeded site of [`CENTER`].
pub const SITE: &str = "C001-S01";

/// A store on a database of its own, kept (and, for SQL Server, dropped) for as long as this value
/// lives. Derefs to the store, so a test calls `store.method(..)`; `store.store` is the `Arc` to
/// hand to concurrent tasks.
pub struct Fresh<S: ?Sized> {
    pub store: Arc<S>,
    keep: Keep,
}

/// What must outlive the store: the data directory (the SQLite file lives there) and, on SQL
/// Server, the fresh database's guard.
struct Keep {
    _dir: tempfile::TempDir,
    _database: Option<mssql::FreshDatabase>,
    /// How the store was opened, for [`Fresh::another_process`].
    settings: Settings,
}

impl<S: ?Sized> Deref for Fresh<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.store
    }
}

impl<S: ?Sized> Fresh<S> {
    /// The same database opened again with a pool of its own, as a second process serving it
    /// would (not migrated or seeded again).
    pub async fn another_process(&self) -> NodeStore {
        api::store::open(&self.keep.settings)
            .await
            .expect("open the store again")
    }
}

impl Fresh<dyn CenterStore> {
    /// The common part of this centre's store (same database).
    pub fn common(self) -> Fresh<dyn CommonStore> {
        let store: Arc<dyn CommonStore> = self.store;
        Fresh {
            store,
            keep: self.keep,
        }
    }
}

impl Fresh<dyn HubStore> {
    /// The common part of this hub's store (same database).
    pub fn common(self) -> Fresh<dyn CommonStore> {
        let store: Arc<dyn CommonStore> = self.store;
        Fresh {
            store,
            keep: self.keep,
        }
    }
}

/// Settings as the HTTP tests build them (`helpers.rs::settings`), with `url` as the database.
pub fn settings(role: NodeRole, dir: &Path, url: String) -> Settings {
    let mut s = Settings::load_unchecked(None).expect("default settings");
    s.node.role = role;
    s.node.center = (role == NodeRole::Center).then(|| CENTER.to_owned());
    s.node.data_dir = dir.to_path_buf();
    s.database.url = Some(url);
    // The concurrency stories run eight writers at once.
    s.database.pool_size = 8;
    s.log.level = "warn".into();
    s.backup.enabled = false;
    s.check().expect("test settings are consistent");
    s
}

pub fn sqlite_settings(role: NodeRole, dir: &Path) -> Settings {
    let url = format!("sqlite://{}", dir.join("store.sqlite3").display());
    settings(role, dir, url)
}

/// Opens the store the settings name, migrates it and seeds it.
async fn open(settings: &Settings) -> NodeStore {
    let node = api::store::open(settings).await.expect("open store");
    let common = node.common();
    let applied = common.migrate().await.expect("migrate");
    assert!(applied > 0, "a fresh database gets every migration");
    seed(common.as_ref()).await;
    node
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The minimal master data every story starts from: centres C001 (高知市) and C002 (室戸市), and
/// C001's site.
async fn seed(store: &dyn CommonStore) {
    for (code, municipality) in [(CENTER, CENTER_MUNICIPALITY), (OTHER_CENTER, OTHER_MUNICIPALITY)] {
        store
            .upsert_center(&center(code, municipality))
            .await
            .expect("seed centre");
    }
    store.upsert_site(&site(SITE, CENTER)).await.expect("seed site");
}

pub fn center(code: &str, municipality: &str) -> Center {
    Center {
        code: code.into(),
        name: format!("テストセンター {code}"),
        municipality: municipality.into(),
        operator_body: "社会福祉協議会".into(),
        opened_on: date(2009, 4, 1),
        closed_on: None,
    }
}

pub fn site(code: &str, center: &str) -> Site {
    Site {
        code: code.into(),
        center: center.into(),
        name: "サテライト".into(),
        opened_on: date(2015, 4, 1),
        closed_on: None,
    }
}

/// A centre node's store on a fresh SQLite file (centres never run SQL Server).
pub async fn fresh_center() -> Fresh<dyn CenterStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = sqlite_settings(NodeRole::Center, dir.path());
    let node = open(&settings).await;
    Fresh {
        store: node.center().expect("a centre store").clone(),
        keep: Keep {
            _dir: dir,
            _database: None,
            settings,
        },
    }
}

/// The hub's store on a fresh SQLite file.
pub async fn sqlite_hub() -> Fresh<dyn HubStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = sqlite_settings(NodeRole::Hub, dir.path());
    let node = open(&settings).await;
    Fresh {
        store: node.hub().expect("a hub store").clone(),
        keep: Keep {
            _dir: dir,
            _database: None,
            settings,
        },
    }
}

/// The hub's store on a fresh SQL Server database, or `None` after printing why the test named
/// `test` is skipped (`SKIPPED: ATTAKA_TEST_MSSQL_URL not set …`).
pub async fn mssql_hub(test: &str) -> Option<Fresh<dyn HubStore>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (settings, database) = match mssql::fresh_settings(dir.path()).await {
        Ok(found) => found,
        Err(why) => {
            // Captured like any test output: `cargo nextest run --success-output immediate`
            // (or `cargo test -- --nocapture`) shows one line per skipped story.
            eprintln!("SKIPPED: {why} — {test} did not run on SQL Server");
            return None;
        }
    };
    let node = open(&settings).await;
    Some(Fresh {
        store: node.hub().expect("a hub store").clone(),
        keep: Keep {
            _dir: dir,
            _database: Some(database),
            settings,
        },
    })
}

/// SQL Server: where the conformance story gets a database of its own for each test.
pub mod mssql {
    use std::any::Any;
    use std::path::Path;

    use api::config::Settings;
    use shared::dto::meta::NodeRole;

    /// The server to test against: a `sqlserver://…` URL or an ADO string naming a login allowed
    /// to `CREATE DATABASE`. Unset, every SQL Server variant is skipped and says so.
    pub const URL_VAR: &str = "ATTAKA_TEST_MSSQL_URL";

    /// A database made for one test: its URL, and whatever must be dropped to remove it again.
    pub struct FreshDatabase {
        pub url: String,
        /// Dropped with the test's store; the SQL Server helper's guard drops the database.
        pub _guard: Option<Box<dyn Any + Send + Sync>>,
    }

    /// A fresh database from the SQL Server store's own test support: a new `attaka_t_…`
    /// database where the login may create one, else (a single-database Babelfish) the
    /// configured database emptied and held under a session lock until the guard goes.
    pub async fn mssql_fresh_url(base: &str) -> Option<FreshDatabase> {
        match api::store::mssql::testing::fresh_database(base).await {
            Ok((url, guard)) => Some(FreshDatabase {
                url,
                _guard: Some(Box::new(guard)),
            }),
            // The variable is set: a server that cannot be used is a failure, not a skip.
            Err(e) => panic!("{URL_VAR} is set, but no fresh SQL Server database could be had: {e:#}"),
        }
    }

    /// Hub settings on a fresh SQL Server database (kept alive by the returned value), or the
    /// reason there is none.
    pub async fn fresh_settings(dir: &Path) -> Result<(Settings, FreshDatabase), String> {
        let base = match std::env::var(URL_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => return Err(format!("{URL_VAR} not set")),
        };
        let database = mssql_fresh_url(&base).await.ok_or_else(|| {
            format!("{URL_VAR} is set, but harness::mssql::mssql_fresh_url makes no fresh database yet")
        })?;
        let settings = super::settings(NodeRole::Hub, dir, database.url.clone());
        Ok((settings, database))
    }
}
