//! A regional office's account (`region:<code>`) on the hub: exactly its municipalities'
//! centres, as of the period asked for, in every route; `region` as a statistics dimension; and
//! the prefecture's maintenance of regions.
//!
//! Regions (helpers.rs): `central` = 高知市 (C001) throughout and 室戸市 (C002) until FY2023;
//! `east` = 室戸市 from FY2024 and 安芸市 (C003 here: just outside `central`) throughout.
//! 南国市 (C004 here) is in no region.
//!
//! | centre | FY2023 (2023-06-01)        | FY2024 (2024-06-01)  |
//! |--------|----------------------------|----------------------|
//! | C001   | X                          | X, unregistered 2    |
//! | C002   | X (the same person)        | X                    |
//! | C003   | Y                          | Y                    |
//! | C004   |                            | Z                    |

use api::domain::activity::{ActivityRecord, Detail, Participation, Snapshot, Unregistered};
use api::domain::org::Center;
use api::domain::person::{Facts, Identity, Person};
use chrono::{NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::activity::PeriodLockView;
use shared::dto::auth::{CreatedApiToken, Role};
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;
use shared::dto::sync::{CreatedSyncCredential, SyncStatus};
use uuid::Uuid;

use crate::helpers::*;

const JUST_OUTSIDE: &str = "C003";
const NO_REGION: &str = "C004";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn id(center: &str, serial: u32) -> CommonId {
    CommonId::issue(&CenterCode::parse(center).unwrap(), serial).unwrap()
}

fn person(common_id: &CommonId, center: &str) -> Person {
    let now = Utc::now();
    Person {
        common_id: common_id.clone(),
        center: center.into(),
        identity: Identity {
            family_name: String::new(),
            given_name: String::new(),
            family_kana: String::new(),
            given_kana: String::new(),
            birth_date: d("1948-05-01"),
            postal_code: None,
            address: None,
            phone: None,
            emergency_contact: None,
            notes: None,
        },
        facts: Facts {
            sex: "F".into(),
            birth_year_month: "1948-05".into(),
            residence_municipality: CENTER_MUNICIPALITY.into(),
            categories: vec!["elderly".into()],
            care_level: "shien1".into(),
            disabilities: Vec::new(),
            household: "alone".into(),
            registered_on: d("2023-04-01"),
        },
        ended_on: None,
        end_reason: None,
        created_at: now,
        updated_at: now,
    }
}

fn activity(center: &str, on: &str, people: &[&CommonId], unregistered_elderly: u16) -> ActivityRecord {
    let mut participations: Vec<Participation> = people
        .iter()
        .map(|id| Participation {
            common_id: (*id).clone(),
            detail: Detail::default(),
            snapshot: Snapshot {
                age_band: "age_75_84".into(),
                sex: "F".into(),
                group: "elderly".into(),
                categories: vec!["elderly".into()],
                care_level: "shien1".into(),
                household: "alone".into(),
            },
        })
        .collect();
    participations.sort_by(|a, b| a.common_id.as_str().cmp(b.common_id.as_str()));
    ActivityRecord {
        id: Uuid::new_v4(),
        center: center.into(),
        site: None,
        date: d(on),
        function: "tsudoi".into(),
        title: None,
        start_time: None,
        end_time: None,
        staff_count: 2,
        volunteer_count: 0,
        unregistered: Unregistered {
            elderly: unregistered_elderly,
            ..Default::default()
        },
        note: None,
        participations,
    }
}

/// The hub of the table above, with a sync credential for each centre (so each shows in the
/// sync status).
async fn hub() -> TestApp {
    hub_with(|_| {}).await
}

async fn hub_with(adjust: impl FnOnce(&mut api::config::Settings)) -> TestApp {
    let app = spawn_with(NodeRole::Hub, adjust).await;
    for (code, municipality) in [(JUST_OUTSIDE, "392031"), (NO_REGION, "392049")] {
        app.store
            .upsert_center(&Center {
                code: code.into(),
                name: format!("テストセンター {code}"),
                municipality: municipality.into(),
                operator_body: "社会福祉協議会".into(),
                opened_on: d("2009-04-01"),
                closed_on: None,
            })
            .await
            .unwrap();
    }
    let (x, y, z) = (id(CENTER, 1), id(JUST_OUTSIDE, 1), id(NO_REGION, 1));
    let people = [
        person(&x, CENTER),
        person(&x, OTHER_CENTER),
        person(&y, JUST_OUTSIDE),
        person(&z, NO_REGION),
    ];
    assert_eq!(app.store.import_persons(&people).await.unwrap(), 4);
    let activities = [
        activity(CENTER, "2023-06-01", &[&x], 0),
        activity(OTHER_CENTER, "2023-06-01", &[&x], 0),
        activity(JUST_OUTSIDE, "2023-06-01", &[&y], 0),
        activity(CENTER, "2024-06-01", &[&x], 2),
        activity(OTHER_CENTER, "2024-06-01", &[&x], 0),
        activity(JUST_OUTSIDE, "2024-06-01", &[&y], 0),
        activity(NO_REGION, "2024-06-01", &[&z], 0),
    ];
    assert_eq!(app.store.import_activities(&activities).await.unwrap(), 7);
    let pref = app.token(Role::Prefecture).await;
    for center in [CENTER, OTHER_CENTER, JUST_OUTSIDE, NO_REGION] {
        let _: CreatedSyncCredential = expect_json(
            app.post("/api/v1/sync/credentials", &pref, &json!({"center": center}))
                .await,
            StatusCode::CREATED,
        )
        .await;
    }
    app
}

async fn stats(app: &TestApp, token: &str, query: &str) -> StatsResponse {
    expect_json(
        app.get(&format!("/api/v1/stats?{query}"), token).await,
        StatusCode::OK,
    )
    .await
}

/// `(first key, values)` of each row.
fn rows(r: &StatsResponse) -> Vec<(String, Vec<u64>)> {
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind != shared::dto::stats::ColumnKind::Measure)
        .count();
    r.rows
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap_or_default().to_owned(),
                row[dims..].iter().map(|v| v.as_u64().unwrap_or(0)).collect(),
            )
        })
        .collect()
}

