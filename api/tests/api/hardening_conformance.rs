//! The OpenAPI document under attack (issue 13, finding 10): every operation of
//! `openapi/openapi.json` is called in invalid ways (no token, a forged one, every role's, a
//! broken query, empty, unexpected and non-JSON bodies, unknown IDs) on a centre and on the hub,
//! and any status the document does not list for that operation fails the test, as does an
//! error that is not problem+json. A method a path does not have must be 405 with `Allow`.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

/// Values for path parameters that are well-formed but name nothing.
fn fill(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{common_id}", "C001-999999-0")
        .replace("{code}", "C999")
        .replace("{site}", "C999-S99")
        .replace("{list}", "no_such_list")
        .replace("{kind}", "no_such_kind")
}

enum Variant {
    Plain,
    BrokenQuery,
    EmptyObject,
    UnexpectedField,
    NotJson,
}

const VARIANTS: [Variant; 5] = [
    Variant::Plain,
    Variant::BrokenQuery,
    Variant::EmptyObject,
    Variant::UnexpectedField,
    Variant::NotJson,
];

impl Variant {
    fn name(&self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::BrokenQuery => "?zzz=%FF",
            Variant::EmptyObject => "{}",
            Variant::UnexpectedField => "{unexpected}",
            Variant::NotJson => "text/plain",
        }
    }
}

async fn conformance(role: NodeRole) {
    let app = spawn_node(role).await;
    let spec: Value = serde_json::from_str(&api::openapi::json()).unwrap();
    let mut callers: Vec<(String, Option<String>)> = vec![
        ("no token".into(), None),
        (
            "a forged token".into(),
            Some("eyJhbGciOiJIUzI1NiJ9.e30.forged".into()),
        ),
        (
            "a forged API token".into(),
            Some(format!("atk_{}", "0".repeat(64))),
        ),
    ];
    for r in [
        Role::CenterStaff,
        Role::CenterAdmin,
        Role::Municipality,
        Role::Prefecture,
        Role::Operator,
        Role::Integrator,
    ] {
        callers.push((r.as_str().into(), Some(app.token(r).await)));
    }
    let mut failures = Vec::new();
    let mut calls = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let url = fill(path);
        let methods: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        for (method, op) in item.as_object().unwrap() {
            let documented: BTreeSet<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|k| k.parse().ok())
                .collect();
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            for (who, token) in &callers {
                for variant in &VARIANTS {
                    let mut target = app.url(&url);
                    if matches!(variant, Variant::BrokenQuery) {
                        target.push_str("?zzz=%FF");
                    }
                    let mut req = app.client.request(method.clone(), target);
                    if let Some(t) = token {
                        req = req.bearer_auth(t);
                    }
                    req = match variant {
                        Variant::EmptyObject => req.json(&serde_json::json!({})),
                        Variant::UnexpectedField => req.json(&serde_json::json!({"unexpected": [1]})),
                        Variant::NotJson => req.header("content-type", "text/plain").body("x"),
                        _ => req,
                    };
                    let res = req.send().await.unwrap();
                    calls += 1;
                    let status = res.status().as_u16();
                    let content_type = res
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = res.text().await.unwrap_or_default();
                    let case = format!("{method} {path} by {who}, {}", variant.name());
                    if !documented.contains(&status) {
                        failures.push(format!(
                            "{case}: {status} is not documented ({documented:?}): {}",
                            body.chars().take(200).collect::<String>()
                        ));
                    }
                    if status >= 400 && !content_type.starts_with("application/problem+json") {
                        failures.push(format!("{case}: {status} answered as {content_type:?}"));
                    }
                }
            }
        }
        // A method the path does not have.
        let res = app
            .client
            .request(Method::PATCH, app.url(&url))
            .send()
            .await
            .unwrap();
        if !methods.contains(&"patch") {
            let allow = res
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut allowed: Vec<&str> = allow.split(", ").filter(|m| !m.is_empty()).collect();
            allowed.sort_unstable();
            let mut expected = methods.clone();
            expected.sort_unstable();
            if res.status() != StatusCode::METHOD_NOT_ALLOWED || allowed != expected {
                failures.push(format!(
                    "PATCH {path}: {} with Allow {allow:?}, expected 405 with {expected:?}",
                    res.status()
                ));
            }
        }
    }
    assert!(calls > 1_000, "{calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls break the document:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_operation_called_in_invalid_ways_on_a_centre_answers_only_documented_statuses() {
    conformance(NodeRole::Center).await;
}

#[tokio::test]
async fn every_operation_called_in_invalid_ways_on_the_hub_answers_only_documented_statuses() {
    conformance(NodeRole::Hub).await;
}
