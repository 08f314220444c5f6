//! Spawning a node on port 0 with a fresh database, accounts for every role, and typed calls.
//!
//! A centre node always runs on a fresh SQLite file. The hub does too, unless
//! `ATTAKA_TEST_MSSQL_URL` names a SQL Server: then every hub a test starts runs on a fresh SQL
//! Server database (`api::store::mssql::testing::fresh_database`), kept while any node started
//! on the hub's data directory lives, and [`settings`] for that directory names it, so CLI
//! commands a test runs reach the same database. Restarting the hub ([`spawn_in`] with
//! `fresh = false`) starts it again on that database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use api::config::Settings;
use api::domain::org::{Center, Site};
use api::startup::Application;
use api::store::CommonStore;
use chrono::NaiveDate;
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::dto::auth::{NewAccount, Role, Scope, TokenResponse};
use shared::dto::meta::NodeRole;
use shared::dto::person::{PersonInput, PersonView};
use shared::error::Problem;
pub use shared::error::ProblemCode;

/// The centre of the node under test, and a second centre in another municipality.
pub const CENTER: &str = "C001";
pub const OTHER_CENTER: &str = "C002";
pub const CENTER_MUNICIPALITY: &str = "392014";
pub const OTHER_MUNICIPALITY: &str = "392022";
/// The region of the seeded regional-office account: 高知市 (the node's centre) since FY2009,
/// and 室戸市 (the other centre) from FY2009 to FY2023 only, before it moved to `OTHER_REGION`.
pub const REGION: &str = "central";
pub const OTHER_REGION: &str = "east";
/// The day 室戸市 moved from `REGION` to `OTHER_REGION`.
pub const MOVE_DAY: (i32, u32, u32) = (2024, 4, 1);
pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    /// The part of the node's store both roles have.
    pub store: Arc<dyn CommonStore>,
    /// The node's store typed by its role.
    pub node: api::store::NodeStore,
    pub client: reqwest::Client,
    /// Stops the server (and a centre's sync sender); the database stays in `dir`.
    pub stop: api::startup::StopHandle,
    /// The node's data directory: start the node again on it with [`spawn_in`].
    pub dir: Arc<tempfile::TempDir>,
    /// The hub's SQL Server database, when the hub runs on one (see the module's note).
    pub sql_server: Option<Arc<HubDatabase>>,
}

/// A hub's SQL Server database for a test: its URL, and the guard that drops it (or, on a
/// single-database Babelfish, lets the next test have it) when the last node on it is gone.
pub struct HubDatabase {
    pub url: String,
    guard: Mutex<Option<api::store::mssql::testing::DropGuard>>,
}

impl HubDatabase {
    /// Lets the database go now (a test that replaces its hub by a new, empty one).
    pub async fn release(&self) {
        let guard = self.guard.lock().expect("guard").take();
        if let Some(g) = guard {
            g.drop_now().await;
        }
    }
}

/// The SQL Server databases of the hubs alive in this process, by data directory.
fn hub_databases() -> &'static Mutex<HashMap<PathBuf, Weak<HubDatabase>>> {
    static MAP: std::sync::OnceLock<Mutex<HashMap<PathBuf, Weak<HubDatabase>>>> = std::sync::OnceLock::new();
    MAP.get_or_init(Default::default)
}

fn hub_database_of(dir: &Path) -> Option<Arc<HubDatabase>> {
    hub_databases()
        .lock()
        .expect("map")
        .get(dir)
        .and_then(Weak::upgrade)
}

/// A fresh SQL Server database for a hub in `dir`, when a test server is configured.
async fn fresh_hub_database(dir: &Path) -> Option<Arc<HubDatabase>> {
    let base = api::store::mssql::testing::test_url()?;
    let (url, guard) = api::store::mssql::testing::fresh_database(&base)
        .await
        .expect("a fresh SQL Server database for the hub");
    // Said on the test's output, so a run shows which tests had their hub on SQL Server.
    eprintln!(
        "attaka-test: hub on SQL Server (database {}) in {}",
        guard.name(),
        std::thread::current().name().unwrap_or("?")
    );
    let db = Arc::new(HubDatabase {
        url,
        guard: Mutex::new(Some(guard)),
    });
    hub_databases()
        .lock()
        .expect("map")
        .insert(dir.to_path_buf(), Arc::downgrade(&db));
    Some(db)
}

