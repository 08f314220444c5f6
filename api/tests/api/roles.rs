//! Every role against every route of `openapi/openapi.json`, on a centre node and on the hub: who
//! is allowed, and who is refused (403 or 404 as problem+json, never data, nothing changed). A
//! guard fails when a route of the document has no case, so a new endpoint needs its row here.

use std::collections::{BTreeSet, HashMap};

use api::domain::activity::{ActivityRecord, Context};
use api::domain::clock::today_jst;
use api::domain::person::PersonRecord;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::activity::{ActivityInput, PeriodLockView};
use shared::dto::auth::{AccountView, CreatedApiToken, Role};
use shared::dto::meta::NodeRole;
use shared::dto::person::PersonView;
use shared::dto::sync::CreatedSyncCredential;
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::common_id;

use Role::*;

const EVERYONE: &[Role] = &Role::ALL;
const NOBODY: &[Role] = &[];
/// Those who register people and record activities, at their own centre.
const CENTRE: &[Role] = &[CenterStaff, CenterAdmin];
/// Account holders (the integrator has a token, not an account).
const ACCOUNTS: &[Role] = &[
    CenterStaff,
    CenterAdmin,
    Municipality,
    Region,
    Prefecture,
    Operator,
];
/// Figures and de-identified records: everyone but the operator.
const FIGURES: &[Role] = &[
    CenterStaff,
    CenterAdmin,
    Municipality,
    Region,
    Prefecture,
    Integrator,
];
/// De-identified records: the figures' roles, but an integrator token only with an extracts
/// grant (the tokens of these cases have none).
const RECORDS: &[Role] = &[CenterStaff, CenterAdmin, Municipality, Region, Prefecture];
const ADMINS: &[Role] = &[CenterAdmin, Prefecture];
const UNLOCKERS: &[Role] = &[CenterAdmin, Prefecture, Operator];
const LOCK_READERS: &[Role] = &[CenterStaff, CenterAdmin, Municipality, Region, Prefecture];
/// Delivery state holds no person-level data: everyone with an account.
const SYNC_WATCHERS: &[Role] = ACCOUNTS;
/// The operations log and the contract's reports.
const OPS: &[Role] = &[Prefecture, Operator];

fn inquiry_body(summary: &str) -> Value {
    json!({"received_at": "2025-05-01T10:00:00+09:00", "source_kind": "prefecture", "channel": "phone",
           "category": "usage", "summary": summary})
}

fn incident_body(summary: &str) -> Value {
    json!({"detected_at": "2025-05-01T10:00:00+09:00", "kind": "failure", "summary": summary})
}

fn change_body(summary: &str) -> Value {
    json!({"changed_at": "2025-05-01T10:00:00+09:00", "kind": "config", "summary": summary,
           "reason": "定期見直し", "impact": "なし"})
}

fn maintenance_body() -> Value {
    json!({"starts_at": "2099-01-01T01:00:00+09:00", "ends_at": "2099-01-01T03:00:00+09:00",
           "summary": "定期点検"})
}

/// What a case needs made afresh (with an allowed token) before each call, because the call uses
/// it up or changes it. Its ID replaces `{id}` in the path and the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    Nothing,
    /// A person registered at the centre (a common ID).
    Person,
    /// An activity the fixture's person took part in (a UUID).
    Activity,
    /// An active period lock of the node's centre.
    Lock,
    /// A staff account of the node's centre.
    Account,
    /// An integrator token scoped to the node's centre.
    ApiToken,
    /// A sync credential for the node's centre (hub).
    SyncCredential,
    /// Records of the operations log.
    Inquiry,
    Incident,
    Change,
    Maintenance,
}

/// A route, a body, and the roles allowed to call it. `{n}` in the body becomes a number unique
/// to the call (usernames).
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    allowed: &'static [Role],
    fresh: Fresh,
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>, allowed: &'static [Role]) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        allowed,
        fresh: Fresh::Nothing,
    }
}

impl Case {
    fn on_fresh(self, fresh: Fresh) -> Case {
        Case { fresh, ..self }
    }
}

/// A 集い in May 2024 with `person` taking part.
fn gathering(id: &str, person: &str) -> Value {
    json!({"id": id, "date": "2024-05-13", "function": "tsudoi", "title": "ふれあいサロン",
           "staff_count": 2, "participants": [{"common_id": person}]})
}