fn totals(r: &StatsResponse) -> Vec<u64> {
    let dims = r
        .columns
        .iter()
        .filter(|c| c.kind != shared::dto::stats::ColumnKind::Measure)
        .count();
    r.totals.as_ref().expect("totals")[dims..]
        .iter()
        .map(|v| v.as_u64().unwrap_or(0))
        .collect()
}

/// The centres of an extract's NDJSON lines, sorted, repeats kept.
async fn extract_centres(app: &TestApp, token: &str, kind: &str, period: &str) -> Vec<String> {
    let res = app
        .get(
            &format!("/api/v1/extracts/{kind}?period={period}&format=ndjson"),
            token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut centres: Vec<String> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["center"].as_str().unwrap().to_owned()
        })
        .collect();
    centres.sort();
    centres
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn a_regional_office_sees_its_municipalities_centres_as_of_the_period_and_nothing_else() {
    let app = hub().await;
    let region = app.token(Role::Region).await;
    let by_centre = |fy: &str| format!("measures=participations,unique_persons&rows=center&period={fy}");
    // FY2023: 室戸市 was still in the region; FY2024: it had moved to `east`.
    assert_eq!(
        rows(&stats(&app, &region, &by_centre("FY2023")).await),
        [
            (CENTER.to_owned(), vec![1, 1]),
            (OTHER_CENTER.to_owned(), vec![1, 1])
        ]
    );
    assert_eq!(
        rows(&stats(&app, &region, &by_centre("FY2024")).await),
        [(CENTER.to_owned(), vec![3, 1])]
    );
    // Across both years, each year's centres: C002 for FY2023 only.
    let both = "measures=participations&rows=center,fiscal_year&from=2023-04-01&to=2025-03-31";
    let keys: Vec<Vec<Value>> = stats(&app, &region, both)
        .await
        .rows
        .into_iter()
        .map(|r| r[..2].to_vec())
        .collect();
    assert_eq!(
        keys,
        [
            vec![json!(CENTER), json!("FY2023")],
            vec![json!(CENTER), json!("FY2024")],
            vec![json!(OTHER_CENTER), json!("FY2023")]
        ]
    );
    // Asking for what lies outside, by centre, municipality or region: nothing, not an error.
    for filter in [
        format!("center:{JUST_OUTSIDE}"),
        "municipality:392031".to_owned(),
        format!("center:{NO_REGION}"),
        format!("region:{OTHER_REGION}"),
        "region:unknown".to_owned(),
    ] {
        for fy in ["FY2023", "FY2024"] {
            let q = format!("measures=participations&rows=center&period={fy}&filter={filter}&totals=true");
            let r = stats(&app, &region, &q).await;
            assert!(r.rows.is_empty(), "{filter} {fy}: {:?}", r.rows);
            assert_eq!(totals(&r), [0], "{filter} {fy}");
        }
    }
    // The moved municipality: visible for the year it belonged, not after.
    let moved =
        |fy: &str| format!("measures=participations&period={fy}&filter=municipality:{OTHER_MUNICIPALITY}");
    assert_eq!(
        rows(&stats(&app, &region, &moved("FY2023")).await),
        [(String::new(), vec![1])]
    );
    assert!(stats(&app, &region, &moved("FY2024")).await.rows.is_empty());
    // Every breakdown: the prefecture's rows for the region's centres, nothing more.
    for dim in [
        "municipality",
        "region",
        "function",
        "sex",
        "age_band",
        "group",
        "month",
    ] {
        let q = format!("measures=participations&rows={dim}&period=FY2024&totals=true");
        let mine = stats(&app, &region, &q).await;
        let theirs = stats(
            &app,
            &app.token(Role::Prefecture).await,
            &format!("{q}&filter=center:{CENTER}"),
        )
        .await;
        assert_eq!(rows(&mine), rows(&theirs), "rows={dim}");
        assert_eq!(totals(&mine), [3], "rows={dim}");
    }

    // Extracts: the same rule, through the municipality's path (scoped filters).
    assert_eq!(
        extract_centres(&app, &region, "participations", "FY2023").await,
        strings(&[CENTER, OTHER_CENTER])
    );
    assert_eq!(
        extract_centres(&app, &region, "participations", "FY2024").await,
        strings(&[CENTER])
    );
    assert_eq!(
        extract_centres(&app, &region, "activities", "FY2024").await,
        strings(&[CENTER])
    );
    // People: by their municipality's region on the period's last day.
    assert_eq!(
        extract_centres(&app, &region, "persons", "FY2023").await,
        strings(&[CENTER, OTHER_CENTER])
    );
    assert_eq!(
        extract_centres(&app, &region, "persons", "FY2024").await,
        strings(&[CENTER])
    );

    // Sync status: the region's centres as they are today.
    let status: SyncStatus = expect_json(app.get("/api/v1/sync/status", &region).await, StatusCode::OK).await;
    let centres: Vec<&str> = status.centers.iter().map(|c| c.center.as_str()).collect();
    assert_eq!(centres, [CENTER]);
}

