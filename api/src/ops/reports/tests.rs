//! The five reports' figures on one fixed set of records: May 2025, the month the node was
//! installed, with an inquiry answered late, one still unanswered past its limit, an incident
//! triaged late, an announced maintenance window inside an outage, a cancelled one, and April —
//! before the node existed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use shared::dto::ops_report::{OpsReport, ReportKind};

use super::build::{build, incident};
use super::period::ReportPeriod;
use super::Inputs;
use crate::domain::ops_log::sla::SlaPolicy;
use crate::domain::ops_log::{
    Change, ChangeRecord, Incident, IncidentRecord, Inquiry, InquiryRecord, Maintenance, MaintenanceRecord,
    Origin,
};
use crate::domain::uptime::{with_maintenance, Run};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}:00+09:00"))
        .unwrap()
        .with_timezone(&Utc)
}

/// The report is made on 10 June 2025.
fn now() -> DateTime<Utc> {
    t("2025-06-10T12:00")
}

fn inquiry(id: i64, received: &str, answered: Option<&str>, closed: Option<&str>, minutes: u32) -> Inquiry {
    Inquiry {
        id,
        record: InquiryRecord {
            received_at: t(received),
            source_kind: "center".into(),
            source_code: Some("C001".into()),
            channel: "phone".into(),
            category: "usage".into(),
            summary: format!("問い合わせ {id}"),
            answer: None,
            first_answered_at: answered.map(t),
            closed_at: closed.map(t),
            work_minutes: minutes,
        },
        recorded_by: "operator".into(),
        created_at: t(received),
        updated_at: t(received),
    }
}

fn incident_record(
    id: i64,
    kind: &str,
    detected: &str,
    triaged: &str,
    resolved: &str,
    minutes: u32,
) -> Incident {
    Incident {
        id,
        record: IncidentRecord {
            detected_at: t(detected),
            kind: kind.into(),
            summary: format!("障害 {id}"),
            triaged_at: Some(t(triaged)),
            resolved_at: Some(t(resolved)),
            cause: Some("原因".into()),
            impact: Some("影響".into()),
            handling: Some("対応".into()),
            work_minutes: minutes,
        },
        origin: Origin::Manual,
        alert_event: None,
        alert_subject: None,
        alert_count: 0,
        recorded_by: "operator".into(),
        created_at: t(detected),
        updated_at: t(detected),
    }
}

fn change(id: i64, at: &str, origin: Origin, minutes: u32) -> Change {
    Change {
        id,
        record: ChangeRecord {
            changed_at: t(at),
            kind: "config".into(),
            summary: format!("変更 {id}"),
            reason: "理由".into(),
            impact: "なし".into(),
            work_minutes: minutes,
        },
        origin,
        auto_key: None,
        recorded_by: "operator".into(),
        created_at: t(at),
        updated_at: t(at),
    }
}

fn window(id: i64, from: &str, to: &str, cancelled: Option<&str>, minutes: u32) -> Maintenance {
    Maintenance {
        id,
        record: MaintenanceRecord {
            starts_at: t(from),
            ends_at: t(to),
            summary: "定期点検".into(),
            work_minutes: minutes,
        },
        announced_at: t("2025-05-01T12:00"),
        cancelled_at: cancelled.map(t),
        recorded_by: "operator".into(),
    }
}

/// Installed 1 May 2025 00:00; down 10 May 00:00–04:00 (two hours of it inside the announced
/// window 01:00–03:00) and 20 May 10:00–11:00; up since.
fn runs() -> Vec<Run> {
    let run = |a: &str, b: &str| Run {
        started_at: t(a),
        last_seen_at: t(b),
    };
    vec![
        run("2025-05-01T00:00", "2025-05-10T00:00"),
        run("2025-05-10T04:00", "2025-05-20T10:00"),
        run("2025-05-20T11:00", "2025-06-10T11:59"),
    ]
}

