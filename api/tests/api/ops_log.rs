//! The operations log over HTTP on the hub: inquiries, incidents (one opened by an alert),
//! changes the node records at start, maintenance windows announced ahead; no person data in
//! any of it; the service-level clocks, the home screen's list and its reminder; the command line.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::ops_log::{ChangeView, IncidentView, InquiryView, MaintenanceView, OpsDue, SlaState};

use crate::helpers::*;

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn inquiry(received: DateTime<Utc>, summary: &str) -> Value {
    json!({"received_at": rfc(received), "source_kind": "center", "source_code": CENTER,
           "channel": "phone", "category": "usage", "summary": summary})
}

#[tokio::test]
async fn the_operator_records_an_inquiry_answers_and_closes_it_and_the_prefecture_reads_it() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    let received = Utc::now() - Duration::hours(3);
    let made: InquiryView = expect_json(
        hub.post(
            "/api/v1/ops/inquiries",
            &operator,
            &inquiry(received, "集計画面の月の切り替え方"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made.recorded_by, "operator");
    assert_eq!(made.sla.limit_hours, 24);
    assert_eq!(made.sla.due_at, made.input.received_at + Duration::hours(24));
    assert_eq!(made.sla.state, SlaState::Open);

    let mut answered = made.input.clone();
    answered.first_answered_at = Some(Utc::now() - Duration::hours(1));
    answered.closed_at = Some(Utc::now());
    answered.answer = Some("画面上部の月を選ぶよう案内".into());
    answered.work_minutes = 20;
    let updated: InquiryView = expect_json(
        hub.put(
            &format!("/api/v1/ops/inquiries/{}", made.id),
            &operator,
            &answered,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated.sla.state, SlaState::Met);
    assert_eq!(updated.input.work_minutes, 20);

    let pref = hub.token(Role::Prefecture).await;
    let listed: Vec<InquiryView> =
        expect_json(hub.get("/api/v1/ops/inquiries", &pref).await, StatusCode::OK).await;
    assert_eq!(listed, std::slice::from_ref(&updated));
    let one: InquiryView = expect_json(
        hub.get(&format!("/api/v1/ops/inquiries/{}", made.id), &pref)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one, updated);
    // Both writes audited with the record's number, never its text.
    let rows = hub.audit_rows().await;
    let ops: Vec<_> = rows
        .iter()
        .filter(|r| r.entry.action.starts_with("ops.inquiry"))
        .collect();
    assert_eq!(ops.len(), 2);
    let target = format!("inquiry:{}", made.id);
    assert!(ops
        .iter()
        .all(|r| r.entry.target.as_deref() == Some(target.as_str())));
    assert!(ops
        .iter()
        .all(|r| !r.entry.detail.clone().unwrap_or_default().contains("集計画面")));
}

#[tokio::test]
async fn a_common_id_in_free_text_is_refused_naming_the_field_and_nothing_is_recorded() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    let body = inquiry(Utc::now(), "C001-000123-8 の方の登録を取り消したい");
    let problem = expect_problem(
        hub.post("/api/v1/ops/inquiries", &operator, &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors.len(), 1);
    assert_eq!(problem.errors[0].field, "summary");
    assert_eq!(problem.errors[0].code, "person_data");
    assert!(
        problem.errors[0]
            .message
            .contains("問い合わせ内容に共通利用者番号"),
        "{}",
        problem.errors[0].message
    );
    let incident = json!({"detected_at": rfc(Utc::now()), "kind": "failure", "summary": "登録できない",
                          "impact": "ｃ００１０００１２３８ の方が登録できない"});
    let problem = expect_problem(
        hub.post("/api/v1/ops/incidents", &operator, &incident).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
        ("impact", "person_data")
    );
    let listed: Vec<Value> =
        expect_json(hub.get("/api/v1/ops/inquiries", &operator).await, StatusCode::OK).await;
    assert!(listed.is_empty());
    let refused = hub
        .audit_rows()
        .await
        .into_iter()
        .filter(|r| r.entry.action == "ops.inquiry.create")
        .collect::<Vec<_>>();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].entry.outcome.as_str(), "invalid");
}

