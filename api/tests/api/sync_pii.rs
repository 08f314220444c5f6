//! Personal data cannot pass to the hub: its schema has no column for identity, what a centre
//! really queues carries none, and a payload with an identity field is refused whole.

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::sync::{SyncAck, SyncStatus};
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::{activity, batch, common_id, deliver, issue_credential, person};
use crate::sync_outbox::activity_body;

/// Name fragments that would mean identity (or free text that may hold it).
const IDENTITY_LIKE: &[&str] = &[
    "name",
    "kana",
    "birth_date",
    "birthday",
    "address",
    "postal",
    "zip",
    "phone",
    "tel",
    "mobile",
    "email",
    "mail",
    "contact",
    "note",
    "memo",
    "comment",
    "remark",
    "title",
    "free_text",
];

/// Columns of the hub whose names look like identity but are not a person's, and why.
const NOT_A_PERSONS: &[(&str, &str, &str)] = &[
    ("municipalities", "name", "a municipality's name (master data)"),
    ("municipalities", "kana", "a municipality's reading (master data)"),
    ("centers", "name", "a centre's name (organisation)"),
    ("sites", "name", "a site's name (organisation)"),
    ("regions", "name", "a regional office's name (organisation)"),
    ("accounts", "username", "the hub's own users, not data subjects"),
    (
        "accounts",
        "username_key",
        "SQL Server only: the computed lower-case key of the hub's own users' usernames",
    ),
    (
        "accounts",
        "display_name",
        "the hub's own users, not data subjects",
    ),
    ("api_tokens", "name", "what an integrator token is for"),
    ("node_secrets", "name", "which node secret"),
    ("leases", "name", "which job a lease is for (daily, watch, mail)"),
    ("schema_migrations", "name", "which migration"),
];

/// Hub columns derived from identity by a keyed hash (HMAC under a key the hub never holds).
/// Their names pass the walk honestly; listed so the test checks what they hold: only the hash.
const KEYED_HASHES: &[(&str, &str, &str)] = &[(
    "duplicate_hints",
    "match_key",
    "the optional duplicate hint: HMAC-SHA256 of normalised kana + birth date (64 hex digits)",
)];

fn identity_like(name: &str) -> bool {
    let name = name.to_lowercase();
    IDENTITY_LIKE.iter().any(|w| name.contains(w))
}

/// `(table, column)` of every column whose name looks like identity, allowed ones left out, in
/// the hub's database (SQLite or SQL Server).
async fn hub_identity_columns(hub: &TestApp) -> Vec<(String, String)> {
    let columns = hub.hub_columns().await;
    assert!(
        columns.iter().any(|(t, _)| t == "persons"),
        "a real node schema: {columns:?}"
    );
    let mut found = Vec::new();
    let mut tables: Vec<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    tables.dedup();
    for table in tables {
        if identity_like(table) {
            found.push((table.to_owned(), "*".to_owned()));
        }
    }
    for (table, column) in &columns {
        let allowed = NOT_A_PERSONS.iter().any(|(t, c, _)| t == table && c == column);
        if identity_like(column) && !allowed {
            found.push((table.clone(), column.clone()));
        }
    }
    found
}

/// `(table, column)` of every column whose name looks like identity, allowed ones left out.
fn identity_columns(db: &std::path::Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        tables.iter().any(|t| t == "persons"),
        "a real node schema: {tables:?}"
    );
    let mut found = Vec::new();
    for table in &tables {
        if identity_like(table) {
            found.push((table.clone(), "*".to_owned()));
        }
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for column in columns {
            let allowed = NOT_A_PERSONS.iter().any(|(t, c, _)| *t == table && *c == column);
            if identity_like(&column) && !allowed {
                found.push((table.clone(), column));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_hubs_schema_has_no_column_for_identity() {
    // With the optional duplicate hint on, so its table holds what a centre sends.
    let hub = spawn_with(NodeRole::Hub, |s| s.duplicate_hint.enabled = true).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let a = common_id(CENTER, 1);
    let mut with_hint = person(CENTER, &a);
    if let shared::dto::sync::SyncOp::UpsertPerson(p) = &mut with_hint {
        p.match_key = Some("3c".repeat(32));
    }
    let body = batch(
        CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![with_hint, activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&a])],
    );
    expect_json::<SyncAck>(deliver(&hub, &cred, &body).await, StatusCode::OK).await;
    let found = hub_identity_columns(&hub).await;
    assert!(found.is_empty(), "identity-like columns on the hub: {found:?}");
    // Keyed hashes hold nothing but the hash.
    for (table, column, what) in KEYED_HASHES {
        let sql = format!("SELECT {column} FROM {table}");
        let values: Vec<String> = hub
            .hub_rows(&sql, &sql)
            .await
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect();
        assert!(
            !values.is_empty(),
            "{table}.{column} ({what}) is filled in this test"
        );
        for v in values {
            assert!(
                v.len() == 64 && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{table}.{column} holds {v:?}, not a keyed hash ({what})"
            );
        }
    }
    // Disability handbooks are not synchronised: the hub's table for them stays empty.
    let count = "SELECT count(*) FROM person_disabilities";
    assert_eq!(hub.hub_rows(count, count).await[0][0].as_deref(), Some("0"));
}

#[tokio::test]
async fn the_same_walk_finds_the_identity_a_centre_node_keeps() {
    // The check is only worth something if it sees identity where there is some.
    let centre = spawn_app().await;
    let found = identity_columns(&centre.dir.path().join("test.sqlite3"));
    for expected in [
        ("person_private", "family_name"),
        ("person_private", "given_kana"),
        ("person_private", "birth_date"),
        ("person_private", "address"),
        ("person_private", "phone"),
        ("person_private", "emergency_contact"),
        ("person_private", "notes"),
        ("activities", "title"),
        ("center_activity_notes", "note"),
    ] {
        assert!(
            found.iter().any(|(t, c)| t == expected.0 && c == expected.1),
            "{expected:?} not found in {found:?}"
        );
    }
}

fn keys(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(p.clone());
                keys(child, &p, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|c| keys(c, &format!("{path}[]"), out)),
        _ => {}
    }
}

