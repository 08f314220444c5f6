//! The four kinds of record of the operations log, parsed from their input and turned into
//! their views with the service-level clock.

use chrono::{DateTime, Duration, Utc};
use shared::dto::ops_log::{
    codes, ChangeInput, ChangeView, IncidentInput, IncidentView, InquiryInput, InquiryView, MaintenanceInput,
    MaintenanceView,
};
use shared::error::{FieldError, FieldErrors};

use super::sla::{clock, SlaPolicy};
use super::{free_text, not_before, not_future, work_minutes, TEXT_MAX};
use crate::domain::alert::NewAlert;
use crate::domain::codes::Codes;

/// Whether a record was entered by someone or made by the node itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Manual,
    /// An incident opened by an alert event, a change recorded at start.
    Automatic,
}

fn code(e: &mut FieldErrors, field: &str, label: &str, list: &[(&str, &str)], value: &str) -> String {
    let value = value.trim();
    if !codes::contains(list, value) {
        e.push(
            field,
            "unknown_code",
            format!("{label}の区分が正しくありません。"),
        );
    }
    value.to_owned()
}

/// An inquiry (問い合わせ) as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct InquiryRecord {
    pub received_at: DateTime<Utc>,
    pub source_kind: String,
    pub source_code: Option<String>,
    pub channel: String,
    pub category: String,
    pub summary: String,
    pub answer: Option<String>,
    pub first_answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub work_minutes: u32,
}

impl InquiryRecord {
    /// `centers` are the registered centre codes; `codes` the master data (municipalities).
    pub fn parse(
        input: &InquiryInput,
        codes: &Codes,
        centers: &[String],
        now: DateTime<Utc>,
    ) -> Result<InquiryRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        not_future(&mut e, "received_at", "受付日時", input.received_at, now);
        let source_kind = code(
            &mut e,
            "source_kind",
            "問い合わせ元",
            codes::SOURCE_KINDS,
            &input.source_kind,
        );
        let source_code = input
            .source_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        match (source_kind.as_str(), source_code.as_deref()) {
            ("center", Some(c)) if centers.iter().any(|x| x == c) => {}
            ("center", _) => e.push(
                "source_code",
                "unknown_code",
                "問い合わせ元のセンターコードを選んでください。",
            ),
            ("municipality", Some(c)) if codes.is_municipality(c) => {}
            ("municipality", _) => e.push(
                "source_code",
                "unknown_code",
                "問い合わせ元の市町村コードを選んでください。",
            ),
            (_, Some(_)) => e.push(
                "source_code",
                "not_allowed",
                "県・その他からの問い合わせにはコードを付けません。",
            ),
            (_, None) => {}
        }
        let channel = code(&mut e, "channel", "受付手段", codes::CHANNELS, &input.channel);
        let category = code(
            &mut e,
            "category",
            "分類",
            codes::INQUIRY_CATEGORIES,
            &input.category,
        );
        let summary = free_text(
            &mut e,
            "summary",
            "問い合わせ内容",
            Some(&input.summary),
            true,
            TEXT_MAX,
        );
        let answer = free_text(
            &mut e,
            "answer",
            "回答内容",
            input.answer.as_deref(),
            false,
            TEXT_MAX,
        );
        for (field, label, t) in [
            ("first_answered_at", "初回回答日時", input.first_answered_at),
            ("closed_at", "完了日時", input.closed_at),
        ] {
            not_before(&mut e, field, label, t, input.received_at, "受付日時");
            if let Some(t) = t {
                not_future(&mut e, field, label, t, now);
            }
        }
        match (input.first_answered_at, input.closed_at) {
            (None, Some(_)) => e.push(
                "first_answered_at",
                "required",
                "完了にする前に初回回答日時を入力してください。",
            ),
            (Some(a), Some(c)) if c < a => e.push(
                "closed_at",
                "before_start",
                "完了日時は初回回答日時より後の日時にしてください。",
            ),
            _ => {}
        }
        let minutes = work_minutes(&mut e, input.work_minutes);
        e.into_result()?;
        Ok(InquiryRecord {
            received_at: input.received_at,
            source_kind,
            source_code,
            channel,
            category,
            summary: summary.unwrap_or_default(),
            answer,
            first_answered_at: input.first_answered_at,
            closed_at: input.closed_at,
            work_minutes: minutes,
        })
    }

    pub fn to_input(&self) -> InquiryInput {
        InquiryInput {
            received_at: self.received_at,
            source_kind: self.source_kind.clone(),
            source_code: self.source_code.clone(),
            channel: self.channel.clone(),
            category: self.category.clone(),
            summary: self.summary.clone(),
            answer: self.answer.clone(),
            first_answered_at: self.first_answered_at,
            closed_at: self.closed_at,
            work_minutes: self.work_minutes,
        }
    }
}

