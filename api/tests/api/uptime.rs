//! The uptime ledger over HTTP: a month's 稼働率 from the runs of the server, each outage,
//! the target; the running node's own heartbeat; the month parameter checked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use shared::dto::auth::Role;
use shared::dto::meta::NodeRole;
use shared::dto::ops::UptimeReport;

use crate::helpers::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn db(app: &TestApp) -> rusqlite::Connection {
    rusqlite::Connection::open(app.dir.path().join("test.sqlite3")).expect("open db")
}

/// A past run of the server, as the ledger keeps it (times as the store writes them).
fn past_run(app: &TestApp, from: &str, to: &str) {
    let fmt = |s: &str| t(s).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    db(app)
        .execute(
            "INSERT INTO ops_uptime (started_at, last_seen_at) VALUES (?1, ?2)",
            [fmt(from), fmt(to)],
        )
        .unwrap();
}

async fn report(app: &TestApp, token: &str, query: &str) -> UptimeReport {
    expect_json(
        app.get(&format!("/api/v1/ops/uptime{query}"), token).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn a_months_uptime_is_what_the_runs_cover_and_each_gap_is_an_outage() {
    let app = spawn_app().await;
    let operator = app.token(Role::Operator).await;
    // Installed in April 2025. May (JST): up all month but 2 hours on the night of 10 May.
    past_run(&app, "2025-04-01T00:00:00+09:00", "2025-05-10T00:00:00+09:00");
    past_run(&app, "2025-05-10T02:00:00+09:00", "2025-06-10T00:00:00+09:00");
    let may = report(&app, &operator, "?month=2025-05").await;
    assert_eq!(may.month, "2025-05");
    assert_eq!(may.from, t("2025-05-01T00:00:00+09:00"));
    assert_eq!(may.to, t("2025-06-01T00:00:00+09:00"));
    assert_eq!(may.period_seconds, 31 * 86_400);
    assert_eq!(may.up_seconds, 31 * 86_400 - 7_200);
    assert_eq!(may.outages.len(), 1);
    assert_eq!(may.outages[0].from, t("2025-05-10T00:00:00+09:00"));
    assert_eq!(may.outages[0].seconds, 7_200);
    assert!((may.ratio.unwrap() - (31.0 * 86_400.0 - 7_200.0) / (31.0 * 86_400.0)).abs() < 1e-9);
    assert_eq!(may.target, 0.95);
    assert!(may.met);

    // June: down from the 10th to the end of the month (this node's next run is today's).
    let june = report(&app, &operator, "?month=2025-06").await;
    assert_eq!(june.up_seconds, 9 * 86_400);
    assert!((june.ratio.unwrap() - 0.3).abs() < 1e-9);
    assert!(!june.met);
    assert_eq!(june.outages[0].to, t("2025-07-01T00:00:00+09:00"));

    // A month before the node existed measures nothing and shows no outage.
    let before = report(&app, &operator, "?month=2025-03").await;
    assert_eq!(before.period_seconds, 0);
    assert!(before.outages.is_empty());
    assert_eq!(before.ratio, None);
    assert!(!before.met);

    // The prefecture reads it too; this month by default, up to now, the running node counted.
    let pref = app.token(Role::Prefecture).await;
    let now = report(&app, &pref, "").await;
    assert_eq!(
        now.month,
        api::domain::clock::today_jst().format("%Y-%m").to_string()
    );
    assert!((Utc::now() - now.to).num_seconds().abs() < 60);
    let last_outage_end = now.outages.last().map(|o| o.to);
    assert!(
        last_outage_end.is_none_or(|end| (Utc::now() - end).num_seconds() < 60),
        "up since this node started: {now:?}"
    );
}

#[tokio::test]
async fn a_month_before_the_node_existed_has_no_record_no_rate_and_is_not_a_met_target() {
    let app = spawn_app().await;
    let operator = app.token(Role::Operator).await;
    past_run(&app, "2025-12-01T00:00:00+09:00", "2025-12-20T00:00:00+09:00");
    let res = app.get("/api/v1/ops/uptime?month=2025-11", &operator).await;
    let before: serde_json::Value = expect_json(res, StatusCode::OK).await;
    assert_eq!(before["period_seconds"], 0, "{before}");
    assert_eq!(before["up_seconds"], 0, "{before}");
    assert!(before["ratio"].is_null(), "no rate: {before}");
    assert_eq!(before["met"], false, "{before}");
    assert_eq!(before["outages"], serde_json::json!([]), "{before}");

    let settings = settings(NodeRole::Center, app.dir.path());
    let november = chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap();
    let text = api::ops::report::monthly(app.store.as_ref(), &settings, november, Utc::now())
        .await
        .unwrap();
    assert!(text.contains("- 計測期間: 記録なし"), "{text}");
    assert!(
        text.contains("- 稼働率（計画停止を除く・契約の指標）: 記録なし"),
        "{text}"
    );
    assert!(text.contains("- 稼働率（計画停止を含む）: 記録なし"), "{text}");
    assert!(text.contains("- 判定（目標 95 %）: 記録なし"), "{text}");
    for wrong in ["達成", "未達", "100.00 %", "2025-12-01 00:00 〜 2025-12-01 00:00"] {
        assert!(!text.contains(wrong), "{wrong:?} in:\n{text}");
    }
    // The month it was installed in is measured from its first run.
    let december = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let text = api::ops::report::monthly(app.store.as_ref(), &settings, december, Utc::now())
        .await
        .unwrap();
    assert!(
        text.contains("- 計測期間: 2025-12-01 00:00 〜 2026-01-01 00:00"),
        "{text}"
    );
    assert!(
        text.contains("- 稼働率（計画停止を除く・契約の指標）: 61.29 %"),
        "{text}"
    );
    assert!(text.contains("- 判定（目標 95 %）: 未達"), "{text}");
}

#[tokio::test]
async fn the_running_node_notes_it_is_up() {
    let app = spawn_with(NodeRole::Center, |s| s.uptime.heartbeat_ms = 50).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (started, seen): (String, String) = db(&app)
        .query_row(
            "SELECT started_at, last_seen_at FROM ops_uptime ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let gap = t(&seen) - t(&started);
    assert!(gap.num_milliseconds() >= 200, "{started} .. {seen}");
}

#[tokio::test]
async fn the_month_must_be_a_past_or_current_month() {
    let app = spawn_app().await;
    let operator = app.token(Role::Operator).await;
    for (query, code) in [
        ("?month=2025-13", "format"),
        ("?month=FY2025", "format"),
        ("?month=2999-01", "future"),
    ] {
        let problem = expect_problem(
            app.get(&format!("/api/v1/ops/uptime{query}"), &operator).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(problem.errors[0].field, "month", "{query}");
        assert_eq!(problem.errors[0].code, code, "{query}");
    }
}

#[tokio::test]
async fn the_monthly_report_gives_the_uptime_the_months_alerts_with_their_incidents_backups_and_the_audit_chain(
) {
    let app = spawn_app().await;
    past_run(&app, "2025-04-01T00:00:00+09:00", "2025-05-10T00:00:00+09:00");
    past_run(&app, "2025-05-10T02:00:00+09:00", "2025-06-10T00:00:00+09:00");
    let stuck = api::domain::alert::NewAlert {
        event: "sync_backlog_stuck",
        subject: "C001".into(),
        severity: api::domain::alert::Severity::Warn,
        message: "未送信の変更がたまっています。".into(),
    };
    app.store
        .raise_alert(&stuck, t("2025-05-10T00:05:00+09:00"))
        .await
        .unwrap();
    let settings = settings(NodeRole::Center, app.dir.path());
    api::ops::backup::run_once(app.store.as_ref(), &settings)
        .await
        .unwrap();

    let first = chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
    let text = api::ops::report::monthly(app.store.as_ref(), &settings, first, Utc::now())
        .await
        .unwrap();
    for expected in [
        "# 運用保守報告書 令和7年5月（C001）",
        "- 稼働率（計画停止を除く・契約の指標）: 99.73 %",
        "- 判定（目標 95 %）: 達成",
        "- 停止の回数: 1 回",
        "- 計画外の停止時間: 2時間00分",
        "| 2025-05-10 00:00 | 2025-05-10 02:00 | 2時間00分 | 0分 | 計画外 |",
        "| 2025-05-10 00:05 | sync_backlog_stuck | C001 | 未送信の変更がたまっています。 | 継続中 | 1 |",
        "- 最新の世代: attaka-",
        ": 検証 OK",
        "- 改ざん検知の連鎖: 正常",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
}
