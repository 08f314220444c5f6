//! `/metrics` on a real centre node: Prometheus text with the node's state, and nothing about
//! anyone.

use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

/// The value of the sample `name{labels}` (or `name` alone).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_give_the_nodes_state_in_prometheus_text_without_a_token() {
    // Synchronising with a hub that does not answer, so changes wait in the outbox.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hub = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_with(NodeRole::Center, |s| {
        crate::sync_support::sync_settings(
            s,
            &hub,
            "ats_0000000000000000000000000000000000000000000000000000000000000000",
        )
    })
    .await;
    let staff = app.token(Role::CenterStaff).await;
    let person = app.register(&staff, &person_input()).await;
    // An alert no task of the node clears on its own (the sync sender manages its own).
    let stuck = api::domain::alert::NewAlert {
        event: "metrics_test_condition",
        subject: CENTER.into(),
        severity: api::domain::alert::Severity::Warn,
        message: "試験用の状態です。".into(),
    };
    api::ops::alerts::raise(app.store.as_ref(), stuck).await.unwrap();
    let settings = settings(NodeRole::Center, app.dir.path());
    api::ops::backup::run_once(app.store.as_ref(), &settings)
        .await
        .unwrap();

    // Two reads of the person: counted under the route's template, never its path.
    for _ in 0..2 {
        let res = app
            .get(&format!("/api/v1/persons/{}", person.common_id), &staff)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    assert!(text.contains("# TYPE attaka_up gauge"), "{text}");
    assert_eq!(
        sample(
            &text,
            &format!(
                "attaka_up{{node=\"{CENTER}\",version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        Some(1.0),
        "{text}"
    );
    let month = api::domain::clock::today_jst().format("%Y-%m").to_string();
    let ratio = sample(&text, &format!("attaka_uptime_ratio{{month=\"{month}\"}}")).expect("ratio");
    assert!((0.0..=1.0).contains(&ratio));
    assert_eq!(
        sample(&text, "attaka_alerts_open{event=\"metrics_test_condition\"}"),
        Some(1.0),
        "{text}"
    );
    // The registration waits in the outbox.
    assert!(
        sample(&text, "attaka_sync_backlog").expect("backlog") >= 1.0,
        "{text}"
    );
    assert!(sample(&text, "attaka_backup_newest_age_seconds").expect("backup age") < 60.0);
    let route = "method=\"GET\",route=\"/api/v1/persons/{common_id}\"";
    assert_eq!(
        sample(
            &text,
            &format!("attaka_http_requests_total{{{route},status=\"200\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("attaka_http_request_duration_seconds_count{{{route}}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("attaka_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE attaka_http_request_duration_seconds histogram"),
        "{text}"
    );
    // The test node's nightly backup is off (backup tests make theirs directly): said as such.
    assert_eq!(sample(&text, "attaka_backup_enabled"), Some(0.0));
    for pii in [
        person.family_name.as_str(),
        person.family_kana.as_str(),
        person.common_id.as_str(),
    ] {
        assert!(!text.contains(pii), "{pii} in /metrics");
    }
}

#[tokio::test]
async fn the_hubs_metrics_count_its_requests_and_its_open_items_and_say_which_leases_it_holds() {
    // A lease lasts three rounds; a round of a second leaves a slow, shared SQL Server room to
    // answer before the lease it renews has run out (an answer later than that counts as not
    // held, decision 0031).
    let hub = spawn_with(NodeRole::Hub, |s| s.watch.interval_ms = 1_000).await;
    let operator = hub.token(Role::Operator).await;
    let body = serde_json::json!({"received_at": chrono::Utc::now().to_rfc3339(), "source_kind": "prefecture",
                                  "channel": "phone", "category": "usage", "summary": "帳票の場所"});
    let res = hub.post("/api/v1/ops/inquiries", &operator, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = hub.get("/api/v1/no-such-route", &operator).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The watch's first round takes the lease; wait for it (bounded), then read the rest.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        let text = hub.metrics_text().await;
        let held = sample(&text, "attaka_lease_held{lease=\"watch\"}") == Some(1.0);
        if held || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(&text, "attaka_ops_open_items{kind=\"inquiry\",sla=\"open\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "attaka_lease_held{lease=\"watch\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "attaka_http_requests_total{method=\"POST\",route=\"/api/v1/ops/inquiries\",status=\"201\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains("no-such-route"),
        "an unknown path is no series of its own: {text}"
    );
}