#[tokio::test]
async fn an_alert_opens_an_incident_which_the_operator_triages_and_resolves() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    let alert = api::domain::alert::NewAlert {
        event: "backup_failed",
        subject: "/var/lib/attaka/backups".into(),
        severity: api::domain::alert::Severity::Error,
        message: "バックアップを作成できませんでした。".into(),
    };
    api::ops::alerts::raise(hub.store.as_ref(), alert).await.unwrap();
    let listed: Vec<IncidentView> =
        expect_json(hub.get("/api/v1/ops/incidents", &operator).await, StatusCode::OK).await;
    assert_eq!(listed.len(), 1);
    let opened = &listed[0];
    assert_eq!(opened.origin, "alert");
    assert_eq!(opened.alert_event.as_deref(), Some("backup_failed"));
    assert_eq!(opened.sla.limit_hours, 12);
    assert_eq!(opened.sla.state, SlaState::Open);
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert_eq!(due.items.len(), 1);
    assert_eq!(
        (due.items[0].kind.as_str(), due.items[0].id),
        ("incident", opened.id)
    );

    let mut handled = opened.input.clone();
    handled.triaged_at = Some(Utc::now());
    handled.resolved_at = Some(Utc::now());
    handled.cause = Some("バックアップ先のディスクの取り外し".into());
    handled.impact = Some("なし（前日の世代は健全）".into());
    handled.handling = Some("ディスクを接続し直して再取得".into());
    handled.work_minutes = 45;
    let done: IncidentView = expect_json(
        hub.put(
            &format!("/api/v1/ops/incidents/{}", opened.id),
            &operator,
            &handled,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done.sla.state, SlaState::Met);
    assert_eq!(done.origin, "alert");
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert!(due.items.is_empty());
    // Resolution needs a triage first.
    let mut skipped = handled.clone();
    skipped.triaged_at = None;
    let problem = expect_problem(
        hub.put(
            &format!("/api/v1/ops/incidents/{}", opened.id),
            &operator,
            &skipped,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].field, "triaged_at");
}

