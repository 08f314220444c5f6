//! Inputs under attack (issue 13, findings 7 and 10): control and bidi characters refused in
//! every text field naming it, broken percent-encoding, dates the hub must not take from a
//! centre, wrong methods on known paths, missing assets and traversal attempts.

use std::io::{Read, Write};

use reqwest::StatusCode;
use serde_json::json;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use uuid::Uuid;

use shared::error::ProblemCode;

use crate::helpers::*;
use crate::sync_hub::{activity, batch, common_id, deliver, issue_credential, person};

#[tokio::test]
async fn nul_bel_rlo_and_zwj_are_refused_in_every_text_field_naming_the_field() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let cases: [(&str, &str, &str); 5] = [
        ("family_name", "山本\u{202E}子花", "U+202E"),
        ("given_name", "花\u{200D}子", "U+200D"),
        ("notes", "送迎\u{7}が必要", "U+0007"),
        ("address", "高知市\u{0}春野町", "U+0000"),
        ("emergency_contact", "\u{2066}長男\u{2069}", "U+2066"),
    ];
    for (field, value, named) in cases {
        let mut body = serde_json::to_value(person_input()).unwrap();
        body[field] = json!(value);
        let res = app.post("/api/v1/persons", &staff, &body).await;
        let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem.errors[0].field, field);
        assert_eq!(problem.errors[0].code, "control_character");
        assert!(
            problem.errors[0].message.contains(named),
            "{}",
            problem.errors[0].message
        );
    }
    assert_eq!(app.person_count().await, 0, "nothing was stored");
    // Deep in a body, and in account fields.
    let pref = app.token(Role::Prefecture).await;
    let res = app
        .post(
            "/api/v1/accounts",
            &pref,
            &json!({"username": "newbie", "display_name": "新人\u{202E}", "password": "a long enough pass phrase",
                    "role": "center_staff", "scope": {"level": "center", "code": CENTER}}),
        )
        .await;
    assert_eq!(
        expect_problem(res, StatusCode::BAD_REQUEST).await.errors[0].field,
        "display_name"
    );
    // Line breaks in notes stay allowed.
    let mut ok = person_input();
    ok.notes = Some("膝が悪い\n送迎が必要".into());
    app.register(&staff, &ok).await;
}

#[tokio::test]
async fn a_control_character_or_broken_percent_encoding_in_the_query_is_a_400_naming_the_parameter() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    for (query, code) in [
        ("q=%FF%FE", "percent_encoding"),
        ("q=%E5%B1", "percent_encoding"),
        ("q=%4", "percent_encoding"),
        ("q=%E2%80%AE", "control_character"),
        ("q=%00", "control_character"),
    ] {
        let res = app.get(&format!("/api/v1/persons?{query}"), &staff).await;
        let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
            ("q", code),
            "{query}"
        );
    }
    let res = app.get("/api/v1/persons?q=%E5%B1%B1%E6%9C%AC", &staff).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_hub_refuses_synced_dates_a_centre_would_refuse() {
    let hub = spawn_node(NodeRole::Hub).await;
    let credential = issue_credential(&hub, CENTER).await.credential;
    let id = common_id(CENTER, 1);
    for day in ["2099-01-01", "1900-01-01"] {
        let b = batch(
            CENTER,
            Uuid::new_v4(),
            1,
            1,
            vec![person(CENTER, &id), activity(CENTER, Uuid::new_v4(), day, &[&id])],
        );
        let res = deliver(&hub, &credential, &b).await;
        let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            problem.errors[0].field, "entries[1].op.upsert_activity.date",
            "{day}"
        );
    }
    let mut future_person = person(CENTER, &id);
    if let shared::dto::sync::SyncOp::UpsertPerson(p) = &mut future_person {
        p.registered_on = "2099-01-01".parse().unwrap();
    }
    let res = deliver(
        &hub,
        &credential,
        &batch(CENTER, Uuid::new_v4(), 1, 1, vec![future_person]),
    )
    .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        problem.errors[0].field,
        "entries[0].op.upsert_person.registered_on"
    );
}

#[tokio::test]
async fn a_known_path_with_a_wrong_method_is_405_naming_the_allowed_ones() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let res = app
        .client
        .patch(app.url("/api/v1/persons"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(allow, "GET, POST");
    assert_eq!(
        expect_problem(res, StatusCode::METHOD_NOT_ALLOWED).await.code,
        ProblemCode::MethodNotAllowed
    );
    let res = app
        .client
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    expect_problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    // An unknown path is still 404.
    expect_problem(
        app.get("/api/v1/nothing-here", &staff).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// A node serving a small SPA from a temporary directory.
async fn with_spa() -> TestApp {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("index.html"),
        "<!DOCTYPE html><title>Attaka</title>",
    )
    .unwrap();
    std::fs::write(site.path().join("style.css"), "body{}").unwrap();
    let dir = site.keep();
    spawn_with(NodeRole::Center, move |s| s.server.static_dir = Some(dir)).await
}

#[tokio::test]
async fn an_unknown_asset_is_404_while_an_spa_route_still_gets_the_page() {
    let app = with_spa().await;
    for path in [
        "/nonexistent.js",
        "/attaka-web_bg.wasm.map",
        "/persons/missing.png",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        expect_problem(res, StatusCode::NOT_FOUND).await;
    }
    for path in ["/persons/C001-000001-3", "/activities/day/2024-04-01", "/"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.text().await.unwrap().contains("<title>Attaka</title>"));
    }
    let res = app.client.get(app.url("/style.css")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Sends `path` as written (no client-side clean-up of `..`), returning status line and headers.
fn raw_get(address: &str, path: &str) -> String {
    let address = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[tokio::test]
async fn traversal_attempts_get_a_problem_json_400() {
    let app = with_spa().await;
    for path in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/static/..%5c..%5cwindows%5cwin.ini",
        "/api/v1/persons/..%2f..%2fadmin",
        "/api/docs/..%2f..%2fCargo.toml",
        "/x%00.js",
    ] {
        let address = app.address.clone();
        let answer = tokio::task::spawn_blocking(move || raw_get(&address, path))
            .await
            .unwrap();
        let head = answer.lines().next().unwrap_or_default().to_owned();
        assert!(head.contains(" 400 "), "{path}: {head}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{path}: {answer}"
        );
        assert!(answer.contains("path_traversal"), "{path}: {answer}");
        assert!(!answer.contains("root:"), "{path}");
    }
}
