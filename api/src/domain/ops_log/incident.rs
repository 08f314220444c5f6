//! An incident (障害・セキュリティ事故): checked from its input or opened by an alert event,
//! with its 12-hour triage clock.

use chrono::{DateTime, Utc};
use shared::dto::ops_log::{codes, IncidentInput, IncidentView};
use shared::error::{FieldError, FieldErrors};

use super::records::{code, Origin};
use super::sla::{clock, SlaPolicy};
use super::{free_text, not_before, not_future, work_minutes, TEXT_MAX};
use crate::domain::alert::NewAlert;

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
