//! The centre node's sync outbox: nothing queued before synchronisation starts, a full snapshot
//! when it does, then one entry per change to facts written in the change's own transaction
//! (and none for a refused change), handed out in batches until acknowledged.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::sync::SyncOp;
use uuid::Uuid;

use crate::helpers::*;

/// Every waiting entry, in order, as its operation; they count as delivered afterwards.
pub async fn drain(app: &TestApp) -> Vec<SyncOp> {
    let batch = app
        .center_store()
        .sync_next_batch(100_000, usize::MAX)
        .await
        .expect("next batch");
    let Some(batch) = batch else {
        return Vec::new();
    };
    app.center_store()
        .sync_acknowledge(
            batch.stream,
            batch.batch_seq,
            batch.last_seq(),
            chrono::Utc::now(),
        )
        .await
        .expect("acknowledge");
    batch
        .entries
        .iter()
        .map(|(_, p)| serde_json::from_str(p).expect("payload is a SyncOp"))
        .collect()
}

fn names(ops: &[SyncOp]) -> Vec<&'static str> {
    ops.iter().map(SyncOp::name).collect()
}

pub fn activity_body(id: Uuid, date: &str, function: &str, people: &[&str]) -> Value {
    let participants: Vec<Value> = people
        .iter()
        .map(|p| match function {
            "houmon" => json!({"common_id": p, "visit_purpose": "watching"}),
            "soudan" => json!({"common_id": p, "topics": ["health"]}),
            "tsunagi" => json!({"common_id": p, "referral_destination": "houkatsu"}),
            _ => json!({"common_id": p}),
        })
        .collect();
    json!({
        "id": id, "date": date, "function": function, "title": "山本さん宅の見守り",
        "note": "山本花子さん 膝の痛みあり", "start_time": "10:00", "end_time": "11:30",
        "staff_count": 2, "volunteer_count": 1, "unregistered": {"elderly": 2},
        "participants": participants,
    })
}

#[tokio::test]
async fn nothing_is_queued_before_sync_starts_and_then_a_full_snapshot_comes_first() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let id = Uuid::new_v4();
    let res = app
        .post(
            "/api/v1/activities",
            &staff,
            &activity_body(id, "2024-05-13", "tsudoi", &[&person]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.center_store().sync_outbox().await.unwrap(), None);

    assert!(app.center_store().sync_start(CENTER).await.unwrap());
    assert!(
        !app.center_store().sync_start(CENTER).await.unwrap(),
        "starts once"
    );
    let state = app.center_store().sync_outbox().await.unwrap().unwrap();
    assert_eq!((state.center.as_str(), state.backlog), (CENTER, 4));
    let ops = drain(&app).await;
    assert_eq!(
        names(&ops),
        ["reset_center", "upsert_site", "upsert_person", "upsert_activity"]
    );
    let SyncOp::UpsertActivity(a) = &ops[3] else {
        panic!("{ops:?}")
    };
    assert_eq!((a.id, a.participations.len()), (id, 1));
    // Title and note stay behind; so do the person's name and birth date.
    let text = serde_json::to_string(&ops).unwrap();
    for pii in ["山本", "ヤマモト", "1948-05-01", "見守り", "膝"] {
        assert!(!text.contains(pii), "{pii} in {text}");
    }
    assert!(text.contains("1948-05"), "birth year-month is sent");
    assert_eq!(
        app.center_store().sync_outbox().await.unwrap().unwrap().backlog,
        0
    );
}

