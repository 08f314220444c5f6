//! How the activity calendar marks days a centre is usually closed: weekends, public holidays
//! and the year end (the rules are `shared::holidays`, which the demo planner uses too).

use chrono::{Datelike, NaiveDate, Weekday};
pub use shared::holidays::{is_holiday, is_year_end};

/// What kind of day a calendar cell is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Weekday,
    Saturday,
    /// Sunday or a public holiday.
    Sunday,
    Holiday,
    /// 年末年始 (29 December – 3 January) on a weekday.
    YearEnd,
}

impl DayKind {
    pub fn of(date: NaiveDate) -> DayKind {
        if is_holiday(date) {
            DayKind::Holiday
        } else {
            match date.weekday() {
                Weekday::Sun => DayKind::Sunday,
                Weekday::Sat => DayKind::Saturday,
                _ if is_year_end(date) => DayKind::YearEnd,
                _ => DayKind::Weekday,
            }
        }
    }

    /// Whether a centre is usually closed on such a day.
    pub fn is_quiet(self) -> bool {
        self != DayKind::Weekday
    }

    /// CSS class of the cell.
    pub fn class(self) -> &'static str {
        match self {
            DayKind::Weekday => "day-weekday",
            DayKind::Saturday => "day-saturday",
            DayKind::Sunday => "day-sunday",
            DayKind::Holiday => "day-holiday",
            DayKind::YearEnd => "day-year-end",
        }
    }
}

/// `月`, `火`, … for a date.
pub fn weekday_label(date: NaiveDate) -> &'static str {
    WEEKDAY_LABELS[date.weekday().num_days_from_sunday() as usize]
}

/// Sunday first, as Japanese wall calendars are.
pub const WEEKDAY_LABELS: [&str; 7] = ["日", "月", "火", "水", "木", "金", "土"];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn substitute_and_sandwiched_holidays_are_holidays() {
        assert_eq!(DayKind::of(d(2024, 5, 6)), DayKind::Holiday);
        assert_eq!(DayKind::of(d(2026, 9, 22)), DayKind::Holiday);
        assert_eq!(DayKind::of(d(2024, 5, 7)), DayKind::Weekday);
        assert_eq!(DayKind::of(d(2024, 12, 30)), DayKind::YearEnd);
        assert_eq!(DayKind::of(d(2024, 6, 1)), DayKind::Saturday);
    }
}