/// Every bearer-token route of the API on a `node`, with who may call it there. `person` is a
/// person registered at the node's centre (any common ID on the hub, which holds no names).
fn cases(node: NodeRole, person: &str) -> Vec<Case> {
    let centre_node = |roles: &'static [Role]| if node == NodeRole::Center { roles } else { NOBODY };
    let hub = |roles: &'static [Role]| if node == NodeRole::Hub { roles } else { NOBODY };
    let person_body = serde_json::to_value(person_input()).unwrap();
    let a = "/api/v1/activities/{id}";
    vec![
        // Who am I, what is this node, the code lists: every caller. `/auth/me` needs an account.
        case(Method::GET, "/api/v1/auth/me", None, ACCOUNTS),
        case(Method::GET, "/api/v1/meta", None, EVERYONE),
        case(Method::GET, "/api/v1/master/functions", None, EVERYONE),
        case(Method::GET, "/api/v1/master/municipalities", None, EVERYONE),
        case(Method::GET, "/api/v1/master/centers", None, EVERYONE),
        case(Method::GET, "/api/v1/master/sites", None, EVERYONE),
        case(Method::GET, "/api/v1/master/regions", None, EVERYONE),
        // Regions are kept on the hub, by the prefecture (the same replacement every call).
        case(
            Method::PUT,
            "/api/v1/regions/west",
            Some(json!({"code": "west", "name": "西部福祉保健所", "sort_order": 3,
                        "valid_from": "2009-04-01", "valid_to": null,
                        "members": [{"municipality": "392057", "valid_from": "2009-04-01", "valid_to": null}]})),
            hub(&[Prefecture]),
        ),
        case(
            Method::PUT,
            "/api/v1/centers/C009",
            Some(
                json!({"code": "C009", "name": "新センター", "municipality": "393649",
                        "operator_body": "社協", "opened_on": "2024-04-01", "closed_on": null}),
            ),
            &[Prefecture],
        ),
        case(
            Method::PUT,
            format!("/api/v1/centers/{CENTER}/sites/{CENTER}-S02"),
            Some(json!({"code": format!("{CENTER}-S02"), "name": "サテライト2",
                        "opened_on": "2024-04-01", "closed_on": null})),
            ADMINS,
        ),
        // People: the centre's own staff, on the centre node only.
        case(Method::GET, "/api/v1/persons", None, centre_node(CENTRE)),
        case(
            Method::POST,
            "/api/v1/persons",
            Some(person_body.clone()),
            centre_node(CENTRE),
        ),
        case(
            Method::POST,
            "/api/v1/persons/duplicate-hints",
            Some(json!({"family_kana": "ヤマモト", "given_kana": "ハナコ", "birth_date": "1948-05-01"})),
            centre_node(CENTRE),
        ),
        case(
            Method::GET,
            format!("/api/v1/persons/{person}"),
            None,
            centre_node(CENTRE),
        ),
        case(
            Method::PUT,
            format!("/api/v1/persons/{person}"),
            Some(person_body),
            centre_node(CENTRE),
        ),
        case(
            Method::POST,
            "/api/v1/persons/{id}/end",
            Some(json!({"ended_on": "2024-06-30", "end_reason": "moved"})),
            centre_node(CENTRE),
        )
        .on_fresh(Fresh::Person),
        case(
            Method::GET,
            format!("/api/v1/persons/{person}/participations"),
            None,
            centre_node(CENTRE),
        ),
        // Activities: the centre's own staff, on the centre node only.
        case(
            Method::GET,
            "/api/v1/activities?month=2024-05",
            None,
            centre_node(CENTRE),
        ),
        case(
            Method::POST,
            "/api/v1/activities",
            Some(gathering(&Uuid::new_v4().to_string(), person)),
            centre_node(CENTRE),
        ),
        case(Method::GET, a, None, centre_node(CENTRE)).on_fresh(Fresh::Activity),
        case(
            Method::PUT,
            a,
            Some(gathering("{id}", person)),
            centre_node(CENTRE),
        )
        .on_fresh(Fresh::Activity),
        case(Method::DELETE, a, None, centre_node(CENTRE)).on_fresh(Fresh::Activity),
        case(
            Method::PUT,
            format!("{a}/participations/{person}"),
            Some(json!({})),
            centre_node(CENTRE),
        )
        .on_fresh(Fresh::Activity),
        case(
            Method::DELETE,
            format!("{a}/participations/{person}"),
            None,
            centre_node(CENTRE),
        )
        .on_fresh(Fresh::Activity),
        // Period locks: read by those whose figures they freeze, set by the prefecture (on
        // either node; the centre's own locks beside the hub's copies).
        case(Method::GET, "/api/v1/period-locks", None, LOCK_READERS),
        case(
            Method::POST,
            "/api/v1/period-locks",
            Some(json!({"scope": {"level": "center", "code": CENTER}, "period": "FY2019"})),
            &[Prefecture],
        ),
        case(
            Method::POST,
            "/api/v1/period-locks/{id}/unlock",
            Some(json!({})),
            &[Prefecture],
        )
        .on_fresh(Fresh::Lock),
        // Accounts and integrator tokens.
        case(Method::GET, "/api/v1/accounts", None, UNLOCKERS),
        case(
            Method::POST,
            "/api/v1/accounts",
            Some(
                json!({"username": "new-staff-{n}", "display_name": "新しい職員", "password": PASSWORD,
                        "role": "center_staff", "scope": {"level": "center", "code": CENTER}}),
            ),
            ADMINS,
        ),
        case(
            Method::POST,
            "/api/v1/accounts/{id}/unlock",
            Some(json!({})),
            UNLOCKERS,
        )
        .on_fresh(Fresh::Account),
        case(
            Method::PUT,
            "/api/v1/accounts/{id}/disabled",
            Some(json!({"disabled": true})),
            ADMINS,
        )
        .on_fresh(Fresh::Account),
        case(
            Method::POST,
            "/api/v1/accounts/{id}/password",
            Some(json!({"new_password": "temporary pass phrase 7"})),
            ADMINS,
        )
        .on_fresh(Fresh::Account),
        case(Method::GET, "/api/v1/api-tokens", None, ADMINS),
        case(
            Method::POST,
            "/api/v1/api-tokens",
            Some(json!({"name": "集計", "scope": {"level": "center", "code": CENTER}, "expires_on": null})),
            ADMINS,
        ),
        case(Method::DELETE, "/api/v1/api-tokens/{id}", None, ADMINS).on_fresh(Fresh::ApiToken),
        case(Method::GET, "/api/v1/audit", None, &[Prefecture, Operator]),
        case(Method::GET, "/api/v1/ops/uptime", None, OPS),
        // The operations log and the contract's reports: the operator and the prefecture.
        case(Method::GET, "/api/v1/ops/due", None, OPS),
        case(
            Method::GET,
            "/api/v1/ops/reports/business?period=2025-05",
            None,
            OPS,
        ),
        case(Method::GET, "/api/v1/ops/inquiries", None, OPS),
        case(
            Method::POST,
            "/api/v1/ops/inquiries",
            Some(inquiry_body("操作方法")),
            OPS,
        ),
        case(Method::GET, "/api/v1/ops/inquiries/{id}", None, OPS).on_fresh(Fresh::Inquiry),
        case(
            Method::PUT,
            "/api/v1/ops/inquiries/{id}",
            Some(inquiry_body("書き換え")),
            OPS,
        )
        .on_fresh(Fresh::Inquiry),
        case(Method::GET, "/api/v1/ops/incidents", None, OPS),
        case(
            Method::POST,
            "/api/v1/ops/incidents",
            Some(incident_body("停止")),
            OPS,
        ),
        case(Method::GET, "/api/v1/ops/incidents/{id}", None, OPS).on_fresh(Fresh::Incident),
        case(
            Method::PUT,
            "/api/v1/ops/incidents/{id}",
            Some(incident_body("書き換え")),
            OPS,
        )
        .on_fresh(Fresh::Incident),
        case(Method::GET, "/api/v1/ops/changes", None, OPS),
        case(
            Method::POST,
            "/api/v1/ops/changes",
            Some(change_body("設定")),
            OPS,
        ),
        case(
            Method::PUT,
            "/api/v1/ops/changes/{id}",
            Some(change_body("書き換え")),
            OPS,
        )
        .on_fresh(Fresh::Change),
        case(Method::GET, "/api/v1/ops/maintenance", None, OPS),
        case(
            Method::POST,
            "/api/v1/ops/maintenance",
            Some(maintenance_body()),
            OPS,
        ),
        case(
            Method::POST,
            "/api/v1/ops/maintenance/{id}/cancel",
            Some(json!({})),
            OPS,
        )
        .on_fresh(Fresh::Maintenance),
        // Figures and de-identified records, within the caller's scope.
        case(
            Method::GET,
            "/api/v1/stats?measures=participations&period=FY2024",
            None,
            FIGURES,
        ),
        case(
            Method::GET,
            "/api/v1/extracts/participations?period=FY2024",
            None,
            RECORDS,
        ),
        case(
            Method::GET,
            "/api/v1/extracts/activities?period=FY2024",
            None,
            RECORDS,
        ),
        case(
            Method::GET,
            "/api/v1/extracts/persons?period=FY2024",
            None,
            RECORDS,
        ),
        // Synchronisation: the state on both nodes; credentials live on the hub only.
        case(Method::GET, "/api/v1/sync/status", None, SYNC_WATCHERS),
        case(Method::GET, "/api/v1/sync/credentials", None, hub(&[Prefecture])),
        case(
            Method::POST,
            "/api/v1/sync/credentials",
            Some(json!({"center": CENTER})),
            hub(&[Prefecture]),
        ),
        case(
            Method::DELETE,
            "/api/v1/sync/credentials/{id}",
            None,
            hub(&[Prefecture]),
        )
        .on_fresh(Fresh::SyncCredential),
    ]
}

