//! Login, refresh, logout, throttling and API tokens over HTTP.

use reqwest::StatusCode;
use shared::dto::auth::{AccountView, Role, TokenResponse};
use shared::dto::meta::MetaView;

use crate::helpers::*;

#[tokio::test]
async fn a_right_password_gives_tokens_that_identify_the_account() {
    let app = spawn_app().await;
    let tokens = app.login_as("staff").await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.account.role, Role::CenterStaff);
    let me: AccountView = expect_json(
        app.get("/api/v1/auth/me", &tokens.access_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me.username, "staff");
    let meta: MetaView = expect_json(
        app.get("/api/v1/meta", &tokens.access_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(meta.center.as_deref(), Some(CENTER));
    assert_eq!(meta.time_zone, "Asia/Tokyo");
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_audited() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "staff", "password": "wrong-password!"}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem.code, ProblemCode::InvalidCredentials);
    assert!(problem.request_id.is_some());
    let rows = app.audit_rows().await;
    let row = rows
        .iter()
        .find(|r| r.entry.action == "auth.login")
        .expect("login audited");
    assert_eq!(row.entry.outcome.as_str(), "denied");
    assert_eq!(row.entry.actor.as_deref(), Some("staff"));
    assert!(row.entry.client.is_some());
}

#[tokio::test]
async fn an_unknown_username_answers_like_a_wrong_password() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "nobody", "password": "whatever-it-is"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_problem(res, StatusCode::UNAUTHORIZED).await.code,
        ProblemCode::InvalidCredentials
    );
}

async fn try_login(app: &TestApp, password: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "staff", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn failures_never_lock_an_account_they_make_the_address_wait() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(try_login(&app, "wrong-password!").await, StatusCode::UNAUTHORIZED);
    }
    // This address waits now, even with the right password (429, never 423)…
    assert_eq!(try_login(&app, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    let rows = app.audit_rows().await;
    assert!(rows.iter().filter(|r| r.entry.action == "auth.login").count() >= 6);
    // …but the account is not locked, and an operator can make the address's failures forgotten.
    let operator = app.token(Role::Operator).await;
    let accounts: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", &operator).await, StatusCode::OK).await;
    let staff = accounts
        .iter()
        .find(|a| a.username == "staff")
        .expect("staff listed");
    assert!(staff.locked_until.is_none());
    expect_json::<AccountView>(
        app.post(
            &format!("/api/v1/accounts/{}/unlock", staff.id),
            &operator,
            &serde_json::json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(try_login(&app, PASSWORD).await, StatusCode::OK);
    assert!(app
        .audit_rows()
        .await
        .iter()
        .any(|r| r.entry.action == "account.unlock"));
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&serde_json::json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_ends_the_session() {
    let app = spawn_app().await;
    let first = app.login_as("staff").await;
    let second: TokenResponse = expect_json(refresh(&app, &first.refresh_token).await, StatusCode::OK).await;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get("/api/v1/meta", &second.access_token).await.status(),
        StatusCode::OK
    );

    // Replaying the spent token looks like theft: the whole session is revoked.
    expect_problem(
        refresh(&app, &first.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_problem(
        app.get("/api/v1/meta", &second.access_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_problem(
        refresh(&app, &second.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn logout_revokes_the_access_and_refresh_tokens_at_once() {
    let app = spawn_app().await;
    let t = app.login_as("staff").await;
    let res = app
        .post(
            "/api/v1/auth/logout",
            &t.access_token,
            &serde_json::json!({"refresh_token": t.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let p = expect_problem(
        app.get("/api/v1/meta", &t.access_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(p.code, ProblemCode::SessionRevoked);
    expect_problem(refresh(&app, &t.refresh_token).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn calls_without_a_valid_token_get_401() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/meta")).send().await.unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    expect_problem(
        app.get("/api/v1/meta", "not-a-jwt").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_problem(
        app.get("/api/v1/meta", "atk_0000").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_log_in() {
    let app = spawn_app().await;
    let staff = app.login_as("staff").await;
    let manager = app.token(Role::CenterAdmin).await;
    let res = app
        .put(
            &format!("/api/v1/accounts/{}/disabled", staff.account.id),
            &manager,
            &serde_json::json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_problem(
        app.get("/api/v1/meta", &staff.access_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(try_login(&app, PASSWORD).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_token_is_shown_once_works_within_scope_and_stops_when_revoked() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;
    let created: shared::dto::auth::CreatedApiToken = expect_json(
        app.post(
            "/api/v1/api-tokens",
            &pref,
            &serde_json::json!({"name": "高知市 集計", "scope": {"level": "municipality", "code": "392014"}, "expires_on": null}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(created.token.starts_with("atk_"));
    let meta: MetaView = expect_json(app.get("/api/v1/meta", &created.token).await, StatusCode::OK).await;
    assert_eq!(meta.role, Role::Integrator);
    // The listing never shows the token itself.
    let listed = app.get("/api/v1/api-tokens", &pref).await.text().await.unwrap();
    assert!(!listed.contains(&created.token));
    // Integrators never reach person data.
    expect_problem(
        app.get("/api/v1/persons", &created.token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = app
        .send::<()>(
            reqwest::Method::DELETE,
            &format!("/api/v1/api-tokens/{}", created.info.id),
            &pref,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/meta", &created.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn a_centre_manager_cannot_issue_a_token_beyond_their_centre() {
    let app = spawn_app().await;
    let manager = app.token(Role::CenterAdmin).await;
    let res = app
        .post(
            "/api/v1/api-tokens",
            &manager,
            &serde_json::json!({"name": "全県", "scope": {"level": "prefecture"}, "expires_on": null}),
        )
        .await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(res.headers().get("x-request-id").is_some());
    let res = app
        .client
        .get(app.url("/api/v1/meta"))
        .header("x-request-id", "trace-12345678")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "trace-12345678");
    assert_eq!(
        expect_problem(res, StatusCode::UNAUTHORIZED)
            .await
            .request_id
            .as_deref(),
        Some("trace-12345678")
    );
}