#[tokio::test]
async fn what_a_centre_queues_for_the_hub_carries_no_identity() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let someone = app.register(&staff, &person_input()).await;
    let body = activity_body(Uuid::new_v4(), "2024-05-13", "soudan", &[&someone.common_id]);
    assert_eq!(
        app.post("/api/v1/activities", &staff, &body).await.status(),
        StatusCode::CREATED
    );
    app.center_store().sync_start(CENTER).await.unwrap();
    let batch = app
        .center_store()
        .sync_next_batch(1000, usize::MAX)
        .await
        .unwrap()
        .unwrap();
    let mut all = Vec::new();
    for (_, payload) in &batch.entries {
        keys(&serde_json::from_str(payload).unwrap(), "", &mut all);
        for pii in [
            someone.family_name.as_str(),
            someone.given_name.as_str(),
            someone.family_kana.as_str(),
            "1948-05-01",
            someone.phone.as_deref().unwrap(),
            someone.address.as_deref().unwrap(),
            someone.emergency_contact.as_deref().unwrap(),
            someone.notes.as_deref().unwrap(),
            body["title"].as_str().unwrap(),
            body["note"].as_str().unwrap(),
        ] {
            assert!(!payload.contains(pii), "{pii:?} in {payload}");
        }
    }
    all.sort();
    all.dedup();
    let bad: Vec<&String> = all
        .iter()
        .filter(|k| {
            identity_like(k.rsplit('.').next().unwrap_or_default()) && k.as_str() != "upsert_site.name"
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[tokio::test]
async fn a_payload_with_an_extra_name_field_is_refused_and_nothing_is_applied() {
    let hub = spawn_node(NodeRole::Hub).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let a = common_id(CENTER, 1);
    let mut body = serde_json::to_value(batch(
        CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![
            person(CENTER, &a),
            activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&a]),
        ],
    ))
    .unwrap();
    body["entries"][0]["op"]["upsert_person"]["name"] = json!("山本 花子");
    let problem = expect_problem(deliver(&hub, &cred, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem.errors[0].code, "unknown_field");
    assert_eq!(problem.errors[0].field, "entries[0].op.upsert_person.name");
    // The same for a participation's kana and an activity's title.
    body["entries"][0]["op"]["upsert_person"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    body["entries"][1]["op"]["upsert_activity"]["participations"][0]["kana"] = json!("ヤマモト");
    expect_problem(deliver(&hub, &cred, &body).await, StatusCode::BAD_REQUEST).await;
    body["entries"][1]["op"]["upsert_activity"]["participations"][0]
        .as_object_mut()
        .unwrap()
        .remove("kana");
    body["entries"][1]["op"]["upsert_activity"]["title"] = json!("山本さん宅訪問");
    expect_problem(deliver(&hub, &cred, &body).await, StatusCode::BAD_REQUEST).await;
    // Nothing of any of them was applied.
    let pref = hub.token(Role::Prefecture).await;
    for kind in ["persons", "participations", "activities"] {
        let res = hub
            .get(
                &format!("/api/v1/extracts/{kind}?period=FY2024&format=ndjson"),
                &pref,
            )
            .await;
        assert_eq!(res.text().await.unwrap(), "", "{kind}");
    }
    let status: SyncStatus = expect_json(hub.get("/api/v1/sync/status", &pref).await, StatusCode::OK).await;
    assert!(status.centers.iter().all(|c| c.last_seq == 0), "{status:?}");
    // Without the extra fields the very same batch goes in.
    body["entries"][1]["op"]["upsert_activity"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    expect_json::<SyncAck>(deliver(&hub, &cred, &body).await, StatusCode::OK).await;
}