#[tokio::test]
async fn every_change_to_facts_queues_one_entry_in_order() {
    let app = spawn_app().await;
    app.center_store().sync_start(CENTER).await.unwrap();
    drain(&app).await;
    let staff = app.token(Role::CenterStaff).await;
    let manager = app.token(Role::CenterAdmin).await;
    let a = app.register(&staff, &person_input()).await.common_id;
    let b = app.register(&staff, &person_input()).await.common_id;
    let mut changed = person_input();
    changed.care_level = "kaigo1".into();
    let res = app.put(&format!("/api/v1/persons/{a}"), &staff, &changed).await;
    assert_eq!(res.status(), StatusCode::OK);
    let end = json!({"ended_on": "2024-09-30", "end_reason": "moved"});
    let res = app.post(&format!("/api/v1/persons/{b}/end"), &staff, &end).await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = Uuid::new_v4();
    let path = format!("/api/v1/activities/{id}");
    let body = activity_body(id, "2024-05-13", "tsudoi", &[&a]);
    assert_eq!(
        app.post("/api/v1/activities", &staff, &body).await.status(),
        StatusCode::CREATED
    );
    // The same activity sent again changes nothing, so it queues nothing.
    assert_eq!(
        app.post("/api/v1/activities", &staff, &body).await.status(),
        StatusCode::OK
    );
    let res = app
        .put(&format!("{path}/participations/{b}"), &staff, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let res = app
        .send::<()>(
            Method::DELETE,
            &format!("{path}/participations/{a}"),
            &staff,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .put(
            &path,
            &staff,
            &activity_body(id, "2024-05-14", "tsudoi", &[&a, &b]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.send::<()>(Method::DELETE, &path, &staff, None).await;
    assert!(res.status().is_success());
    let site = json!({"code": format!("{CENTER}-S02"), "name": "サテライト2", "opened_on": "2024-04-01", "closed_on": null});
    let res = app
        .put(
            &format!("/api/v1/centers/{CENTER}/sites/{CENTER}-S02"),
            &manager,
            &site,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let ops = drain(&app).await;
    assert_eq!(
        names(&ops[..]),
        [
            "upsert_person",
            "upsert_person",
            "upsert_person",
            "upsert_person",
            "upsert_activity",
            "put_participation",
            "delete_participation",
            "upsert_activity",
            "delete_activity",
            "upsert_site",
        ]
    );
    let SyncOp::UpsertPerson(updated) = &ops[2] else {
        panic!()
    };
    assert_eq!(updated.care_level, "kaigo1");
    let SyncOp::UpsertPerson(ended) = &ops[3] else {
        panic!()
    };
    assert_eq!(ended.end_reason.as_deref(), Some("moved"));
    let SyncOp::UpsertActivity(moved) = &ops[7] else {
        panic!()
    };
    assert_eq!(moved.date.to_string(), "2024-05-14");
    assert_eq!(moved.participations.len(), 2);
}

#[tokio::test]
async fn a_refused_change_queues_nothing() {
    let app = spawn_app().await;
    app.center_store().sync_start(CENTER).await.unwrap();
    let staff = app.token(Role::CenterStaff).await;
    let pref = app.token(Role::Prefecture).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    drain(&app).await;
    let lock = json!({"scope": {"level": "prefecture"}, "period": "FY2023"});
    assert_eq!(
        app.post("/api/v1/period-locks", &pref, &lock).await.status(),
        StatusCode::CREATED
    );
    let body = activity_body(Uuid::new_v4(), "2023-05-13", "tsudoi", &[]);
    let res = app.post("/api/v1/activities", &staff, &body).await;
    expect_problem(res, StatusCode::CONFLICT).await;
    let bad = json!({"ended_on": "2020-01-01", "end_reason": "moved"});
    let res = app
        .post(&format!("/api/v1/persons/{person}/end"), &staff, &bad)
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(drain(&app).await, []);
}

#[tokio::test]
async fn a_batch_is_handed_out_again_unchanged_until_acknowledged() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    for _ in 0..3 {
        app.register(&staff, &person_input()).await;
    }
    app.center_store().sync_start(CENTER).await.unwrap();
    // reset, site, 3 people.
    let first = app
        .center_store()
        .sync_next_batch(2, usize::MAX)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.entries.len(), 2);
    app.register(&staff, &person_input()).await;
    let again = app
        .center_store()
        .sync_next_batch(50, usize::MAX)
        .await
        .unwrap()
        .unwrap();
    assert!(!first.resent && again.resent);
    assert_eq!(
        (again.batch_seq, &again.entries),
        (first.batch_seq, &first.entries),
        "the batch in flight is sent again as it was"
    );
    app.center_store()
        .sync_acknowledge(
            first.stream,
            first.batch_seq,
            first.last_seq(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let next = app
        .center_store()
        .sync_next_batch(50, usize::MAX)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.batch_seq, first.batch_seq + 1);
    assert_eq!(next.entries.len(), 4);
    assert_eq!(next.entries[0].0, first.last_seq() + 1);
    let state = app.center_store().sync_outbox().await.unwrap().unwrap();
    assert_eq!((state.backlog, state.last_acked_seq), (4, first.last_seq()));
    // A small byte budget still sends one entry at a time.
    app.center_store()
        .sync_acknowledge(next.stream, next.batch_seq, next.last_seq(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        app.center_store().sync_next_batch(50, usize::MAX).await.unwrap(),
        None
    );
    app.register(&staff, &person_input()).await;
    app.register(&staff, &person_input()).await;
    let tiny = app.center_store().sync_next_batch(50, 1).await.unwrap().unwrap();
    assert_eq!(tiny.entries.len(), 1);
}

#[tokio::test]
async fn a_new_snapshot_replaces_what_was_not_yet_acknowledged() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    app.center_store().sync_start(CENTER).await.unwrap();
    let stream = app.center_store().sync_outbox().await.unwrap().unwrap().stream;
    for _ in 0..2 {
        app.register(&staff, &person_input()).await;
    }
    let entries = app.center_store().sync_resnapshot(CENTER).await.unwrap();
    assert_eq!(entries, 4, "reset, site, two people");
    let state = app.center_store().sync_outbox().await.unwrap().unwrap();
    assert_ne!(state.stream, stream);
    assert_eq!(state.backlog, 4);
    assert_eq!(names(&drain(&app).await)[0], "reset_center");
}