#[tokio::test]
async fn an_item_nearing_its_limit_is_listed_first_and_reminded_once_until_answered() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    // 22 hours ago: 2 hours left of 24, within the default 3-hour warning.
    let close: InquiryView = expect_json(
        hub.post(
            "/api/v1/ops/inquiries",
            &operator,
            &inquiry(Utc::now() - Duration::hours(22), "ログインできない"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let _far: InquiryView = expect_json(
        hub.post(
            "/api/v1/ops/inquiries",
            &operator,
            &inquiry(Utc::now(), "帳票の追加要望"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert_eq!(due.warn_before_minutes, 180);
    assert_eq!(
        due.items.iter().map(|i| (i.id, i.sla.state)).collect::<Vec<_>>(),
        [(close.id, SlaState::DueSoon), (_far.id, SlaState::Open)]
    );

    let settings = settings(NodeRole::Hub, hub.dir.path());
    for _ in 0..3 {
        api::ops::sla::check(hub.store.as_ref(), &settings, Utc::now())
            .await
            .unwrap();
    }
    let reminders: Vec<_> = hub
        .store
        .alerts(false)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.event == "sla_due_soon")
        .collect();
    assert_eq!(
        reminders.len(),
        1,
        "one reminder (so one mail) however many checks"
    );
    assert_eq!(reminders[0].subject, format!("inquiry:{}", close.id));
    assert!(
        reminders[0]
            .message
            .contains("初回回答（24 時間以内）の期限が近づいています"),
        "{}",
        reminders[0].message
    );
    assert_eq!(reminders[0].incident_id, None, "a reminder is no incident");

    let mut answered = close.input.clone();
    answered.first_answered_at = Some(Utc::now());
    let _: InquiryView = expect_json(
        hub.put(
            &format!("/api/v1/ops/inquiries/{}", close.id),
            &operator,
            &answered,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    api::ops::sla::check(hub.store.as_ref(), &settings, Utc::now())
        .await
        .unwrap();
    assert!(hub
        .store
        .alerts(true)
        .await
        .unwrap()
        .iter()
        .all(|a| a.event != "sla_due_soon"));
    // The home list shows the operator's open items: the answered one has left it.
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert_eq!(due.items.len(), 1);
}

#[tokio::test]
async fn a_maintenance_window_is_announced_ahead_and_cancelled_only_before_it_begins() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    let begun = json!({"starts_at": rfc(Utc::now() - Duration::minutes(5)),
                       "ends_at": rfc(Utc::now() + Duration::hours(1)), "summary": "OS 更新"});
    let problem = expect_problem(
        hub.post("/api/v1/ops/maintenance", &operator, &begun).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        (problem.errors[0].field.as_str(), problem.errors[0].code.as_str()),
        ("starts_at", "not_ahead")
    );
    let ahead = json!({"starts_at": rfc(Utc::now() + Duration::days(7)),
                       "ends_at": rfc(Utc::now() + Duration::days(7) + Duration::hours(2)),
                       "summary": "定期点検", "work_minutes": 120});
    let made: MaintenanceView = expect_json(
        hub.post("/api/v1/ops/maintenance", &operator, &ahead).await,
        StatusCode::CREATED,
    )
    .await;
    assert!((made.announced_at - Utc::now()).num_seconds().abs() < 60);
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert_eq!(due.maintenance, std::slice::from_ref(&made));
    let cancelled: MaintenanceView = expect_json(
        hub.post(
            &format!("/api/v1/ops/maintenance/{}/cancel", made.id),
            &operator,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(cancelled.cancelled_at.is_some());
    let due: OpsDue = expect_json(hub.get("/api/v1/ops/due", &operator).await, StatusCode::OK).await;
    assert!(due.maintenance.is_empty());

    // One that has begun (announced in time, written here as the store keeps it) stays.
    let record = api::domain::ops_log::MaintenanceRecord {
        starts_at: Utc::now() - Duration::minutes(10),
        ends_at: Utc::now() + Duration::minutes(50),
        summary: "定期点検".into(),
        work_minutes: 0,
    };
    let running = hub
        .store
        .create_maintenance(
            &record,
            "operator",
            Utc::now() - Duration::days(3),
            api::ops::audit::by_cli("ops.maintenance.create", None, None),
        )
        .await
        .unwrap();
    let problem = expect_problem(
        hub.post(
            &format!("/api/v1/ops/maintenance/{}/cancel", running.id),
            &operator,
            &json!({}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem.errors[0].code, "begun");
}

#[tokio::test]
async fn the_node_records_its_version_and_migrations_as_changes_once_and_an_upgrade_again() {
    let hub = spawn_node(NodeRole::Hub).await;
    let operator = hub.token(Role::Operator).await;
    let changes = |hub: &TestApp, token: String| {
        let (client, url) = (hub.client.clone(), hub.url("/api/v1/ops/changes"));
        async move {
            let res = client.get(url).bearer_auth(token).send().await.unwrap();
            expect_json::<Vec<ChangeView>>(res, StatusCode::OK).await
        }
    };
    let first = changes(&hub, operator.clone()).await;
    let kinds: Vec<&str> = first.iter().map(|c| c.input.kind.as_str()).collect();
    assert_eq!(kinds, ["schema", "release"], "{first:?}");
    assert!(first
        .iter()
        .all(|c| c.origin == "auto" && c.recorded_by == "system"));
    assert!(first[0].input.summary.contains("0019_ops_log"));

    // A restart of the same version records nothing new.
    hub.stop.stop().await;
    let hub = spawn_in(hub.dir.clone(), NodeRole::Hub, false, |_| {}).await;
    let operator = hub.token(Role::Operator).await;
    assert_eq!(changes(&hub, operator.clone()).await.len(), 2);

    // As if the last start had run 0.0.9: this start is an upgrade.
    let renamed = hub
        .hub_execute(
            "UPDATE ops_changes SET auto_key = 'release:0.0.9' WHERE auto_key LIKE 'release:%'",
            "UPDATE ops_changes SET auto_key = N'release:0.0.9' WHERE auto_key LIKE N'release:%'",
        )
        .await;
    assert_eq!(renamed, 1);
    hub.stop.stop().await;
    let hub = spawn_in(hub.dir.clone(), NodeRole::Hub, false, |_| {}).await;
    let operator = hub.token(Role::Operator).await;
    let after = changes(&hub, operator).await;
    assert_eq!(after.len(), 3);
    assert_eq!(
        after[2].input.summary,
        format!("Attaka を 0.0.9 から {} に更新", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn the_command_line_records_and_answers_an_inquiry_and_prints_a_report() {
    let hub = spawn_node(NodeRole::Hub).await;
    let settings = settings(NodeRole::Hub, hub.dir.path());
    use api::cli::OpsCommand;
    use api::ops::cli::InquiryCommand;
    let run = |command: OpsCommand| {
        let (store, settings) = (hub.store.clone(), settings.clone());
        async move {
            String::from_utf8(
                api::ops::cli::run(store.as_ref(), &settings, command)
                    .await
                    .unwrap(),
            )
            .unwrap()
        }
    };
    let out = run(OpsCommand::Inquiry(InquiryCommand::Add {
        received_at: "now".into(),
        source_kind: "municipality".into(),
        source_code: Some("392014".into()),
        channel: "email".into(),
        category: "data".into(),
        summary: "CSV の文字化け".into(),
    }))
    .await;
    assert!(out.starts_with("問い合わせ No.1 を記録しました"), "{out}");
    let out = run(OpsCommand::Inquiry(InquiryCommand::Answer {
        id: 1,
        at: "now".into(),
        answer: Some("CP932 での出力を案内".into()),
        minutes: 15,
    }))
    .await;
    assert!(out.contains("期限内"), "{out}");
    let stored = hub.store.inquiry(1).await.unwrap();
    assert_eq!(stored.recorded_by, "cli");
    assert_eq!(stored.record.work_minutes, 15);
    let month = api::domain::clock::today_jst().format("%Y-%m").to_string();
    let out = run(OpsCommand::Report {
        month: None,
        period: Some(month),
        kind: "operations".into(),
        incident: None,
        format: "md".into(),
    })
    .await;
    assert!(out.starts_with("# 運用保守報告書"), "{out}");
    assert!(out.contains("- 受付件数: 1 件"), "{out}");
    assert!(out.contains("- 24時間以内に初回回答: 1 件"), "{out}");
}
