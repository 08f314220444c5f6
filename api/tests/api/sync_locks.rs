//! The prefecture's period locks reach the centre nodes: a real hub, real centre nodes whose
//! sync sender pulls `GET /api/v1/sync/period-locks` and mirrors the list, and activity writes on
//! the centre refused (or allowed again) accordingly.

use std::sync::Arc;

use api::domain::activity::ActivityQuery;
use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::dto::activity::{ActivityView, PeriodLockView};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::sync::{HubPeriodLocks, SyncStatus};
use uuid::Uuid;

use crate::helpers::*;
use crate::sync_hub::issue_credential;
use crate::sync_support::{eventually, sync_settings, wait_until_synced};

/// A third centre, in the test centre's municipality, known to the hub only.
const NEIGHBOUR: &str = "C003";

/// A hub and a centre node for `CENTER` whose sender goes straight to it, pulling locks often.
struct Nodes {
    hub: TestApp,
    centre: TestApp,
    credential: String,
    /// Prefecture on the hub; staff and prefecture accounts on the centre node.
    hub_pref: String,
    staff: String,
    centre_pref: String,
}

async fn start() -> Nodes {
    let hub = spawn_node(NodeRole::Hub).await;
    hub.store
        .upsert_center(&api::domain::org::Center {
            code: NEIGHBOUR.into(),
            name: "隣のセンター".into(),
            municipality: CENTER_MUNICIPALITY.into(),
            operator_body: "社会福祉協議会".into(),
            opened_on: date("2009-04-01"),
            closed_on: None,
        })
        .await
        .expect("neighbour centre");
    let credential = issue_credential(&hub, CENTER).await.credential;
    let url = hub.address.clone();
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let centre = spawn_in(dir, NodeRole::Center, true, |s| {
        s.node.center = Some(CENTER.to_owned());
        sync_settings(s, &url, &credential);
        s.sync.locks_interval_ms = 40;
    })
    .await;
    Nodes {
        hub_pref: hub.token(Role::Prefecture).await,
        staff: centre.token(Role::CenterStaff).await,
        centre_pref: centre.token(Role::Prefecture).await,
        hub,
        centre,
        credential,
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn gathering(day: &str, person: &str) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "date": day,
        "function": "tsudoi",
        "title": "ふれあいサロン",
        "start_time": "10:00",
        "end_time": "12:00",
        "staff_count": 2,
        "volunteer_count": 1,
        "unregistered": {"elderly": 1},
        "participants": [{"common_id": person}],
    })
}

/// Locks `period` for `scope` on the hub; returns the hub's lock.
async fn lock_on_hub(n: &Nodes, scope: Value, period: &str) -> PeriodLockView {
    let res = n
        .hub
        .post(
            "/api/v1/period-locks",
            &n.hub_pref,
            &json!({"scope": scope, "period": period}),
        )
        .await;
    expect_json(res, StatusCode::CREATED).await
}

async fn centre_locks(n: &Nodes) -> Vec<PeriodLockView> {
    let res = n
        .centre
        .get("/api/v1/period-locks?include_unlocked=true", &n.staff)
        .await;
    expect_json(res, StatusCode::OK).await
}

/// Waits until the centre holds the copy of hub lock `hub_id`, active or (`active` false)
/// unlocked; returns it.
async fn mirrored(n: &Nodes, hub_id: i64, active: bool) -> PeriodLockView {
    eventually(
        &format!("hub lock {hub_id} mirrored (active: {active})"),
        || async {
            centre_locks(n)
                .await
                .iter()
                .any(|l| l.hub_lock_id == Some(hub_id) && l.unlocked_at.is_none() == active)
        },
    )
    .await;
    centre_locks(n)
        .await
        .into_iter()
        .find(|l| l.hub_lock_id == Some(hub_id))
        .expect("mirrored lock")
}

/// Two more completed pulls on the centre node (so anything pending has been applied).
async fn two_more_pulls(n: &Nodes) {
    for _ in 0..2 {
        let before = sync_status(n).await.locks_pulled_at;
        eventually("another pull of the hub's locks", || async {
            let now = sync_status(n).await.locks_pulled_at;
            now.is_some() && now != before
        })
        .await;
    }
}

