//! The optional duplicate hint end to end: a real hub and real centre nodes C001 and C002
//! synchronising, staff at C002 asking about a person registered at C001. Off by default; only a
//! keyed hash of kana + birth date reaches the hub; roles and centres are kept apart.

use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::dto::auth::Role;
use shared::dto::duplicate_hint::{DuplicateHintAnswer, DuplicateHintCandidate, DuplicateHintStatus};
use shared::dto::meta::NodeRole;

use crate::helpers::*;
use crate::sync_hub::issue_credential;
use crate::sync_support::{sync_settings, wait_until_synced};

const PATH: &str = "/api/v1/persons/duplicate-hints";
const HUB_PATH: &str = "/api/v1/sync/duplicate-hints";
/// The prefecture's key in these tests (configured on centre nodes only).
const KEY: &str = "5f2a9c0e7b3d4a1f8e6c2b0d9a7f5e3c1b8d6f4a2e0c9b7d5f3a1e8c6b4d2f0a";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A centre node for `center` synchronising directly with `hub`, with the key or without.
async fn centre(hub: &TestApp, center: &str, key: Option<&str>) -> TestApp {
    let credential = issue_credential(hub, center).await.credential;
    let url = hub.address.clone();
    spawn_with(NodeRole::Center, |s| {
        s.node.center = Some(center.to_owned());
        sync_settings(s, &url, &credential);
        s.duplicate_hint.key = key.map(Into::into);
    })
    .await
}

async fn hub(enabled: bool) -> TestApp {
    spawn_with(NodeRole::Hub, |s| s.duplicate_hint.enabled = enabled).await
}

fn query(family: &str, given: &str, born: &str) -> serde_json::Value {
    json!({"family_kana": family, "given_kana": given, "birth_date": born})
}

async fn ask(app: &TestApp, token: &str, body: &serde_json::Value) -> DuplicateHintAnswer {
    expect_json(app.post(PATH, token, body).await, StatusCode::OK).await
}

fn db(app: &TestApp) -> rusqlite::Connection {
    let path = app.dir.path().join("test.sqlite3");
    rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db")
}

/// Every outbox payload the centre has written (sent ones are kept for days).
fn outbox_payloads(app: &TestApp) -> Vec<String> {
    db(app)
        .prepare("SELECT payload FROM sync_outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn stored_match_keys(hub: &TestApp) -> Vec<(String, String, String)> {
    let sql = "SELECT center, common_id, match_key FROM duplicate_hints ORDER BY center, common_id";
    hub.hub_rows(sql, sql)
        .await
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r[i].clone().unwrap_or_default();
            (cell(0), cell(1), cell(2))
        })
        .collect()
}

/// Every value in every table of the hub's database (SQLite or SQL Server), as text, with where
/// it is.
async fn all_text(hub: &TestApp) -> Vec<(String, String)> {
    let mut tables: Vec<String> = hub.hub_columns().await.into_iter().map(|(t, _)| t).collect();
    tables.dedup();
    let mut out = Vec::new();
    for table in tables {
        let rows = hub
            .hub_rows(
                &format!("SELECT * FROM \"{table}\""),
                &format!("SELECT * FROM [{table}]"),
            )
            .await;
        for value in rows.into_iter().flatten().flatten() {
            out.push((table.clone(), value));
        }
    }
    out
}

