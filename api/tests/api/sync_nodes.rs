//! Real hub and centre nodes, the centre's sender delivering through a proxy: the hub down while
//! the centre keeps recording, an answer lost after the hub applied a batch, a centre restarted
//! (or restored from an old backup) with entries waiting, corrections and deletions after sync,
//! a randomised run with faults, one person at two centres, and the stuck-backlog alert. Each
//! time the hub's figures for the centre end up equal to the centre's own, exactly.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::person::PersonInput;
use shared::dto::stats::StatsResponse;
use shared::dto::sync::SyncStatus;
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::issue_credential;
use crate::sync_outbox::activity_body;
use crate::sync_support::*;

async fn staff(app: &TestApp) -> String {
    app.token(Role::CenterStaff).await
}

async fn record(app: &TestApp, token: &str, body: &Value) {
    let res = app.post("/api/v1/activities", token, body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
}

async fn status(app: &TestApp, token: &str) -> SyncStatus {
    expect_json(app.get("/api/v1/sync/status", token).await, StatusCode::OK).await
}

/// A few people and activities at the centre of `app`.
async fn some_work(app: &TestApp, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.register(token, &person_input()).await.common_id);
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    record(
        app,
        token,
        &activity_body(Uuid::new_v4(), "2024-05-13", "tsudoi", &refs),
    )
    .await;
    record(
        app,
        token,
        &activity_body(Uuid::new_v4(), "2024-06-03", "houmon", &refs[..1]),
    )
    .await;
    record(
        app,
        token,
        &activity_body(Uuid::new_v4(), "2025-01-20", "soudan", &refs[1..]),
    )
    .await;
    ids
}

#[tokio::test]
async fn the_centre_keeps_recording_while_the_hub_is_down_and_the_hub_catches_up() {
    let mut pair = Pair::start().await;
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    pair.stop_hub().await;
    // Nothing stops the centre's own work.
    some_work(&pair.centre, &token).await;
    let centre = &pair.centre;
    eventually("a failed delivery to be reported", || async {
        let s = status(centre, &token).await.outbox.unwrap();
        s.backlog > 0 && s.last_error.is_some()
    })
    .await;
    let before = status(centre, &token).await.outbox.unwrap();
    assert!(before.configured && !before.stuck, "{before:?}");
    pair.restart_hub().await;
    pair.wait_until_synced().await;
    let after = status(&pair.centre, &token).await.outbox.unwrap();
    assert_eq!((after.backlog, after.last_error.as_deref()), (0, None));
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
    // The hub's record of the centre matches what the centre had acknowledged.
    let pref = pair.hub.token(Role::Prefecture).await;
    let hub_status = status(&pair.hub, &pref).await;
    assert_eq!(hub_status.centers[0].last_seq, after.last_acked_seq);
}

#[tokio::test]
async fn an_answer_lost_after_the_hub_applied_the_batch_is_not_counted_twice() {
    let pair = Pair::start().await;
    pair.wait_until_synced().await;
    pair.proxy.cut_next_answers(1);
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    assert_eq!(
        pair.proxy.cuts_done.load(Ordering::SeqCst),
        1,
        "a connection was cut"
    );
    // The batch whose answer was lost came again and was skipped entry by entry.
    let redelivered = pair.hub.audit_rows().await.into_iter().any(|r| {
        r.entry.action == "sync.batch"
            && r.entry
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
                .is_some_and(|d| d["skipped"].as_u64().unwrap_or(0) > 0)
    });
    assert!(redelivered, "the hub saw the batch twice");
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
}

#[tokio::test]
async fn a_centre_restarted_with_entries_waiting_delivers_them() {
    let mut pair = Pair::start().await;
    pair.wait_until_synced().await;
    pair.proxy.set_upstream(None);
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    let waiting = pair
        .centre
        .center_store()
        .sync_outbox()
        .await
        .unwrap()
        .unwrap()
        .backlog;
    assert!(waiting > 0);
    pair.restart_centre().await;
    assert_eq!(
        pair.centre
            .center_store()
            .sync_outbox()
            .await
            .unwrap()
            .unwrap()
            .backlog,
        waiting,
        "the outbox survived the restart"
    );
    pair.proxy.set_upstream(Some(socket(&pair.hub)));
    pair.wait_until_synced().await;
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
}