/// Usernames of the accounts every test app has, one per role (plus one of another centre).
pub fn username(role: Role) -> &'static str {
    match role {
        Role::CenterStaff => "staff",
        Role::CenterAdmin => "manager",
        Role::Municipality => "city",
        Role::Region => "region-office",
        Role::Prefecture => "pref",
        Role::Operator => "operator",
        Role::Integrator => "integrator-has-no-account",
    }
}

pub fn settings(role: NodeRole, dir: &std::path::Path) -> Settings {
    let mut s = Settings::load_unchecked(None).expect("default settings");
    s.node.role = role;
    s.node.center = (role == NodeRole::Center).then(|| CENTER.to_owned());
    s.node.data_dir = dir.to_path_buf();
    s.server.listen = "127.0.0.1:0".parse().expect("addr");
    s.database.url = Some(match hub_database_of(dir).filter(|_| role == NodeRole::Hub) {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", dir.join("test.sqlite3").display()),
    });
    s.database.pool_size = 4;
    s.log.level = "warn".into();
    // The watch's alerts would depend on the machine's free disk and on tests that fail logins
    // on purpose; tests of the watch set their own thresholds.
    s.watch.disk_min_free_mb = 0;
    s.watch.disk_min_free_percent = 0.0;
    s.watch.login_failures = u32::MAX;
    // Nor a nightly backup should a test run at 02:30 JST; backup tests make theirs directly.
    s.backup.enabled = false;
    s.check().expect("test settings are consistent");
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_node(NodeRole::Center).await
}

pub async fn spawn_node(role: NodeRole) -> TestApp {
    spawn_with(role, |_| {}).await
}

/// A node whose settings `adjust` changes first (e.g. a suppression threshold).
pub async fn spawn_with(role: NodeRole, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    spawn_in(dir, role, true, adjust).await
}

/// A node on the database in `dir`: seeded (centres, site, accounts) when `fresh`, as it was
/// left otherwise (a restart).
pub async fn spawn_in(
    dir: Arc<tempfile::TempDir>,
    role: NodeRole,
    fresh: bool,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_on(dir, role, fresh, true, adjust).await
}

/// A hub on a fresh SQLite file whatever `ATTAKA_TEST_MSSQL_URL` says (a test that compares
/// two hubs: a single-database test server has room for one at a time).
pub async fn spawn_sqlite_hub() -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    spawn_on(dir, NodeRole::Hub, true, false, |_| {}).await
}

