//! An audited write and its audit row commit together or not at all: when the row cannot be
//! written (here a trigger refuses every insert into `audit_log`), the write is rolled back and
//! the client gets a problem, never a write nobody can trace. Extracts are audited before the
//! first byte of their body.

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::common_id::CommonId;
use shared::dto::activity::{ActivityView, PeriodLockView};
use shared::dto::auth::Role;
use uuid::Uuid;

use api::domain::audit::Outcome;

use crate::helpers::*;

fn db(app: &TestApp) -> rusqlite::Connection {
    rusqlite::Connection::open(app.dir.path().join("test.sqlite3")).expect("open db")
}

/// From now on every audit row is refused, as by a full disk or a broken log.
fn break_the_audit_log(app: &TestApp) {
    db(app)
        .execute_batch(
            "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
             BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END;",
        )
        .expect("create trigger");
}

fn mend_the_audit_log(app: &TestApp) {
    db(app)
        .execute_batch("DROP TRIGGER fail_audit;")
        .expect("drop trigger");
}

fn count(app: &TestApp, sql: &str, param: &str) -> i64 {
    db(app).query_row(sql, [param], |r| r.get(0)).expect("count")
}

async fn rows_of(app: &TestApp, action: &str) -> Vec<api::domain::audit::AuditRecord> {
    app.audit_rows()
        .await
        .into_iter()
        .filter(|r| r.entry.action == action)
        .collect()
}

fn gathering(id: Uuid, person: &str) -> Value {
    json!({"id": id, "date": "2024-05-13", "function": "tsudoi", "title": "ふれあいサロン",
           "staff_count": 2, "participants": [{"common_id": person}]})
}

#[tokio::test]
async fn a_registration_whose_audit_row_cannot_be_written_is_not_kept_and_uses_up_no_common_id() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let first = app.register(&staff, &person_input()).await.common_id;
    assert_eq!(CommonId::parse(&first).unwrap().serial(), 1);

    break_the_audit_log(&app);
    let mut other = person_input();
    other.given_name = "次郎".into();
    let res = app.post("/api/v1/persons", &staff, &other).await;
    let problem = expect_problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(problem.code, ProblemCode::Internal);
    assert_eq!(app.person_count().await, 1, "the registration was rolled back");

    // Retried once the log works again, it gets the ID the failed attempt would have had.
    mend_the_audit_log(&app);
    let second = app.register(&staff, &other).await.common_id;
    assert_eq!(CommonId::parse(&second).unwrap().serial(), 2, "{second}");
    assert_eq!(app.person_count().await, 2);
    let registered: Vec<_> = rows_of(&app, "person.register")
        .await
        .into_iter()
        .filter_map(|r| r.entry.target)
        .collect();
    assert_eq!(registered.len(), 2);
    assert!(registered.contains(&first) && registered.contains(&second));
}

#[tokio::test]
async fn an_activity_whose_audit_row_cannot_be_written_is_not_recorded() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let id = Uuid::new_v4();

    break_the_audit_log(&app);
    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &person))
        .await;
    expect_problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    let sql = "SELECT count(*) FROM activities WHERE id = ?1";
    assert_eq!(count(&app, sql, &id.to_string()), 0);
    let sql = "SELECT count(*) FROM participations WHERE activity_id = ?1";
    assert_eq!(count(&app, sql, &id.to_string()), 0);

    mend_the_audit_log(&app);
    // Sent again under the same ID, it is recorded now (201), not found as a replay.
    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &person))
        .await;
    let view: ActivityView = expect_json(res, StatusCode::CREATED).await;
    assert_eq!(view.id, id);
}

#[tokio::test]
async fn a_period_lock_whose_audit_row_cannot_be_written_locks_nothing() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;
    let lock_may = json!({"scope": {"level": "center", "code": CENTER}, "period": "2024-05"});

    break_the_audit_log(&app);
    let res = app.post("/api/v1/period-locks", &pref, &lock_may).await;
    expect_problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    let locks = count(
        &app,
        "SELECT count(*) FROM period_locks WHERE period = ?1",
        "2024-05",
    );
    assert_eq!(locks, 0);

    mend_the_audit_log(&app);
    let res = app.post("/api/v1/period-locks", &pref, &lock_may).await;
    let lock: PeriodLockView = expect_json(res, StatusCode::CREATED).await;
    let rows = rows_of(&app, "period.lock").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entry.target, Some(lock.id.to_string()));
}