/// A node with an account per role, a registered person (centre node) and what it takes to
/// make a case's fresh target.
struct Node {
    app: TestApp,
    role: NodeRole,
    staff: String,
    pref: String,
    person: String,
    calls: u32,
}

impl Node {
    async fn start(role: NodeRole) -> Node {
        let app = spawn_node(role).await;
        let staff = app.token(CenterStaff).await;
        let pref = app.token(Prefecture).await;
        let person = match role {
            NodeRole::Center => app.register(&staff, &person_input()).await.common_id,
            NodeRole::Hub => common_id(CENTER, 1),
        };
        Node {
            app,
            role,
            staff,
            pref,
            person,
            calls: 0,
        }
    }

    fn cases(&self) -> Vec<Case> {
        cases(self.role, &self.person)
    }

    async fn created<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str, body: Value) -> T {
        expect_json(self.app.post(path, token, &body).await, StatusCode::CREATED).await
    }

    /// Makes the target `fresh` asks for and returns its ID. The hub holds no people or
    /// activities and a centre node no sync credentials: there everyone is refused before the
    /// ID is looked at, so any well-formed ID does.
    async fn fresh(&mut self, fresh: Fresh) -> String {
        self.calls += 1;
        let n = self.calls;
        let centre = json!({"level": "center", "code": CENTER});
        match (fresh, self.role) {
            (Fresh::Nothing, _) => String::new(),
            (Fresh::Person, NodeRole::Center) => {
                self.app.register(&self.staff, &person_input()).await.common_id
            }
            (Fresh::Activity, NodeRole::Center) => {
                let id = Uuid::new_v4().to_string();
                let body = gathering(&id, &self.person);
                let _: Value = self.created("/api/v1/activities", &self.staff, body).await;
                id
            }
            (Fresh::Lock, _) => {
                // A month of its own, long before the activities, so that no lock refuses a write.
                let period = format!("{}-{:02}", 1900 + n / 12, n % 12 + 1);
                let body = json!({"scope": centre, "period": period});
                let lock: PeriodLockView = self.created("/api/v1/period-locks", &self.pref, body).await;
                lock.id.to_string()
            }
            (Fresh::Account, _) => {
                let body = json!({"username": format!("target-{n}"), "display_name": "対象",
                                  "password": PASSWORD, "role": "center_staff", "scope": centre});
                let account: AccountView = self.created("/api/v1/accounts", &self.pref, body).await;
                account.id.to_string()
            }
            (Fresh::ApiToken, _) => {
                let body = json!({"name": format!("対象{n}"), "scope": centre, "expires_on": null});
                let token: CreatedApiToken = self.created("/api/v1/api-tokens", &self.pref, body).await;
                token.info.id.to_string()
            }
            (Fresh::SyncCredential, NodeRole::Hub) => {
                let body = json!({"center": CENTER});
                let c: CreatedSyncCredential =
                    self.created("/api/v1/sync/credentials", &self.pref, body).await;
                c.info.id.to_string()
            }
            (Fresh::Inquiry, _) => {
                let v: Value = self
                    .created("/api/v1/ops/inquiries", &self.pref, inquiry_body("元の内容"))
                    .await;
                v["id"].to_string()
            }
            (Fresh::Incident, _) => {
                let v: Value = self
                    .created("/api/v1/ops/incidents", &self.pref, incident_body("元の内容"))
                    .await;
                v["id"].to_string()
            }
            (Fresh::Change, _) => {
                let v: Value = self
                    .created("/api/v1/ops/changes", &self.pref, change_body("元の内容"))
                    .await;
                v["id"].to_string()
            }
            (Fresh::Maintenance, _) => {
                let v: Value = self
                    .created("/api/v1/ops/maintenance", &self.pref, maintenance_body())
                    .await;
                v["id"].to_string()
            }
            (Fresh::Person, NodeRole::Hub) => common_id(CENTER, 9),
            (Fresh::Activity, NodeRole::Hub) => Uuid::new_v4().to_string(),
            (Fresh::SyncCredential, NodeRole::Center) => "1".into(),
        }
    }

    /// Whether the fresh target `id` is as it was made: a refused call changed nothing.
    async fn intact(&self, fresh: Fresh, id: &str) -> bool {
        let store = &self.app.store;
        match (fresh, self.role) {
            (Fresh::Nothing, _) => true,
            (Fresh::Person, NodeRole::Center) => {
                let id = CommonId::parse(id).unwrap();
                self.app
                    .center_store()
                    .person(CENTER, &id)
                    .await
                    .unwrap()
                    .ended_on
                    .is_none()
            }
            (Fresh::Activity, NodeRole::Center) => self
                .app
                .center_store()
                .activity(CENTER, id.parse().unwrap())
                .await
                .is_ok_and(|a| a.record.participations.len() == 1),
            (Fresh::Lock, _) => store
                .period_locks(true)
                .await
                .unwrap()
                .iter()
                .any(|l| l.id.to_string() == id && l.is_active()),
            (Fresh::Account, _) => !store.account(id.parse().unwrap()).await.unwrap().disabled,
            (Fresh::ApiToken, _) => store
                .api_tokens()
                .await
                .unwrap()
                .iter()
                .any(|t| t.id.to_string() == id && !t.revoked),
            (Fresh::SyncCredential, NodeRole::Hub) => self
                .app
                .hub_store()
                .sync_credentials()
                .await
                .unwrap()
                .iter()
                .any(|c| c.id.to_string() == id && c.is_active()),
            (Fresh::Inquiry, _) => {
                store.inquiry(id.parse().unwrap()).await.unwrap().record.summary == "元の内容"
            }
            (Fresh::Incident, _) => {
                store.incident(id.parse().unwrap()).await.unwrap().record.summary == "元の内容"
            }
            (Fresh::Change, _) => store
                .changes(api::domain::ops_log::LogWindow::all())
                .await
                .unwrap()
                .iter()
                .any(|c| c.id.to_string() == id && c.record.summary == "元の内容"),
            (Fresh::Maintenance, _) => store
                .maintenance(id.parse().unwrap())
                .await
                .unwrap()
                .cancelled_at
                .is_none(),
            // Nothing of the kind exists on this node.
            (Fresh::Person | Fresh::Activity, NodeRole::Hub) | (Fresh::SyncCredential, NodeRole::Center) => {
                true
            }
        }
    }

    /// Calls `c` with `token` on a fresh target; a description of what went wrong, if anything.
    async fn attempt(&mut self, c: &Case, who: &str, token: &str, allowed: bool) -> Option<String> {
        let id = self.fresh(c.fresh).await;
        let fill = |text: &str| text.replace("{id}", &id).replace("{n}", &self.calls.to_string());
        let path = fill(&c.path);
        let body: Option<Value> = c
            .body
            .as_ref()
            .map(|b| serde_json::from_str(&fill(&b.to_string())).unwrap());
        let res = self.app.send(c.method.clone(), &path, token, body.as_ref()).await;
        let status = res.status();
        let ok = if allowed {
            status.is_success()
        } else {
            is_refusal(&res) && self.intact(c.fresh, &id).await
        };
        let expected = if allowed { "allowed" } else { "refused" };
        (!ok).then(|| format!("{:?} {} as {who} ({expected}): {status}", c.method, path))
    }
}

