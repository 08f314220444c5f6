//! What the privacy tests share: a hub with generated data, integrator tokens with a chosen
//! extracts grant, and reading NDJSON extracts and `/stats` tables.

use std::collections::BTreeMap;

use api::generate::{self, GenerateArgs};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::{CreatedApiToken, Role};
use shared::dto::meta::NodeRole;
use shared::dto::stats::{ColumnKind, StatsResponse};

use crate::helpers::*;

pub type Map = serde_json::Map<String, Value>;

/// A hub with `centers` generated centres over FY2024 (seed 5), and a prefecture officer's token.
pub async fn generated_hub(centers: usize, people: u32) -> (TestApp, String) {
    let app = spawn_node(NodeRole::Hub).await;
    let dir = tempfile::tempdir().unwrap();
    let args = GenerateArgs {
        centers,
        years: 1,
        last_fiscal_year: Some(2024),
        people,
        seed: 5,
    };
    generate::run(app.store.clone(), &settings(NodeRole::Hub, dir.path()), &args)
        .await
        .expect("generated");
    let pref = app.token(Role::Prefecture).await;
    (app, pref)
}

/// Makes an integrator token as `creator`; `extracts` is left out of the request when `None`
/// (as every script did before grants existed).
pub async fn integrator_token(
    app: &TestApp,
    creator: &str,
    scope: Value,
    extracts: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"name": "連携テスト", "scope": scope, "expires_on": null});
    if let Some(grant) = extracts {
        body["extracts"] = json!(grant);
    }
    app.post("/api/v1/api-tokens", creator, &body).await
}

/// The token text of a token made by the prefecture.
pub async fn granted(app: &TestApp, pref: &str, scope: Value, extracts: Option<&str>) -> String {
    let created: CreatedApiToken = expect_json(
        integrator_token(app, pref, scope, extracts).await,
        StatusCode::CREATED,
    )
    .await;
    created.token
}

pub async fn ndjson(app: &TestApp, token: &str, kind: &str, query: &str) -> Vec<Map> {
    let res = app
        .get(&format!("/api/v1/extracts/{kind}?format=ndjson&{query}"), token)
        .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{kind}?{query}: {text}");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

pub fn s<'a>(row: &'a Map, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

pub async fn stats(app: &TestApp, token: &str, query: &str) -> StatsResponse {
    expect_json(
        app.get(&format!("/api/v1/stats?{query}"), token).await,
        StatusCode::OK,
    )
    .await
}

/// Rows by their dimension codes; measure cells as `Some(n)` or `None` (hidden).
pub fn cells(r: &StatsResponse) -> BTreeMap<Vec<String>, Vec<Option<u64>>> {
    let dims: Vec<usize> = r
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ColumnKind::Dimension)
        .map(|(i, _)| i)
        .collect();
    let measures: Vec<usize> = r
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ColumnKind::Measure)
        .map(|(i, _)| i)
        .collect();
    r.rows
        .iter()
        .map(|row| {
            let k = dims
                .iter()
                .map(|&i| row[i].as_str().unwrap().to_owned())
                .collect();
            let v = measures.iter().map(|&i| row[i].as_u64()).collect();
            (k, v)
        })
        .collect()
}

/// The totals' measure cells.
pub fn totals(r: &StatsResponse) -> Vec<Option<u64>> {
    let t = r.totals.as_ref().expect("totals");
    r.columns
        .iter()
        .zip(t)
        .filter(|(c, _)| c.kind == ColumnKind::Measure)
        .map(|(_, v)| v.as_u64())
        .collect()
}

/// Pins the node's cell-key secret before anything uses it, so the noise of a test's tables
/// is the same on every run (on the hub's SQLite file or its SQL Server database).
pub async fn pin_cell_key_secret(app: &TestApp) {
    let key = "5A".repeat(32);
    let pinned = app
        .hub_execute(
            &format!("INSERT INTO node_secrets (name, value, created_at) VALUES ('cell_key', X'{key}', '2025-01-01T00:00:00Z')"),
            &format!("INSERT INTO node_secrets (name, value, created_at) VALUES (N'cell_key', 0x{key}, '2025-01-01T00:00:00')"),
        )
        .await;
    assert_eq!(pinned, 1, "the cell-key secret is not made yet");
}
