//! Record-level extracts by role (decision 0019): the prefecture's exact view, municipalities'
//! coarsened view of their own centres, per-recipient pseudonyms, and integrator tokens that
//! receive nothing without a grant the prefecture chose.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::json;
use shared::common_id::CommonId;
use shared::dto::auth::{ApiTokenView, Role};
use shared::dto::meta::NodeRole;

use crate::helpers::*;
use crate::privacy_support::*;

const KINDS: [&str; 3] = ["participations", "activities", "persons"];

#[tokio::test]
async fn an_integrator_token_made_without_an_extracts_grant_gets_403_on_every_extract() {
    let app = spawn_node(NodeRole::Hub).await;
    let pref = app.token(Role::Prefecture).await;
    // The request every script sent before grants existed: no `extracts`.
    let token = granted(&app, &pref, json!({"level": "prefecture"}), None).await;
    for kind in KINDS {
        let res = app
            .get(&format!("/api/v1/extracts/{kind}?period=FY2024"), &token)
            .await;
        expect_problem(res, StatusCode::FORBIDDEN).await;
    }
    // Its figures still come.
    let res = app
        .get("/api/v1/stats?measures=participations&period=FY2024", &token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed: Vec<ApiTokenView> =
        expect_json(app.get("/api/v1/api-tokens", &pref).await, StatusCode::OK).await;
    assert_eq!(listed[0].extracts, shared::dto::auth::ExtractGrant::None);
}

#[tokio::test]
async fn only_the_prefecture_grants_extracts_and_the_detailed_view_only_to_a_prefecture_wide_token() {
    let app = spawn_node(NodeRole::Hub).await;
    let pref = app.token(Role::Prefecture).await;
    let town = json!({"level": "municipality", "code": CENTER_MUNICIPALITY});
    let p = expect_problem(
        integrator_token(&app, &pref, town.clone(), Some("detailed")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        (p.errors[0].field.as_str(), p.errors[0].code.as_str()),
        ("extracts", "not_for_scope")
    );
    let res = integrator_token(&app, &pref, town, Some("coarsened")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // A centre manager makes tokens for the centre, but grants no extracts.
    let manager = app.token(Role::CenterAdmin).await;
    let centre = json!({"level": "center", "code": CENTER});
    expect_problem(
        integrator_token(&app, &manager, centre.clone(), Some("coarsened")).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = integrator_token(&app, &manager, centre, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = integrator_token(&app, &pref, json!({"level": "prefecture"}), Some("everything")).await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn the_prefecture_and_a_detailed_token_still_get_common_ids_and_exact_attributes() {
    let (app, pref) = generated_hub(3, 300).await;
    let detailed = granted(&app, &pref, json!({"level": "prefecture"}), Some("detailed")).await;
    for token in [&pref, &detailed] {
        let persons = ndjson(&app, token, "persons", "period=FY2024").await;
        assert!(persons.len() > 100);
        for p in &persons {
            assert!(CommonId::parse(s(p, "common_id")).is_ok(), "{p:?}");
            assert_eq!(s(p, "birth_year_month").len(), 7, "{p:?}");
            assert_eq!(s(p, "registered_on").len(), 10, "{p:?}");
            assert!(!s(p, "care_level").is_empty() && !s(p, "household").is_empty());
        }
        let participations = ndjson(&app, token, "participations", "period=2024-05").await;
        assert!(participations
            .iter()
            .all(|p| s(p, "date").len() == 10 && !s(p, "activity_id").is_empty()));
    }
    let text = app
        .get(
            "/api/v1/extracts/persons?period=FY2024&labels=code&encoding=utf-8",
            &pref,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("common_id,center,municipality,sex,birth_year_month,residence_municipality,"));
}

#[tokio::test]
async fn a_municipality_receives_its_own_centres_only_coarsened_and_pseudonymised() {
    let (app, pref) = generated_hub(5, 500).await;
    let city = app.token(Role::Municipality).await;
    let own: Vec<String> = app
        .store
        .centers()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.municipality == CENTER_MUNICIPALITY)
        .map(|c| c.code)
        .collect();
    let exact = ndjson(
        &app,
        &pref,
        "participations",
        &format!("period=FY2024&filter=municipality:{CENTER_MUNICIPALITY}"),
    )
    .await;
    let mine = ndjson(&app, &city, "participations", "period=FY2024").await;
    assert!(!mine.is_empty());
    assert_eq!(
        mine.len(),
        exact.len(),
        "every participation at its centres, nothing else"
    );
    let real: BTreeSet<&str> = exact.iter().map(|p| s(p, "common_id")).collect();
    let pseudonyms: BTreeSet<&str> = mine.iter().map(|p| s(p, "common_id")).collect();
    assert_eq!(
        pseudonyms.len(),
        real.len(),
        "distinct people still count exactly"
    );
    assert!(pseudonyms.is_disjoint(&real));
    for p in &mine {
        assert!(own.iter().any(|c| c == s(p, "center")), "{p:?}");
        assert_eq!(s(p, "municipality"), CENTER_MUNICIPALITY);
        assert_eq!(s(p, "date").len(), 7, "a month: {p:?}");
        assert_eq!(
            (s(p, "activity_id"), s(p, "care_level"), s(p, "household")),
            ("", "", "")
        );
        assert!(s(p, "common_id").starts_with('P'));
    }
    let persons = ndjson(&app, &city, "persons", "period=FY2024").await;
    for p in &persons {
        assert!(own.iter().any(|c| c == s(p, "center")), "{p:?}");
        assert!(
            !p.contains_key("birth_year_month") && s(p, "age_band").starts_with("age_"),
            "{p:?}"
        );
        for withheld in [
            "residence_municipality",
            "registered_on",
            "ended_on",
            "end_reason",
            "care_level",
        ] {
            assert_eq!(s(p, withheld), "", "{withheld}: {p:?}");
        }
    }
    // The header says what the columns hold.
    let text = app
        .get(
            "/api/v1/extracts/persons?period=FY2024&labels=code&encoding=utf-8",
            &city,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with("common_id,center,municipality,sex,age_band,residence_municipality,"),
        "{text}"
    );
    // The audit says which view left, for whom.
    let views: BTreeSet<(String, String)> = app
        .audit_rows()
        .await
        .into_iter()
        .filter(|r| r.entry.action == "extract.read")
        .map(|r| {
            let detail: serde_json::Value = serde_json::from_str(r.entry.detail.as_deref().unwrap()).unwrap();
            (
                r.entry.actor.clone().unwrap_or_default(),
                detail["view"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        views.contains(&("city".to_owned(), "coarsened".to_owned())),
        "{views:?}"
    );
    assert!(
        views.contains(&("pref".to_owned(), "exact".to_owned())),
        "{views:?}"
    );
}

#[tokio::test]
async fn pseudonyms_are_stable_for_a_recipient_and_differ_between_recipients() {
    let (app, pref) = generated_hub(3, 300).await;
    let town = json!({"level": "municipality", "code": CENTER_MUNICIPALITY});
    let first = app.login_as("city").await.access_token;
    let again = app.login_as("city").await.access_token;
    let token = granted(&app, &pref, town.clone(), Some("coarsened")).await;
    let other_token = granted(&app, &pref, town, Some("coarsened")).await;
    let q = "period=FY2024";
    let people = |rows: &[Map]| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in rows {
            *m.entry(s(r, "common_id").to_owned()).or_insert(0) += 1;
        }
        m
    };
    let a = people(&ndjson(&app, &first, "participations", q).await);
    let b = people(&ndjson(&app, &again, "participations", q).await);
    assert!(a.len() > 20);
    assert_eq!(a, b, "the same account, another session: the same pseudonyms");
    // The persons extract of the same recipient names the same people the same way.
    let persons: BTreeSet<String> = ndjson(&app, &first, "persons", q)
        .await
        .iter()
        .map(|p| s(p, "common_id").to_owned())
        .collect();
    assert!(a.keys().all(|p| persons.contains(p)));
    let c = people(&ndjson(&app, &token, "participations", q).await);
    let d = people(&ndjson(&app, &other_token, "participations", q).await);
    for other in [&c, &d] {
        assert_eq!(other.len(), a.len());
        assert!(
            other.keys().all(|p| !a.contains_key(p)),
            "not linkable across recipients"
        );
        let mut counts_a: Vec<usize> = a.values().copied().collect();
        let mut counts_o: Vec<usize> = other.values().copied().collect();
        counts_a.sort_unstable();
        counts_o.sort_unstable();
        assert_eq!(counts_a, counts_o, "the same people, named otherwise");
    }
    assert!(
        c.keys().all(|p| !d.contains_key(p)),
        "two tokens are two recipients"
    );
}

#[tokio::test]
async fn a_coarsened_extract_refuses_ranges_of_days_and_filters_on_what_it_withholds() {
    let app = spawn_node(NodeRole::Hub).await;
    let city = app.token(Role::Municipality).await;
    for (q, field) in [
        ("participations?from=2024-05-10&to=2024-05-10", "period"),
        ("persons?from=2024-05-01&to=2024-05-30", "period"),
        ("participations?period=FY2024&filter=care_level:kaigo2", "filter"),
        ("participations?period=FY2024&filter=date:2024-05-10", "filter"),
        ("participations?period=FY2024&filter=age_band:age_75_84", "filter"),
        ("persons?period=FY2024&filter=household:alone", "filter"),
    ] {
        let p = expect_problem(
            app.get(&format!("/api/v1/extracts/{q}"), &city).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(p.errors[0].field, field, "{q}");
    }
    // Activities hold no person: any range.
    let res = app
        .get("/api/v1/extracts/activities?from=2024-05-10&to=2024-05-10", &city)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