/// 403 or 404 as problem+json: no data.
fn is_refusal(res: &Response) -> bool {
    let problem = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) && problem
}

/// Every case as every role on a `role` node; the unexpected answers.
async fn every_role_against_every_route(role: NodeRole) -> Vec<String> {
    let mut node = Node::start(role).await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, node.app.token(role).await));
    }
    let mut failures = Vec::new();
    for c in node.cases() {
        for (role, token) in &tokens {
            let who = format!("{role:?}");
            failures.extend(node.attempt(&c, &who, token, c.allowed.contains(role)).await);
        }
    }
    failures
}

#[tokio::test]
async fn on_a_centre_node_each_role_is_allowed_exactly_its_routes() {
    let failures = every_role_against_every_route(NodeRole::Center).await;
    assert!(
        failures.is_empty(),
        "unexpected answers:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn on_the_hub_each_role_is_allowed_exactly_its_routes() {
    let failures = every_role_against_every_route(NodeRole::Hub).await;
    assert!(
        failures.is_empty(),
        "unexpected answers:\n{}",
        failures.join("\n")
    );
}

/// Routes of the document that take no account's bearer token, each tested where it says.
const NOT_ACCOUNT_ROUTES: &[(&str, &str)] = &[
    // No token yet, or a refresh token in the body: auth.rs.
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    // Ends the caller's own session, whoever they are: auth.rs
    // (logout_revokes_the_access_and_refresh_tokens_at_once).
    ("POST", "/api/v1/auth/logout"),
    // Changes the caller's own password and ends all their sessions, whoever they are:
    // hardening_accounts.rs (a_user_changes_their_password_…, an_integrator_token_cannot_…).
    ("POST", "/api/v1/auth/password"),
    // Unauthenticated probes: auth.rs (every_response_carries_a_request_id calls /healthz);
    // scripts/run.sh and e2e/run.sh wait on both.
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    // Counts and times for Prometheus, no person: metrics.rs.
    ("GET", "/metrics"),
    // A centre node's sync credential, not an account: sync_hub.rs (batches), sync_locks.rs
    // (period locks), duplicate_hints.rs (the hub's look-up).
    ("POST", "/api/v1/sync/batches"),
    ("GET", "/api/v1/sync/period-locks"),
    ("POST", "/api/v1/sync/duplicate-hints"),
];

/// The (method, path template) pairs of `openapi/openapi.json`.
fn documented_routes() -> BTreeSet<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json")).unwrap();
    let mut routes = BTreeSet::new();
    for (template, operations) in spec["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), template.clone()));
            }
        }
    }
    routes
}