fn inputs(period: &str) -> Inputs {
    let period = ReportPeriod::parse(period, NaiveDate::from_ymd_opt(2025, 6, 10).unwrap()).unwrap();
    let maintenance = vec![
        window(1, "2025-05-10T01:00", "2025-05-10T03:00", None, 180),
        window(
            2,
            "2025-05-25T01:00",
            "2025-05-25T03:00",
            Some("2025-05-20T09:00"),
            0,
        ),
    ];
    let counted: Vec<_> = maintenance
        .iter()
        .filter(|m| m.counts())
        .map(|m| (m.record.starts_at, m.record.ends_at))
        .collect();
    let measure = |p: &ReportPeriod| {
        let to = p.to.min(now()).max(p.from);
        let first_ever = Some(t("2025-05-01T00:00"));
        let runs: Vec<Run> = runs()
            .into_iter()
            .filter(|r| r.last_seen_at >= p.from && r.started_at < to)
            .collect();
        with_maintenance(&runs, p.from, to, first_ever, Duration::minutes(2), &counted)
    };
    Inputs {
        availability: measure(&period),
        months: period
            .months()
            .into_iter()
            .map(|m| (m.clone(), measure(&m)))
            .collect(),
        now: now(),
        node: "県ハブ".into(),
        policy: SlaPolicy::default(),
        target: 0.95,
        inquiries: vec![
            inquiry(
                1,
                "2025-04-20T10:00",
                Some("2025-04-20T11:00"),
                Some("2025-04-21T09:00"),
                20,
            ),
            inquiry(
                2,
                "2025-05-02T09:00",
                Some("2025-05-02T10:00"),
                Some("2025-05-02T11:00"),
                30,
            ),
            // Friday 17:00, answered Saturday 18:00: 25 hours, a breach (the clock runs at weekends).
            inquiry(
                3,
                "2025-05-09T17:00",
                Some("2025-05-10T18:00"),
                Some("2025-05-12T10:00"),
                60,
            ),
            // Still unanswered on 10 June: overdue, a breach already.
            inquiry(4, "2025-05-31T20:00", None, None, 15),
        ],
        incidents: vec![
            incident_record(
                1,
                "failure",
                "2025-05-10T00:05",
                "2025-05-10T08:00",
                "2025-05-10T09:00",
                120,
            ),
            // Triaged 13 hours after it was detected.
            incident_record(
                2,
                "security",
                "2025-05-20T10:00",
                "2025-05-20T23:00",
                "2025-05-21T10:00",
                90,
            ),
        ],
        changes: vec![
            change(1, "2025-05-01T00:00", Origin::Automatic, 0),
            change(2, "2025-05-15T14:00", Origin::Manual, 45),
        ],
        maintenance,
        alerts: Vec::new(),
        backups: None,
        audit: None,
        period,
    }
}

fn number(r: &OpsReport, key: &str) -> Option<f64> {
    r.fact(key)
        .unwrap_or_else(|| panic!("no figure {key} in {}", r.title))
        .number
}

fn value(r: &OpsReport, key: &str) -> String {
    r.fact(key)
        .unwrap_or_else(|| panic!("no figure {key}"))
        .value
        .clone()
}

fn rows(r: &OpsReport, section: &str) -> Vec<Vec<String>> {
    r.section(section)
        .and_then(|s| s.table.clone())
        .unwrap_or_else(|| panic!("no table {section}"))
        .rows
}

const MAY_HOURS: f64 = 31.0 * 24.0;

#[test]
fn the_business_report_sums_up_may() {
    let r = build(ReportKind::Business, &inputs("2025-05"));
    assert_eq!(r.title, "業務報告書");
    assert_eq!(r.period_label, "令和7年5月");
    let excluding = (MAY_HOURS - 5.0) / (MAY_HOURS - 2.0);
    assert!((number(&r, "uptime.ratio_excluding_maintenance").unwrap() - excluding).abs() < 1e-9);
    assert_eq!(value(&r, "uptime.verdict"), "達成");
    for (key, n) in [
        ("inquiries.received", 3.0),
        ("inquiries.in_time", 1.0),
        ("inquiries.breaches", 2.0),
        ("incidents.detected", 2.0),
        ("incidents.in_time", 1.0),
        ("incidents.breaches", 1.0),
        ("changes.count", 2.0),
        ("maintenance.count", 1.0),
        ("work.total", 30.0 + 60.0 + 15.0 + 120.0 + 90.0 + 45.0 + 180.0),
    ] {
        assert_eq!(number(&r, key), Some(n), "{key}");
    }
    assert_eq!(value(&r, "work.total"), "9時間00分");
}

#[test]
fn the_operations_report_gives_the_work_and_hours_by_kind_and_every_inquiry() {
    let r = build(ReportKind::Operations, &inputs("2025-05"));
    for (key, n) in [
        ("work.inquiries", 105.0),
        ("work.incidents", 210.0),
        ("work.changes", 45.0),
        ("work.maintenance", 180.0),
        ("inquiries.unanswered", 1.0),
        ("inquiries.open", 1.0),
        ("incidents.unresolved", 0.0),
    ] {
        assert_eq!(number(&r, key), Some(n), "{key}");
    }
    let listed = rows(&r, "inquiries");
    assert_eq!(listed.len(), 3, "April's inquiry belongs to April");
    let states: Vec<&str> = listed.iter().map(|row| row[6].as_str()).collect();
    assert_eq!(states, ["期限内", "期限超過", "期限超過（未対応）"]);
    assert_eq!(listed[0][2], "センター（C001）");
}