#[tokio::test]
async fn off_by_default_nothing_is_sent_and_the_answer_says_disabled() {
    // Neither side configured: the centre sends no match key and does not ask the hub.
    let hub_off = hub(false).await;
    let c001 = centre(&hub_off, CENTER, None).await;
    let staff = c001.token(Role::CenterStaff).await;
    c001.register(&staff, &person_input()).await;
    wait_until_synced(&c001).await;
    let payloads = outbox_payloads(&c001);
    assert!(
        payloads.iter().any(|p| p.contains("upsert_person")),
        "{payloads:?}"
    );
    assert!(payloads.iter().all(|p| !p.contains("match_key")), "{payloads:?}");
    let answer = ask(&c001, &staff, &query("ヤマモト", "ハナコ", "1948-05-01")).await;
    assert_eq!(answer.status, DuplicateHintStatus::Disabled);
    assert!(answer.candidates.is_empty());
    assert!(
        hub_off
            .audit_rows()
            .await
            .iter()
            .all(|r| r.entry.action != "sync.duplicate_hint"),
        "the hub was not asked"
    );

    // The centre has the key but the prefecture has not enabled the hint on the hub: the hub
    // keeps none of what it receives and answers "disabled".
    let c002 = centre(&hub_off, OTHER_CENTER, Some(KEY)).await;
    let other = c002.login_as("other-staff").await.access_token;
    let mut second = person_input();
    second.residence_municipality = OTHER_MUNICIPALITY.into();
    c002.register(&other, &second).await;
    wait_until_synced(&c002).await;
    assert!(outbox_payloads(&c002).iter().any(|p| p.contains("match_key")));
    assert!(stored_match_keys(&hub_off).await.is_empty());
    let answer = ask(&c002, &other, &query("ヤマモト", "ハナコ", "1948-05-01")).await;
    assert_eq!(answer.status, DuplicateHintStatus::Disabled);
    assert!(answer.candidates.is_empty());
}

#[tokio::test]
async fn a_person_of_c001_is_offered_at_c002_by_kana_in_any_script_and_birth_date() {
    let hub = hub(true).await;
    let c001 = centre(&hub, CENTER, Some(KEY)).await;
    let c002 = centre(&hub, OTHER_CENTER, Some(KEY)).await;
    let staff = c001.token(Role::CenterStaff).await;
    // Half-width katakana at C001 (ﾔﾏﾓﾄ ﾊﾅｺ, 1948-05-01).
    let registered = c001.register(&staff, &person_input()).await;
    wait_until_synced(&c001).await;

    let other = c002.login_as("other-staff").await.access_token;
    let answer = ask(&c002, &other, &query("やまもと", "はなこ", "1948-05-01")).await;
    assert_eq!(answer.status, DuplicateHintStatus::Checked);
    assert_eq!(
        answer.candidates,
        vec![DuplicateHintCandidate {
            common_id: registered.common_id.clone(),
            center_code: CENTER.into(),
            center_name: "テストセンター C001".into(),
        }]
    );
    // Spacing and width do not matter either; another birth date or name finds nobody.
    let answer = ask(&c002, &other, &query("ヤマ モト", "ﾊﾅｺ", "1948-05-01")).await;
    assert_eq!(answer.candidates.len(), 1);
    for q in [
        query("やまもと", "はなこ", "1948-05-02"),
        query("やまもと", "はなえ", "1948-05-01"),
    ] {
        let answer = ask(&c002, &other, &q).await;
        assert_eq!(answer.status, DuplicateHintStatus::Checked);
        assert!(answer.candidates.is_empty(), "{q}");
    }
    // The centre's own people are not offered to it.
    let answer = ask(&c001, &staff, &query("やまもと", "はなこ", "1948-05-01")).await;
    assert_eq!(answer.status, DuplicateHintStatus::Checked);
    assert!(answer.candidates.is_empty());

    // The hub holds a keyed hash, not the kana or the birth date.
    let keys = stored_match_keys(&hub).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let (center, common_id, match_key) = &keys[0];
    assert_eq!(
        (center.as_str(), common_id.as_str()),
        (CENTER, registered.common_id.as_str())
    );
    assert_eq!(match_key.len(), 64);
    assert!(match_key.bytes().all(|b| b.is_ascii_hexdigit()));
    let keyer = api::domain::duplicate_hint::MatchKeyer::from_hex(KEY).unwrap();
    assert_eq!(
        *match_key,
        keyer.derive("ヤマモト", "ハナコ", day(1948, 5, 1)),
        "HMAC under the prefecture's key"
    );
    for (table, text) in all_text(&hub).await {
        for plain in [
            "ヤマモト",
            "ﾔﾏﾓﾄ",
            "やまもと",
            "ハナコ",
            "1948-05-01",
            "山本",
            "花子",
        ] {
            assert!(!text.contains(plain), "{table} holds {plain:?}: {text}");
        }
    }
    // Neither audit log keeps the kana, the birth date or the match key.
    for app in [&c002, &hub] {
        let rows = app.audit_rows().await;
        let hint_rows: Vec<_> = rows
            .iter()
            .filter(|r| r.entry.action == "person.duplicate_hint" || r.entry.action == "sync.duplicate_hint")
            .collect();
        assert!(!hint_rows.is_empty());
        for r in hint_rows {
            let detail = r.entry.detail.clone().unwrap_or_default();
            for secret in ["やまもと", "ヤマモト", "ﾊﾅｺ", "1948-05", match_key.as_str()] {
                assert!(!detail.contains(secret), "{}: {detail}", r.entry.action);
            }
        }
    }

    // C002 reuses the ID: once registered there, the hint no longer offers it at C002.
    let mut reuse = person_input();
    reuse.common_id = Some(registered.common_id.clone());
    reuse.family_kana = "やまもと".into();
    reuse.given_kana = "はなこ".into();
    reuse.residence_municipality = OTHER_MUNICIPALITY.into();
    let again = c002.register(&other, &reuse).await;
    assert_eq!(again.common_id, registered.common_id);
    let answer = ask(&c002, &other, &query("やまもと", "はなこ", "1948-05-01")).await;
    assert!(answer.candidates.is_empty(), "registered here now: {answer:?}");
    wait_until_synced(&c002).await;
    let answer = ask(&c002, &other, &query("やまもと", "はなこ", "1948-05-01")).await;
    assert!(
        answer.candidates.is_empty(),
        "the hub knows it is here too: {answer:?}"
    );
    assert_eq!(stored_match_keys(&hub).await.len(), 2);

    // A hub restarted with the hint off erases what it held.
    hub.stop.stop().await;
    let dir = Arc::clone(&hub.dir);
    let restarted = spawn_in(dir, NodeRole::Hub, false, |s| s.duplicate_hint.enabled = false).await;
    assert!(stored_match_keys(&restarted).await.is_empty());
}

