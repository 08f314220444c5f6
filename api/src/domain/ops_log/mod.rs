//! The operations log: inquiries, incidents, changes and scheduled maintenance windows as the
//! contract's reports count them, each checked here before it is stored. The log holds no person
//! data: a common ID typed into any free-text field refuses the record, naming the field.

pub mod auto_changes;
mod change;
mod incident;
mod inquiry;
mod records;
pub mod sla;

use chrono::{DateTime, Utc};
use shared::common_id::find_in_text;
use shared::error::FieldErrors;

pub use change::{Change, ChangeRecord, Maintenance, MaintenanceRecord, MAINTENANCE_MAX};
pub use incident::{incident_from_alert, Incident, IncidentRecord, NOT_INCIDENTS};
pub use inquiry::{Inquiry, InquiryRecord};
pub use records::Origin;

/// Longest free text of one field, in characters.
pub const TEXT_MAX: usize = 4000;
/// Most work minutes one record may carry (about 70 days of work).
pub const WORK_MINUTES_MAX: u32 = 100_000;

/// What the log is read for: records active in `[from, to)` (received, detected, changed or
/// scheduled before `to`, and not closed before `from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogWindow {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl LogWindow {
    /// Everything ever recorded.
    pub fn all() -> LogWindow {
        LogWindow {
            from: DateTime::<Utc>::UNIX_EPOCH,
            to: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(365 * 8000),
        }
    }
}

/// Checks one free-text field: trimmed, within `max` characters, required unless `optional`,
/// and free of anything shaped like a common ID. `label` names the field in Japanese.
pub(crate) fn free_text(
    e: &mut FieldErrors,
    field: &str,
    label: &str,
    text: Option<&str>,
    required: bool,
    max: usize,
) -> Option<String> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let Some(text) = text else {
        if required {
            e.push(field, "required", format!("{label}を入力してください。"));
        }
        return None;
    };
    if text.chars().count() > max {
        e.push(
            field,
            "too_long",
            format!("{label}は{max}文字以内で入力してください。"),
        );
    }
    if let Some(found) = find_in_text(text) {
        e.push(
            field,
            "person_data",
            format!(
                "{label}に共通利用者番号のような文字列（{found}）があります。運用記録には利用者個人の情報（番号・氏名など）を書かないでください。"
            ),
        );
    }
    Some(text.to_owned())
}

/// Work minutes within range.
pub(crate) fn work_minutes(e: &mut FieldErrors, minutes: u32) -> u32 {
    if minutes > WORK_MINUTES_MAX {
        e.push(
            "work_minutes",
            "out_of_range",
            format!("作業時間は0〜{WORK_MINUTES_MAX}分で入力してください。"),
        );
    }
    minutes
}

/// A time that must not lie in the future (a little clock skew allowed).
pub(crate) fn not_future(
    e: &mut FieldErrors,
    field: &str,
    label: &str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    if t > now + chrono::Duration::minutes(5) {
        e.push(field, "future", format!("{label}に未来の日時は入力できません。"));
    }
}

/// A time that must come at or after `earlier` (named `earlier_label`).
pub(crate) fn not_before(
    e: &mut FieldErrors,
    field: &str,
    label: &str,
    t: Option<DateTime<Utc>>,
    earlier: DateTime<Utc>,
    earlier_label: &str,
) {
    if t.is_some_and(|t| t < earlier) {
        e.push(
            field,
            "before_start",
            format!("{label}は{earlier_label}より後の日時にしてください。"),
        );
    }
}

#[cfg(test)]
mod tests;