#[test]
fn the_availability_report_leaves_the_announced_window_out_and_lists_each_outage() {
    let r = build(ReportKind::Availability, &inputs("2025-05"));
    let including = (MAY_HOURS - 5.0) / MAY_HOURS;
    assert!((number(&r, "uptime.ratio").unwrap() - including).abs() < 1e-9);
    assert_eq!(value(&r, "uptime.ratio_excluding_maintenance"), "99.60 %");
    assert_eq!(value(&r, "uptime.ratio"), "99.33 %");
    assert_eq!(number(&r, "uptime.outages"), Some(2.0));
    assert_eq!(number(&r, "uptime.unplanned_minutes"), Some(180.0));
    assert_eq!(number(&r, "uptime.maintenance_minutes"), Some(120.0));
    assert_eq!(
        rows(&r, "outages"),
        [
            vec![
                "2025-05-10 00:00",
                "2025-05-10 04:00",
                "4時間00分",
                "2時間00分",
                "一部計画停止"
            ],
            vec![
                "2025-05-20 10:00",
                "2025-05-20 11:00",
                "1時間00分",
                "0分",
                "計画外"
            ],
        ]
    );
    let windows = rows(&r, "maintenance");
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[1][6], "取消", "a cancelled window is listed, not counted");
    assert_eq!(number(&r, "maintenance.count"), Some(1.0));
}

#[test]
fn a_month_before_the_node_existed_has_no_record_and_no_verdict() {
    let r = build(ReportKind::Availability, &inputs("2025-04"));
    assert_eq!(number(&r, "uptime.ratio"), None);
    assert_eq!(number(&r, "uptime.ratio_excluding_maintenance"), None);
    assert_eq!(value(&r, "uptime.ratio_excluding_maintenance"), "記録なし");
    assert_eq!(value(&r, "uptime.verdict"), "記録なし");
    assert_eq!(number(&r, "uptime.verdict"), None);
    assert!(value(&r, "uptime.measured").starts_with("記録なし"));
    assert!(rows(&r, "outages").is_empty());
    // The April inquiry is still April's work.
    let b = build(ReportKind::Business, &inputs("2025-04"));
    assert_eq!(number(&b, "inquiries.received"), Some(1.0));
    assert_eq!(value(&b, "uptime.verdict"), "記録なし");
}

#[test]
fn the_fiscal_year_adds_up_its_months_with_the_months_before_installation_unrecorded() {
    let i = inputs("FY2025");
    let r = build(ReportKind::Availability, &i);
    assert_eq!(r.period_label, "令和7年度");
    let months = rows(&r, "monthly");
    assert_eq!(months.len(), 12);
    assert_eq!(months[0][0], "令和7年4月");
    assert_eq!(months[0][6], "記録なし");
    assert_eq!(months[1][4], "99.60 %");
    assert_eq!(months[1][6], "達成");
    // Months after the report was made are not measured yet.
    assert_eq!(months[3][6], "記録なし");
    let b = build(ReportKind::Business, &i);
    assert_eq!(number(&b, "inquiries.received"), Some(4.0));
    assert_eq!(number(&b, "inquiries.in_time"), Some(2.0));
    assert_eq!(number(&b, "inquiries.breaches"), Some(2.0));
}

#[test]
fn the_incident_report_lists_every_incident_and_one_incident_has_its_own() {
    let i = inputs("2025-05");
    let r = build(ReportKind::Incidents, &i);
    let listed = rows(&r, "incidents");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0][4], "7時間55分");
    assert_eq!(listed[0][5], "期限内");
    assert_eq!(listed[1][1], "セキュリティ");
    assert_eq!(listed[1][4], "13時間00分");
    assert_eq!(listed[1][5], "期限超過");
    let one = incident(&i, &i.incidents[1], &[]);
    assert_eq!(one.title, "障害対応報告書（障害 No.2）");
    assert_eq!(value(&one, "incident.triage_due"), "2025-05-20 22:00");
    assert_eq!(value(&one, "incident.sla"), "期限超過");
    assert_eq!(number(&one, "incident.work"), Some(90.0));
}

#[test]
fn the_change_report_lists_the_months_changes_with_their_hours() {
    let r = build(ReportKind::Changes, &inputs("2025-05"));
    assert_eq!(number(&r, "changes.count"), Some(2.0));
    assert_eq!(number(&r, "changes.auto"), Some(1.0));
    assert_eq!(number(&r, "work.changes"), Some(45.0));
    let listed = rows(&r, "changes");
    assert_eq!(listed[0][7], "自動");
    assert_eq!(listed[1][6], "45分");
}

#[test]
fn the_csv_and_the_markdown_carry_the_same_figures() {
    let r = build(ReportKind::Availability, &inputs("2025-05"));
    let csv = super::render::csv(&r).unwrap();
    assert!(csv.starts_with(crate::stats::csv_out::BOM));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("稼働状況報告書,令和7年5月,県ハブ\r\n"), "{text}");
    assert!(
        text.contains("稼働率（計画停止を除く・契約の指標）,99.60 %,0.99595"),
        "{text}"
    );
    assert!(
        text.contains("2025-05-20 10:00,2025-05-20 11:00,1時間00分,0分,計画外\r\n"),
        "{text}"
    );
    let md = super::render::markdown(&r);
    assert!(md.starts_with("# 稼働状況報告書 令和7年5月（県ハブ）"), "{md}");
    assert!(
        md.contains("- 稼働率（計画停止を除く・契約の指標）: 99.60 %"),
        "{md}"
    );
    assert!(
        md.contains("| 2025-05-10 00:00 | 2025-05-10 04:00 | 4時間00分 | 2時間00分 | 一部計画停止 |"),
        "{md}"
    );
}
