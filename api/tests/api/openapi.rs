//! The committed OpenAPI document equals what the code generates, and the explorer is served.

use reqwest::StatusCode;

use crate::helpers::*;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).expect("openapi/openapi.json exists");
    let generated = api::openapi::json();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -q -p api -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_explorer_and_spec_are_served_without_internet() {
    let app = spawn_app().await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/api/v1/persons"].is_object());
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(!html.contains("cdn"), "explorer must not load from a CDN");
    // Its assets come from this node.
    let js = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.bytes().await.unwrap().len() > 100_000);
}

#[test]
fn every_problem_code_has_a_japanese_message_and_is_listed_in_the_spec() {
    let spec: serde_json::Value = serde_json::from_str(&api::openapi::json()).expect("spec is JSON");
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ProblemCode"
    );
    let listed: Vec<&str> = schemas["ProblemCode"]["enum"]
        .as_array()
        .expect("ProblemCode is an enum of strings")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect();
    for code in ProblemCode::ALL {
        assert!(listed.contains(&code.as_str()), "{code} missing from the spec");
        assert!(!code.message_ja().trim().is_empty(), "{code} has no message");
        assert!(!code.title_ja().trim().is_empty(), "{code} has no title");
    }
    assert_eq!(listed.len(), ProblemCode::ALL.len(), "{listed:?}");
}

#[tokio::test]
async fn a_problem_names_its_code_in_its_type_and_has_the_codes_title() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/persons")).send().await.unwrap();
    let p = expect_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(p.code, ProblemCode::Unauthenticated);
    assert_eq!(p.kind, "urn:attaka:problem:unauthenticated");
    assert_eq!(p.title, ProblemCode::Unauthenticated.title_ja());
    assert_eq!(p.detail, ProblemCode::Unauthenticated.message_ja());
}