/// The documented template a case's path falls under: literal segments before `{…}` ones, as the
/// router takes `/master/centers` before `/master/{list}`.
fn template_of<'a>(method: &Method, path: &str, routes: &'a BTreeSet<(String, String)>) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('?').next().unwrap_or_default().split('/').collect();
    routes
        .iter()
        .filter(|(m, _)| m == method.as_str())
        .map(|(_, t)| t.as_str())
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len()
                && ts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .min_by_key(|t| t.matches('{').count())
}

#[test]
fn every_documented_route_has_a_role_case_on_both_nodes() {
    let routes = documented_routes();
    let mut problems = Vec::new();
    for (method, path) in NOT_ACCOUNT_ROUTES {
        if !routes.contains(&(method.to_string(), path.to_string())) {
            problems.push(format!(
                "{method} {path} is listed as not an account route but not documented"
            ));
        }
    }
    for node in [NodeRole::Center, NodeRole::Hub] {
        let mut covered = BTreeSet::new();
        for c in cases(node, &common_id(CENTER, 1)) {
            match template_of(&c.method, &c.path, &routes) {
                Some(t) => {
                    covered.insert((c.method.to_string(), t.to_owned()));
                }
                None => problems.push(format!(
                    "{node:?}: case {} {} is no documented route",
                    c.method, c.path
                )),
            }
        }
        for (method, path) in &routes {
            let exempt = NOT_ACCOUNT_ROUTES.contains(&(method.as_str(), path.as_str()));
            if !exempt && !covered.contains(&(method.clone(), path.clone())) {
                problems.push(format!("{node:?}: no role case for {method} {path}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn no_account_or_api_token_opens_the_routes_kept_for_centre_credentials() {
    for (node, refusal) in [
        (NodeRole::Hub, StatusCode::UNAUTHORIZED),
        // A centre node serves none of them.
        (NodeRole::Center, StatusCode::NOT_FOUND),
    ] {
        let app = spawn_node(node).await;
        for role in Role::ALL {
            let token = app.token(role).await;
            for (method, path) in [
                (Method::POST, "/api/v1/sync/batches"),
                (Method::GET, "/api/v1/sync/period-locks"),
                (Method::POST, "/api/v1/sync/duplicate-hints"),
            ] {
                let body = (method == Method::POST).then(|| json!({}));
                let res = app.send(method.clone(), path, &token, body.as_ref()).await;
                let who = format!("{method} {path} as {role:?} on {node:?}");
                assert_eq!(res.status(), refusal, "{who}");
                expect_problem(res, refusal).await;
            }
        }
    }
}

/// The routes that name a person or an activity of the node's centre.
fn person_or_activity_route(c: &Case) -> bool {
    c.path.starts_with("/api/v1/persons") || c.path.starts_with("/api/v1/activities")
}

#[tokio::test]
async fn accounts_of_another_centre_are_refused_on_every_person_and_activity_route() {
    let mut node = Node::start(NodeRole::Center).await;
    let mut failures = Vec::new();
    for who in ["other-staff", "other-manager"] {
        let token = node.app.login_as(who).await.access_token;
        for c in node.cases().into_iter().filter(person_or_activity_route) {
            failures.extend(node.attempt(&c, who, &token, false).await);
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected answers:\n{}",
        failures.join("\n")
    );
    // Their figures and records are scoped to their own centre: nothing of ours.
    let token = node.app.login_as("other-staff").await.access_token;
    let res = node
        .app
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "");
}

/// A person and an activity of `OTHER_CENTER` put straight into the node's store, as if they had
/// reached it somehow: the routes must still keep to the node's centre.
async fn plant_other_centres_person_and_activity(app: &TestApp) -> (String, Uuid) {
    let codes = app.store.codes().await.unwrap();
    let today = today_jst();
    let record = PersonRecord::parse(&person_input(), &codes, today).unwrap();
    let other = CenterCode::parse(OTHER_CENTER).unwrap();
    let person = app
        .center_store()
        .register_person(
            &other,
            None,
            &record,
            api::ops::audit::by_cli("test.plant", None, None),
        )
        .await
        .unwrap();
    let id = Uuid::new_v4();
    let input: ActivityInput =
        serde_json::from_value(gathering(&id.to_string(), person.common_id.as_str())).unwrap();
    let center = app.store.center(OTHER_CENTER).await.unwrap();
    let people = HashMap::from([(person.common_id.to_string(), person.clone())]);
    let ctx = Context {
        codes: &codes,
        today,
        center: &center,
        sites: &[],
        people: &people,
    };
    let activity = ActivityRecord::parse(&input, &ctx).unwrap();
    app.center_store()
        .create_activity(&activity, api::ops::audit::by_cli("test.plant", None, None))
        .await
        .unwrap();
    (person.common_id.to_string(), id)
}

#[tokio::test]
async fn this_centres_staff_find_nothing_under_another_centres_person_or_activity_ids() {
    let app = spawn_app().await;
    let (person, activity) = plant_other_centres_person_and_activity(&app).await;
    let person_body = serde_json::to_value(person_input()).unwrap();
    let a = format!("/api/v1/activities/{activity}");
    let attempts = [
        (Method::GET, format!("/api/v1/persons/{person}"), None),
        (
            Method::PUT,
            format!("/api/v1/persons/{person}"),
            Some(person_body),
        ),
        (
            Method::POST,
            format!("/api/v1/persons/{person}/end"),
            Some(json!({"ended_on": "2024-06-30", "end_reason": "moved"})),
        ),
        (
            Method::GET,
            format!("/api/v1/persons/{person}/participations"),
            None,
        ),
        (Method::GET, a.clone(), None),
        (
            Method::PUT,
            a.clone(),
            Some(gathering(&activity.to_string(), &person)),
        ),
        (
            Method::PUT,
            format!("{a}/participations/{person}"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("{a}/participations/{person}"), None),
        (Method::DELETE, a.clone(), None),
    ];
    let mut failures = Vec::new();
    for role in CENTRE {
        let token = app.token(*role).await;
        for (method, path, body) in &attempts {
            let res = app.send(method.clone(), path, &token, body.as_ref()).await;
            if !is_refusal(&res) {
                failures.push(format!("{method} {path} as {role:?}: {}", res.status()));
            }
        }
        // Nor do they list them, or record their own activity with another centre's person.
        let listed = app
            .get("/api/v1/activities?month=2024-05", &token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!listed.contains(&activity.to_string()), "{listed}");
        let found = app
            .get(&format!("/api/v1/persons?q={person}"), &token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!found.contains(&person), "{found}");
        let body = gathering(&Uuid::new_v4().to_string(), &person);
        let res = app.post("/api/v1/activities", &token, &body).await;
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            res.text().await.unwrap()
        );
    }
    assert!(
        failures.is_empty(),
        "unexpected answers:\n{}",
        failures.join("\n")
    );
    // Untouched: the person not ended, the activity with its participant.
    let id = CommonId::parse(&person).unwrap();
    assert!(app
        .center_store()
        .person(OTHER_CENTER, &id)
        .await
        .unwrap()
        .ended_on
        .is_none());
    let stored = app.center_store().activity(OTHER_CENTER, activity).await.unwrap();
    assert_eq!(stored.record.participations.len(), 1);
}

#[tokio::test]
async fn a_centre_manager_administers_only_their_own_centres_accounts() {
    let app = spawn_app().await;
    let manager = app.token(CenterAdmin).await;
    let listed: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", &manager).await, StatusCode::OK).await;
    let names: Vec<&str> = listed.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["staff", "manager"]);
    let other = app.login_as("other-staff").await.account.id;
    let res = app
        .post(&format!("/api/v1/accounts/{other}/unlock"), &manager, &json!({}))
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    let res = app
        .put(
            &format!("/api/v1/accounts/{other}/disabled"),
            &manager,
            &json!({"disabled": true}),
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    app.login_as("other-staff").await;
}

#[tokio::test]
async fn a_centre_manager_creates_no_account_token_or_site_beyond_their_centre() {
    let app = spawn_app().await;
    let manager = app.token(CenterAdmin).await;
    let account = |role: &str, scope: Value| {
        json!({"username": "beyond", "display_name": "範囲外", "password": PASSWORD, "role": role,
               "scope": scope})
    };
    let other_centre = json!({"level": "center", "code": OTHER_CENTER});
    let municipality = json!({"level": "municipality", "code": CENTER_MUNICIPALITY});
    let prefecture = json!({"level": "prefecture"});
    for body in [
        account("center_staff", other_centre.clone()),
        account("center_admin", other_centre.clone()),
        account("municipality", municipality.clone()),
        account("prefecture", prefecture.clone()),
        account("operator", prefecture.clone()),
    ] {
        let res = app.post("/api/v1/accounts", &manager, &body).await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
    for scope in [other_centre, municipality, prefecture] {
        let body = json!({"name": "範囲外", "scope": scope, "expires_on": null});
        let res = app.post("/api/v1/api-tokens", &manager, &body).await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
    let site = format!("{OTHER_CENTER}-S09");
    let body = json!({"code": site, "name": "範囲外", "opened_on": "2024-04-01", "closed_on": null});
    let res = app
        .put(
            &format!("/api/v1/centers/{OTHER_CENTER}/sites/{site}"),
            &manager,
            &body,
        )
        .await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
    // Nor does it revoke the other centre's token, which keeps working.
    let pref = app.token(Prefecture).await;
    let body =
        json!({"name": "他センター", "scope": {"level": "center", "code": OTHER_CENTER}, "expires_on": null});
    let token: CreatedApiToken = expect_json(
        app.post("/api/v1/api-tokens", &pref, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let res = app
        .send::<()>(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{}", token.info.id),
            &manager,
            None,
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    let res = app.get("/api/v1/meta", &token.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let accounts = app.store.accounts().await.unwrap();
    assert!(accounts.iter().all(|a| a.username != "beyond"));
    let sites = app.store.sites(Some(OTHER_CENTER)).await.unwrap();
    assert!(sites.is_empty(), "{sites:?}");
}

/// The periods of the locks `token` is shown, sorted; the same with unlocked ones included.
async fn lock_periods(app: &TestApp, token: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for query in ["", "?include_unlocked=true"] {
        let res = app.get(&format!("/api/v1/period-locks{query}"), token).await;
        let locks: Vec<PeriodLockView> = expect_json(res, StatusCode::OK).await;
        let mut periods: Vec<String> = locks.into_iter().map(|l| l.period).collect();
        periods.sort();
        seen.push(periods);
    }
    assert_eq!(seen[0], seen[1], "unlocked locks included");
    seen.remove(0)
}

#[tokio::test]
async fn on_the_hub_a_municipality_officer_sees_no_lock_of_another_municipality_or_its_centres() {
    let hub = spawn_node(NodeRole::Hub).await;
    let pref = hub.token(Prefecture).await;
    let locks = [
        (json!({"level": "prefecture"}), "FY2019"),
        (
            json!({"level": "municipality", "code": CENTER_MUNICIPALITY}),
            "FY2020",
        ),
        (json!({"level": "center", "code": CENTER}), "FY2021"),
        (
            json!({"level": "municipality", "code": OTHER_MUNICIPALITY}),
            "FY2022",
        ),
        (json!({"level": "center", "code": OTHER_CENTER}), "FY2023"),
    ];
    for (scope, period) in locks {
        let body = json!({"scope": scope, "period": period});
        let _: PeriodLockView = expect_json(
            hub.post("/api/v1/period-locks", &pref, &body).await,
            StatusCode::CREATED,
        )
        .await;
    }
    assert_eq!(
        lock_periods(&hub, &pref).await,
        ["FY2019", "FY2020", "FY2021", "FY2022", "FY2023"]
    );
    // 高知市's officer and C001's staff: their own, their municipality's and everyone's.
    let mine = ["FY2019", "FY2020", "FY2021"];
    assert_eq!(lock_periods(&hub, &hub.token(Municipality).await).await, mine);
    assert_eq!(lock_periods(&hub, &hub.token(CenterStaff).await).await, mine);
    // C002's staff (another municipality): theirs and everyone's, nothing of 高知市.
    let other = hub.login_as("other-staff").await.access_token;
    assert_eq!(lock_periods(&hub, &other).await, ["FY2019", "FY2022", "FY2023"]);
}

#[tokio::test]
async fn the_operator_gets_no_person_level_data_anywhere() {
    let app = spawn_app().await;
    let staff = app.token(CenterStaff).await;
    let person: PersonView = app.register(&staff, &person_input()).await;
    let operator = app.token(Operator).await;
    for path in [
        "/api/v1/persons".to_owned(),
        format!("/api/v1/persons/{}", person.common_id),
        format!("/api/v1/persons/{}/participations", person.common_id),
        "/api/v1/activities?month=2024-05".to_owned(),
        "/api/v1/audit".to_owned(),
        "/api/v1/ops/uptime".to_owned(),
        "/api/v1/ops/due".to_owned(),
        "/api/v1/ops/incidents".to_owned(),
        "/api/v1/ops/reports/operations".to_owned(),
        "/api/v1/accounts".to_owned(),
        "/api/v1/sync/status".to_owned(),
    ] {
        let text = app.get(&path, &operator).await.text().await.unwrap();
        for pii in [
            person.family_name.as_str(),
            person.family_kana.as_str(),
            "1948-05-01",
            "088-894-0000",
            "春野町",
        ] {
            assert!(!text.contains(pii), "{path} leaked {pii}");
        }
    }
}