#[tokio::test]
async fn an_extract_whose_audit_row_cannot_be_written_sends_a_problem_and_no_records() {
    let app = spawn_app().await;
    let pref = app.token(Role::Prefecture).await;

    break_the_audit_log(&app);
    let res = app
        .get("/api/v1/extracts/participations?period=FY2024", &pref)
        .await;
    let problem = expect_problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(problem.code, ProblemCode::Internal);

    mend_the_audit_log(&app);
    let res = app
        .get("/api/v1/extracts/participations?period=FY2024", &pref)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("共通利用者番号"));
    assert_eq!(rows_of(&app, "extract.read").await.len(), 1);
}

#[tokio::test]
async fn a_successful_write_commits_with_its_audit_row_naming_what_it_made() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let pref = app.token(Role::Prefecture).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let rows = rows_of(&app, "person.register").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0].entry;
    assert_eq!(row.target.as_deref(), Some(person.as_str()));
    assert_eq!(row.outcome, Outcome::Ok);
    assert_eq!(row.actor.as_deref(), Some(username(Role::CenterStaff)));

    let id = Uuid::new_v4();
    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &person))
        .await;
    expect_json::<ActivityView>(res, StatusCode::CREATED).await;
    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &person))
        .await;
    expect_json::<ActivityView>(res, StatusCode::OK).await;
    let created = rows_of(&app, "activity.create").await;
    assert_eq!(created.len(), 2, "the replay is audited too");
    for r in &created {
        assert_eq!(r.entry.target, Some(id.to_string()));
        assert_eq!(r.entry.outcome, Outcome::Ok);
    }
    let replayed: Vec<Value> = created
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(r.entry.detail.as_deref().unwrap()).unwrap()["replayed"].clone()
        })
        .collect();
    // Newest first.
    assert_eq!(replayed, [json!(true), json!(false)]);

    let lock_may = json!({"scope": {"level": "center", "code": CENTER}, "period": "2024-05"});
    let lock: PeriodLockView = expect_json(
        app.post("/api/v1/period-locks", &pref, &lock_may).await,
        StatusCode::CREATED,
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/period-locks/{}/unlock", lock.id),
            &pref,
            &json!({}),
        )
        .await;
    expect_json::<PeriodLockView>(res, StatusCode::OK).await;
    let unlocked = rows_of(&app, "period.unlock").await;
    assert_eq!(unlocked.len(), 1);
    assert_eq!(unlocked[0].entry.target, Some(lock.id.to_string()));
    let detail: Value = serde_json::from_str(unlocked[0].entry.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["period"], json!("2024-05"));
    assert_eq!(app.store.verify_audit_chain().await.unwrap().broken_at, None);
}

#[tokio::test]
async fn a_refused_write_is_audited_after_the_fact_without_a_row_claiming_it_succeeded() {
    let app = spawn_app().await;
    let staff = app.token(Role::CenterStaff).await;
    let pref = app.token(Role::Prefecture).await;
    let person = app.register(&staff, &person_input()).await.common_id;
    let lock_may = json!({"scope": {"level": "center", "code": CENTER}, "period": "2024-05"});
    expect_json::<PeriodLockView>(
        app.post("/api/v1/period-locks", &pref, &lock_may).await,
        StatusCode::CREATED,
    )
    .await;

    let id = Uuid::new_v4();
    let res = app
        .post("/api/v1/activities", &staff, &gathering(id, &person))
        .await;
    let problem = expect_problem(res, StatusCode::CONFLICT).await;
    assert_eq!(problem.code, ProblemCode::PeriodLocked);
    let rows = rows_of(&app, "activity.create").await;
    assert_eq!(rows.len(), 1, "one row, the refusal's");
    assert_eq!(rows[0].entry.outcome, Outcome::Invalid);
    assert_eq!(rows[0].entry.target, Some(id.to_string()));
}
