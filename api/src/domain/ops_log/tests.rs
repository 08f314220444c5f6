use chrono::{DateTime, Utc};
use shared::dto::ops_log::{ChangeInput, IncidentInput, InquiryInput, MaintenanceInput};

use super::*;
use crate::domain::alert::{NewAlert, Severity};
use crate::domain::codes::Codes;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    t("2025-06-01T12:00:00+09:00")
}

fn inquiry() -> InquiryInput {
    InquiryInput {
        received_at: t("2025-05-20T10:00:00+09:00"),
        source_kind: "center".into(),
        source_code: Some("C001".into()),
        channel: "phone".into(),
        category: "usage".into(),
        summary: "活動記録の修正方法".into(),
        answer: Some("編集画面を案内".into()),
        first_answered_at: Some(t("2025-05-20T11:00:00+09:00")),
        closed_at: Some(t("2025-05-20T11:30:00+09:00")),
        work_minutes: 30,
    }
}

fn centers() -> Vec<String> {
    vec!["C001".into()]
}

fn fields(errors: &[shared::error::FieldError]) -> Vec<(&str, &str)> {
    errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect()
}

#[test]
fn a_common_id_in_any_free_text_refuses_the_record_naming_the_field() {
    let codes = Codes::default();
    let input = InquiryInput {
        answer: Some("Ｃ００１－０００１２３－８ さんの件として回答".into()),
        ..inquiry()
    };
    let errors = InquiryRecord::parse(&input, &codes, &centers(), now()).unwrap_err();
    assert_eq!(fields(&errors), [("answer", "person_data")]);
    assert!(
        errors[0].message.starts_with("回答内容に共通利用者番号"),
        "{}",
        errors[0].message
    );

    let incident = IncidentInput {
        detected_at: t("2025-05-20T10:00:00+09:00"),
        kind: "failure".into(),
        summary: "画面が開かない".into(),
        triaged_at: None,
        resolved_at: None,
        cause: Some("C001-000123-8 の登録でエラー".into()),
        impact: None,
        handling: None,
        work_minutes: 0,
    };
    assert_eq!(
        fields(&IncidentRecord::parse(&incident, now()).unwrap_err()),
        [("cause", "person_data")]
    );
    let change = ChangeInput {
        changed_at: t("2025-05-20T10:00:00+09:00"),
        kind: "data".into(),
        summary: "c0010001238 の重複を修正".into(),
        reason: "依頼".into(),
        impact: "なし".into(),
        work_minutes: 10,
    };
    assert_eq!(
        fields(&ChangeRecord::parse(&change, now()).unwrap_err()),
        [("summary", "person_data")]
    );
}

#[test]
fn an_inquiry_is_closed_only_after_its_first_answer_and_never_before_it_came() {
    let codes = Codes::default();
    let unanswered = InquiryInput {
        first_answered_at: None,
        ..inquiry()
    };
    assert_eq!(
        fields(&InquiryRecord::parse(&unanswered, &codes, &centers(), now()).unwrap_err()),
        [("first_answered_at", "required")]
    );
    let early = InquiryInput {
        first_answered_at: Some(t("2025-05-20T09:00:00+09:00")),
        ..inquiry()
    };
    assert_eq!(
        fields(&InquiryRecord::parse(&early, &codes, &centers(), now()).unwrap_err()),
        [("first_answered_at", "before_start")]
    );
    let unknown = InquiryInput {
        source_code: Some("C999".into()),
        channel: "fax".into(),
        ..inquiry()
    };
    assert_eq!(
        fields(&InquiryRecord::parse(&unknown, &codes, &centers(), now()).unwrap_err()),
        [("source_code", "unknown_code"), ("channel", "unknown_code")]
    );
    assert!(InquiryRecord::parse(&inquiry(), &codes, &centers(), now()).is_ok());
}

#[test]
fn a_maintenance_window_is_announced_before_it_begins() {
    let begun = MaintenanceInput {
        starts_at: now() - chrono::Duration::minutes(1),
        ends_at: now() + chrono::Duration::hours(1),
        summary: "定期点検".into(),
        work_minutes: 60,
    };
    assert_eq!(
        fields(&MaintenanceRecord::parse(&begun, now()).unwrap_err()),
        [("starts_at", "not_ahead")]
    );
    let ahead = MaintenanceInput {
        starts_at: now() + chrono::Duration::days(7),
        ends_at: now() + chrono::Duration::days(7) + chrono::Duration::hours(2),
        ..begun
    };
    assert!(MaintenanceRecord::parse(&ahead, now()).is_ok());
}

#[test]
fn every_alert_but_a_reminder_opens_an_incident_and_a_login_burst_is_a_security_one() {
    let alert = |event: &'static str| NewAlert {
        event,
        subject: "hub".into(),
        severity: Severity::Error,
        message: "メッセージ".into(),
    };
    let disk = incident_from_alert(&alert("disk_low"), now()).unwrap();
    assert_eq!((disk.kind.as_str(), disk.detected_at), ("failure", now()));
    assert_eq!(disk.summary, "disk_low（hub）: メッセージ");
    assert_eq!(
        incident_from_alert(&alert("login_burst"), now()).unwrap().kind,
        "security"
    );
    assert!(incident_from_alert(&alert("sla_due_soon"), now()).is_none());
}
