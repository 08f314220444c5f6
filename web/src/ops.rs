//! The operations log's screens: who sees them, times entered in Japan time, and the labels of
//! its codes and service-level states.

use chrono::{DateTime, NaiveDateTime, Utc};
use shared::dto::auth::Role;
use shared::dto::ops_log::SlaState;

use crate::clock::now_ms;

/// The operations log and the contract's reports: the operator and the prefecture.
pub fn ops_allowed(role: Role) -> bool {
    matches!(role, Role::Operator | Role::Prefecture)
}

fn jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

/// Now, from the browser's clock (chrono's own clock panics on wasm32).
pub fn now_utc() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}

/// An instant as a `datetime-local` input holds it, in Japan time: `2025-05-20T10:00`.
pub fn to_input(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%dT%H:%M").to_string()
}

/// What a `datetime-local` input holds, read as Japan time; none when empty or unreadable.
pub fn from_input(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?
        .and_local_timezone(jst())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `2025-05-20 10:00` in Japan time.
pub fn jst_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt_jst_text(t: Option<DateTime<Utc>>) -> String {
    t.map(jst_text).unwrap_or_else(|| "—".into())
}

/// Minutes as `1時間30分`.
pub fn minutes_text(minutes: u32) -> String {
    if minutes >= 60 {
        format!("{}時間{:02}分", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}分")
    }
}

/// The CSS class of a state's badge.
pub fn sla_class(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "badge badge-ok",
        SlaState::Open => "badge",
        SlaState::DueSoon => "badge badge-warn",
        SlaState::Breached | SlaState::Overdue => "badge badge-error",
    }
}

/// `(code, label)` options from a code list of `shared::dto::ops_log::codes`.
pub fn options(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_typed_in_japan_time_round_trips() {
        let t = from_input("2025-05-20T10:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-05-20T01:00:00+00:00");
        assert_eq!(to_input(t), "2025-05-20T10:00");
        assert_eq!(from_input(""), None);
        assert_eq!(minutes_text(90), "1時間30分");
    }
}
