//! Activities and participations over HTTP: a day's work recorded in one call, the rules each
//! refused with its field, idempotent creates, period locks and snapshots as of the activity
//! date. Who may call which route is `roles.rs`'s, for every route at once.

use api::domain::activity::ActivityQuery;
use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::activity::{ActivityList, ActivityView, PeriodLockView, PersonParticipationPage};
use shared::dto::auth::Role;
use shared::dto::person::PersonInput;
use shared::error::Problem;
use uuid::Uuid;

use crate::helpers::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A child registered with their family (for gatherings that are not only older people).
fn child_input() -> PersonInput {
    PersonInput {
        family_name: "浜田".into(),
        given_name: "陽菜".into(),
        family_kana: "ハマダ".into(),
        given_kana: "ヒナ".into(),
        birth_date: date(2015, 6, 1),
        categories: vec!["child".into()],
        care_level: "independent".into(),
        household: "with_family".into(),
        emergency_contact: None,
        notes: None,
        ..person_input()
    }
}

/// Registers `n` people (every third a child) and returns their common IDs.
async fn register_people(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let input = if i % 3 == 2 { child_input() } else { person_input() };
        ids.push(app.register(token, &input).await.common_id);
    }
    ids
}

/// A 集い in May 2024 with `people` taking part.
fn gathering(id: Uuid, people: &[String]) -> Value {
    json!({
        "id": id,
        "date": "2024-05-13",
        "function": "tsudoi",
        "title": "ふれあいサロン",
        "start_time": "10:00",
        "end_time": "15:00",
        "staff_count": 3,
        "volunteer_count": 2,
        "unregistered": {"child": 3},
        "note": "雨のため室内で実施",
        "participants": people.iter().map(|p| json!({"common_id": p})).collect::<Vec<_>>(),
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// Every activity of the test centre, whatever its date.
async fn stored_activities(app: &TestApp) -> usize {
    let q = ActivityQuery {
        from: date(2000, 1, 1),
        to: date(2099, 12, 31),
        function: None,
        site: None,
    };
    app.center_store()
        .activities(CENTER, &q)
        .await
        .expect("activities")
        .len()
}

async fn create(app: &TestApp, token: &str, body: &Value) -> ActivityView {
    expect_json(
        app.post("/api/v1/activities", token, body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.send::<()>(Method::DELETE, path, token, None).await
}

#[tokio::test]
async fn a_gathering_with_fifteen_people_and_three_unregistered_children_is_recorded_in_one_call() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let people = register_people(&app, &staff, 15).await;
    let id = Uuid::new_v4();

    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &people))
        .await;
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/activities/{id}").as_str())
    );
    let created: ActivityView = expect_json(res, StatusCode::CREATED).await;
    assert_eq!(created.id, id);
    assert_eq!(created.fiscal_year, 2024);
    assert_eq!(created.participants.len(), 15);
    assert_eq!(created.unregistered.child, 3);
    assert_eq!(created.unregistered.total(), 3);
    assert_eq!(created.note.as_deref(), Some("雨のため室内で実施"));
    // Attributes as of 13 May 2024: 山本花子 (born 1948-05-01) is 76, the children 8.
    let elder = created
        .participants
        .iter()
        .find(|p| p.common_id == people[0])
        .unwrap();
    assert_eq!(
        (
            elder.age_band.as_str(),
            elder.group.as_str(),
            elder.care_level.as_str()
        ),
        ("age_75_84", "elderly", "shien1")
    );
    assert_eq!(elder.name.as_deref(), Some("山本 花子"));
    let child = created
        .participants
        .iter()
        .find(|p| p.common_id == people[2])
        .unwrap();
    assert_eq!(
        (child.age_band.as_str(), child.group.as_str()),
        ("age_6_12", "child")
    );

    let read: ActivityView = expect_json(
        app.get(&format!("/api/v1/activities/{id}"), &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, created);

    let month: ActivityList = expect_json(
        app.get("/api/v1/activities?month=2024-05", &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((month.from, month.to), (date(2024, 5, 1), date(2024, 5, 31)));
    assert_eq!(month.items.len(), 1);
    assert_eq!(
        (month.items[0].participants, month.items[0].unregistered),
        (15, 3)
    );
    assert_eq!(month.by_function.len(), 1);
    assert_eq!(
        (
            month.by_function[0].function.as_str(),
            month.by_function[0].participants
        ),
        ("tsudoi", 15)
    );

    let audit = app.audit_rows().await;
    let create_row = audit
        .iter()
        .find(|r| r.entry.action == "activity.create")
        .unwrap();
    assert_eq!(create_row.entry.target.as_deref(), Some(id.to_string().as_str()));
    assert!(audit.iter().any(|r| r.entry.action == "activity.read"));
    // The audit log names the activity, never the people in it.
    assert!(audit
        .iter()
        .all(|r| !r.entry.detail.as_deref().unwrap_or_default().contains("山本")));
}

#[tokio::test]
async fn a_visit_carries_its_purpose() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let body = json!({
        "id": Uuid::new_v4(), "date": "2024-06-03", "function": "houmon", "title": "見守り訪問",
        "start_time": "13:00", "end_time": "13:30", "staff_count": 1,
        "participants": [{"common_id": person, "visit_purpose": "watching"}],
    });
    let visit = create(&app, &staff, &body).await;
    assert_eq!(visit.participants.len(), 1);
    assert_eq!(visit.participants[0].visit_purpose.as_deref(), Some("watching"));
    assert_eq!(visit.unregistered.total(), 0);

    let visits: ActivityList = expect_json(
        app.get("/api/v1/activities?month=2024-06&function=houmon", &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(visits.items.len(), 1);
    let gatherings: ActivityList = expect_json(
        app.get("/api/v1/activities?month=2024-06&function=tsudoi", &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(gatherings.items.is_empty());
    let day: ActivityList = expect_json(
        app.get("/api/v1/activities?date=2024-06-03", &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(day.items[0].id, visit.id);
}

#[tokio::test]
async fn a_days_list_names_the_one_person_of_a_visit_and_that_read_is_audited() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let others = register_people(&app, &staff, 2).await;
    let visit = json!({
        "id": Uuid::new_v4(), "date": "2024-06-03", "function": "houmon",
        "participants": [{"common_id": person, "visit_purpose": "watching"}],
    });
    let visit = create(&app, &staff, &visit).await;
    let salon = create(
        &app,
        &staff,
        &with(gathering(Uuid::new_v4(), &others), "date", json!("2024-06-03")),
    )
    .await;
    create(
        &app,
        &staff,
        &with(gathering(Uuid::new_v4(), &others), "date", json!("2024-05-13")),
    )
    .await;

    let day: ActivityList = expect_json(
        app.get("/api/v1/activities?date=2024-06-03", &staff).await,
        StatusCode::OK,
    )
    .await;
    let named = day.items.iter().find(|i| i.id == visit.id).unwrap();
    let sole = named.person.as_ref().expect("a visit names its person");
    assert_eq!(sole.common_id, person);
    assert_eq!(sole.name.as_deref(), Some("山本\u{3000}花子"));
    let group = day.items.iter().find(|i| i.id == salon.id).unwrap();
    assert_eq!(group.participants, 2);
    assert!(group.person.is_none(), "a gathering of two names nobody");

    let rows = app.audit_rows().await;
    let listed: Vec<_> = rows
        .iter()
        .filter(|r| r.entry.action == "activity.list")
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry.target.as_deref(), Some("2024-06-03..2024-06-03"));
    let detail = listed[0].entry.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(person.as_str()), "{detail}");
    assert!(!others.iter().any(|o| detail.contains(o.as_str())), "{detail}");

    // A month naming nobody is not a read of anyone's data.
    let may: ActivityList = expect_json(
        app.get("/api/v1/activities?month=2024-05", &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(may.items.len(), 1);
    assert!(may.items[0].person.is_none());
    assert_eq!(app.audit_rows().await.len(), rows.len());
}

#[tokio::test]
async fn a_consultation_referred_to_the_community_support_centre_is_in_the_persons_history() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let consultation = json!({
        "id": Uuid::new_v4(), "date": "2024-07-10", "function": "soudan",
        "participants": [{"common_id": person, "topics": ["care", "health"], "referral_destination": "houkatsu"}],
    });
    let recorded = create(&app, &staff, &consultation).await;
    let p = &recorded.participants[0];
    assert_eq!(p.topics, ["care", "health"]);
    assert_eq!(p.referral_destination.as_deref(), Some("houkatsu"));

    let referral = json!({
        "id": Uuid::new_v4(), "date": "2024-07-11", "function": "tsunagi",
        "participants": [{"common_id": person, "referral_destination": "houkatsu"}],
    });
    create(&app, &staff, &referral).await;

    let history: PersonParticipationPage = expect_json(
        app.get(&format!("/api/v1/persons/{person}/participations"), &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history.total, 2);
    let functions: Vec<&str> = history.items.iter().map(|i| i.function.as_str()).collect();
    assert_eq!(functions, ["tsunagi", "soudan"], "newest first");
    assert_eq!(history.items[1].referral_destination.as_deref(), Some("houkatsu"));
    assert!(app.audit_rows().await.iter().any(|r| {
        r.entry.action == "person.participations" && r.entry.target.as_deref() == Some(person.as_str())
    }));
}

#[tokio::test]
async fn each_rule_is_refused_with_its_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let ended = app.register(&staff, &person_input()).await.common_id;
    let res = app
        .post(
            &format!("/api/v1/persons/{ended}/end"),
            &staff,
            &json!({"ended_on": "2024-06-30", "end_reason": "moved"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let elsewhere = CommonId::issue(&CenterCode::parse(OTHER_CENTER).unwrap(), 7)
        .unwrap()
        .to_string();
    let typo = {
        let (head, last) = person.split_at(person.len() - 1);
        let digit = last.parse::<u32>().unwrap();
        format!("{head}{}", (digit + 1) % 10)
    };
    let tomorrow = (api::domain::clock::today_jst() + chrono::Duration::days(1)).to_string();
    let base = gathering(Uuid::new_v4(), std::slice::from_ref(&person));
    let one = |p: Value| json!([p]);
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(base.clone(), "date", json!(tomorrow)), "date", "future"),
        (
            with(
                with(base.clone(), "date", json!("2008-05-01")),
                "participants",
                json!([]),
            ),
            "date",
            "center_closed",
        ),
        (
            with(base.clone(), "site", json!("C001-S09")),
            "site",
            "unknown_site",
        ),
        (
            with(
                with(
                    with(base.clone(), "date", json!("2014-05-01")),
                    "participants",
                    json!([]),
                ),
                "site",
                json!("C001-S01"),
            ),
            "site",
            "site_closed",
        ),
        (
            with(base.clone(), "function", json!("karaoke")),
            "function",
            "unknown_code",
        ),
        (
            with(base.clone(), "participants", one(json!({"common_id": elsewhere}))),
            "participants[0].common_id",
            "not_registered",
        ),
        (
            with(base.clone(), "participants", one(json!({"common_id": typo}))),
            "participants[0].common_id",
            "check_digit",
        ),
        (
            with(base.clone(), "date", json!("2024-03-29")),
            "participants[0].common_id",
            "not_yet_registered",
        ),
        (
            with(
                with(base.clone(), "date", json!("2024-07-01")),
                "participants",
                one(json!({"common_id": ended})),
            ),
            "participants[0].common_id",
            "registration_ended",
        ),
        (
            with(
                base.clone(),
                "participants",
                json!([{"common_id": person}, {"common_id": person}]),
            ),
            "participants[1].common_id",
            "duplicate",
        ),
        (
            with(base.clone(), "staff_count", json!(-1)),
            "staff_count",
            "negative",
        ),
        (
            with(base.clone(), "volunteer_count", json!(1000)),
            "volunteer_count",
            "too_large",
        ),
        (
            with(base.clone(), "unregistered", json!({"child": -3})),
            "unregistered.child",
            "negative",
        ),
        (
            with(base.clone(), "unregistered", json!({"elderly": 5000})),
            "unregistered.elderly",
            "too_large",
        ),
        (
            with(base.clone(), "end_time", json!("09:00")),
            "end_time",
            "before_start",
        ),
        (
            with(base.clone(), "start_time", json!(null)),
            "start_time",
            "required",
        ),
        (
            with(base.clone(), "start_time", json!("25:00")),
            "start_time",
            "format",
        ),
        (
            with(
                base.clone(),
                "participants",
                one(json!({"common_id": person, "visit_purpose": "watching"})),
            ),
            "participants[0].visit_purpose",
            "not_applicable",
        ),
        (
            with(base.clone(), "function", json!("houmon")),
            "participants[0].visit_purpose",
            "required",
        ),
        (
            with(
                with(base.clone(), "function", json!("soudan")),
                "participants",
                one(json!({"common_id": person, "topics": ["gossip"]})),
            ),
            "participants[0].topics[0]",
            "unknown_code",
        ),
        (
            with(base.clone(), "function", json!("tsunagi")),
            "participants[0].referral_destination",
            "required",
        ),
        (
            with(base.clone(), "title", json!("あ".repeat(101))),
            "title",
            "too_long",
        ),
        (with(base.clone(), "id", json!(Uuid::nil())), "id", "nil"),
        (
            with(base.clone(), "weather", json!("晴れ")),
            "weather",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let problem = expect_problem(
            app.post("/api/v1/activities", &staff, &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(
            problem.errors.iter().any(|e| e.field == field && e.code == code),
            "expected {field}/{code}, got {:?}",
            problem.errors
        );
        assert!(problem.errors.iter().all(|e| !e.message.is_empty()));
    }
    assert_eq!(stored_activities(&app).await, 0);

    // Corrections follow the same rules.
    let id = Uuid::new_v4();
    create(&app, &staff, &gathering(id, std::slice::from_ref(&person))).await;
    let bad = with(
        gathering(id, std::slice::from_ref(&person)),
        "date",
        json!(tomorrow),
    );
    let problem = expect_problem(
        app.put(&format!("/api/v1/activities/{id}"), &staff, &bad).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "date");
    let other_id = with(gathering(Uuid::new_v4(), &[]), "title", json!("x"));
    let problem = expect_problem(
        app.put(&format!("/api/v1/activities/{id}"), &staff, &other_id)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
        ("id", "mismatch")
    );
    let problem = expect_problem(
        app.put(
            &format!("/api/v1/activities/{id}/participations/{person}"),
            &staff,
            &json!({"visit_purpose": "watching"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "visit_purpose");
    let read: ActivityView = expect_json(
        app.get(&format!("/api/v1/activities/{id}"), &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read.date, date(2024, 5, 13));
    assert!(read.participants[0].visit_purpose.is_none());
    assert_eq!(stored_activities(&app).await, 1);

    // The list's query is checked too.
    let problem = expect_problem(
        app.get("/api/v1/activities?month=2024-5", &staff).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "month");
    let problem = expect_problem(
        app.get("/api/v1/activities", &staff).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "month");
}

#[tokio::test]
async fn a_retried_create_does_not_duplicate_and_a_different_body_under_the_same_id_is_a_conflict() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let people = register_people(&app, &staff, 3).await;
    let id = Uuid::new_v4();
    let body = gathering(id, &people);
    let first = create(&app, &staff, &body).await;

    // The same body again (a retry after a lost answer), participants in another order.
    let mut reordered = people.clone();
    reordered.reverse();
    let again: ActivityView = expect_json(
        app.post("/api/v1/activities", &staff, &gathering(id, &reordered))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again, first);
    assert_eq!(stored_activities(&app).await, 1);

    let different = with(body, "volunteer_count", json!(5));
    let problem: Problem = expect_problem(
        app.post("/api/v1/activities", &staff, &different).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(problem.code, ProblemCode::ActivityIdConflict);
    let read: ActivityView = expect_json(
        app.get(&format!("/api/v1/activities/{id}"), &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, first);
    assert_eq!(stored_activities(&app).await, 1);
}

#[tokio::test]
async fn a_locked_period_refuses_writes_and_unlocking_is_audited() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let pref = app.token(Role::Prefecture).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let may = Uuid::new_v4();
    create(&app, &staff, &gathering(may, std::slice::from_ref(&person))).await;

    let lock_may = json!({"scope": {"level": "center", "code": CENTER}, "period": "2024-05"});
    // Centre staff cannot lock.
    expect_problem(
        app.post("/api/v1/period-locks", &staff, &lock_may).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let lock: PeriodLockView = expect_json(
        app.post("/api/v1/period-locks", &pref, &lock_may).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((lock.from, lock.to), (date(2024, 5, 1), date(2024, 5, 31)));
    assert_eq!(lock.locked_by, "pref");
    // Locking again is harmless and returns the same lock.
    let again: PeriodLockView = expect_json(
        app.post("/api/v1/period-locks", &pref, &lock_may).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again.id, lock.id);

    let path = format!("/api/v1/activities/{may}");
    let participation = format!("{path}/participations/{person}");
    let locked = [
        app.post(
            "/api/v1/activities",
            &staff,
            &gathering(Uuid::new_v4(), std::slice::from_ref(&person)),
        )
        .await,
        app.put(
            &path,
            &staff,
            &with(
                gathering(may, std::slice::from_ref(&person)),
                "title",
                json!("変更"),
            ),
        )
        .await,
        app.put(&participation, &staff, &json!({})).await,
        delete(&app, &participation, &staff).await,
        delete(&app, &path, &staff).await,
        // Moving an activity out of a locked month is a write into it too.
        app.put(
            &path,
            &staff,
            &with(
                gathering(may, std::slice::from_ref(&person)),
                "date",
                json!("2024-06-03"),
            ),
        )
        .await,
    ];
    for res in locked {
        let problem = expect_problem(res, StatusCode::CONFLICT).await;
        assert_eq!(problem.code, ProblemCode::PeriodLocked);
        assert!(problem.detail.contains("2024年5月"), "{}", problem.detail);
    }
    let read: ActivityView = expect_json(app.get(&path, &staff).await, StatusCode::OK).await;
    assert_eq!(
        (read.title.as_deref(), read.participants.len()),
        (Some("ふれあいサロン"), 1)
    );
    assert_eq!(stored_activities(&app).await, 1);

    // June is open; another municipality's lock does not touch this centre, a prefecture-wide one does.
    let june = with(
        gathering(Uuid::new_v4(), std::slice::from_ref(&person)),
        "date",
        json!("2024-06-03"),
    );
    create(&app, &staff, &june).await;
    let elsewhere =
        json!({"scope": {"level": "municipality", "code": OTHER_MUNICIPALITY}, "period": "FY2024"});
    expect_json::<PeriodLockView>(
        app.post("/api/v1/period-locks", &pref, &elsewhere).await,
        StatusCode::CREATED,
    )
    .await;
    let july = with(
        gathering(Uuid::new_v4(), std::slice::from_ref(&person)),
        "date",
        json!("2024-07-01"),
    );
    create(&app, &staff, &july).await;
    let everything = json!({"scope": {"level": "prefecture"}, "period": "FY2024"});
    let fy: PeriodLockView = expect_json(
        app.post("/api/v1/period-locks", &pref, &everything).await,
        StatusCode::CREATED,
    )
    .await;
    let august = with(
        gathering(Uuid::new_v4(), std::slice::from_ref(&person)),
        "date",
        json!("2024-08-01"),
    );
    let problem = expect_problem(
        app.post("/api/v1/activities", &staff, &august).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem.detail.contains("2024年度"), "{}", problem.detail);

    // The staff are shown the locks over their centre: May and the prefecture's, not the other
    // municipality's.
    let listed: Vec<PeriodLockView> =
        expect_json(app.get("/api/v1/period-locks", &staff).await, StatusCode::OK).await;
    let ids: Vec<i64> = listed.iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), 2, "{listed:?}");
    assert!(ids.contains(&fy.id) && ids.contains(&lock.id), "{listed:?}");

    // Unlocking: the prefecture-wide lock, then May.
    for id in [fy.id, lock.id] {
        let unlocked: PeriodLockView = expect_json(
            app.post(&format!("/api/v1/period-locks/{id}/unlock"), &pref, &json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(unlocked.unlocked_by.as_deref(), Some("pref"));
        assert!(unlocked.unlocked_at.is_some());
    }
    let problem = expect_problem(
        app.post(
            &format!("/api/v1/period-locks/{}/unlock", lock.id),
            &pref,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(problem.code, ProblemCode::AlreadyUnlocked);
    let res = app
        .put(
            &path,
            &staff,
            &with(
                gathering(may, std::slice::from_ref(&person)),
                "title",
                json!("変更"),
            ),
        )
        .await;
    let changed: ActivityView = expect_json(res, StatusCode::OK).await;
    assert_eq!(changed.title.as_deref(), Some("変更"));
    create(&app, &staff, &august).await;

    let active: Vec<PeriodLockView> =
        expect_json(app.get("/api/v1/period-locks", &pref).await, StatusCode::OK).await;
    assert_eq!(active.len(), 1);
    let all: Vec<PeriodLockView> = expect_json(
        app.get("/api/v1/period-locks?include_unlocked=true", &pref).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all.len(), 3);

    let audit = app.audit_rows().await;
    let unlocks: Vec<_> = audit
        .iter()
        .filter(|r| r.entry.action == "period.unlock" && r.entry.outcome == api::domain::audit::Outcome::Ok)
        .collect();
    assert_eq!(unlocks.len(), 2);
    assert!(unlocks.iter().all(|r| r.entry.actor.as_deref() == Some("pref")));
    assert!(unlocks
        .iter()
        .any(|r| r.entry.target.as_deref() == Some(lock.id.to_string().as_str())));
    assert!(unlocks
        .iter()
        .any(|r| r.entry.detail.as_deref().unwrap_or_default().contains("2024-05")));
    assert!(audit
        .iter()
        .any(|r| r.entry.action == "period.lock" && r.entry.outcome == api::domain::audit::Outcome::Denied));
}

#[tokio::test]
async fn a_later_care_level_change_leaves_earlier_participations_as_recorded() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let id = Uuid::new_v4();
    create(&app, &staff, &gathering(id, std::slice::from_ref(&person))).await;

    let mut changed = person_input();
    changed.care_level = "kaigo2".into();
    changed.household = "with_family".into();
    let res = app
        .put(&format!("/api/v1/persons/{person}"), &staff, &changed)
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let path = format!("/api/v1/activities/{id}");
    let read: ActivityView = expect_json(app.get(&path, &staff).await, StatusCode::OK).await;
    assert_eq!(
        (
            read.participants[0].care_level.as_str(),
            read.participants[0].household.as_str()
        ),
        ("shien1", "alone")
    );
    let history: PersonParticipationPage = expect_json(
        app.get(&format!("/api/v1/persons/{person}/participations"), &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history.items[0].care_level, "shien1");

    // Correcting the activity's title keeps the participation as recorded.
    let retitled = with(
        gathering(id, std::slice::from_ref(&person)),
        "title",
        json!("サロン（雨天）"),
    );
    let updated: ActivityView = expect_json(app.put(&path, &staff, &retitled).await, StatusCode::OK).await;
    assert_eq!(updated.participants[0].care_level, "shien1");

    // Correcting the participation itself records the person as they are now known.
    let corrected: ActivityView = expect_json(
        app.put(&format!("{path}/participations/{person}"), &staff, &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(corrected.participants[0].care_level, "kaigo2");
    assert!(app
        .audit_rows()
        .await
        .iter()
        .any(|r| r.entry.action == "participation.put"));

    // A new activity takes today's record.
    let later = with(
        gathering(Uuid::new_v4(), std::slice::from_ref(&person)),
        "date",
        json!("2024-09-02"),
    );
    let later = create(&app, &staff, &later).await;
    assert_eq!(later.participants[0].care_level, "kaigo2");
}

#[tokio::test]
async fn corrections_replace_the_participants_and_deleting_removes_the_activity_with_them() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let people = register_people(&app, &staff, 4).await;
    let id = Uuid::new_v4();
    create(&app, &staff, &gathering(id, &people[..3])).await;
    let path = format!("/api/v1/activities/{id}");

    // One went home early, another came.
    let corrected: ActivityView = expect_json(
        app.put(
            &path,
            &staff,
            &gathering(id, &[people[0].clone(), people[1].clone(), people[3].clone()]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&str> = corrected
        .participants
        .iter()
        .map(|p| p.common_id.as_str())
        .collect();
    assert_eq!(ids, [people[0].as_str(), people[1].as_str(), people[3].as_str()]);

    let after: ActivityView = expect_json(
        delete(&app, &format!("{path}/participations/{}", people[1]), &staff).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after.participants.len(), 2);
    expect_problem(
        delete(&app, &format!("{path}/participations/{}", people[1]), &staff).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    assert_eq!(delete(&app, &path, &staff).await.status(), StatusCode::NO_CONTENT);
    expect_problem(app.get(&path, &staff).await, StatusCode::NOT_FOUND).await;
    expect_problem(delete(&app, &path, &staff).await, StatusCode::NOT_FOUND).await;
    let history: PersonParticipationPage = expect_json(
        app.get(&format!("/api/v1/persons/{}/participations", people[0]), &staff)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history.total, 0);
    assert_eq!(stored_activities(&app).await, 0);
}

#[tokio::test]
async fn the_hub_serves_no_activities_but_the_prefecture_locks_periods_there() {
    let app = spawn_node(shared::dto::meta::NodeRole::Hub).await;
    let pref = app.token(Role::Prefecture).await;
    let res = app.get("/api/v1/activities?month=2024-05", &pref).await;
    expect_problem(res, StatusCode::FORBIDDEN).await;
    // The prefecture locks periods on the hub as well.
    let lock = json!({"scope": {"level": "prefecture"}, "period": "FY2023"});
    expect_json::<PeriodLockView>(
        app.post("/api/v1/period-locks", &pref, &lock).await,
        StatusCode::CREATED,
    )
    .await;
    let bad = json!({"scope": {"level": "center", "code": "C999"}, "period": "FY2023Q1"});
    let problem = expect_problem(
        app.post("/api/v1/period-locks", &pref, &bad).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["period", "scope.code"]);
}