async fn spawn_on(
    dir: Arc<tempfile::TempDir>,
    role: NodeRole,
    fresh: bool,
    sql_server_allowed: bool,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let sql_server = match (role, fresh) {
        (NodeRole::Hub, true) if sql_server_allowed => fresh_hub_database(dir.path()).await,
        (NodeRole::Hub, true) => None,
        (NodeRole::Hub, false) => hub_database_of(dir.path()),
        (NodeRole::Center, _) => None,
    };
    let mut settings = settings(role, dir.path());
    adjust(&mut settings);
    api::telemetry::init(&settings.log.level, "pretty");
    let node = api::store::open(&settings).await.expect("open store");
    let store = node.common();
    store.migrate().await.expect("migrate");
    if fresh {
        seed(store.as_ref(), &settings).await;
    }
    let app = Application::build_with_store(settings, node.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        store,
        node,
        client: reqwest::Client::new(),
        stop,
        dir,
        sql_server,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

async fn seed(store: &dyn CommonStore, settings: &Settings) {
    for (code, municipality) in [(CENTER, CENTER_MUNICIPALITY), (OTHER_CENTER, OTHER_MUNICIPALITY)] {
        store
            .upsert_center(&Center {
                code: code.into(),
                name: format!("テストセンター {code}"),
                municipality: municipality.into(),
                operator_body: "社会福祉協議会".into(),
                opened_on: date(2009, 4, 1),
                closed_on: None,
            })
            .await
            .expect("centre");
    }
    store
        .upsert_site(&Site {
            code: format!("{CENTER}-S01"),
            center: CENTER.into(),
            name: "サテライト".into(),
            opened_on: date(2015, 4, 1),
            closed_on: None,
        })
        .await
        .expect("site");
    seed_regions(store).await;
    let accounts = [
        ("staff", Role::CenterStaff, Scope::Center(CENTER.into())),
        ("manager", Role::CenterAdmin, Scope::Center(CENTER.into())),
        (
            "other-staff",
            Role::CenterStaff,
            Scope::Center(OTHER_CENTER.into()),
        ),
        (
            "other-manager",
            Role::CenterAdmin,
            Scope::Center(OTHER_CENTER.into()),
        ),
        (
            "city",
            Role::Municipality,
            Scope::Municipality(CENTER_MUNICIPALITY.into()),
        ),
        ("region-office", Role::Region, Scope::Region(REGION.into())),
        ("pref", Role::Prefecture, Scope::Prefecture),
        ("operator", Role::Operator, Scope::Prefecture),
    ];
    for (name, role, scope) in accounts {
        let new = NewAccount {
            username: name.into(),
            display_name: name.into(),
            password: PASSWORD.into(),
            role,
            scope,
        };
        let row = api::ops::audit::by_cli("account.create", Some(name.into()), None);
        api::auth::accounts::create(store, settings, new, None, row)
            .await
            .expect("account");
    }
}

/// Two regions: `REGION` with 高知市 throughout and 室戸市 until FY2023, `OTHER_REGION` with 室戸市
/// from FY2024 and 安芸市 (no centre here) throughout.
async fn seed_regions(store: &dyn CommonStore) {
    use api::domain::region::{Membership, Region};
    let since = date(2009, 4, 1);
    let moved = date(MOVE_DAY.0, MOVE_DAY.1, MOVE_DAY.2);
    let member = |m: &str, from: NaiveDate, to: Option<NaiveDate>| Membership {
        municipality: m.into(),
        valid_from: from,
        valid_to: to,
    };
    let regions = [
        Region {
            code: REGION.into(),
            name: "中央福祉保健所".into(),
            sort_order: 1,
            valid_from: since,
            valid_to: None,
            members: vec![
                member(CENTER_MUNICIPALITY, since, None),
                member(OTHER_MUNICIPALITY, since, moved.pred_opt()),
            ],
        },
        Region {
            code: OTHER_REGION.into(),
            name: "東部福祉保健所".into(),
            sort_order: 2,
            valid_from: since,
            valid_to: None,
            members: vec![
                member(OTHER_MUNICIPALITY, moved, None),
                member("392031", since, None),
            ],
        },
    ];
    for r in &regions {
        let row = api::ops::audit::by_cli("region.put", Some(r.code.clone()), None);
        store.put_region(r, row).await.expect("region");
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn login_as(&self, username: &str) -> TokenResponse {
        let res = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), StatusCode::OK, "login as {username}");
        res.json().await.expect("token response")
    }

    /// A bearer token for `role` (an API token for the integrator, prefecture-wide).
    pub async fn token(&self, role: Role) -> String {
        if role == Role::Integrator {
            let pref = self.login_as("pref").await.access_token;
            let created: shared::dto::auth::CreatedApiToken = self
                .send(
                    Method::POST,
                    "/api/v1/api-tokens",
                    &pref,
                    Some(&serde_json::json!({
                        "name": "テスト連携", "scope": {"level": "prefecture"}, "expires_on": null
                    })),
                )
                .await
                .json()
                .await
                .expect("token");
            return created.token;
        }
        self.login_as(username(role)).await.access_token
    }

    pub async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&B>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    /// The node's `/metrics` text (no token: the endpoint is for the monitoring host).
    pub async fn metrics_text(&self) -> String {
        let res = self.client.get(self.url("/metrics")).send().await;
        res.expect("GET /metrics")
            .text()
            .await
            .expect("the /metrics text")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send::<()>(Method::GET, path, token, None).await
    }

    pub async fn post<B: Serialize>(&self, path: &str, token: &str, body: &B) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn put<B: Serialize>(&self, path: &str, token: &str, body: &B) -> Response {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    pub async fn register(&self, token: &str, input: &PersonInput) -> PersonView {
        let res = self.post("/api/v1/persons", token, input).await;
        expect_json(res, StatusCode::CREATED).await
    }

    /// Audit rows so far.
    pub async fn audit_rows(&self) -> Vec<api::domain::audit::AuditRecord> {
        let q = api::domain::audit::AuditQuery {
            limit: 10_000,
            ..Default::default()
        };
        self.store.audit(&q).await.expect("audit")
    }

    /// The centre's part of the store (a test on a hub that calls this has a bug).
    pub fn center_store(&self) -> &Arc<dyn api::store::CenterStore> {
        self.node.center().expect("a centre node")
    }

    /// The hub's part of the store.
    pub fn hub_store(&self) -> &Arc<dyn api::store::HubStore> {
        self.node.hub().expect("the hub")
    }

    /// People registered at the node's centre, ended ones included.
    pub async fn person_count(&self) -> u64 {
        let q = api::domain::person::PersonQuery {
            include_ended: true,
            limit: 1,
            ..Default::default()
        };
        self.center_store().persons(CENTER, &q).await.expect("persons").1
    }
}

pub async fn expect_json<T: DeserializeOwned>(res: Response, status: StatusCode) -> T {
    let got = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {text}: {e}"))
}

/// Asserts a problem+json answer with `status`, returning it.
pub async fn expect_problem(res: Response, status: StatusCode) -> Problem {
    let got = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    assert_eq!(ct, "application/problem+json", "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing problem {text}: {e}"))
}

/// A valid registration, half-width kana on purpose.
pub fn person_input() -> PersonInput {
    PersonInput {
        common_id: None,
        family_name: "山本".into(),
        given_name: "花子".into(),
        family_kana: "ﾔﾏﾓﾄ".into(),
        given_kana: "ﾊﾅｺ".into(),
        birth_date: date(1948, 5, 1),
        sex: "F".into(),
        residence_municipality: CENTER_MUNICIPALITY.into(),
        postal_code: Some("781-0301".into()),
        address: Some("高知市春野町西分100".into()),
        phone: Some("088-894-0000".into()),
        emergency_contact: Some("長男 山本一郎 090-0000-0000".into()),
        notes: Some("膝が悪く送迎が必要".into()),
        categories: vec!["elderly".into()],
        care_level: "shien1".into(),
        disabilities: vec![],
        household: "alone".into(),
        registered_on: date(2024, 4, 1),
    }
}

/// One row of [`TestApp::hub_rows`]: each cell as text, NULL as none.
pub type TextRow = Vec<Option<String>>;

impl TestApp {
    /// The rows a query answers on the hub's own database, whichever it runs on: `sqlite` on
    /// the SQLite file, `tsql` on the SQL Server database. Each cell as text.
    pub async fn hub_rows(&self, sqlite: &str, tsql: &str) -> Vec<TextRow> {
        if let Some(db) = &self.sql_server {
            return api::store::mssql::testing::rows_as_text(&db.url, tsql)
                .await
                .unwrap_or_else(|e| panic!("{tsql}: {e:#}"));
        }
        let conn = rusqlite::Connection::open(self.dir.path().join("test.sqlite3")).expect("open db");
        let mut stmt = conn.prepare(sqlite).unwrap_or_else(|e| panic!("{sqlite}: {e}"));
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("query");
        let mut out = Vec::new();
        while let Some(row) = rows.next().expect("row") {
            out.push(
                (0..n)
                    .map(|i| match row.get_ref(i).expect("cell") {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        rusqlite::types::ValueRef::Blob(b) => Some(hex::encode(b)),
                    })
                    .collect(),
            );
        }
        out
    }

    /// Runs a statement on the hub's own database (`sqlite` or `tsql`, as [`TestApp::hub_rows`]).
    pub async fn hub_execute(&self, sqlite: &str, tsql: &str) -> u64 {
        if let Some(db) = &self.sql_server {
            return api::store::mssql::testing::execute(&db.url, tsql)
                .await
                .unwrap_or_else(|e| panic!("{tsql}: {e:#}"));
        }
        let conn = rusqlite::Connection::open(self.dir.path().join("test.sqlite3")).expect("open db");
        conn.execute(sqlite, [])
            .unwrap_or_else(|e| panic!("{sqlite}: {e}")) as u64
    }

    /// `(table, column)` of every table the store's migrations made on the hub's database.
    pub async fn hub_columns(&self) -> Vec<(String, String)> {
        let rows = if self.sql_server.is_some() {
            let ours = api::store::mssql::testing::store_tables();
            self.hub_rows(
                "",
                "SELECT t.name, c.name FROM sys.tables t JOIN sys.columns c ON c.object_id = t.object_id ORDER BY t.name, c.column_id",
            )
            .await
            .into_iter()
            .filter(|r| ours.iter().any(|t| Some(t.as_str()) == r[0].as_deref()))
            .collect()
        } else {
            self.hub_rows(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
                "",
            )
            .await
        };
        rows.into_iter()
            .map(|r| (r[0].clone().unwrap_or_default(), r[1].clone().unwrap_or_default()))
            .collect()
    }
}
