//! The node's notion of "today": Kochi is in Asia/Tokyo (UTC+9, no daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

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