#[tokio::test]
async fn corrections_and_deletions_after_sync_reach_the_hub() {
    let pair = Pair::start().await;
    let token = staff(&pair.centre).await;
    let app = &pair.centre;
    let ids = some_work(app, &token).await;
    let activity = Uuid::new_v4();
    let path = format!("/api/v1/activities/{activity}");
    record(
        app,
        &token,
        &activity_body(activity, "2024-07-01", "tsudoi", &[&ids[0], &ids[1]]),
    )
    .await;
    let doomed = Uuid::new_v4();
    record(
        app,
        &token,
        &activity_body(doomed, "2024-07-02", "tsunagi", &[&ids[2]]),
    )
    .await;
    pair.wait_until_synced().await;
    assert_same_figures(app, "staff", &pair.hub, CENTER).await;

    let mut changed = person_input();
    changed.care_level = "kaigo2".into();
    changed.categories = vec!["elderly".into(), "disabled".into()];
    assert_eq!(
        app.put(&format!("/api/v1/persons/{}", ids[0]), &token, &changed)
            .await
            .status(),
        StatusCode::OK
    );
    let end = json!({"ended_on": "2025-02-28", "end_reason": "deceased"});
    assert_eq!(
        app.post(&format!("/api/v1/persons/{}/end", ids[1]), &token, &end)
            .await
            .status(),
        StatusCode::OK
    );
    let moved = activity_body(activity, "2024-08-01", "houmon", &[&ids[0], &ids[2]]);
    assert_eq!(app.put(&path, &token, &moved).await.status(), StatusCode::OK);
    let res = app
        .send::<()>(
            Method::DELETE,
            &format!("{path}/participations/{}", ids[2]),
            &token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .put(
            &format!("{path}/participations/{}", ids[1]),
            &token,
            &json!({"visit_purpose": "delivery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let res = app
        .send::<()>(
            Method::DELETE,
            &format!("/api/v1/activities/{doomed}"),
            &token,
            None,
        )
        .await;
    assert!(res.status().is_success());
    pair.wait_until_synced().await;
    assert_same_figures(app, "staff", &pair.hub, CENTER).await;
    let pref = pair.hub.token(Role::Prefecture).await;
    let persons = pair
        .hub
        .get(
            "/api/v1/extracts/persons?period=FY2024&format=ndjson&labels=code",
            &pref,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        persons.contains("deceased") && persons.contains("kaigo2"),
        "{persons}"
    );
}

#[tokio::test]
async fn a_centre_restored_from_an_older_backup_starts_a_new_stream_and_the_hub_follows() {
    let mut pair = Pair::start().await;
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    // Back up the centre's database as it is now.
    pair.centre.stop.stop().await;
    let backup = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(pair.centre.dir.path().join("test.sqlite3")).unwrap();
        let target = backup.path().join("test.sqlite3");
        conn.execute("VACUUM INTO ?1", [target.to_str().unwrap()])
            .unwrap();
    }
    pair.restart_centre().await;
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    // Disaster: the centre comes back from the older backup; the hub holds more than it. The
    // restored centre then records more than the hub has beyond the backup, all in one batch,
    // so its entry numbers run past the hub's: half of the batch looks known to the hub.
    pair.centre.stop.stop().await;
    let restored = std::sync::Arc::new(tempfile::tempdir().unwrap());
    std::fs::copy(
        backup.path().join("test.sqlite3"),
        restored.path().join("test.sqlite3"),
    )
    .unwrap();
    // (Recorded with the sender off, so that it all goes in one batch afterwards.)
    let offline = spawn_in(restored.clone(), NodeRole::Center, false, |_| {}).await;
    let token = staff(&offline).await;
    let mut ids = Vec::new();
    for sex in ["M", "M", "other", "M", "M", "undisclosed"] {
        let input = PersonInput {
            sex: sex.into(),
            care_level: "kaigo1".into(),
            ..person_input()
        };
        ids.push(offline.register(&token, &input).await.common_id);
    }
    for (i, id) in ids.iter().enumerate() {
        let day = format!("2024-11-{:02}", i + 1);
        record(
            &offline,
            &token,
            &activity_body(Uuid::new_v4(), &day, "tsunagi", &[id]),
        )
        .await;
    }
    offline.stop.stop().await;
    pair.centre = spawn_centre(&pair.proxy, CENTER, &pair.credential, 3_600, Some(restored)).await;
    pair.wait_until_synced().await;
    // The hub now holds exactly what the restored centre holds.
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
}

#[tokio::test]
async fn a_replaced_hub_gets_everything_from_a_new_stream() {
    let mut pair = Pair::start().await;
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    // A new, empty hub with a new credential for the centre.
    pair.stop_hub().await;
    // On SQL Server the old hub's database is let go first (a single-database test server has
    // room for one hub at a time).
    if let Some(db) = &pair.hub.sql_server {
        db.release().await;
    }
    pair.hub = spawn_node(NodeRole::Hub).await;
    pair.credential = issue_credential(&pair.hub, CENTER).await.credential;
    pair.proxy.set_upstream(Some(socket(&pair.hub)));
    pair.restart_centre().await;
    let token = staff(&pair.centre).await;
    some_work(&pair.centre, &token).await;
    pair.wait_until_synced().await;
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
}

#[tokio::test]
async fn a_backlog_stuck_past_the_limit_raises_an_alert_until_it_drains() {
    let pair = Pair::start_with(CENTER, 1).await;
    pair.wait_until_synced().await;
    pair.proxy.set_upstream(None);
    let token = staff(&pair.centre).await;
    pair.centre.register(&token, &person_input()).await;
    let store = pair.centre.store.clone();
    eventually("the stuck-backlog alert", || {
        let store = store.clone();
        async move {
            store
                .alerts(true)
                .await
                .unwrap()
                .iter()
                .any(|a| a.event == "sync_backlog_stuck" && a.subject == CENTER)
        }
    })
    .await;
    assert!(status(&pair.centre, &token).await.outbox.unwrap().stuck);
    // The operator sees it too (no person-level data in it).
    let operator = pair.centre.token(Role::Operator).await;
    assert!(status(&pair.centre, &operator).await.outbox.unwrap().stuck);
    pair.proxy.set_upstream(Some(socket(&pair.hub)));
    pair.wait_until_synced().await;
    eventually("the alert to clear", || {
        let store = store.clone();
        async move { store.alerts(true).await.unwrap().is_empty() }
    })
    .await;
    let all = store.alerts(false).await.unwrap();
    assert_eq!(all.len(), 1, "raised once, however long it lasted");
    assert!(all[0].cleared_at.is_some());
}

#[tokio::test]
async fn one_person_at_two_centres_counts_once_above_the_centres() {
    let hub = spawn_node(NodeRole::Hub).await;
    let pref = hub.token(Role::Prefecture).await;
    // Both centres in 高知市 on the hub (the hub's organisation master decides).
    let c002 = json!({"code": OTHER_CENTER, "name": "テストセンター C002", "municipality": CENTER_MUNICIPALITY,
                      "operator_body": "NPO", "opened_on": "2009-04-01", "closed_on": null});
    let res = hub
        .put(&format!("/api/v1/centers/{OTHER_CENTER}"), &pref, &c002)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let proxy = Proxy::start(socket(&hub)).await;
    let first = issue_credential(&hub, CENTER).await.credential;
    let second = issue_credential(&hub, OTHER_CENTER).await.credential;
    let a = spawn_centre(&proxy, CENTER, &first, 3_600, None).await;
    let b = spawn_centre(&proxy, OTHER_CENTER, &second, 3_600, None).await;
    let (ta, tb) = (staff(&a).await, b.login_as("other-staff").await.access_token);
    let shared_id = a.register(&ta, &person_input()).await.common_id;
    let only_a = a.register(&ta, &person_input()).await.common_id;
    let again = PersonInput {
        common_id: Some(shared_id.clone()),
        ..person_input()
    };
    let at_b = b.register(&tb, &again).await;
    assert_eq!(at_b.common_id, shared_id, "the second centre keeps the number");
    record(
        &a,
        &ta,
        &activity_body(Uuid::new_v4(), "2024-05-13", "tsudoi", &[&shared_id, &only_a]),
    )
    .await;
    record(
        &b,
        &tb,
        &activity_body(Uuid::new_v4(), "2024-05-14", "tsudoi", &[&shared_id]),
    )
    .await;
    wait_until_synced(&a).await;
    wait_until_synced(&b).await;

    let q = "measures=unique_persons,registered_persons,participations&period=FY2024&totals=true&labels=code";
    for token in [pref.clone(), hub.token(Role::Municipality).await] {
        let by_center: StatsResponse = expect_json(
            hub.get(&format!("/api/v1/stats?{q}&rows=center"), &token).await,
            StatusCode::OK,
        )
        .await;
        let rows: Vec<Vec<Value>> = by_center.rows.clone();
        assert_eq!(
            rows,
            [
                vec![json!(CENTER), json!(2), json!(2), json!(4)],
                vec![json!(OTHER_CENTER), json!(1), json!(1), json!(3)],
            ]
        );
        // Above the centres the person counts once: 2 people, not 3.
        assert_eq!(by_center.totals.unwrap()[1..3], [json!(2), json!(2)]);
        let by_city: StatsResponse = expect_json(
            hub.get(&format!("/api/v1/stats?{q}&rows=municipality"), &token)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            by_city.rows,
            [vec![json!(CENTER_MUNICIPALITY), json!(2), json!(2), json!(7)]]
        );
    }
    // Their facts from both centres are kept.
    let persons = hub
        .get(
            "/api/v1/extracts/persons?period=FY2024&format=ndjson&labels=code",
            &pref,
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(persons.matches(&shared_id).count(), 2, "{persons}");
    // Each centre's own figures still match what the hub holds for it.
    assert_same_figures(&a, "staff", &hub, CENTER).await;
    assert_same_figures(&b, "other-staff", &hub, OTHER_CENTER).await;
}

/// What the randomised run knows of the centre's records, to keep every request valid.
struct World {
    people: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    activities: HashMap<Uuid, (NaiveDate, &'static str, Vec<String>)>,
}

const FUNCTIONS: &[&str] = &["tsudoi", "houmon", "soudan", "tsunagi", "haishoku", "kaigoyobou"];

fn fy2024_day(rng: &mut StdRng) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 4, 1).unwrap() + Duration::days(rng.random_range(0..365))
}

fn random_person(rng: &mut StdRng, registered_on: NaiveDate) -> PersonInput {
    let pick = |rng: &mut StdRng, xs: &[&str]| xs[rng.random_range(0..xs.len())].to_owned();
    let birth = NaiveDate::from_ymd_opt(
        rng.random_range(1930..2016),
        rng.random_range(1..13),
        rng.random_range(1..29),
    )
    .unwrap();
    let mut categories = vec![pick(
        rng,
        &["elderly", "disabled", "child", "childrearing", "other"],
    )];
    if rng.random_bool(0.2) {
        let extra = pick(rng, &["elderly", "disabled", "other"]);
        if !categories.contains(&extra) {
            categories.push(extra);
        }
    }
    PersonInput {
        birth_date: birth,
        sex: pick(rng, &["M", "F", "other", "undisclosed"]),
        categories,
        care_level: pick(
            rng,
            &["independent", "jigyou", "shien1", "shien2", "kaigo1", "unknown"],
        ),
        household: pick(
            rng,
            &["alone", "elderly_only", "daytime_alone", "with_family", "other"],
        ),
        registered_on: registered_on.max(birth),
        ..person_input()
    }
}

impl World {
    /// People registered and not ended on `day`.
    fn eligible(&self, day: NaiveDate) -> Vec<String> {
        self.people
            .iter()
            .filter(|(_, from, to)| *from <= day && to.is_none_or(|t| day <= t))
            .map(|(id, _, _)| id.clone())
            .collect()
    }

    fn some_of(&self, rng: &mut StdRng, day: NaiveDate, max: usize) -> Vec<String> {
        let mut pool = self.eligible(day);
        let mut chosen = Vec::new();
        for _ in 0..rng.random_range(0..=max.min(pool.len())) {
            chosen.push(pool.swap_remove(rng.random_range(0..pool.len())));
        }
        chosen
    }

    fn any_activity(&self, rng: &mut StdRng) -> Option<Uuid> {
        let mut ids: Vec<&Uuid> = self.activities.keys().collect();
        ids.sort();
        (!ids.is_empty()).then(|| *ids[rng.random_range(0..ids.len())])
    }
}

fn detail(function: &str) -> Value {
    match function {
        "houmon" => json!({"visit_purpose": "watching"}),
        "soudan" => json!({"topics": ["care", "health"], "referral_destination": "houkatsu"}),
        "tsunagi" => json!({"referral_destination": "minsei"}),
        _ => json!({}),
    }
}

fn random_activity(rng: &mut StdRng, id: Uuid, day: NaiveDate, function: &str, people: &[String]) -> Value {
    let participants: Vec<Value> = people
        .iter()
        .map(|p| {
            let mut v = detail(function);
            v["common_id"] = json!(p);
            v
        })
        .collect();
    json!({
        "id": id, "date": day, "function": function,
        "site": if rng.random_bool(0.3) { Some(format!("{CENTER}-S01")) } else { None },
        "staff_count": rng.random_range(0..4), "volunteer_count": rng.random_range(0..3),
        "unregistered": {"elderly": rng.random_range(0..3), "child": rng.random_range(0..2)},
        "participants": participants,
    })
}

#[tokio::test]
async fn after_a_randomised_run_with_faults_the_hub_has_the_centres_figures_exactly() {
    let seed: u64 = std::env::var("ATTAKA_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20240401);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pair = Pair::start().await;
    let mut token = staff(&pair.centre).await;
    let mut world = World {
        people: Vec::new(),
        activities: HashMap::new(),
    };
    let april = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();
    let mut hub_off = false;
    let mut restarts = 0;
    for step in 0..240 {
        let app = &pair.centre;
        match rng.random_range(0..100) {
            0..=17 => {
                let registered = if rng.random_bool(0.7) {
                    april
                } else {
                    fy2024_day(&mut rng)
                };
                let input = random_person(&mut rng, registered);
                let id = app.register(&token, &input).await.common_id;
                world.people.push((id, input.registered_on, None));
            }
            18..=25 if !world.people.is_empty() => {
                let i = rng.random_range(0..world.people.len());
                let (id, registered, _) = world.people[i].clone();
                let input = random_person(&mut rng, registered);
                let res = app.put(&format!("/api/v1/persons/{id}"), &token, &input).await;
                assert_eq!(
                    res.status(),
                    StatusCode::OK,
                    "step {step}: {}",
                    res.text().await.unwrap()
                );
                world.people[i].1 = input.registered_on;
            }
            26..=28 if !world.people.is_empty() => {
                let i = rng.random_range(0..world.people.len());
                let (id, registered, ended) = world.people[i].clone();
                // Ended after every activity they took part in, so no record becomes invalid.
                let last = world
                    .activities
                    .values()
                    .filter(|(_, _, p)| p.contains(&id))
                    .map(|(d, _, _)| *d)
                    .max()
                    .unwrap_or(registered)
                    .max(registered);
                let on = last + Duration::days(rng.random_range(0..60));
                if ended.is_none() && on <= NaiveDate::from_ymd_opt(2025, 3, 31).unwrap() {
                    let body = json!({"ended_on": on, "end_reason": "moved"});
                    let res = app
                        .post(&format!("/api/v1/persons/{id}/end"), &token, &body)
                        .await;
                    assert_eq!(
                        res.status(),
                        StatusCode::OK,
                        "step {step}: {}",
                        res.text().await.unwrap()
                    );
                    world.people[i].2 = Some(on);
                }
            }
            29..=60 => {
                let (id, day) = (Uuid::new_v4(), fy2024_day(&mut rng));
                let function = FUNCTIONS[rng.random_range(0..FUNCTIONS.len())];
                let people = world.some_of(&mut rng, day, 6);
                record(
                    app,
                    &token,
                    &random_activity(&mut rng, id, day, function, &people),
                )
                .await;
                world.activities.insert(id, (day, function, people));
            }
            61..=70 => {
                if let Some(id) = world.any_activity(&mut rng) {
                    let day = fy2024_day(&mut rng);
                    let function = FUNCTIONS[rng.random_range(0..FUNCTIONS.len())];
                    let people = world.some_of(&mut rng, day, 6);
                    let body = random_activity(&mut rng, id, day, function, &people);
                    let res = app.put(&format!("/api/v1/activities/{id}"), &token, &body).await;
                    assert_eq!(
                        res.status(),
                        StatusCode::OK,
                        "step {step}: {}",
                        res.text().await.unwrap()
                    );
                    world.activities.insert(id, (day, function, people));
                }
            }
            71..=80 => {
                if let Some(id) = world.any_activity(&mut rng) {
                    let (day, function, people) = world.activities[&id].clone();
                    let candidates: Vec<String> = world
                        .eligible(day)
                        .into_iter()
                        .filter(|p| !people.contains(p))
                        .collect();
                    if !candidates.is_empty() {
                        let p = candidates[rng.random_range(0..candidates.len())].clone();
                        let path = format!("/api/v1/activities/{id}/participations/{p}");
                        let res = app.put(&path, &token, &detail(function)).await;
                        assert_eq!(
                            res.status(),
                            StatusCode::OK,
                            "step {step}: {}",
                            res.text().await.unwrap()
                        );
                        world.activities.get_mut(&id).unwrap().2.push(p);
                    }
                }
            }
            81..=86 => {
                if let Some(id) = world.any_activity(&mut rng) {
                    let people = world.activities[&id].2.clone();
                    if !people.is_empty() {
                        let p = people[rng.random_range(0..people.len())].clone();
                        let path = format!("/api/v1/activities/{id}/participations/{p}");
                        let res = app.send::<()>(Method::DELETE, &path, &token, None).await;
                        assert_eq!(res.status(), StatusCode::OK, "step {step}");
                        world.activities.get_mut(&id).unwrap().2.retain(|x| *x != p);
                    }
                }
            }
            87..=90 => {
                if let Some(id) = world.any_activity(&mut rng) {
                    let path = format!("/api/v1/activities/{id}");
                    let res = app.send::<()>(Method::DELETE, &path, &token, None).await;
                    assert!(res.status().is_success(), "step {step}");
                    world.activities.remove(&id);
                }
            }
            // Faults.
            91..=93 => {
                hub_off = !hub_off;
                let upstream = (!hub_off).then(|| socket(&pair.hub));
                pair.proxy.set_upstream(upstream);
            }
            94..=96 => pair.proxy.cut_next_answers(1),
            97 | 98 => {
                pair.restart_centre().await;
                token = staff(&pair.centre).await;
                restarts += 1;
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(rng.random_range(0..40))).await,
        }
    }
    pair.proxy.set_upstream(Some(socket(&pair.hub)));
    pair.wait_until_synced().await;
    assert!(world.activities.len() > 20, "the run did real work (seed {seed})");
    tracing::info!(
        seed,
        restarts,
        cuts = pair.proxy.cuts_done.load(Ordering::SeqCst),
        "randomised run done"
    );
    assert_same_figures(&pair.centre, "staff", &pair.hub, CENTER).await;
}