async fn sync_status(n: &Nodes) -> shared::dto::sync::OutboxStatus {
    let res = n.centre.get("/api/v1/sync/status", &n.staff).await;
    let status: SyncStatus = expect_json(res, StatusCode::OK).await;
    status.outbox.expect("a centre node reports its outbox")
}

async fn activities_on_centre(n: &Nodes) -> usize {
    let q = ActivityQuery {
        from: date("2000-01-01"),
        to: date("2099-12-31"),
        function: None,
        site: None,
    };
    n.centre
        .center_store()
        .activities(CENTER, &q)
        .await
        .expect("activities")
        .len()
}

async fn audit_of(app: &TestApp, action: &str) -> Vec<api::domain::audit::AuditRecord> {
    app.audit_rows()
        .await
        .into_iter()
        .filter(|r| r.entry.action == action)
        .collect()
}

async fn refused(res: reqwest::Response, period: &str) {
    let problem = expect_problem(res, StatusCode::CONFLICT).await;
    assert_eq!(problem.code, ProblemCode::PeriodLocked);
    assert!(problem.detail.contains(period), "{period} in {}", problem.detail);
}

/// Recording a gathering on `day` at the centre is refused as inside the locked `period`.
/// A gathering on `day` recorded on the centre, as outside any locked period.
async fn create_recorded(n: &Nodes, day: &str, person: &str) -> ActivityView {
    expect_json(
        n.centre
            .post("/api/v1/activities", &n.staff, &gathering(day, person))
            .await,
        StatusCode::CREATED,
    )
    .await
}

async fn create_refused(n: &Nodes, day: &str, person: &str, period: &str) {
    refused(
        n.centre
            .post("/api/v1/activities", &n.staff, &gathering(day, person))
            .await,
        period,
    )
    .await;
}

async fn pull_with(hub: &TestApp, credential: &str) -> reqwest::Response {
    hub.send::<()>(Method::GET, "/api/v1/sync/period-locks", credential, None)
        .await
}

