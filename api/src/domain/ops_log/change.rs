//! A change (変更) and a scheduled maintenance window (計画停止), checked from their input.

use chrono::{DateTime, Duration, Utc};
use shared::dto::ops_log::{codes, ChangeInput, ChangeView, MaintenanceInput, MaintenanceView};
use shared::error::{FieldError, FieldErrors};

use super::records::{code, Origin};
use super::{free_text, not_future, work_minutes, TEXT_MAX};

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