/// An inquiry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Inquiry {
    pub id: i64,
    pub record: InquiryRecord,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Inquiry {
    pub fn sla(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> shared::dto::ops_log::SlaView {
        clock(
            self.record.received_at,
            self.record.first_answered_at,
            policy.inquiry_hours,
            policy.warn_before,
            now,
        )
    }

    pub fn to_view(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> InquiryView {
        InquiryView {
            id: self.id,
            input: self.record.to_input(),
            sla: self.sla(policy, now),
            recorded_by: self.recorded_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// An incident (障害・セキュリティ事故) as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub detected_at: DateTime<Utc>,
    pub kind: String,
    pub summary: String,
    pub triaged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub cause: Option<String>,
    pub impact: Option<String>,
    pub handling: Option<String>,
    pub work_minutes: u32,
}

impl IncidentRecord {
    pub fn parse(input: &IncidentInput, now: DateTime<Utc>) -> Result<IncidentRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        not_future(&mut e, "detected_at", "検知日時", input.detected_at, now);
        let kind = code(&mut e, "kind", "障害の種類", codes::INCIDENT_KINDS, &input.kind);
        let summary = free_text(&mut e, "summary", "概要", Some(&input.summary), true, TEXT_MAX);
        let cause = free_text(&mut e, "cause", "原因", input.cause.as_deref(), false, TEXT_MAX);
        let impact = free_text(&mut e, "impact", "影響", input.impact.as_deref(), false, TEXT_MAX);
        let handling = free_text(
            &mut e,
            "handling",
            "対応内容",
            input.handling.as_deref(),
            false,
            TEXT_MAX,
        );
        for (field, label, t) in [
            ("triaged_at", "一次切り分け日時", input.triaged_at),
            ("resolved_at", "解決日時", input.resolved_at),
        ] {
            not_before(&mut e, field, label, t, input.detected_at, "検知日時");
            if let Some(t) = t {
                not_future(&mut e, field, label, t, now);
            }
        }
        match (input.triaged_at, input.resolved_at) {
            (None, Some(_)) => e.push(
                "triaged_at",
                "required",
                "解決にする前に一次切り分け日時を入力してください。",
            ),
            (Some(t), Some(r)) if r < t => e.push(
                "resolved_at",
                "before_start",
                "解決日時は一次切り分け日時より後の日時にしてください。",
            ),
            _ => {}
        }
        let minutes = work_minutes(&mut e, input.work_minutes);
        e.into_result()?;
        Ok(IncidentRecord {
            detected_at: input.detected_at,
            kind,
            summary: summary.unwrap_or_default(),
            triaged_at: input.triaged_at,
            resolved_at: input.resolved_at,
            cause,
            impact,
            handling,
            work_minutes: minutes,
        })
    }

    pub fn to_input(&self) -> IncidentInput {
        IncidentInput {
            detected_at: self.detected_at,
            kind: self.kind.clone(),
            summary: self.summary.clone(),
            triaged_at: self.triaged_at,
            resolved_at: self.resolved_at,
            cause: self.cause.clone(),
            impact: self.impact.clone(),
            handling: self.handling.clone(),
            work_minutes: self.work_minutes,
        }
    }
}

/// Alert events that are reminders, not incidents.
pub const NOT_INCIDENTS: &[&str] = &["sla_due_soon"];

/// The incident an alert event opens (detected when it was raised), or none for a reminder. A
/// burst of failed logins is a security incident, every other event a failure.
pub fn incident_from_alert(alert: &NewAlert, at: DateTime<Utc>) -> Option<IncidentRecord> {
    if NOT_INCIDENTS.contains(&alert.event) {
        return None;
    }
    let kind = if alert.event == "login_burst" {
        "security"
    } else {
        "failure"
    };
    let summary: String = format!("{}（{}）: {}", alert.event, alert.subject, alert.message)
        .chars()
        .take(TEXT_MAX)
        .collect();
    Some(IncidentRecord {
        detected_at: at,
        kind: kind.into(),
        summary,
        triaged_at: None,
        resolved_at: None,
        cause: None,
        impact: None,
        handling: None,
        work_minutes: 0,
    })
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub record: IncidentRecord,
    pub origin: Origin,
    pub alert_event: Option<String>,
    pub alert_subject: Option<String>,
    pub alert_count: u32,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    pub fn sla(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> shared::dto::ops_log::SlaView {
        clock(
            self.record.detected_at,
            self.record.triaged_at,
            policy.incident_hours,
            policy.warn_before,
            now,
        )
    }

    pub fn to_view(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> IncidentView {
        IncidentView {
            id: self.id,
            input: self.record.to_input(),
            origin: match self.origin {
                Origin::Automatic => "alert",
                Origin::Manual => "manual",
            }
            .into(),
            alert_event: self.alert_event.clone(),
            alert_subject: self.alert_subject.clone(),
            alert_count: self.alert_count,
            sla: self.sla(policy, now),
            recorded_by: self.recorded_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A change (変更) as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    pub changed_at: DateTime<Utc>,
    pub kind: String,
    pub summary: String,
    pub reason: String,
    pub impact: String,
    pub work_minutes: u32,
}

impl ChangeRecord {
    pub fn parse(input: &ChangeInput, now: DateTime<Utc>) -> Result<ChangeRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        not_future(&mut e, "changed_at", "変更日時", input.changed_at, now);
        let kind = code(&mut e, "kind", "変更種別", codes::CHANGE_KINDS, &input.kind);
        let summary = free_text(
            &mut e,
            "summary",
            "変更内容",
            Some(&input.summary),
            true,
            TEXT_MAX,
        );
        let reason = free_text(&mut e, "reason", "変更理由", Some(&input.reason), true, TEXT_MAX);
        let impact = free_text(&mut e, "impact", "影響", Some(&input.impact), true, TEXT_MAX);
        let minutes = work_minutes(&mut e, input.work_minutes);
        e.into_result()?;
        Ok(ChangeRecord {
            changed_at: input.changed_at,
            kind,
            summary: summary.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
            impact: impact.unwrap_or_default(),
            work_minutes: minutes,
        })
    }

    pub fn to_input(&self) -> ChangeInput {
        ChangeInput {
            changed_at: self.changed_at,
            kind: self.kind.clone(),
            summary: self.summary.clone(),
            reason: self.reason.clone(),
            impact: self.impact.clone(),
            work_minutes: self.work_minutes,
        }
    }
}

/// A change as stored; an automatic one carries the key it was recorded under.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    pub record: ChangeRecord,
    pub origin: Origin,
    pub auto_key: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Change {
    pub fn to_view(&self) -> ChangeView {
        ChangeView {
            id: self.id,
            input: self.record.to_input(),
            origin: match self.origin {
                Origin::Automatic => "auto",
                Origin::Manual => "manual",
            }
            .into(),
            recorded_by: self.recorded_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The longest maintenance window one record may announce.
pub const MAINTENANCE_MAX: Duration = Duration::days(3);

/// A scheduled maintenance window (計画停止) as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceRecord {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub work_minutes: u32,
}

impl MaintenanceRecord {
    /// A window announced now: it must not have begun (a stop announced after it began is an
    /// outage, not a scheduled stop).
    pub fn parse(input: &MaintenanceInput, now: DateTime<Utc>) -> Result<MaintenanceRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        if input.starts_at <= now {
            e.push(
                "starts_at",
                "not_ahead",
                "計画停止は開始前に登録してください（開始後に登録した停止は稼働率から除けません）。",
            );
        }
        if input.ends_at <= input.starts_at {
            e.push(
                "ends_at",
                "before_start",
                "終了日時は開始日時より後の日時にしてください。",
            );
        } else if input.ends_at - input.starts_at > MAINTENANCE_MAX {
            e.push("ends_at", "too_long", "1回の計画停止は3日以内にしてください。");
        }
        let summary = free_text(
            &mut e,
            "summary",
            "作業内容",
            Some(&input.summary),
            true,
            TEXT_MAX,
        );
        let minutes = work_minutes(&mut e, input.work_minutes);
        e.into_result()?;
        Ok(MaintenanceRecord {
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            summary: summary.unwrap_or_default(),
            work_minutes: minutes,
        })
    }
}

/// A maintenance window as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    pub id: i64,
    pub record: MaintenanceRecord,
    pub announced_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub recorded_by: String,
}

impl Maintenance {
    /// Whether it counts: announced before it began and not cancelled.
    pub fn counts(&self) -> bool {
        self.cancelled_at.is_none() && self.announced_at <= self.record.starts_at
    }

    pub fn to_view(&self) -> MaintenanceView {
        MaintenanceView {
            id: self.id,
            input: MaintenanceInput {
                starts_at: self.record.starts_at,
                ends_at: self.record.ends_at,
                summary: self.record.summary.clone(),
                work_minutes: self.record.work_minutes,
            },
            announced_at: self.announced_at,
            cancelled_at: self.cancelled_at,
            recorded_by: self.recorded_by.clone(),
        }
    }
}
