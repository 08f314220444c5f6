//! The rules the activity form shares with the server, and reading what staff type: which
//! detail each function asks for, which form records it, times and headcounts as typed, and
//! the client-chosen activity ID.

use uuid::Uuid;

pub use shared::activity_detail::{detail_rule, DetailRule, Need};

/// The two forms: a gathering with a checklist of people, or one person's visit, consultation
/// or referral with its detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Gathering,
    Individual,
}

impl FormKind {
    pub fn for_function(function: &str) -> FormKind {
        let rule = detail_rule(function);
        if rule.visit_purpose.shown() || rule.topics.shown() || rule.referral_destination.shown() {
            FormKind::Individual
        } else {
            FormKind::Gathering
        }
    }

    /// `?kind=` of the new-activity page.
    pub fn from_query(value: &str) -> FormKind {
        if value == "individual" {
            FormKind::Individual
        } else {
            FormKind::Gathering
        }
    }

    pub fn query(self) -> &'static str {
        match self {
            FormKind::Gathering => "gathering",
            FormKind::Individual => "individual",
        }
    }

    /// The function a new form starts with.
    pub fn default_function(self) -> &'static str {
        match self {
            FormKind::Gathering => "tsudoi",
            FormKind::Individual => "houmon",
        }
    }
}

/// Full-width digits and colon to ASCII, so `１０：３０` reads as `10:30`.
fn ascii_digits(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '：' => ':',
            _ => c,
        })
        .collect()
}

/// A headcount: empty is 0; digits of either width.
pub fn parse_count(s: &str) -> Result<i64, &'static str> {
    let s = ascii_digits(s);
    if s.is_empty() {
        return Ok(0);
    }
    if !s.chars().all(|c| c.is_ascii_digit()) || s.len() > 4 {
        return Err("0以上の数字で入力してください。");
    }
    s.parse().map_err(|_| "0以上の数字で入力してください。")
}

/// A time as typed (`10`, `930`, `1030`, `9:30`, `１０：３０`) as `HH:MM`; empty is none.
pub fn normalize_time(s: &str) -> Result<Option<String>, &'static str> {
    const MESSAGE: &str = "時刻は 10:30 のように入力してください。";
    let s = ascii_digits(s);
    if s.is_empty() {
        return Ok(None);
    }
    let (h, m) = match s.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return Err(MESSAGE),
        None if s.len() <= 2 => (s.as_str(), "00"),
        None if s.len() <= 4 => s.split_at(s.len() - 2),
        None => return Err(MESSAGE),
    };
    if h.is_empty()
        || h.len() > 2
        || !h.chars().all(|c| c.is_ascii_digit())
        || !m.chars().all(|c| c.is_ascii_digit())
    {
        return Err(MESSAGE);
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| MESSAGE)?, m.parse().map_err(|_| MESSAGE)?);
    if h > 23 || m > 59 {
        return Err(MESSAGE);
    }
    Ok(Some(format!("{h:02}:{m:02}")))
}

/// A random (v4) UUID from the browser's `crypto.getRandomValues`, which, unlike
/// `crypto.randomUUID`, also works on a plain-HTTP centre LAN.
pub fn new_activity_id() -> Uuid {
    let mut bytes = [0u8; 16];
    if !fill_random(&mut bytes) {
        // No Web Crypto (very old browser): uniqueness is all the ID needs, not secrecy.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn fill_random(bytes: &mut [u8; 16]) -> bool {
    use wasm_bindgen::JsCast;
    let crypto = match js_sys::Reflect::get(&js_sys::global(), &"crypto".into()) {
        Ok(c) if c.is_object() => c,
        _ => return false,
    };
    let Ok(get) = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    else {
        return false;
    };
    let array = js_sys::Uint8Array::new_with_length(16);
    if get.call1(&crypto, &array).is_err() {
        return false;
    }
    array.copy_to(bytes);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_staff_type_them() {
        assert_eq!(normalize_time("10"), Ok(Some("10:00".into())));
        assert_eq!(normalize_time("930"), Ok(Some("09:30".into())));
        assert_eq!(normalize_time("１０：３０"), Ok(Some("10:30".into())));
        assert_eq!(normalize_time(""), Ok(None));
        assert!(normalize_time("25:00").is_err());
        assert!(normalize_time("9:3").is_err());
    }

    #[test]
    fn counts_accept_full_width_digits_and_empty_is_zero() {
        assert_eq!(parse_count("１２"), Ok(12));
        assert_eq!(parse_count(""), Ok(0));
        assert!(parse_count("-1").is_err());
    }

    #[test]
    fn only_visits_consultations_and_referrals_carry_details() {
        assert_eq!(FormKind::for_function("houmon"), FormKind::Individual);
        assert_eq!(FormKind::for_function("tsunagi"), FormKind::Individual);
        assert_eq!(FormKind::for_function("tsudoi"), FormKind::Gathering);
        assert_eq!(detail_rule("soudan").referral_destination, Need::Optional);
    }
}