#[tokio::test]
async fn a_fiscal_year_and_a_month_locked_on_the_hub_are_refused_on_the_centre_until_the_hub_unlocks() {
    let n = start().await;
    let person = n.centre.register(&n.staff, &person_input()).await.common_id;
    let may = create_recorded(&n, "2024-05-13", &person).await;

    let fy = lock_on_hub(&n, json!({"level": "center", "code": CENTER}), "FY2024").await;
    let april = lock_on_hub(&n, json!({"level": "prefecture"}), "2025-04").await;
    let copy = mirrored(&n, fy.id, true).await;
    assert_eq!(
        (copy.scope.clone(), copy.period.as_str(), copy.locked_by.as_str()),
        (fy.scope.clone(), "FY2024", "pref")
    );
    assert_eq!((copy.from, copy.to), (date("2024-04-01"), date("2025-03-31")));
    mirrored(&n, april.id, true).await;

    // Creating, correcting, deleting in the locked periods: refused, nothing written.
    let before = activities_on_centre(&n).await;
    let path = format!("/api/v1/activities/{}", may.id);
    create_refused(&n, "2024-06-03", &person, "2024年度").await;
    create_refused(&n, "2025-04-10", &person, "2025年4月").await;
    let mut corrected = gathering("2024-05-13", &person);
    corrected["id"] = json!(may.id);
    corrected["title"] = json!("書き換え");
    refused(n.centre.put(&path, &n.staff, &corrected).await, "2024年度").await;
    refused(
        n.centre.send::<()>(Method::DELETE, &path, &n.staff, None).await,
        "2024年度",
    )
    .await;
    assert_eq!(activities_on_centre(&n).await, before);
    let read: ActivityView = expect_json(n.centre.get(&path, &n.staff).await, StatusCode::OK).await;
    assert_eq!(read.title.as_deref(), Some("ふれあいサロン"));
    // Outside the locked periods the centre works as before.
    create_recorded(&n, "2025-05-01", &person).await;

    // The hub's lock is the hub's: the centre cannot lift it, not even a prefecture account there.
    let res = n
        .centre
        .post(
            &format!("/api/v1/period-locks/{}/unlock", copy.id),
            &n.centre_pref,
            &json!({}),
        )
        .await;
    let problem = expect_problem(res, StatusCode::CONFLICT).await;
    assert_eq!(problem.code, ProblemCode::PeriodLockFromHub);
    assert!(problem.detail.contains("県ハブ"), "{}", problem.detail);
    assert!(centre_locks(&n)
        .await
        .iter()
        .any(|l| l.id == copy.id && l.unlocked_at.is_none()));

    // Each lock applied once, however many pulls: one audit row each, no duplicate rows.
    two_more_pulls(&n).await;
    let locked = audit_of(&n.centre, "period.lock.from_hub").await;
    let mut targets: Vec<String> = locked.iter().filter_map(|r| r.entry.target.clone()).collect();
    targets.sort();
    let mut expected = vec![
        copy.id.to_string(),
        mirrored(&n, april.id, true).await.id.to_string(),
    ];
    expected.sort();
    assert_eq!(targets, expected);
    assert_eq!(centre_locks(&n).await.len(), 2);
    let status = sync_status(&n).await;
    assert!(
        status.locks_pulled_at.is_some() && status.locks_error.is_none(),
        "{status:?}"
    );

    // Unlocked on the hub: unlocked on the centre, and the year can be written again.
    let res = n
        .hub
        .post(
            &format!("/api/v1/period-locks/{}/unlock", fy.id),
            &n.hub_pref,
            &json!({}),
        )
        .await;
    expect_json::<PeriodLockView>(res, StatusCode::OK).await;
    let unlocked = mirrored(&n, fy.id, false).await;
    assert_eq!(unlocked.unlocked_by.as_deref(), Some("pref"));
    create_recorded(&n, "2024-06-03", &person).await;
    expect_json::<ActivityView>(n.centre.put(&path, &n.staff, &corrected).await, StatusCode::OK).await;
    create_refused(&n, "2025-04-10", &person, "2025年4月").await;
    two_more_pulls(&n).await;
    let unlocks = audit_of(&n.centre, "period.unlock.from_hub").await;
    assert_eq!(unlocks.len(), 1);
    assert_eq!(unlocks[0].entry.target, Some(copy.id.to_string()));
    assert_eq!(unlocks[0].entry.actor.as_deref(), Some("sync:hub"));
    assert_eq!(audit_of(&n.centre, "period.lock.from_hub").await.len(), 2);

    // The writes made on the centre reach the hub as usual.
    wait_until_synced(&n.centre).await;
}

