//! Logins under attack (issue 13, findings 1 and 2): throttling per client address and per
//! username that cannot lock the owner out, one answer for unknown and real names, client
//! addresses taken from forwarding headers only when a trusted proxy sent them, and a
//! `login_burst` alert that counts real addresses.

use std::time::{Duration, Instant};

use api::ops::watch::{self, LOGIN_BURST};
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;
use shared::dto::auth::{AccountView, Role};
use shared::dto::meta::NodeRole;

use shared::error::ProblemCode;

use crate::helpers::*;

/// A node behind a reverse proxy on 127.0.0.1 (so tests can speak from many addresses).
async fn behind_proxy() -> TestApp {
    spawn_with(NodeRole::Center, |s| {
        s.server.trusted_proxies = vec![api::config::ProxyNet::parse("127.0.0.1").unwrap()];
    })
    .await
}

async fn login_from(
    app: &TestApp,
    address: Option<&str>,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    if let Some(a) = address {
        req = req.header("X-Forwarded-For", a);
    }
    req.send().await.expect("login request")
}

/// Status and problem code of each of `n` logins.
async fn answers(app: &TestApp, address: &str, username: &str, n: usize) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let res = login_from(app, Some(address), username, "wrong-password!").await;
        let status = res.status().as_u16();
        let retry_after = res.headers().get("retry-after").is_some();
        let body: serde_json::Value = res.json().await.unwrap();
        if status == 429 {
            assert!(retry_after, "a 429 says when to come back");
        }
        out.push((status, body["code"].as_str().unwrap_or_default().to_owned()));
    }
    out
}

