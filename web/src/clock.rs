//! The browser's clock. chrono's `Utc::now()` panics on wasm32-unknown-unknown, so time comes
//! from JavaScript's `Date.now()`; "today" is the date in Japan, whatever the PC's time zone.

use chrono::{Days, NaiveDate};

const MS_PER_DAY: f64 = 86_400_000.0;
/// Japan has no daylight saving time: JST is always UTC+9.
const JST_OFFSET_MS: f64 = 9.0 * 3_600_000.0;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Today's date in Japan (Asia/Tokyo).
pub fn today_jst() -> NaiveDate {
    let days = ((now_ms() + JST_OFFSET_MS) / MS_PER_DAY).floor();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    // A browser clock before 1970 is broken; fall back to the epoch rather than panic.
    epoch
        .checked_add_days(Days::new(days.max(0.0) as u64))
        .unwrap_or(epoch)
}
