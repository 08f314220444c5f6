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
