//! The node's notion of "today": Kochi is in Asia/Tokyo (UTC+9, no daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

pub const TIME_ZONE: &str = "Asia/Tokyo";

pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

pub fn now_jst() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&jst())
}

pub fn today_jst() -> NaiveDate {
    now_jst().date_naive()
}

/// The instant it is `time` on `day` in Japan (a fixed offset: every such time exists once).
pub fn at_jst(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    (day.and_time(time) - chrono::Duration::hours(9)).and_utc()
}