#[tokio::test]
async fn only_the_locks_covering_the_centre_reach_it_and_no_other_centres_locks_are_handed_out() {
    let n = start().await;
    let other_credential = issue_credential(&n.hub, OTHER_CENTER).await.credential;
    let neighbour_credential = issue_credential(&n.hub, NEIGHBOUR).await.credential;
    let other_centre = lock_on_hub(&n, json!({"level": "center", "code": OTHER_CENTER}), "2024-05").await;
    let other_town = lock_on_hub(
        &n,
        json!({"level": "municipality", "code": OTHER_MUNICIPALITY}),
        "2024-06",
    )
    .await;
    let neighbour = lock_on_hub(&n, json!({"level": "center", "code": NEIGHBOUR}), "2024-07").await;
    let own_town = lock_on_hub(
        &n,
        json!({"level": "municipality", "code": CENTER_MUNICIPALITY}),
        "2024-08",
    )
    .await;
    let everyone = lock_on_hub(&n, json!({"level": "prefecture"}), "2024-09").await;

    // What the hub hands each centre's credential.
    let ids = |locks: HubPeriodLocks| -> (String, Vec<i64>) {
        (locks.center, locks.locks.iter().map(|l| l.id).collect())
    };
    let mine: HubPeriodLocks = expect_json(pull_with(&n.hub, &n.credential).await, StatusCode::OK).await;
    assert_eq!(ids(mine), (CENTER.to_owned(), vec![own_town.id, everyone.id]));
    let theirs: HubPeriodLocks =
        expect_json(pull_with(&n.hub, &other_credential).await, StatusCode::OK).await;
    assert_eq!(
        ids(theirs),
        (
            OTHER_CENTER.to_owned(),
            vec![other_centre.id, other_town.id, everyone.id]
        )
    );
    let next_door: HubPeriodLocks =
        expect_json(pull_with(&n.hub, &neighbour_credential).await, StatusCode::OK).await;
    assert_eq!(
        ids(next_door),
        (NEIGHBOUR.to_owned(), vec![neighbour.id, own_town.id, everyone.id])
    );

    // The centre mirrors exactly its own two.
    mirrored(&n, own_town.id, true).await;
    mirrored(&n, everyone.id, true).await;
    two_more_pulls(&n).await;
    let mut copies: Vec<Option<i64>> = centre_locks(&n).await.iter().map(|l| l.hub_lock_id).collect();
    copies.sort();
    assert_eq!(copies, vec![Some(own_town.id), Some(everyone.id)]);

    let person = n.centre.register(&n.staff, &person_input()).await.common_id;
    for day in ["2024-05-20", "2024-06-20", "2024-07-20"] {
        create_recorded(&n, day, &person).await;
    }
    let before = activities_on_centre(&n).await;
    create_refused(&n, "2024-08-20", &person, "2024年8月").await;
    create_refused(&n, "2024-09-20", &person, "2024年9月").await;
    assert_eq!(activities_on_centre(&n).await, before);
}

