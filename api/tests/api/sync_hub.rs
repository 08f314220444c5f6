//! The hub's side of synchronisation over HTTP: credentials (issued once, hashed, revocable),
//! batches applied exactly once and in order, refusals that apply nothing, and sync status.

use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::common_id::{CenterCode, CommonId};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;
use shared::dto::sync::{
    ActivityFacts, CenterRef, CreatedSyncCredential, ParticipationFacts, PersonFacts, SiteFacts, SyncAck,
    SyncBatch, SyncCredentialView, SyncEntry, SyncOp, SyncStatus, UnregisteredFacts,
};
use uuid::Uuid;

use crate::helpers::*;

pub fn common_id(center: &str, serial: u32) -> String {
    let center = CenterCode::parse(center).unwrap();
    CommonId::issue(&center, serial).unwrap().to_string()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn person(center: &str, id: &str) -> SyncOp {
    SyncOp::UpsertPerson(PersonFacts {
        center: center.into(),
        common_id: id.into(),
        sex: "F".into(),
        birth_year_month: "1948-05".into(),
        residence_municipality: CENTER_MUNICIPALITY.into(),
        categories: vec!["elderly".into()],
        care_level: "shien1".into(),
        household: "alone".into(),
        registered_on: date("2024-04-01"),
        ended_on: None,
        end_reason: None,
        match_key: None,
    })
}

pub fn participation(id: &str) -> ParticipationFacts {
    ParticipationFacts {
        common_id: id.into(),
        age_band: "age_75_84".into(),
        sex: "F".into(),
        group: "elderly".into(),
        categories: vec!["elderly".into()],
        care_level: "shien1".into(),
        household: "alone".into(),
        visit_purpose: None,
        topics: vec![],
        referral_destination: None,
    }
}

pub fn activity(center: &str, id: Uuid, day: &str, people: &[&str]) -> SyncOp {
    SyncOp::UpsertActivity(ActivityFacts {
        id,
        center: center.into(),
        site: None,
        date: date(day),
        function: "tsudoi".into(),
        start_time: Some("10:00".into()),
        end_time: None,
        staff_count: 2,
        volunteer_count: 0,
        unregistered: UnregisteredFacts {
            elderly: 1,
            ..Default::default()
        },
        participations: people.iter().map(|p| participation(p)).collect(),
    })
}

pub fn batch(center: &str, stream: Uuid, batch_seq: u64, first_seq: u64, ops: Vec<SyncOp>) -> SyncBatch {
    SyncBatch {
        center: center.into(),
        stream,
        batch_seq,
        entries: ops
            .into_iter()
            .enumerate()
            .map(|(i, op)| SyncEntry {
                seq: first_seq + i as u64,
                op,
            })
            .collect(),
    }
}

/// A credential for `center`, issued by the prefecture over HTTP.
pub async fn issue_credential(hub: &TestApp, center: &str) -> CreatedSyncCredential {
    let pref = hub.token(Role::Prefecture).await;
    let res = hub
        .post("/api/v1/sync/credentials", &pref, &json!({ "center": center }))
        .await;
    expect_json(res, StatusCode::CREATED).await
}

pub async fn deliver<B: serde::Serialize>(hub: &TestApp, credential: &str, body: &B) -> reqwest::Response {
    hub.send(Method::POST, "/api/v1/sync/batches", credential, Some(body))
        .await
}

/// `participations` and `unique_persons` over FY2024 for the whole prefecture.
pub async fn totals(hub: &TestApp) -> (u64, u64) {
    let pref = hub.token(Role::Prefecture).await;
    let res = hub
        .get(
            "/api/v1/stats?measures=participations,unique_persons&period=FY2024&totals=true",
            &pref,
        )
        .await;
    let stats: StatsResponse = expect_json(res, StatusCode::OK).await;
    let t = stats.totals.unwrap_or_default();
    let n = |i: usize| t.get(i).and_then(|v| v.as_u64()).unwrap_or(0);
    (n(0), n(1))
}

#[tokio::test]
async fn the_prefecture_issues_a_credential_once_and_revoking_it_stops_deliveries() {
    let hub = spawn_node(NodeRole::Hub).await;
    let created = issue_credential(&hub, CENTER).await;
    assert!(created.credential.starts_with("ats_"));
    assert_eq!(created.info.center, CENTER);
    let pref = hub.token(Role::Prefecture).await;
    let listed: Vec<SyncCredentialView> =
        expect_json(hub.get("/api/v1/sync/credentials", &pref).await, StatusCode::OK).await;
    let text = serde_json::to_string(&listed).unwrap();
    assert!(
        !text.contains(&created.credential),
        "the secret is shown once only"
    );
    assert_eq!(listed.len(), 1);
    // Other roles may not issue one; an unknown centre is named.
    for role in [Role::Municipality, Role::Operator, Role::CenterAdmin] {
        let token = hub.token(role).await;
        let res = hub
            .post("/api/v1/sync/credentials", &token, &json!({"center": CENTER}))
            .await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
    let problem = expect_problem(
        hub.post("/api/v1/sync/credentials", &pref, &json!({"center": "C999"}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "center");

    let first = batch(
        CENTER,
        Uuid::new_v4(),
        1,
        1,
        vec![SyncOp::ResetCenter(CenterRef {
            center: CENTER.into(),
        })],
    );
    expect_json::<SyncAck>(deliver(&hub, &created.credential, &first).await, StatusCode::OK).await;
    let res = hub
        .send::<()>(
            Method::DELETE,
            &format!("/api/v1/sync/credentials/{}", created.info.id),
            &pref,
            None,
        )
        .await;
    let revoked: SyncCredentialView = expect_json(res, StatusCode::OK).await;
    assert!(revoked.revoked_at.is_some());
    let res = deliver(&hub, &created.credential, &first).await;
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    // A user's token is not a credential.
    expect_problem(deliver(&hub, &pref, &first).await, StatusCode::UNAUTHORIZED).await;
    let audit = hub.audit_rows().await;
    for action in ["sync.credential.create", "sync.batch", "sync.credential.revoke"] {
        assert!(audit.iter().any(|r| r.entry.action == action), "{action} audited");
    }
}

#[tokio::test]
async fn a_batch_delivered_twice_is_applied_once() {
    let hub = spawn_node(NodeRole::Hub).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let (a, b) = (common_id(CENTER, 1), common_id(CENTER, 2));
    let stream = Uuid::new_v4();
    let ops = vec![
        SyncOp::ResetCenter(CenterRef {
            center: CENTER.into(),
        }),
        SyncOp::UpsertSite(SiteFacts {
            center: CENTER.into(),
            code: format!("{CENTER}-S01"),
            name: "サテライト".into(),
            opened_on: date("2015-04-01"),
            closed_on: None,
        }),
        person(CENTER, &a),
        person(CENTER, &b),
        activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&a, &b]),
    ];
    let first = batch(CENTER, stream, 1, 1, ops);
    let ack: SyncAck = expect_json(deliver(&hub, &cred, &first).await, StatusCode::OK).await;
    assert_eq!((ack.applied, ack.skipped, ack.last_seq), (5, 0, 5));
    assert_eq!(totals(&hub).await, (3, 2));
    let again: SyncAck = expect_json(deliver(&hub, &cred, &first).await, StatusCode::OK).await;
    assert_eq!((again.applied, again.skipped, again.last_seq), (0, 5, 5));
    assert_eq!(totals(&hub).await, (3, 2));
    // An overlapping batch applies only what is new.
    let mut overlap = first.entries[3..].to_vec();
    overlap.push(SyncEntry {
        seq: 6,
        op: activity(CENTER, Uuid::new_v4(), "2024-05-11", &[&a]),
    });
    let next = SyncBatch {
        batch_seq: 2,
        entries: overlap,
        ..first.clone()
    };
    let ack: SyncAck = expect_json(deliver(&hub, &cred, &next).await, StatusCode::OK).await;
    assert_eq!((ack.applied, ack.skipped, ack.last_seq), (1, 2, 6));
    assert_eq!(totals(&hub).await, (5, 2));
}

#[tokio::test]
async fn entries_that_do_not_follow_on_are_refused_with_nothing_applied() {
    let hub = spawn_node(NodeRole::Hub).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let a = common_id(CENTER, 1);
    let stream = Uuid::new_v4();
    // First contact must begin at 1 (or with a reset).
    let late = batch(CENTER, stream, 1, 2, vec![person(CENTER, &a)]);
    let problem = expect_problem(deliver(&hub, &cred, &late).await, StatusCode::CONFLICT).await;
    assert_eq!(problem.code, ProblemCode::SyncOutOfOrder);
    let start = batch(CENTER, stream, 1, 1, vec![person(CENTER, &a)]);
    expect_json::<SyncAck>(deliver(&hub, &cred, &start).await, StatusCode::OK).await;
    // A gap: entry 2 never arrived.
    let gap = batch(
        CENTER,
        stream,
        2,
        3,
        vec![activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&a])],
    );
    let problem = expect_problem(deliver(&hub, &cred, &gap).await, StatusCode::CONFLICT).await;
    assert_eq!(problem.code, ProblemCode::SyncOutOfOrder);
    assert_eq!(totals(&hub).await, (0, 0));
    // Another stream (the centre restored from a backup) must start with a reset, which
    // replaces everything the hub held for the centre.
    let other = Uuid::new_v4();
    let without_reset = batch(
        CENTER,
        other,
        1,
        1,
        vec![activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&a])],
    );
    expect_problem(deliver(&hub, &cred, &without_reset).await, StatusCode::CONFLICT).await;
    let b = common_id(CENTER, 2);
    let with_reset = batch(
        CENTER,
        other,
        1,
        40,
        vec![
            SyncOp::ResetCenter(CenterRef {
                center: CENTER.into(),
            }),
            person(CENTER, &b),
            activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&b]),
        ],
    );
    let ack: SyncAck = expect_json(deliver(&hub, &cred, &with_reset).await, StatusCode::OK).await;
    assert_eq!((ack.applied, ack.last_seq), (3, 42));
    assert_eq!(totals(&hub).await, (2, 1));
    let pref = hub.token(Role::Prefecture).await;
    let res = hub
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &pref)
        .await;
    let text = res.text().await.unwrap();
    assert!(
        text.contains(&b) && !text.contains(&a),
        "the reset forgot {a}: {text}"
    );
}