#[tokio::test]
async fn a_regional_office_reads_the_locks_of_its_municipalities_as_of_the_locked_period() {
    let app = hub().await;
    let pref = app.token(Role::Prefecture).await;
    for (scope, period) in [
        (json!({"level": "prefecture"}), "FY2019"),
        (
            json!({"level": "municipality", "code": CENTER_MUNICIPALITY}),
            "FY2020",
        ),
        (json!({"level": "center", "code": CENTER}), "FY2021"),
        // 室戸市: in the region for FY2023, not for FY2024.
        (
            json!({"level": "municipality", "code": OTHER_MUNICIPALITY}),
            "FY2023",
        ),
        (
            json!({"level": "municipality", "code": OTHER_MUNICIPALITY}),
            "FY2024",
        ),
        (json!({"level": "center", "code": OTHER_CENTER}), "2024-05"),
        // Just outside: never.
        (json!({"level": "municipality", "code": "392031"}), "FY2022"),
        (json!({"level": "center", "code": JUST_OUTSIDE}), "FY2022"),
    ] {
        let _: PeriodLockView = expect_json(
            app.post(
                "/api/v1/period-locks",
                &pref,
                &json!({"scope": scope, "period": period}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let region = app.token(Role::Region).await;
    let locks: Vec<PeriodLockView> =
        expect_json(app.get("/api/v1/period-locks", &region).await, StatusCode::OK).await;
    let mut seen: Vec<(String, String)> = locks
        .iter()
        .map(|l| {
            (
                l.scope.code().unwrap_or("prefecture").to_owned(),
                l.period.clone(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (CENTER_MUNICIPALITY.to_owned(), "FY2020".to_owned()),
            (OTHER_MUNICIPALITY.to_owned(), "FY2023".to_owned()),
            (CENTER.to_owned(), "FY2021".to_owned()),
            ("prefecture".to_owned(), "FY2019".to_owned()),
        ]
    );
    // Nor may anyone lock a region: a region's municipalities change, a lock is on what it freezes.
    let res = app
        .post(
            "/api/v1/period-locks",
            &pref,
            &json!({"scope": {"level": "region", "code": REGION}, "period": "FY2018"}),
        )
        .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem.errors[0].field, "scope.level");
}

#[tokio::test]
async fn a_person_at_two_centres_of_one_region_counts_once_there_and_region_rows_add_up_to_the_prefecture() {
    let app = hub().await;
    let pref = app.token(Role::Prefecture).await;
    // FY2023: X at C001 (高知市) and C002 (室戸市), both `central` then: one person there.
    let q = "measures=participations,unique_persons&rows=region&period=FY2023&totals=true";
    let r = stats(&app, &pref, q).await;
    assert_eq!(
        rows(&r),
        [
            (REGION.to_owned(), vec![2, 1]),
            (OTHER_REGION.to_owned(), vec![1, 1])
        ]
    );
    assert_eq!(totals(&r), [3, 2]);
    // By municipality the same person is in two rows.
    let by_municipality = stats(
        &app,
        &pref,
        &format!("measures=unique_persons&rows=municipality&period=FY2023&filter=region:{REGION}"),
    )
    .await;
    assert_eq!(
        rows(&by_municipality),
        [
            (CENTER_MUNICIPALITY.to_owned(), vec![1]),
            (OTHER_MUNICIPALITY.to_owned(), vec![1])
        ]
    );
    // FY2024: 室戸市 counts in `east`, 南国市 in no region; the rows add up to the prefecture's
    // total, from the year aggregates (whole years) and from the facts (by month) alike.
    for extra in ["", "&filter=month:2024-06"] {
        let q = format!("measures=participations,activities&rows=region&period=FY2024&totals=true{extra}");
        let r = stats(&app, &pref, &q).await;
        assert_eq!(
            rows(&r),
            [
                (REGION.to_owned(), vec![3, 1]),
                (OTHER_REGION.to_owned(), vec![2, 2]),
                ("unknown".to_owned(), vec![1, 1])
            ],
            "{extra}"
        );
        let sum: Vec<u64> = (0..2).map(|i| rows(&r).iter().map(|(_, v)| v[i]).sum()).collect();
        let whole = stats(
            &app,
            &pref,
            &format!("measures=participations,activities&period=FY2024&totals=true{extra}"),
        )
        .await;
        assert_eq!(sum, totals(&whole), "{extra}");
        assert_eq!(totals(&r), totals(&whole), "{extra}");
    }
    // Registry measures by region: as of the registration date and the stock's day.
    let registry = stats(
        &app,
        &pref,
        "measures=new_registrations,registered_persons&rows=region&period=FY2024",
    )
    .await;
    assert_eq!(
        rows(&registry),
        [
            (REGION.to_owned(), vec![0, 1]),
            (OTHER_REGION.to_owned(), vec![0, 2]),
            ("unknown".to_owned(), vec![0, 1])
        ]
    );
    // CSV: the region's column with its name, and 所属なし for no region.
    let res = app
        .get(
            "/api/v1/stats?measures=participations&rows=region&period=FY2024&format=csv&encoding=utf-8",
            &pref,
        )
        .await;
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("福祉保健所"), "{csv}");
    assert!(csv.contains("中央福祉保健所"), "{csv}");
    assert!(csv.contains("所属なし"), "{csv}");
    // An unknown region code is named.
    let res = app
        .get(
            "/api/v1/stats?measures=participations&period=FY2024&filter=region:nowhere",
            &pref,
        )
        .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem.errors[0].field, "filter");
}

#[tokio::test]
async fn an_integrator_token_of_a_region_sees_what_the_regional_office_sees() {
    // Exact figures for the comparison: integrators' small cells are otherwise hidden and their
    // people counts perturbed.
    let app = hub_with(|s| {
        s.stats.suppression.remove("integrator");
        s.stats.perturbation.remove("integrator");
    })
    .await;
    let pref = app.token(Role::Prefecture).await;
    // Record-level extracts only with a grant, as for any integrator token.
    let body = json!({"name": "地域集計", "scope": {"level": "region", "code": REGION}, "expires_on": null,
                      "extracts": "coarsened"});
    let token: CreatedApiToken = expect_json(
        app.post("/api/v1/api-tokens", &pref, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let region = app.token(Role::Region).await;
    for q in [
        "measures=participations,unique_persons&rows=center&period=FY2023",
        "measures=participations&rows=municipality&period=FY2024",
    ] {
        assert_eq!(
            rows(&stats(&app, &token.token, q).await),
            rows(&stats(&app, &region, q).await),
            "{q}"
        );
    }
    assert_eq!(
        extract_centres(&app, &token.token, "participations", "FY2024").await,
        strings(&[CENTER])
    );
    // A region that does not exist is named.
    let body = json!({"name": "x", "scope": {"level": "region", "code": "nowhere"}, "expires_on": null});
    let problem = expect_problem(
        app.post("/api/v1/api-tokens", &pref, &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "scope.code");
    // A regional office's account needs a region scope, and the region must exist.
    for (role, scope) in [
        (
            "region",
            json!({"level": "municipality", "code": CENTER_MUNICIPALITY}),
        ),
        ("region", json!({"level": "region", "code": "nowhere"})),
        ("municipality", json!({"level": "region", "code": REGION})),
    ] {
        let body = json!({"username": "new-office", "display_name": "新しい事務所", "password": PASSWORD,
                          "role": role, "scope": scope});
        let problem = expect_problem(
            app.post("/api/v1/accounts", &pref, &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(
            problem
                .errors
                .iter()
                .any(|e| e.field == "scope" || e.field == "scope.code"),
            "{role} {scope}"
        );
    }
}

#[tokio::test]
async fn the_prefecture_maintains_regions_and_a_municipality_is_in_one_region_at_a_time() {
    let app = spawn_node(NodeRole::Hub).await;
    let pref = app.token(Role::Prefecture).await;
    let put = |code: &str, members: Value| {
        json!({"code": code, "name": "西部福祉保健所", "sort_order": 3, "valid_from": "2009-04-01",
               "valid_to": null, "members": members})
    };
    // 室戸市 is `central`'s until FY2023 and `east`'s from FY2024: a third region cannot take it
    // for FY2023 …
    let clash = put(
        "west",
        json!([{"municipality": OTHER_MUNICIPALITY, "valid_from": "2023-04-01", "valid_to": "2024-03-31"}]),
    );
    let problem = expect_problem(
        app.put("/api/v1/regions/west", &pref, &clash).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let errors = problem.errors;
    assert_eq!(errors[0].field, "members");
    assert_eq!(errors[0].code, "region_overlap");
    assert!(errors[0].message.contains(REGION), "{}", errors[0].message);
    // … nor a membership that does not run for whole fiscal years.
    let ragged = put(
        "west",
        json!([{"municipality": "392057", "valid_from": "2023-05-01", "valid_to": null}]),
    );
    let problem = expect_problem(
        app.put("/api/v1/regions/west", &pref, &ragged).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "members[0].valid_from");
    // The URL and the body must agree.
    let ok = put(
        "west",
        json!([{"municipality": "392057", "valid_from": "2009-04-01", "valid_to": null}]),
    );
    let problem = expect_problem(
        app.put("/api/v1/regions/other", &pref, &ok).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "code");
    // A good one is stored, listed for everyone, and audited.
    let saved: shared::dto::master::RegionView =
        expect_json(app.put("/api/v1/regions/west", &pref, &ok).await, StatusCode::OK).await;
    assert_eq!(saved.members.len(), 1);
    let staff = app.token(Role::CenterStaff).await;
    let listed: Vec<shared::dto::master::RegionView> =
        expect_json(app.get("/api/v1/master/regions", &staff).await, StatusCode::OK).await;
    let codes: Vec<&str> = listed.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, [REGION, OTHER_REGION, "west"]);
    let audited = app.audit_rows().await;
    assert!(audited
        .iter()
        .any(|r| r.entry.action == "region.put" && r.entry.target.as_deref() == Some("west")));
    // Moving 室戸市 back to `central` from FY2025 needs `east` to give it up first.
    let central_again = json!({"code": REGION, "name": "中央福祉保健所", "sort_order": 1,
        "valid_from": "2009-04-01", "valid_to": null, "members": [
            {"municipality": CENTER_MUNICIPALITY, "valid_from": "2009-04-01", "valid_to": null},
            {"municipality": OTHER_MUNICIPALITY, "valid_from": "2009-04-01", "valid_to": "2024-03-31"},
            {"municipality": OTHER_MUNICIPALITY, "valid_from": "2025-04-01", "valid_to": null}]});
    let res = app
        .put(&format!("/api/v1/regions/{REGION}"), &pref, &central_again)
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    let east = json!({"code": OTHER_REGION, "name": "東部福祉保健所", "sort_order": 2,
        "valid_from": "2009-04-01", "valid_to": null, "members": [
            {"municipality": OTHER_MUNICIPALITY, "valid_from": "2024-04-01", "valid_to": "2025-03-31"},
            {"municipality": "392031", "valid_from": "2009-04-01", "valid_to": null}]});
    let _: Value = expect_json(
        app.put(&format!("/api/v1/regions/{OTHER_REGION}"), &pref, &east)
            .await,
        StatusCode::OK,
    )
    .await;
    let _: Value = expect_json(
        app.put(&format!("/api/v1/regions/{REGION}"), &pref, &central_again)
            .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn a_regions_new_member_changes_its_figures_at_once_not_a_cached_answer() {
    let app = hub().await;
    let pref = app.token(Role::Prefecture).await;
    let query = "/api/v1/stats?measures=unique_persons&rows=region&period=FY2024";
    let ask = || async {
        let res = app.get(query, &pref).await;
        assert_eq!(res.status(), StatusCode::OK);
        let served = res.headers()["x-attaka-cache"].to_str().unwrap().to_owned();
        (served, rows(&res.json::<StatsResponse>().await.unwrap()))
    };
    let (first, before) = ask().await;
    let (second, again) = ask().await;
    assert_eq!((first.as_str(), second.as_str()), ("miss", "hit"));
    assert_eq!(before, again);
    let east_before = before.iter().find(|(code, _)| code == OTHER_REGION).unwrap().1[0];
    // 南国市 (C004, person Z) joins `east` for good.
    let east = json!({"code": OTHER_REGION, "name": "東部福祉保健所", "sort_order": 2,
        "valid_from": "2009-04-01", "valid_to": null, "members": [
            {"municipality": OTHER_MUNICIPALITY, "valid_from": "2024-04-01", "valid_to": null},
            {"municipality": "392031", "valid_from": "2009-04-01", "valid_to": null},
            {"municipality": "392049", "valid_from": "2009-04-01", "valid_to": null}]});
    let _: Value = expect_json(
        app.put(&format!("/api/v1/regions/{OTHER_REGION}"), &pref, &east)
            .await,
        StatusCode::OK,
    )
    .await;
    let (third, after) = ask().await;
    assert_eq!(third, "miss", "a region's change drops the cached answers");
    let east_after = after.iter().find(|(code, _)| code == OTHER_REGION).unwrap().1[0];
    assert_eq!(east_after, east_before + 1, "{before:?} → {after:?}");
    assert!(
        after.iter().all(|(code, v)| code != "unknown" || v[0] == 0),
        "no centre is left outside a region: {after:?}"
    );
}
