//! `attaka generate`: the same seed gives the same facts; they agree with the registry and with
//! `/stats`; on a centre node it makes a valid centre whose IDs carry on.

use std::collections::{BTreeSet, HashMap};

use api::generate::{self, GenerateArgs};
use reqwest::StatusCode;
use serde_json::Value;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::stats::StatsResponse;

use crate::helpers::*;

type Map = serde_json::Map<String, Value>;

fn args(centers: usize) -> GenerateArgs {
    GenerateArgs {
        centers,
        years: 1,
        last_fiscal_year: Some(2024),
        people: 400,
        seed: 11,
    }
}

/// A hub with generated data, and a prefecture officer's token.
async fn generated_hub(centers: usize) -> (TestApp, String) {
    generate_into(spawn_node(NodeRole::Hub).await, centers).await
}

async fn generate_into(app: TestApp, centers: usize) -> (TestApp, String) {
    let dir = tempfile::tempdir().unwrap();
    generate::run(
        app.store.clone(),
        &settings(NodeRole::Hub, dir.path()),
        &args(centers),
    )
    .await
    .expect("generated");
    let token = app.token(Role::Prefecture).await;
    (app, token)
}

async fn text(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn ndjson(app: &TestApp, token: &str, kind: &str) -> Vec<Map> {
    text(
        app,
        token,
        &format!("/api/v1/extracts/{kind}?period=FY2024&format=ndjson"),
    )
    .await
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

fn s<'a>(row: &'a Map, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

#[tokio::test]
async fn the_same_seed_gives_the_same_facts_and_they_agree_with_the_registry_and_the_figures() {
    let (one, t1) = generated_hub(3).await;
    // With the hub on SQL Server the second hub is on SQLite (the test server may hold one hub
    // at a time): the same facts from both dialects.
    let (two, t2) = generate_into(spawn_sqlite_hub().await, 3).await;
    let path = "/api/v1/extracts/participations?period=FY2024&labels=code&encoding=utf-8";
    let (first, second) = (text(&one, &t1, path).await, text(&two, &t2, path).await);
    assert!(first.lines().count() > 1000, "a year of three centres");
    assert_eq!(first, second, "same seed, same participations");

    let persons = ndjson(&one, &t1, "persons").await;
    let registry: HashMap<(&str, &str), &Map> = persons
        .iter()
        .map(|p| ((s(p, "center"), s(p, "common_id")), p))
        .collect();
    let participations = ndjson(&one, &t1, "participations").await;
    let mut functions: HashMap<&str, u64> = HashMap::new();
    for p in &participations {
        let person = registry[&(s(p, "center"), s(p, "common_id"))];
        let date = s(p, "date");
        assert!(
            s(person, "registered_on") <= date,
            "registered before taking part"
        );
        let ended = s(person, "ended_on");
        assert!(
            ended.is_empty() || date <= ended,
            "not after the registration ended"
        );
        assert_eq!(s(p, "group"), s(person, "group"));
        assert_eq!(s(p, "categories"), s(person, "categories"));
        assert_eq!(s(p, "fiscal_year"), "FY2024");
        *functions.entry(s(p, "function")).or_default() += 1;
    }
    let top = functions.iter().max_by_key(|(_, n)| **n).map(|(f, _)| *f);
    assert_eq!(top, Some("tsudoi"), "集い dominates: {functions:?}");

    let activities = ndjson(&one, &t1, "activities").await;
    let unregistered: u64 = activities
        .iter()
        .flat_map(|a| {
            ["elderly", "disabled", "child", "other"]
                .map(|g| a[&format!("unregistered_{g}")].as_u64().unwrap())
        })
        .sum();
    let people: BTreeSet<&str> = participations.iter().map(|p| s(p, "common_id")).collect();
    let stats: StatsResponse = expect_json(
        one.get(
            "/api/v1/stats?measures=participations,unique_persons&period=FY2024&totals=true",
            &t1,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let totals = stats.totals.unwrap();
    assert_eq!(
        totals[0].as_u64(),
        Some(participations.len() as u64 + unregistered)
    );
    assert_eq!(totals[1].as_u64(), Some(people.len() as u64));
}

#[tokio::test]
async fn on_a_centre_node_it_generates_that_centre_with_identities_and_new_ids_carry_on() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let centre = settings(NodeRole::Center, dir.path());
    let refused = generate::run(app.store.clone(), &centre, &args(3)).await;
    assert!(refused.is_err(), "a centre node holds its own centre only");
    generate::run(app.store.clone(), &centre, &args(1))
        .await
        .expect("generated");
    let generated = app.person_count().await;
    assert!(generated > 100, "{generated} people");
    let staff = app.token(Role::CenterStaff).await;
    let list: Value = expect_json(app.get("/api/v1/persons?limit=5", &staff).await, StatusCode::OK).await;
    assert!(
        list.to_string().contains("C001-"),
        "the staff see the generated people: {list}"
    );
    let new = app.register(&staff, &person_input()).await;
    let serial: u64 = new.common_id.as_str()[5..11].parse().unwrap();
    assert!(
        serial > generated,
        "a new registration gets the next serial, not a generated one's"
    );
}
