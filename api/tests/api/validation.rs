//! Bad input: a problem+json naming each bad field, and nothing written.

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::Role;

use crate::helpers::*;

fn valid() -> Value {
    serde_json::to_value(person_input()).unwrap()
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// Sends a bad registration and checks the named fields; the registry stays empty.
async fn refused(app: &TestApp, token: &str, body: Value, fields: &[&str]) {
    let res = app.post("/api/v1/persons", token, &body).await;
    let p = expect_problem(res, StatusCode::BAD_REQUEST).await;
    let got: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(got, fields, "problem: {p:?}");
    assert!(p
        .errors
        .iter()
        .all(|e| !e.message.is_empty() && !e.code.is_empty()));
    assert_eq!(app.person_count().await, 0);
}

#[tokio::test]
async fn each_bad_field_is_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let t = app.token(Role::CenterStaff).await;
    refused(
        &app,
        &t,
        with(valid(), "family_name", json!("  ")),
        &["family_name"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "family_kana", json!("yamamoto")),
        &["family_kana"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "birth_date", json!("2999-01-01")),
        &["birth_date"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "birth_date", json!("1948-02-30")),
        &["birth_date"],
    )
    .await;
    refused(&app, &t, with(valid(), "sex", json!("Q")), &["sex"]).await;
    refused(
        &app,
        &t,
        with(valid(), "residence_municipality", json!("392015")),
        &["residence_municipality"],
    )
    .await;
    refused(&app, &t, with(valid(), "categories", json!([])), &["categories"]).await;
    refused(
        &app,
        &t,
        with(valid(), "categories", json!(["elderly", "martian"])),
        &["categories[1]"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "categories", json!(["elderly", "elderly"])),
        &["categories[1]"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "care_level", json!("kaigo9")),
        &["care_level"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "postal_code", json!("78")),
        &["postal_code"],
    )
    .await;
    refused(&app, &t, with(valid(), "phone", json!("call me")), &["phone"]).await;
    refused(
        &app,
        &t,
        with(valid(), "registered_on", json!("1900-01-01")),
        &["registered_on"],
    )
    .await;
    let good =
        shared::common_id::CommonId::issue(&shared::common_id::CenterCode::parse(OTHER_CENTER).unwrap(), 1)
            .unwrap()
            .to_string();
    let last = good.chars().last().unwrap().to_digit(10).unwrap();
    let mistyped = format!("{}{}", &good[..good.len() - 1], (last + 1) % 10);
    refused(
        &app,
        &t,
        with(valid(), "common_id", json!(mistyped)),
        &["common_id"],
    )
    .await;
    refused(
        &app,
        &t,
        with(valid(), "disabilities", json!([{"kind": "x", "grade": null}])),
        &["disabilities[0].kind"],
    )
    .await;
    // Several at once are all named.
    let many = with(with(valid(), "sex", json!("Q")), "household", json!("castle"));
    refused(&app, &t, many, &["sex", "household"]).await;
}

#[tokio::test]
async fn missing_unknown_and_mistyped_fields_are_named() {
    let app = spawn_app().await;
    let t = app.token(Role::CenterStaff).await;
    let mut missing = valid();
    missing.as_object_mut().unwrap().remove("sex");
    refused(&app, &t, missing, &["sex"]).await;
    // An identity field the API does not know is refused, not ignored.
    refused(&app, &t, with(valid(), "name", json!("山本花子")), &["name"]).await;
    refused(
        &app,
        &t,
        with(valid(), "categories", json!("elderly")),
        &["categories"],
    )
    .await;
}

#[tokio::test]
async fn malformed_bodies_get_problem_json_not_500() {
    let app = spawn_app().await;
    let t = app.token(Role::CenterStaff).await;
    let res = app
        .client
        .post(app.url("/api/v1/persons"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"family_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_problem(res, StatusCode::BAD_REQUEST).await.errors[0].code,
        "malformed_json"
    );
    let res = app
        .client
        .post(app.url("/api/v1/persons"))
        .bearer_auth(&t)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    let huge = "あ".repeat(2_000_000);
    let res = app
        .post("/api/v1/persons", &t, &with(valid(), "notes", json!(huge)))
        .await;
    expect_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.person_count().await, 0);
}

#[tokio::test]
async fn bad_query_and_path_parameters_are_named() {
    let app = spawn_app().await;
    let t = app.token(Role::CenterStaff).await;
    let p = expect_problem(
        app.get("/api/v1/persons?limit=5000", &t).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "limit");
    let p = expect_problem(
        app.get("/api/v1/persons?limit=abc", &t).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "query");
    let p = expect_problem(
        app.get("/api/v1/persons?colour=red", &t).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "colour");
    let p = expect_problem(
        app.get("/api/v1/persons/C001-000001-9", &t).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].code, "check_digit");
    expect_problem(
        app.get("/api/v1/master/no-such-list", &t).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_problem(app.get("/api/v1/no/such/route", &t).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_new_account_with_a_weak_password_or_wrong_scope_is_refused() {
    let app = spawn_app().await;
    let manager = app.token(Role::CenterAdmin).await;
    let body = json!({"username": "new-staff", "display_name": "新人", "password": "short",
                      "role": "center_staff", "scope": {"level": "center", "code": CENTER}});
    let p = expect_problem(
        app.post("/api/v1/accounts", &manager, &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "password");
    let body = json!({"username": "new-staff", "display_name": "新人", "password": "long-enough-password",
                      "role": "center_staff", "scope": {"level": "center", "code": OTHER_CENTER}});
    expect_problem(
        app.post("/api/v1/accounts", &manager, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let pref = app.token(Role::Prefecture).await;
    let body = json!({"username": "muni", "display_name": "市", "password": "long-enough-password",
                      "role": "municipality", "scope": {"level": "center", "code": CENTER}});
    let p = expect_problem(
        app.post("/api/v1/accounts", &pref, &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].field, "scope");
    let body = json!({"username": "staff", "display_name": "重複", "password": "long-enough-password",
                      "role": "center_staff", "scope": {"level": "center", "code": CENTER}});
    let p = expect_problem(
        app.post("/api/v1/accounts", &pref, &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p.errors[0].code, "taken");
}
