//! Japanese public holidays (国民の祝日に関する法律, as in force since 2020) and the year-end
//! closure (年末年始): the activity calendar keeps such days visually quiet, and the demo and
//! the data generator keep the centres closed on them, as real ones are.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The `n`th `weekday` of a month (Happy Monday holidays).
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
}

/// 春分日 and 秋分日 by the usual approximation (valid 1980–2099).
fn equinoxes(year: i32) -> (u32, u32) {
    let y = f64::from(year - 1980);
    let leap = ((year - 1980) / 4) as f64;
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
    days.sort();
    days
}

/// Whether `date` is a public holiday: a named one, a substitute holiday (振替休日: the next
/// non-holiday after a holiday on a Sunday) or a day between two holidays (国民の休日).
pub fn is_holiday(date: NaiveDate) -> bool {
    let named = named(date.year());
    let is_named = |d: NaiveDate| named.contains(&d);
    if is_named(date) {
        return true;
    }
    // 振替休日: walk back over the run of holidays just before `date`.
    let mut d = date - Duration::days(1);
    while is_named(d) {
        if d.weekday() == Weekday::Sun {
            return true;
        }
        d -= Duration::days(1);
    }
    // 国民の休日 (not a Sunday, which is a rest day anyway).
    date.weekday() != Weekday::Sun && is_named(date - Duration::days(1)) && is_named(date + Duration::days(1))
}

/// 年末年始 (29 December – 3 January): centres close.
pub fn is_year_end(date: NaiveDate) -> bool {
    matches!((date.month(), date.day()), (12, 29..=31) | (1, 1..=3))
}

/// Whether a centre would be open: a weekday that is neither a holiday nor the year end.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_holiday(date) && !is_year_end(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_holidays_of_2024_are_known() {
        for day in [
            d(2024, 1, 1),
            d(2024, 1, 8),
            d(2024, 2, 12), // 建国記念の日 on a Sunday: substitute
            d(2024, 3, 20),
            d(2024, 5, 6), // こどもの日 on a Sunday: substitute
            d(2024, 7, 15),
            d(2024, 9, 16),
            d(2024, 9, 22),
            d(2024, 9, 23), // 秋分の日 on a Sunday: substitute
            d(2024, 10, 14),
            d(2024, 11, 4),
        ] {
            assert!(is_holiday(day), "{day}");
        }
        assert!(!is_holiday(d(2024, 5, 7)));
        assert!(!is_holiday(d(2024, 9, 24)));
    }

    #[test]
    fn a_day_between_two_holidays_is_a_holiday() {
        // 2026: 敬老の日 21 September, 秋分の日 23 September.
        assert!(is_holiday(d(2026, 9, 22)));
    }

    #[test]
    fn centres_are_quiet_at_weekends_holidays_and_the_year_end() {
        assert!(!is_working_day(d(2024, 6, 1))); // Saturday
        assert!(!is_working_day(d(2024, 12, 30)));
        assert!(!is_working_day(d(2025, 1, 3)));
        assert!(!is_working_day(d(2024, 4, 29)));
        assert!(is_working_day(d(2024, 12, 27)));
        assert!(is_working_day(d(2025, 1, 6)));
    }
}
