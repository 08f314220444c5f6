//! Spawning a node on port 0 with a fresh SQLite file, accounts for every role, and typed calls.

use std::sync::Arc;

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
    s.database.url = Some(format!("sqlite://{}", dir.join("test.sqlite3").display()));
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