#[tokio::test]
async fn seven_wrong_passwords_from_one_address_do_not_stop_the_owner_signing_in_from_another() {
    let app = behind_proxy().await;
    let got = answers(&app, "203.0.113.77", "pref", 7).await;
    let statuses: Vec<u16> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // The owner, from the office.
    let res = login_from(&app, Some("198.51.100.20"), "pref", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The attacker's address waits, right password or not: nothing is learnt from it.
    let res = login_from(&app, Some("203.0.113.77"), "pref", PASSWORD).await;
    assert_eq!(
        expect_problem(res, StatusCode::TOO_MANY_REQUESTS).await.code,
        ProblemCode::TooManyRequests
    );
    // And the account was never locked.
    let pref = app.login_as("pref").await.access_token;
    let accounts: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", &pref).await, StatusCode::OK).await;
    assert!(accounts.iter().all(|a| a.locked_until.is_none()));
}

#[tokio::test]
async fn an_unknown_username_gets_exactly_the_answers_a_real_one_gets() {
    let app = behind_proxy().await;
    let real = answers(&app, "203.0.113.1", "pref", 7).await;
    let unknown = answers(&app, "203.0.113.2", "nobody-here", 7).await;
    assert_eq!(real, unknown);
    assert_eq!(real[0], (401, "invalid_credentials".to_owned()));
}

/// One login from a fresh address, timed.
async fn timed_login(app: &TestApp, address: &str, username: &str, password: &str) -> Duration {
    let started = Instant::now();
    let res = login_from(app, Some(address), username, password).await;
    let took = started.elapsed();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    took
}

#[tokio::test]
async fn a_disabled_account_an_unknown_name_and_a_wrong_password_take_similar_time() {
    let app = behind_proxy().await;
    let pref = app.login_as("pref").await.access_token;
    let accounts: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", &pref).await, StatusCode::OK).await;
    let city = accounts.iter().find(|a| a.username == "city").unwrap();
    let res = app
        .put(
            &format!("/api/v1/accounts/{}/disabled", city.id),
            &pref,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Interleaved, so a busy moment of the machine falls on all three alike; a disabled
    // account's right password is refused like any wrong one.
    let cases = [
        ("staff", "wrong-password!"),
        ("nobody-here", "wrong-password!"),
        ("city", PASSWORD),
    ];
    let mut times: [Vec<Duration>; 3] = Default::default();
    for round in 0..8u8 {
        for (i, (username, password)) in cases.iter().enumerate() {
            let address = format!("192.0.2.{}", round * 3 + i as u8 + 1);
            let took = timed_login(&app, &address, username, password).await;
            // The first round warms connections and caches up.
            if round > 0 {
                times[i].push(took);
            }
        }
    }
    let medians: Vec<Duration> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect();
    let slowest = *medians.iter().max().unwrap();
    let fastest = *medians.iter().min().unwrap();
    // Skipping the password hash makes a login many times faster; noise is far below 3×.
    assert!(
        fastest * 3 >= slowest,
        "wrong password {:?}, unknown name {:?}, disabled account {:?}: one is told apart by time",
        medians[0],
        medians[1],
        medians[2]
    );
}

#[tokio::test]
async fn a_hundred_parallel_failures_from_one_address_are_throttled_and_so_is_a_valid_login_after_them() {
    let app = behind_proxy().await;
    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            login_from(
                app,
                Some("203.0.113.9"),
                &format!("user{}", i % 10),
                "wrong-password!",
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused + throttled, 100, "{statuses:?}");
    assert!(
        refused <= 20,
        "only the address's budget is checked: {refused} checked"
    );
    let res = login_from(&app, Some("203.0.113.9"), "staff", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login_from(&app, Some("198.51.100.7"), "staff", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_spent_hourly_budget_stops_new_addresses_but_lets_the_owner_in_and_unlock_forgets_it() {
    let app = spawn_with(NodeRole::Center, |s| {
        s.server.trusted_proxies = vec![api::config::ProxyNet::parse("127.0.0.1").unwrap()];
        s.auth.login_failures_per_account_per_hour = 3;
    })
    .await;
    // The owner signed in from the office before the attack.
    assert_eq!(
        login_from(&app, Some("198.51.100.20"), "staff", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    for i in 1..=3 {
        let res = login_from(&app, Some(&format!("203.0.113.{i}")), "staff", "wrong-password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&app, Some("203.0.113.50"), "staff", "wrong-password!").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login_from(&app, Some("198.51.100.20"), "staff", PASSWORD)
            .await
            .status(),
        StatusCode::OK,
        "the owner's own address still gets in"
    );
    // The manager sees it in the account list and clears it.
    let manager = login_from(&app, Some("198.51.100.21"), "manager", PASSWORD).await;
    let manager = manager
        .json::<shared::dto::auth::TokenResponse>()
        .await
        .unwrap()
        .access_token;
    let accounts: Vec<AccountView> =
        expect_json(app.get("/api/v1/accounts", &manager).await, StatusCode::OK).await;
    let staff = accounts.iter().find(|a| a.username == "staff").unwrap();
    assert!(staff.locked_until.is_some_and(|t| t > Utc::now()));
    let res = app
        .post(
            &format!("/api/v1/accounts/{}/unlock", staff.id),
            &manager,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = login_from(&app, Some("203.0.113.50"), "staff", "wrong-password!").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forged_forwarding_headers_from_an_untrusted_peer_are_neither_audited_nor_counted() {
    let app = spawn_app().await;
    for forged in [
        "for=10.7.7.2",
        "for=10.7.7.3",
        "for=10.7.7.4",
        "for=10.7.7.5",
        "for=10.7.7.6",
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("Forwarded", forged)
            .header("X-Forwarded-For", "203.0.113.77")
            .json(&json!({"username": "pref", "password": "wrong-password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // A sixth "new address" is the same peer: it waits.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", "203.0.113.99")
        .json(&json!({"username": "pref", "password": "wrong-password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let rows = app.audit_rows().await;
    let clients: Vec<&str> = rows
        .iter()
        .filter(|r| r.entry.action == "auth.login")
        .filter_map(|r| r.entry.client.as_deref())
        .collect();
    assert_eq!(clients.len(), 6);
    assert!(clients.iter().all(|c| *c == "127.0.0.1"), "{clients:?}");
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_is_audited() {
    let app = behind_proxy().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Forwarded", "for=\"[2001:db8::7]:4711\";proto=https")
        .json(&json!({"username": "staff", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = app.audit_rows().await;
    let login = rows.iter().find(|r| r.entry.action == "auth.login").unwrap();
    assert_eq!(login.entry.client.as_deref(), Some("2001:db8::7"));
}

#[tokio::test]
async fn the_login_burst_alert_counts_real_addresses_not_forged_ones() {
    let app = spawn_app().await;
    let mut settings = settings(NodeRole::Center, app.dir.path());
    settings.watch.login_failures = 3;
    for (name, forged) in [
        ("staff", "203.0.113.1"),
        ("admin", "203.0.113.2"),
        ("nobody", "203.0.113.3"),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", forged)
            .json(&json!({"username": name, "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    watch::check_logins(app.store.as_ref(), &settings, Utc::now())
        .await
        .unwrap();
    let alerts = app.store.alerts(true).await.unwrap();
    let burst = alerts.iter().find(|a| a.event == LOGIN_BURST).expect("raised");
    assert!(burst.message.contains("接続元 1 か所"), "{}", burst.message);
    assert!(burst.message.contains("127.0.0.1"), "{}", burst.message);
}

#[tokio::test]
async fn an_integrator_token_cannot_log_in_or_change_a_password() {
    let app = spawn_app().await;
    let token = app.token(Role::Integrator).await;
    let res = app
        .post(
            "/api/v1/auth/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": "a brand new pass phrase"}),
        )
        .await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
}