#[tokio::test]
async fn only_centre_accounts_ask_and_a_credential_asks_only_as_its_centre() {
    let hub = hub(true).await;
    let c001 = centre(&hub, CENTER, Some(KEY)).await;
    let body = query("やまもと", "はなこ", "1948-05-01");
    for role in [
        Role::Municipality,
        Role::Prefecture,
        Role::Operator,
        Role::Integrator,
    ] {
        let token = c001.token(role).await;
        let problem = expect_problem(c001.post(PATH, &token, &body).await, StatusCode::FORBIDDEN).await;
        assert_eq!(problem.code, ProblemCode::Forbidden, "{role:?}");
    }
    let manager = c001.token(Role::CenterAdmin).await;
    assert_eq!(
        ask(&c001, &manager, &body).await.status,
        DuplicateHintStatus::Checked
    );
    // Not on the hub, even for a centre account.
    let hub_staff = hub.token(Role::CenterStaff).await;
    assert_eq!(
        hub.post(PATH, &hub_staff, &body).await.status(),
        StatusCode::NOT_FOUND
    );
    let pref = hub.token(Role::Prefecture).await;

    // The hub's look-up: C001's credential cannot ask as C002, nor a user token, nor nobody.
    let credential = issue_credential(&hub, CENTER).await.credential;
    let key = "ab".repeat(32);
    let as_other = json!({"center": OTHER_CENTER, "match_key": key});
    let res = hub
        .send(Method::POST, HUB_PATH, &credential, Some(&as_other))
        .await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
    let own = json!({"center": CENTER, "match_key": key});
    let res = hub.send(Method::POST, HUB_PATH, &pref, Some(&own)).await;
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = hub
        .client
        .post(hub.url(HUB_PATH))
        .json(&own)
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = hub.send(Method::POST, HUB_PATH, &credential, Some(&own)).await;
    let answer: shared::dto::duplicate_hint::HubHintAnswer = expect_json(res, StatusCode::OK).await;
    assert!(answer.enabled && answer.candidates.is_empty());
    // Only a match key: the plain kana and date, or an extra field, are refused.
    for (bad, field) in [
        (
            json!({"center": CENTER, "match_key": "ヤマモトハナコ1948-05-01"}),
            "match_key",
        ),
        (
            json!({"center": CENTER, "match_key": key, "kana": "ヤマモト"}),
            "kana",
        ),
    ] {
        let res = hub.send(Method::POST, HUB_PATH, &credential, Some(&bad)).await;
        let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
        assert!(problem.errors.iter().any(|e| e.field == field), "{problem:?}");
    }
    // Not on a centre node.
    let res = c001.send(Method::POST, HUB_PATH, &credential, Some(&own)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field() {
    let hub = hub(true).await;
    let c001 = centre(&hub, CENTER, Some(KEY)).await;
    let staff = c001.token(Role::CenterStaff).await;
    let cases = [
        (
            query("yamamoto", "はなこ", "1948-05-01"),
            "family_kana",
            "not_kana",
        ),
        (query("やまもと", "  ", "1948-05-01"), "given_kana", "empty"),
        (query("やまもと", "はなこ", "2999-01-01"), "birth_date", "future"),
        (
            query("やまもと", "はなこ", "1899-12-31"),
            "birth_date",
            "too_early",
        ),
        (query("やまもと", "はなこ", "1948-02-30"), "birth_date", "invalid"),
        (
            json!({"family_kana": "やまもと", "birth_date": "1948-05-01"}),
            "given_kana",
            "required",
        ),
        (
            json!({"family_kana": "やまもと", "given_kana": "はなこ", "birth_date": "1948-05-01",
                   "family_name": "山本"}),
            "family_name",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let problem = expect_problem(c001.post(PATH, &staff, &body).await, StatusCode::BAD_REQUEST).await;
        assert!(
            problem.errors.iter().any(|e| e.field == field && e.code == code),
            "{body}: {problem:?}"
        );
    }
}

#[tokio::test]
async fn a_hub_that_does_not_answer_is_a_state_not_an_error() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let c001 = spawn_with(NodeRole::Center, |s| {
        sync_settings(
            s,
            &url,
            "ats_0000000000000000000000000000000000000000000000000000000000000000",
        );
        s.duplicate_hint.key = Some(KEY.into());
        s.duplicate_hint.timeout_ms = 500;
    })
    .await;
    let staff = c001.token(Role::CenterStaff).await;
    let started = std::time::Instant::now();
    let answer = ask(&c001, &staff, &query("やまもと", "はなこ", "1948-05-01")).await;
    assert_eq!(answer.status, DuplicateHintStatus::HubUnreachable);
    assert!(answer.candidates.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_centre_that_asks_too_often_waits_and_other_centres_do_not() {
    let hub = spawn_with(NodeRole::Hub, |s| {
        s.duplicate_hint.enabled = true;
        s.duplicate_hint.lookups_per_minute = 2;
    })
    .await;
    let c001 = centre(&hub, CENTER, Some(KEY)).await;
    let staff = c001.token(Role::CenterStaff).await;
    let body = query("やまもと", "はなこ", "1948-05-01");
    // Through the centre node: the budget's two look-ups are answered, the third is a state
    // the form can show, not an error.
    for _ in 0..2 {
        assert_eq!(
            ask(&c001, &staff, &body).await.status,
            DuplicateHintStatus::Checked
        );
    }
    let answer = ask(&c001, &staff, &body).await;
    assert_eq!(answer.status, DuplicateHintStatus::RateLimited);
    assert!(answer.candidates.is_empty());

    // On the hub: C001's credential is told when to come back; C002's budget is its own.
    let c001_credential = issue_credential(&hub, CENTER).await.credential;
    let own = json!({"center": CENTER, "match_key": "ab".repeat(32)});
    let res = hub
        .send(Method::POST, HUB_PATH, &c001_credential, Some(&own))
        .await;
    let wait: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let problem = expect_problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(problem.code, ProblemCode::TooManyRequests);
    let c002_credential = issue_credential(&hub, OTHER_CENTER).await.credential;
    let theirs = json!({"center": OTHER_CENTER, "match_key": "ab".repeat(32)});
    let res = hub
        .send(Method::POST, HUB_PATH, &c002_credential, Some(&theirs))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The hub's audit keeps each refusal as denied, with its reason.
    let refused: Vec<_> = hub
        .audit_rows()
        .await
        .into_iter()
        .filter(|r| r.entry.action == "sync.duplicate_hint" && r.entry.target.as_deref() == Some(CENTER))
        .filter(|r| {
            r.entry.outcome == api::domain::audit::Outcome::Denied
                && r.entry
                    .detail
                    .as_deref()
                    .is_some_and(|d| d.contains("too_many_requests"))
        })
        .collect();
    assert_eq!(refused.len(), 2, "one through C001, one asked directly");
}
