//! The contract's service-level clocks: a first answer to every inquiry within 24 hours, a first
//! triage (一次切り分け) of every incident within 12 hours. The contract words them in hours, so
//! they run on the wall clock: nights, weekends and holidays count, and an item is on time when
//! it is done at or before exactly that many hours after it started.

use chrono::{DateTime, Duration, Utc};
use shared::dto::ops_log::{SlaState, SlaView};

/// The limits and how early an open item counts as due soon (and is mailed once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    pub inquiry_hours: u32,
    pub incident_hours: u32,
    pub warn_before: Duration,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            inquiry_hours: 24,
            incident_hours: 12,
            warn_before: Duration::hours(3),
        }
    }
}

/// The clock of an item started at `started` and done at `done` (if it is), as of `now`.
pub fn clock(
    started: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    limit_hours: u32,
    warn_before: Duration,
    now: DateTime<Utc>,
) -> SlaView {
    let due_at = started + Duration::hours(i64::from(limit_hours));
    let state = match done {
        Some(d) if d <= due_at => SlaState::Met,
        Some(_) => SlaState::Breached,
        None if now > due_at => SlaState::Overdue,
        None if due_at - now <= warn_before => SlaState::DueSoon,
        None => SlaState::Open,
    };
    SlaView {
        limit_hours,
        due_at,
        done_at: done,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_limit_is_wall_clock_hours_over_nights_and_weekends() {
        // Received Friday 17:00 JST; 24 hours later is Saturday 17:00 JST, not Monday.
        let received = t("2025-05-09T17:00:00+09:00");
        let c = clock(received, None, 24, Duration::hours(3), received);
        assert_eq!(c.due_at, t("2025-05-10T17:00:00+09:00"));
        assert_eq!(c.state, SlaState::Open);
    }

    #[test]
    fn done_at_the_limit_is_on_time_and_a_second_later_is_a_breach() {
        let started = t("2025-05-01T09:00:00+09:00");
        let now = t("2025-06-01T00:00:00+09:00");
        let on_time = clock(
            started,
            Some(t("2025-05-01T21:00:00+09:00")),
            12,
            Duration::hours(3),
            now,
        );
        assert_eq!(on_time.state, SlaState::Met);
        let late = clock(
            started,
            Some(t("2025-05-01T21:00:01+09:00")),
            12,
            Duration::hours(3),
            now,
        );
        assert_eq!(late.state, SlaState::Breached);
        assert!(late.state.is_breach() && !on_time.state.is_breach());
    }

    #[test]
    fn an_open_item_is_due_soon_within_the_warning_time_and_overdue_after_the_limit() {
        let started = t("2025-05-01T09:00:00+09:00");
        let warn = Duration::hours(3);
        let at = |s: &str| clock(started, None, 24, warn, t(s)).state;
        assert_eq!(at("2025-05-02T05:59:59+09:00"), SlaState::Open);
        assert_eq!(at("2025-05-02T06:00:00+09:00"), SlaState::DueSoon);
        assert_eq!(at("2025-05-02T09:00:00+09:00"), SlaState::DueSoon);
        assert_eq!(at("2025-05-02T09:00:01+09:00"), SlaState::Overdue);
        assert!(SlaState::Overdue.is_breach());
    }
}
