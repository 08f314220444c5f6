//! Expensive requests under attack (issue 13, finding 5): `/stats` refuses too many row
//! dimensions and too large a table before any SQL runs, a request over its time budget is
//! answered 422 and its SQL interrupted, an extraction over its budget is cut off; every limit
//! is named in the answer, set in configuration and described in the OpenAPI document.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;

use shared::error::ProblemCode;

use crate::helpers::*;

const TEN_DIMENSIONS: &str = "date,municipality,center,site,function,sex,age_band,group,category,care_level";

#[tokio::test]
async fn ten_row_dimensions_over_two_years_are_refused_before_any_sql_naming_the_limit() {
    let app = spawn_app().await;
    let city = app.token(Role::Municipality).await;
    let started = Instant::now();
    let res = app
        .get(
            &format!("/api/v1/stats?measures=participations,unique_persons&rows={TEN_DIMENSIONS}&from=2023-04-01&to=2025-03-31"),
            &city,
        )
        .await;
    let problem = expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem.code, ProblemCode::TooManyDimensions);
    assert_eq!(problem.errors[0].field, "stats.max_row_dimensions");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_table_larger_than_max_cells_is_refused_with_413_naming_the_limit() {
    let app = spawn_with(NodeRole::Center, |s| s.stats.max_cells = 1_000).await;
    let pref = app.token(Role::Prefecture).await;
    // 365 days × 2 centres × 2 measures = 1,460 possible cells.
    let res = app
        .get(
            "/api/v1/stats?measures=participations,unique_persons&rows=date,center&period=FY2024",
            &pref,
        )
        .await;
    let problem = expect_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(problem.code, ProblemCode::ResultTooLarge);
    assert_eq!(problem.errors[0].field, "stats.max_cells");
    assert!(problem.detail.contains("1460"), "{}", problem.detail);
    // A month of it fits.
    let res = app
        .get(
            "/api/v1/stats?measures=participations,unique_persons&rows=date,center&period=2024-05",
            &pref,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A centre node with demo data (a year and more of activities) and `adjust`ed limits.
async fn with_data(adjust: impl FnOnce(&mut api::config::Settings)) -> TestApp {
    let app = spawn_with(NodeRole::Center, adjust).await;
    let settings = settings(NodeRole::Center, app.dir.path());
    api::demo::fill(&app.node, &settings, &api::demo::DemoArgs { seed: 7, people: 60 })
        .await
        .expect("demo data");
    app
}

#[tokio::test]
async fn a_stats_request_over_its_time_budget_is_answered_422_naming_the_limit() {
    let app = with_data(|s| s.stats.timeout_ms = 1).await;
    let pref = app.token(Role::Prefecture).await;
    let today = chrono::Utc::now().date_naive();
    let res = app
        .get(
            &format!(
                "/api/v1/stats?measures=participations,unique_persons,activities,open_days&rows=date&from=2020-04-01&to={today}&totals=true"
            ),
            &pref,
        )
        .await;
    let problem = expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem.code, ProblemCode::TimeBudgetExceeded);
    assert_eq!(problem.errors[0].field, "stats.timeout_ms");
}

#[tokio::test]
async fn an_extraction_over_its_time_budget_is_cut_off_and_audited_as_failed() {
    let app = with_data(|s| s.stats.extract_timeout_ms = 1).await;
    let pref = app.token(Role::Prefecture).await;
    let today = chrono::Utc::now().date_naive();
    let res = app
        .get(
            &format!("/api/v1/extracts/participations?from=2020-04-01&to={today}&format=ndjson"),
            &pref,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the headers went out before the budget ran out"
    );
    assert!(
        res.bytes().await.is_err(),
        "the transfer ends in error, never as a whole file"
    );
    let mut audited = None;
    for _ in 0..100 {
        audited = app
            .audit_rows()
            .await
            .into_iter()
            .find(|r| r.entry.action == "extract.read.end");
        if audited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The start was audited before the first byte (`extract.read`); its end says how it went.
    let row = audited.expect("the extraction's end is audited");
    assert_eq!(row.entry.outcome.as_str(), "failed");
    assert!(
        row.entry
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("stats.extract_timeout_ms"),
        "{:?}",
        row.entry.detail
    );
}

#[test]
fn the_limits_are_described_in_the_openapi_document() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::json()).unwrap();
    let stats = &doc["paths"]["/api/v1/stats"]["get"];
    let text = stats.to_string();
    for limit in ["max_row_dimensions", "max_cells", "timeout_ms"] {
        assert!(text.contains(limit), "/stats does not describe {limit}");
    }
    assert!(stats["responses"]["413"].is_object());
    assert!(stats["responses"]["422"].is_object());
    let extracts = doc["paths"]["/api/v1/extracts/{kind}"]["get"].to_string();
    assert!(extracts.contains("extract_timeout_ms"));
}