#[tokio::test]
async fn a_batch_about_another_centre_is_refused_with_nothing_applied() {
    let hub = spawn_node(NodeRole::Hub).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let stream = Uuid::new_v4();
    let theirs = common_id(OTHER_CENTER, 1);
    let whole = batch(OTHER_CENTER, stream, 1, 1, vec![person(OTHER_CENTER, &theirs)]);
    expect_problem(deliver(&hub, &cred, &whole).await, StatusCode::FORBIDDEN).await;
    let ours = common_id(CENTER, 1);
    let mixed = batch(
        CENTER,
        stream,
        1,
        1,
        vec![
            person(CENTER, &ours),
            person(OTHER_CENTER, &theirs),
            activity(CENTER, Uuid::new_v4(), "2024-05-10", &[&ours]),
        ],
    );
    expect_problem(deliver(&hub, &cred, &mixed).await, StatusCode::FORBIDDEN).await;
    assert_eq!(totals(&hub).await, (0, 0));
    let pref = hub.token(Role::Prefecture).await;
    let res = hub
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &pref)
        .await;
    assert_eq!(res.text().await.unwrap(), "", "nothing was applied");
    let denied = hub.audit_rows().await;
    assert!(denied
        .iter()
        .any(|r| r.entry.action == "sync.batch" && r.entry.outcome.as_str() == "denied"));
}

