//! Japanese public holidays (国民の祝日に関する法律, as in force since 2020) and the year-end
//! closure, so the activity calendar can keep days a centre is usually closed visually quiet.
//!
//! The same rules as the server's demo planner (`api/src/demo/holidays.rs`); both would sit
//! better in `shared`.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

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

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// 春分日 and 秋分日 by the usual approximation (valid 1980–2099).
fn equinoxes(year: i32) -> (u32, u32) {
    let y = f64::from(year - 1980);
    let leap = f64::from((year - 1980) / 4);
    let spring = (20.8431 + 0.242194 * y - leap).floor() as u32;
    let autumn = (23.2488 + 0.242194 * y - leap).floor() as u32;
    (spring, autumn)
}

/// The holidays named by the law for `year` (before substitute and sandwiched days).
fn named(year: i32) -> Vec<NaiveDate> {
    let (spring, autumn) = equinoxes(year);
    let fixed = [
        (1, 1),
        (2, 11),
        (2, 23),
        (3, spring),
        (4, 29),
        (5, 3),
        (5, 4),
        (5, 5),
        (8, 11),
        (9, autumn),
        (11, 3),
        (11, 23),
    ];
    let mut days: Vec<NaiveDate> = fixed
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
        .collect();
    days.extend(
        [(1, 2), (7, 3), (9, 3), (10, 2)]
            .iter()
            .filter_map(|&(m, n)| nth_weekday(year, m, Weekday::Mon, n)),
    );
    days
}

/// A named holiday, a substitute holiday (振替休日) or a day between two holidays (国民の休日).
pub fn is_holiday(date: NaiveDate) -> bool {
    let named = named(date.year());
    let is_named = |d: NaiveDate| named.contains(&d);
    if is_named(date) {
        return true;
    }
    let mut d = date - Duration::days(1);
    while is_named(d) {
        if d.weekday() == Weekday::Sun {
            return true;
        }
        d -= Duration::days(1);
    }
    date.weekday() != Weekday::Sun && is_named(date - Duration::days(1)) && is_named(date + Duration::days(1))
}

/// 年末年始 (29 December – 3 January).
pub fn is_year_end(date: NaiveDate) -> bool {
    matches!((date.month(), date.day()), (12, 29..=31) | (1, 1..=3))
}

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