#[tokio::test]
async fn the_hub_refuses_the_lock_list_without_a_valid_credential_and_the_centre_reports_it() {
    let n = start().await;
    let lock = lock_on_hub(&n, json!({"level": "prefecture"}), "FY2023").await;
    mirrored(&n, lock.id, true).await;
    let ok: HubPeriodLocks = expect_json(pull_with(&n.hub, &n.credential).await, StatusCode::OK).await;
    assert_eq!(ok.locks.len(), 1);

    let res = n
        .hub
        .client
        .get(n.hub.url("/api/v1/sync/period-locks"))
        .send()
        .await
        .expect("request");
    expect_problem(res, StatusCode::UNAUTHORIZED).await;
    let unknown = format!("ats_{}", "0".repeat(64));
    expect_problem(pull_with(&n.hub, &unknown).await, StatusCode::UNAUTHORIZED).await;
    // A person's login is not a centre credential either.
    expect_problem(pull_with(&n.hub, &n.hub_pref).await, StatusCode::UNAUTHORIZED).await;
    // Only the hub answers it.
    expect_problem(pull_with(&n.centre, &n.credential).await, StatusCode::NOT_FOUND).await;

    // Revoked: refused at once, and the centre's next pull fails and says so in its status.
    let listed: Vec<shared::dto::sync::SyncCredentialView> = expect_json(
        n.hub.get("/api/v1/sync/credentials", &n.hub_pref).await,
        StatusCode::OK,
    )
    .await;
    let id = listed
        .iter()
        .find(|c| c.center == CENTER)
        .expect("the centre's credential")
        .id;
    let res = n
        .hub
        .send::<()>(
            Method::DELETE,
            &format!("/api/v1/sync/credentials/{id}"),
            &n.hub_pref,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_problem(pull_with(&n.hub, &n.credential).await, StatusCode::UNAUTHORIZED).await;
    eventually("the failed pull reported in /sync/status", || async {
        sync_status(&n)
            .await
            .locks_error
            .is_some_and(|e| e.contains("401"))
    })
    .await;
    // What was mirrored before stays in force.
    let kept = centre_locks(&n).await;
    assert_eq!(kept.len(), 1);
    assert!(kept[0].hub_lock_id == Some(lock.id) && kept[0].unlocked_at.is_none());
}

#[tokio::test]
async fn a_lock_list_the_centre_cannot_read_is_reported_while_the_outbox_still_reaches_the_hub() {
    let n = start().await;
    wait_until_synced(&n.centre).await;
    let good = lock_on_hub(&n, json!({"level": "prefecture"}), "2024-05").await;
    mirrored(&n, good.id, true).await;
    // A lock this centre cannot read (a quarter, which no version locks) breaks the whole list:
    // nothing of it is applied, and nothing of what was mirrored is undone.
    let odd = n
        .hub
        .hub_rows(
            "INSERT INTO period_locks (scope_level, scope_code, period, from_date, to_date, locked_by, locked_at)
             VALUES ('prefecture', NULL, 'FY2024Q2', '2024-07-01', '2024-09-30', 'pref', '2026-01-01T00:00:00.000000Z')
             RETURNING id",
            "INSERT INTO period_locks (scope_level, scope_code, period, from_date, to_date, locked_by, locked_at)
             OUTPUT INSERTED.id
             VALUES (N'prefecture', NULL, N'FY2024Q2', '2024-07-01', '2024-09-30', N'pref', '2026-01-01T00:00:00')",
        )
        .await[0][0]
        .clone()
        .expect("odd lock");
    eventually("the unreadable list reported in /sync/status", || async {
        sync_status(&n)
            .await
            .locks_error
            .is_some_and(|e| e.contains("FY2024Q2"))
    })
    .await;
    n.centre.register(&n.staff, &person_input()).await;
    wait_until_synced(&n.centre).await;
    assert!(n
        .centre
        .center_store()
        .sync_outbox()
        .await
        .expect("outbox")
        .is_some_and(|s| s.last_error.is_none()));
    assert_eq!(centre_locks(&n).await.len(), 1);
    let persons: Value = expect_json(
        n.hub
            .get(
                "/api/v1/stats?measures=registered_persons&period=FY2024&totals=true",
                &n.hub_pref,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(persons["totals"][0], json!(1), "{persons}");

    // Gone again: the next pull succeeds and the error is cleared.
    let remove = format!("DELETE FROM period_locks WHERE id = {odd}");
    assert_eq!(
        n.hub.hub_execute(&remove, &remove).await,
        1,
        "remove the odd lock"
    );
    eventually("the error cleared by a good pull", || async {
        sync_status(&n).await.locks_error.is_none()
    })
    .await;
}

#[tokio::test]
async fn a_replaced_hub_whose_lock_ids_start_again_is_mirrored_as_it_now_is() {
    let n = start().await;
    let old = lock_on_hub(&n, json!({"level": "prefecture"}), "FY2024").await;
    let old_copy = mirrored(&n, old.id, true).await;
    // The hub is replaced by one without that lock; its IDs start again.
    // SQLite hands out max(id) + 1 again; on SQL Server TRUNCATE sets the IDENTITY back to 1
    // (nothing refers to period_locks).
    n.hub
        .hub_execute("DELETE FROM period_locks", "TRUNCATE TABLE period_locks")
        .await;
    let new = lock_on_hub(&n, json!({"level": "center", "code": CENTER}), "2024-05").await;
    assert_eq!(new.id, old.id, "the new hub reuses the ID");
    mirrored(&n, new.id, true).await;
    eventually("the old copy unlocked", || async {
        centre_locks(&n)
            .await
            .iter()
            .any(|l| l.id == old_copy.id && l.unlocked_at.is_some())
    })
    .await;
    let locks = centre_locks(&n).await;
    let active: Vec<&str> = locks
        .iter()
        .filter(|l| l.unlocked_at.is_none())
        .map(|l| l.period.as_str())
        .collect();
    assert_eq!(active, ["2024-05"]);
    let person = n.centre.register(&n.staff, &person_input()).await.common_id;
    create_recorded(&n, "2024-06-03", &person).await;
    create_refused(&n, "2024-05-13", &person, "2024年5月").await;
    let unlocks = audit_of(&n.centre, "period.unlock.from_hub").await;
    assert_eq!(unlocks.len(), 1);
    assert_eq!(unlocks[0].entry.target, Some(old_copy.id.to_string()));
}
