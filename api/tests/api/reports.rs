//! The contract's reports over HTTP on a hub with fixed records in May 2025 (the month it was
//! installed): an inquiry answered late, an incident triaged late, an announced maintenance
//! window inside an outage — as JSON, as CSV, for one incident, for the 年度 and for April,
//! before the node existed. The figures' rules are checked in detail in `ops::reports::tests`;
//! here, that the stored records reach them.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::ops_report::OpsReport;

use api::domain::ops_log::{IncidentRecord, InquiryRecord, MaintenanceRecord};
use api::ops::audit::by_cli;

use crate::helpers::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}:00+09:00"))
        .unwrap()
        .with_timezone(&Utc)
}

async fn run(app: &TestApp, from: &str, to: &str) {
    let lite = |s: &str| t(s).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let tsql = |s: &str| t(s).naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    app.hub_execute(
        &format!(
            "INSERT INTO ops_uptime (started_at, last_seen_at) VALUES ('{}', '{}')",
            lite(from),
            lite(to)
        ),
        &format!(
            "INSERT INTO ops_uptime (started_at, last_seen_at) VALUES ('{}', '{}')",
            tsql(from),
            tsql(to)
        ),
    )
    .await;
}

/// The hub's May 2025.
async fn may(app: &TestApp) {
    run(app, "2025-05-01T00:00", "2025-05-10T00:00").await;
    run(app, "2025-05-10T04:00", "2025-06-30T00:00").await;
    let store = &app.store;
    let inquiry = |received: &str, answered: &str, minutes: u32| InquiryRecord {
        received_at: t(received),
        source_kind: "prefecture".into(),
        source_code: None,
        channel: "email".into(),
        category: "data".into(),
        summary: "年度集計の確認".into(),
        answer: None,
        first_answered_at: Some(t(answered)),
        closed_at: Some(t(answered)),
        work_minutes: minutes,
    };
    for (received, answered, minutes) in [
        ("2025-05-02T09:00", "2025-05-02T10:00", 30),
        ("2025-05-09T17:00", "2025-05-10T18:00", 60),
    ] {
        store
            .create_inquiry(
                &inquiry(received, answered, minutes),
                "operator",
                t(received),
                by_cli("x", None, None),
            )
            .await
            .unwrap();
    }
    let incident = IncidentRecord {
        detected_at: t("2025-05-10T00:05"),
        kind: "failure".into(),
        summary: "ハブが応答しない".into(),
        triaged_at: Some(t("2025-05-10T13:05")),
        resolved_at: Some(t("2025-05-10T14:00")),
        cause: Some("OS 更新の失敗".into()),
        impact: Some("県・市町村の集計閲覧が約4時間不可".into()),
        handling: Some("更新を戻して再起動".into()),
        work_minutes: 240,
    };
    store
        .create_incident(
            &incident,
            "operator",
            t("2025-05-10T00:10"),
            by_cli("x", None, None),
        )
        .await
        .unwrap();
    let window = MaintenanceRecord {
        starts_at: t("2025-05-10T01:00"),
        ends_at: t("2025-05-10T03:00"),
        summary: "定期点検".into(),
        work_minutes: 120,
    };
    store
        .create_maintenance(
            &window,
            "operator",
            t("2025-05-01T12:00"),
            by_cli("x", None, None),
        )
        .await
        .unwrap();
}

async fn report(app: &TestApp, token: &str, path: &str) -> OpsReport {
    expect_json(app.get(path, token).await, StatusCode::OK).await
}

fn number(r: &OpsReport, key: &str) -> Option<f64> {
    r.fact(key).unwrap_or_else(|| panic!("no {key}")).number
}

#[tokio::test]
async fn the_reports_of_may_come_from_the_stored_records_and_the_uptime_ledger() {
    let hub = spawn_node(NodeRole::Hub).await;
    may(&hub).await;
    let operator = hub.token(Role::Operator).await;

    let business = report(&hub, &operator, "/api/v1/ops/reports/business?period=2025-05").await;
    assert_eq!(business.title, "業務報告書");
    assert_eq!(business.node, "県ハブ");
    assert_eq!(number(&business, "inquiries.received"), Some(2.0));
    assert_eq!(number(&business, "inquiries.breaches"), Some(1.0));
    assert_eq!(number(&business, "incidents.breaches"), Some(1.0));
    assert_eq!(number(&business, "maintenance.count"), Some(1.0));
    assert_eq!(number(&business, "work.total"), Some(30.0 + 60.0 + 240.0 + 120.0));

    let availability = report(&hub, &operator, "/api/v1/ops/reports/availability?period=2025-05").await;
    let month = 31.0 * 24.0;
    let excluding = number(&availability, "uptime.ratio_excluding_maintenance").unwrap();
    assert!(
        (excluding - (month - 4.0) / (month - 2.0)).abs() < 1e-9,
        "{excluding}"
    );
    let including = number(&availability, "uptime.ratio").unwrap();
    assert!((including - (month - 4.0) / month).abs() < 1e-9, "{including}");
    assert_eq!(number(&availability, "uptime.unplanned_minutes"), Some(120.0));

    let incidents = report(&hub, &operator, "/api/v1/ops/reports/incidents?period=2025-05").await;
    let rows = &incidents
        .section("incidents")
        .unwrap()
        .table
        .as_ref()
        .unwrap()
        .rows;
    assert_eq!(rows[0][5], "期限超過");
    let one = report(&hub, &operator, "/api/v1/ops/reports/incidents?incident=1").await;
    assert_eq!(one.title, "障害対応報告書（障害 No.1）");
    assert_eq!(one.period, "2025-05");
    assert_eq!(one.fact("incident.cause").unwrap().value, "OS 更新の失敗");

    // April: before the node existed.
    let april = report(&hub, &operator, "/api/v1/ops/reports/availability?period=2025-04").await;
    assert_eq!(april.fact("uptime.verdict").unwrap().value, "記録なし");
    assert_eq!(number(&april, "uptime.ratio"), None);

    // The 年度, by the prefecture.
    let pref = hub.token(Role::Prefecture).await;
    let year = report(&hub, &pref, "/api/v1/ops/reports/operations?period=FY2025").await;
    assert_eq!(year.period_label, "令和7年度");
    assert_eq!(number(&year, "inquiries.received"), Some(2.0));
    assert!(year.section("backups").is_some() && year.section("audit").is_some());
}

#[tokio::test]
async fn a_report_comes_as_csv_for_excel_and_bad_requests_name_their_parameter() {
    let hub = spawn_node(NodeRole::Hub).await;
    may(&hub).await;
    let operator = hub.token(Role::Operator).await;
    let res = hub
        .get("/api/v1/ops/reports/changes?period=2025-05&format=csv", &operator)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attaka-changes-2025-05.csv"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("変更状況報告書,令和7年5月,県ハブ\r\n"), "{text}");

    for (query, field, code) in [
        ("/api/v1/ops/reports/business?period=2025-13", "period", "format"),
        ("/api/v1/ops/reports/business?period=2999-01", "period", "future"),
        ("/api/v1/ops/reports/business?format=pdf", "format", "unknown"),
        (
            "/api/v1/ops/reports/changes?incident=1",
            "incident",
            "not_allowed",
        ),
    ] {
        let problem = expect_problem(hub.get(query, &operator).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
            (field, code),
            "{query}"
        );
    }
    expect_problem(
        hub.get("/api/v1/ops/reports/monthly", &operator).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_problem(
        hub.get("/api/v1/ops/reports/incidents?incident=99", &operator)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
