//! Every role against every route: who is allowed, who is refused (403/404, never data).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::dto::auth::Role;

use crate::helpers::*;

use Role::*;

/// A route, a body, and the roles allowed to call it on a centre node.
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    allowed: &'static [Role],
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>, allowed: &'static [Role]) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        allowed,
    }
}

const EVERYONE: &[Role] = &[
    CenterStaff,
    CenterAdmin,
    Municipality,
    Prefecture,
    Operator,
    Integrator,
];
const CENTRE: &[Role] = &[CenterStaff, CenterAdmin];
/// Figures and de-identified records: everyone but the operator.
const FIGURES: &[Role] = &[CenterStaff, CenterAdmin, Municipality, Prefecture, Integrator];

fn cases(person: &str, staff_id: i64) -> Vec<Case> {
    let person_body = serde_json::to_value(person_input()).unwrap();
    vec![
        case(Method::GET, "/api/v1/meta", None, EVERYONE),
        case(Method::GET, "/api/v1/master/functions", None, EVERYONE),
        case(Method::GET, "/api/v1/master/municipalities", None, EVERYONE),
        case(Method::GET, "/api/v1/master/centers", None, EVERYONE),
        case(Method::GET, "/api/v1/master/sites", None, EVERYONE),
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
            Some(
                json!({"code": format!("{CENTER}-S02"), "name": "サテライト2", "opened_on": "2024-04-01", "closed_on": null}),
            ),
            &[CenterAdmin, Prefecture],
        ),
        case(Method::GET, "/api/v1/persons", None, CENTRE),
        case(Method::POST, "/api/v1/persons", Some(person_body.clone()), CENTRE),
        case(Method::GET, format!("/api/v1/persons/{person}"), None, CENTRE),
        case(
            Method::PUT,
            format!("/api/v1/persons/{person}"),
            Some(person_body),
            CENTRE,
        ),
        case(
            Method::POST,
            format!("/api/v1/persons/{person}/end"),
            Some(json!({"ended_on": "2024-06-30", "end_reason": "moved"})),
            CENTRE,
        ),
        case(
            Method::GET,
            "/api/v1/accounts",
            None,
            &[CenterAdmin, Prefecture, Operator],
        ),
        case(
            Method::POST,
            format!("/api/v1/accounts/{staff_id}/unlock"),
            Some(json!({})),
            &[CenterAdmin, Prefecture, Operator],
        ),
        case(
            Method::GET,
            "/api/v1/api-tokens",
            None,
            &[CenterAdmin, Prefecture],
        ),
        case(
            Method::POST,
            "/api/v1/api-tokens",
            Some(json!({"name": "集計", "scope": {"level": "center", "code": CENTER}, "expires_on": null})),
            &[CenterAdmin, Prefecture],
        ),
        case(Method::GET, "/api/v1/audit", None, &[Prefecture, Operator]),
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
            FIGURES,
        ),
        case(
            Method::GET,
            "/api/v1/extracts/activities?period=FY2024",
            None,
            FIGURES,
        ),
        case(
            Method::GET,
            "/api/v1/extracts/persons?period=FY2024",
            None,
            FIGURES,
        ),
        case(
            Method::GET,
            "/api/v1/sync/status",
            None,
            &[CenterStaff, CenterAdmin, Municipality, Prefecture, Operator],
        ),
        // Credentials live on the hub: a centre node has none to show or issue.
        case(Method::GET, "/api/v1/sync/credentials", None, &[]),
        case(
            Method::POST,
            "/api/v1/sync/credentials",
            Some(json!({"center": CENTER})),
            &[],
        ),
    ]
}

#[tokio::test]
async fn each_role_is_allowed_exactly_its_routes() {
    let app = spawn_app().await;
    let staff_login = app.login_as("staff").await;
    let person = app
        .register(&staff_login.access_token, &person_input())
        .await
        .common_id;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, app.token(role).await));
    }
    let mut failures = Vec::new();
    for c in cases(&person, staff_login.account.id) {
        for (role, token) in &tokens {
            let res = app.send(c.method.clone(), &c.path, token, c.body.as_ref()).await;
            let status = res.status();
            let allowed = c.allowed.contains(role);
            let ok = if allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND
            };
            if !ok {
                failures.push(format!(
                    "{:?} {} as {:?}: {status} {}",
                    c.method,
                    c.path,
                    role,
                    res.text().await.unwrap()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected answers:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn accounts_of_another_centre_are_refused_on_every_person_route() {
    let app = spawn_app().await;
    let staff = app.token(CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    for who in ["other-staff", "other-manager"] {
        let token = app.login_as(who).await.access_token;
        for c in cases(&person, 0)
            .into_iter()
            .filter(|c| c.path.starts_with("/api/v1/persons"))
        {
            let res = app.send(c.method.clone(), &c.path, &token, c.body.as_ref()).await;
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{who} {:?} {}",
                c.method,
                c.path
            );
        }
    }
    assert_eq!(app.person_count().await, 1);
    // Their figures and records are scoped to their own centre: nothing of ours.
    let token = app.login_as("other-staff").await.access_token;
    let res = app
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn a_centre_manager_administers_only_their_own_centres_accounts() {
    let app = spawn_app().await;
    let manager = app.token(CenterAdmin).await;
    let listed: Vec<shared::dto::auth::AccountView> =
        expect_json(app.get("/api/v1/accounts", &manager).await, StatusCode::OK).await;
    let names: Vec<&str> = listed.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["staff", "manager"]);
    let other = app.login_as("other-staff").await.account.id;
    let res = app
        .post(&format!("/api/v1/accounts/{other}/unlock"), &manager, &json!({}))
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_operator_gets_no_person_level_data_anywhere() {
    let app = spawn_app().await;
    let staff = app.token(CenterStaff).await;
    let person = app.register(&staff, &person_input()).await;
    let operator = app.token(Operator).await;
    for path in [
        "/api/v1/persons".to_owned(),
        format!("/api/v1/persons/{}", person.common_id),
        "/api/v1/audit".to_owned(),
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