#[tokio::test]
async fn an_invalid_code_is_refused_with_its_field_named_and_nothing_applied() {
    let hub = spawn_node(NodeRole::Hub).await;
    let cred = issue_credential(&hub, CENTER).await.credential;
    let a = common_id(CENTER, 1);
    let mut bad = person(CENTER, &a);
    if let SyncOp::UpsertPerson(p) = &mut bad {
        p.care_level = "山本花子".into();
    }
    let body = batch(CENTER, Uuid::new_v4(), 1, 1, vec![person(CENTER, &a), bad]);
    let problem = expect_problem(deliver(&hub, &cred, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem.errors[0].field, "entries[1].op.upsert_person.care_level");
    let pref = hub.token(Role::Prefecture).await;
    let res = hub
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &pref)
        .await;
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn the_hub_reports_each_centre_in_the_callers_scope() {
    let hub = spawn_node(NodeRole::Hub).await;
    let ours = issue_credential(&hub, CENTER).await.credential;
    issue_credential(&hub, OTHER_CENTER).await;
    let body = batch(
        CENTER,
        Uuid::new_v4(),
        7,
        1,
        vec![person(CENTER, &common_id(CENTER, 1))],
    );
    expect_json::<SyncAck>(deliver(&hub, &ours, &body).await, StatusCode::OK).await;
    let pref = hub.token(Role::Prefecture).await;
    let status: SyncStatus = expect_json(hub.get("/api/v1/sync/status", &pref).await, StatusCode::OK).await;
    assert_eq!(status.node_role, NodeRole::Hub);
    let centers: Vec<(&str, Option<u64>, u64)> = status
        .centers
        .iter()
        .map(|c| (c.center.as_str(), c.last_batch_seq, c.last_seq))
        .collect();
    assert_eq!(centers, [(CENTER, Some(7), 1), (OTHER_CENTER, None, 0)]);
    assert!(status.centers[0].last_batch_at.is_some());
    // The municipality officer sees their own centre only; the integrator nothing.
    let city = hub.token(Role::Municipality).await;
    let status: SyncStatus = expect_json(hub.get("/api/v1/sync/status", &city).await, StatusCode::OK).await;
    assert_eq!(status.centers.len(), 1);
    assert_eq!(status.centers[0].center, CENTER);
    let integrator = hub.token(Role::Integrator).await;
    expect_problem(
        hub.get("/api/v1/sync/status", &integrator).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_centre_node_neither_receives_batches_nor_issues_credentials() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;
    let res = deliver(&app, "ats_0000", &json!({})).await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    let res = app
        .post("/api/v1/sync/credentials", &pref, &json!({"center": CENTER}))
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    let staff = app.token(Role::CenterStaff).await;
    let status: SyncStatus = expect_json(app.get("/api/v1/sync/status", &staff).await, StatusCode::OK).await;
    let outbox = status.outbox.unwrap();
    assert_eq!(
        (outbox.center.as_str(), outbox.configured, outbox.backlog),
        (CENTER, false, 0)
    );
}

#[tokio::test]
async fn on_the_hub_a_municipality_sees_its_own_centres_and_the_operator_no_person_level_rows() {
    let hub = spawn_node(NodeRole::Hub).await;
    for center in [CENTER, OTHER_CENTER] {
        let cred = issue_credential(&hub, center).await.credential;
        let (a, b) = (common_id(center, 1), common_id(center, 2));
        let ops = vec![
            person(center, &a),
            person(center, &b),
            activity(center, Uuid::new_v4(), "2024-05-10", &[&a, &b]),
        ];
        let body = batch(center, Uuid::new_v4(), 1, 1, ops);
        expect_json::<SyncAck>(deliver(&hub, &cred, &body).await, StatusCode::OK).await;
    }
    let q = "/api/v1/stats?measures=participations,unique_persons&period=FY2024&rows=center&labels=code";
    let pref = hub.token(Role::Prefecture).await;
    let all: StatsResponse = expect_json(hub.get(q, &pref).await, StatusCode::OK).await;
    assert_eq!(all.rows.len(), 2);
    // 高知市's officer: C001 only, and nothing when asking for C002 (another municipality).
    let city = hub.token(Role::Municipality).await;
    let mine: StatsResponse = expect_json(hub.get(q, &city).await, StatusCode::OK).await;
    assert_eq!(mine.rows, [vec![json!(CENTER), json!(3), json!(2)]]);
    let res = hub.get(&format!("{q}&filter=center:{OTHER_CENTER}"), &city).await;
    if res.status() == StatusCode::OK {
        let other: StatsResponse = res.json().await.unwrap();
        assert!(other.rows.is_empty(), "{other:?}");
    } else {
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let rows = hub
        .get("/api/v1/extracts/persons?period=FY2024&format=ndjson", &city)
        .await
        .text()
        .await
        .unwrap();
    // Its own centre's people, under pseudonyms of its own (docs/privacy.md): no common ID.
    let lines: Vec<serde_json::Value> = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{rows}");
    assert!(lines.iter().all(|l| l["center"] == json!(CENTER)), "{rows}");
    assert!(!rows.contains(&common_id(CENTER, 1)) && !rows.contains(&common_id(OTHER_CENTER, 1)));
    // The operator: no figures, no records.
    let operator = hub.token(Role::Operator).await;
    expect_problem(hub.get(q, &operator).await, StatusCode::FORBIDDEN).await;
    for kind in ["persons", "participations", "activities"] {
        let res = hub
            .get(&format!("/api/v1/extracts/{kind}?period=FY2024"), &operator)
            .await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn bulk_loads_on_the_hub_store_activities_without_their_title() {
    use api::domain::activity::{ActivityRecord, Unregistered};
    let hub = spawn_node(NodeRole::Hub).await;
    let record = ActivityRecord {
        id: Uuid::new_v4(),
        center: CENTER.into(),
        site: None,
        date: date("2024-05-10"),
        function: "tsudoi".into(),
        title: Some("山本さん宅".into()),
        start_time: Some("10:00".into()),
        end_time: None,
        staff_count: 1,
        volunteer_count: 0,
        unregistered: Unregistered {
            elderly: 4,
            ..Default::default()
        },
        note: Some("メモ".into()),
        participations: vec![],
    };
    assert_eq!(
        hub.store
            .import_activities(std::slice::from_ref(&record))
            .await
            .unwrap(),
        1
    );
    // The hub has no place for the title or the note: the activity is there without them.
    // The ID is a UUID the test made: safe in the statement's text.
    let count = format!("SELECT COUNT(*) FROM activities WHERE id = '{}'", record.id);
    let rows = hub.hub_rows(&count, &count).await;
    assert_eq!(rows[0][0].as_deref(), Some("1"));
    let columns: Vec<String> = hub
        .hub_columns()
        .await
        .into_iter()
        .filter(|(t, _)| t == "activities")
        .map(|(_, c)| c)
        .collect();
    assert!(columns.iter().any(|c| c == "date"), "{columns:?}");
    assert!(
        !columns.iter().any(|c| c == "title" || c == "note"),
        "{columns:?}"
    );
    assert_eq!(totals(&hub).await, (4, 0));
}
