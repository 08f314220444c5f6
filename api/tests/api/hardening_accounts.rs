//! Accounts under attack (issue 13, findings 3, 4 and 7): changing and resetting passwords
//! (sessions end, a reset forces a change), the password policy, case-insensitive usernames,
//! and API tokens that stop with their creator.

use reqwest::StatusCode;
use serde_json::json;
use shared::dto::auth::{AccountView, ApiTokenStatus, ApiTokenView, CreatedApiToken, Role, TokenResponse};

use shared::error::ProblemCode;

use crate::helpers::*;

const NEW_PASSWORD: &str = "autumn leaves on the niyodo river";

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn account_id(app: &TestApp, admin: &str, username: &str) -> i64 {
    let accounts: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", admin).await, StatusCode::OK).await;
    accounts.iter().find(|a| a.username == username).unwrap().id
}

#[tokio::test]
async fn a_user_changes_their_password_with_the_current_one_and_every_other_session_ends() {
    let app = spawn_app().await;
    let elsewhere = app.login_as("staff").await;
    let here = app.login_as("staff").await;
    let res = app
        .post(
            "/api/v1/auth/password",
            &here.access_token,
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    let fresh: TokenResponse = expect_json(res, StatusCode::OK).await;
    // Every earlier session is over: access and refresh tokens alike, this browser's too.
    for old in [&elsewhere, &here] {
        let res = app.get("/api/v1/auth/me", &old.access_token).await;
        assert_eq!(
            expect_problem(res, StatusCode::UNAUTHORIZED).await.code,
            ProblemCode::SessionRevoked
        );
        let res = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": old.refresh_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.get("/api/v1/auth/me", &fresh.access_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "staff", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&app, "staff", NEW_PASSWORD).await.status(), StatusCode::OK);
    let rows = app.audit_rows().await;
    assert!(rows
        .iter()
        .any(|r| r.entry.action == "account.password_change" && r.entry.outcome.as_str() == "ok"));
}

#[tokio::test]
async fn a_stolen_access_token_cannot_change_the_password_without_the_current_one() {
    let app = spawn_app().await;
    let token = app.login_as("staff").await.access_token;
    let res = app
        .post(
            "/api/v1/auth/password",
            &token,
            &json!({"current_password": "a guess at it!!", "new_password": NEW_PASSWORD}),
        )
        .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem.errors[0].field, "current_password");
    // Guesses count like failed logins: after five the address waits.
    for _ in 0..4 {
        app.post(
            "/api/v1/auth/password",
            &token,
            &json!({"current_password": "another guess!!", "new_password": NEW_PASSWORD}),
        )
        .await;
    }
    let res = app
        .post(
            "/api/v1/auth/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn weak_new_passwords_are_refused_with_a_japanese_message_naming_the_field() {
    let app = spawn_app().await;
    let token = app.login_as("staff").await.access_token;
    for (weak, code) in [
        ("aaaaaaaaaaaa", "common"),
        ("          ", "too_short"),
        ("short-one", "too_short"),
        ("Password2024!", "common"),
        ("qwertyuiop12", "common"),
        ("staff-of-the-centre", "context"),
        ("あったかふれあいセンターです", "context"),
    ] {
        let res = app
            .post(
                "/api/v1/auth/password",
                &token,
                &json!({"current_password": PASSWORD, "new_password": weak}),
            )
            .await;
        let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem.errors[0].field, "new_password", "{weak:?}");
        assert_eq!(problem.errors[0].code, code, "{weak:?}");
        assert!(
            problem.errors[0]
                .message
                .chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
            "a Japanese message: {}",
            problem.errors[0].message
        );
    }
    // Creating an account holds to the same policy.
    let pref = app.token(Role::Prefecture).await;
    let res = app
        .post(
            "/api/v1/accounts",
            &pref,
            &json!({"username": "newbie", "display_name": "新人", "password": "aaaaaaaaaaaa",
                    "role": "center_staff", "scope": {"level": "center", "code": CENTER}}),
        )
        .await;
    assert_eq!(
        expect_problem(res, StatusCode::BAD_REQUEST).await.errors[0].field,
        "password"
    );
}

#[tokio::test]
async fn an_administrators_reset_ends_the_sessions_and_forces_a_change_at_the_next_login() {
    let app = spawn_app().await;
    let staff_before = app.login_as("staff").await.access_token;
    let manager = app.token(Role::CenterAdmin).await;
    let id = account_id(&app, &manager, "staff").await;
    let res = app
        .post(
            &format!("/api/v1/accounts/{id}/password"),
            &manager,
            &json!({"new_password": "temporary pass phrase 7"}),
        )
        .await;
    let view: AccountView = expect_json(res, StatusCode::OK).await;
    assert!(view.must_change_password);
    assert_eq!(
        app.get("/api/v1/auth/me", &staff_before).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let temp: TokenResponse = expect_json(
        login(&app, "staff", "temporary pass phrase 7").await,
        StatusCode::OK,
    )
    .await;
    assert!(temp.account.must_change_password);
    // Nothing but the change until it is done.
    let res = app.get("/api/v1/persons", &temp.access_token).await;
    assert_eq!(
        expect_problem(res, StatusCode::FORBIDDEN).await.code,
        ProblemCode::PasswordChangeRequired
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &temp.access_token).await.status(),
        StatusCode::OK
    );
    let res = app
        .post(
            "/api/v1/auth/password",
            &temp.access_token,
            &json!({"current_password": "temporary pass phrase 7", "new_password": NEW_PASSWORD}),
        )
        .await;
    let done: TokenResponse = expect_json(res, StatusCode::OK).await;
    assert!(!done.account.must_change_password);
    assert_eq!(
        app.get("/api/v1/persons", &done.access_token).await.status(),
        StatusCode::OK
    );
    assert!(app
        .audit_rows()
        .await
        .iter()
        .any(|r| r.entry.action == "account.password_reset" && r.entry.target.as_deref() == Some("staff")));
}

#[tokio::test]
async fn an_administrator_resets_only_accounts_of_their_own_scope_and_not_their_own() {
    let app = spawn_app().await;
    let manager = app.token(Role::CenterAdmin).await;
    let pref = app.token(Role::Prefecture).await;
    let other = account_id(&app, &pref, "other-staff").await;
    let res = app
        .post(
            &format!("/api/v1/accounts/{other}/password"),
            &manager,
            &json!({"new_password": "temporary pass phrase 7"}),
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    let own = account_id(&app, &manager, "manager").await;
    let res = app
        .post(
            &format!("/api/v1/accounts/{own}/password"),
            &manager,
            &json!({"new_password": "temporary pass phrase 7"}),
        )
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    let staff = app.token(Role::CenterStaff).await;
    let id = account_id(&app, &manager, "staff").await;
    let res = app
        .post(
            &format!("/api/v1/accounts/{id}/password"),
            &staff,
            &json!({"new_password": "temporary pass phrase 7"}),
        )
        .await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_username_differing_only_by_case_is_the_same_account() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;
    let res = app
        .post(
            "/api/v1/accounts",
            &pref,
            &json!({"username": "PREF", "display_name": "偽物", "password": NEW_PASSWORD,
                    "role": "prefecture", "scope": {"level": "prefecture"}}),
        )
        .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
        ("username", "taken")
    );
    let res = login(&app, "Pref", PASSWORD).await;
    let tokens: TokenResponse = expect_json(res, StatusCode::OK).await;
    assert_eq!(tokens.account.username, "pref");
}

async fn issue_token(app: &TestApp, creator: &str) -> CreatedApiToken {
    let res = app
        .post(
            "/api/v1/api-tokens",
            creator,
            &json!({"name": "市町村集計", "scope": {"level": "prefecture"}, "expires_on": null}),
        )
        .await;
    expect_json(res, StatusCode::CREATED).await
}

async fn token_status(app: &TestApp, admin: &str, id: i64) -> ApiTokenStatus {
    let tokens: Vec<ApiTokenView> =
        expect_json(app.get("/api/v1/api-tokens", admin).await, StatusCode::OK).await;
    tokens.iter().find(|t| t.id == id).unwrap().status
}

#[tokio::test]
async fn an_api_token_stops_working_when_its_creator_is_disabled_and_the_list_says_why() {
    let app = spawn_app().await;
    // A second prefecture officer issues the token; the first disables them.
    let pref = app.token(Role::Prefecture).await;
    let res = app
        .post(
            "/api/v1/accounts",
            &pref,
            &json!({"username": "pref2", "display_name": "県 二人目", "password": NEW_PASSWORD,
                    "role": "prefecture", "scope": {"level": "prefecture"}}),
        )
        .await;
    let pref2: AccountView = expect_json(res, StatusCode::CREATED).await;
    let pref2_token: TokenResponse =
        expect_json(login(&app, "pref2", NEW_PASSWORD).await, StatusCode::OK).await;
    let created = issue_token(&app, &pref2_token.access_token).await;
    assert_eq!(created.info.status, ApiTokenStatus::Active);
    let stats = "/api/v1/stats?measures=participations&period=FY2024";
    assert_eq!(app.get(stats, &created.token).await.status(), StatusCode::OK);
    let res = app
        .put(
            &format!("/api/v1/accounts/{}/disabled", pref2.id),
            &pref,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get(stats, &created.token).await;
    assert_eq!(
        expect_problem(res, StatusCode::UNAUTHORIZED).await.code,
        ProblemCode::InvalidToken
    );
    assert_eq!(
        token_status(&app, &pref, created.info.id).await,
        ApiTokenStatus::CreatorDisabled
    );
    // Re-enabled, the token works again: it was stopped, not revoked.
    app.put(
        &format!("/api/v1/accounts/{}/disabled", pref2.id),
        &pref,
        &json!({"disabled": false}),
    )
    .await;
    assert_eq!(app.get(stats, &created.token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_api_token_stops_working_when_its_creator_loses_the_role_that_issued_it() {
    let app = spawn_app().await;
    let manager = app.token(Role::CenterAdmin).await;
    let res = app
        .post(
            "/api/v1/api-tokens",
            &manager,
            &json!({"name": "センター集計", "scope": {"level": "center", "code": CENTER}, "expires_on": null}),
        )
        .await;
    let created: CreatedApiToken = expect_json(res, StatusCode::CREATED).await;
    let stats = "/api/v1/stats?measures=participations&period=FY2024";
    assert_eq!(app.get(stats, &created.token).await.status(), StatusCode::OK);
    // The manager is made plain staff (there is no API for roles yet: straight in the database).
    let db = rusqlite::Connection::open(app.dir.path().join("test.sqlite3")).unwrap();
    db.execute(
        "UPDATE accounts SET role = 'center_staff' WHERE username = 'manager'",
        [],
    )
    .unwrap();
    drop(db);
    let res = app.get(stats, &created.token).await;
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    let pref = app.token(Role::Prefecture).await;
    assert_eq!(
        token_status(&app, &pref, created.info.id).await,
        ApiTokenStatus::CreatorLostRole
    );
}

#[tokio::test]
async fn an_api_token_with_extracts_stops_working_when_its_creator_may_no_longer_grant_them() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;
    let res = app
        .post(
            "/api/v1/api-tokens",
            &pref,
            &json!({"name": "センター抽出", "scope": {"level": "center", "code": CENTER},
                    "expires_on": null, "extracts": "coarsened"}),
        )
        .await;
    let created: CreatedApiToken = expect_json(res, StatusCode::CREATED).await;
    let stats = "/api/v1/stats?measures=participations&period=FY2024";
    assert_eq!(app.get(stats, &created.token).await.status(), StatusCode::OK);
    // The officer becomes the centre's manager, who issues tokens for the centre but grants no
    // extracts (straight in the database: there is no API for roles).
    let db = rusqlite::Connection::open(app.dir.path().join("test.sqlite3")).unwrap();
    db.execute(
        "UPDATE accounts SET role = 'center_admin', scope_level = 'center', scope_code = ?1
         WHERE username = 'pref'",
        [CENTER],
    )
    .unwrap();
    drop(db);
    let res = app.get(stats, &created.token).await;
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    let manager = app.token(Role::CenterAdmin).await;
    assert_eq!(
        token_status(&app, &manager, created.info.id).await,
        ApiTokenStatus::CreatorLostRole
    );
}
