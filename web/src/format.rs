//! How values are written on screen: dates in 和暦 with 西暦, ages, names, scopes.

use chrono::NaiveDate;
use shared::dates::format_wareki;
use shared::dto::auth::Scope;
use shared::municipality::KOCHI_MUNICIPALITIES;

use crate::master::MasterData;

/// `2024-04-01`.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `令和6年4月1日（2024年4月1日）`: 和暦 first, as staff read it, with 西暦 beside it.
pub fn wareki_with_seireki(date: NaiveDate) -> String {
    format!("{}（{}）", format_wareki(date), seireki(date))
}

/// A moment in Japan time, `令和6年4月1日（2024年4月1日）14:05`: record and print timestamps.
pub fn timestamp_jst(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at + chrono::Duration::hours(9);
    format!(
        "{} {}",
        wareki_with_seireki(local.date_naive()),
        local.format("%H:%M")
    )
}

/// `2024年4月1日`.
pub fn seireki(date: NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}

/// `82歳`, or a dash when unknown.
pub fn age(age: Option<u32>) -> String {
    age.map_or_else(|| "—".to_owned(), |a| format!("{a}歳"))
}

/// Family and given name with a full-width space, as written in Japanese.
pub fn full_name(family: &str, given: &str) -> String {
    format!("{family}\u{3000}{given}")
}

/// Japanese label for a scope, with names where they are known, e.g. `あったかふれあいセンター 春野`.
pub fn scope_label(scope: &Scope, master: Option<&MasterData>) -> String {
    match scope {
        Scope::Prefecture => "高知県全域".to_owned(),
        Scope::Municipality(code) => {
            let name = master
                .and_then(|m| m.municipality_name(code).map(str::to_owned))
                .or_else(|| {
                    KOCHI_MUNICIPALITIES
                        .iter()
                        .find(|(c, _, _)| c == code)
                        .map(|(_, name, _)| (*name).to_owned())
                });
            match name {
                Some(name) => format!("{name}（市町村）"),
                None => format!("市町村 {code}"),
            }
        }
        Scope::Region(code) => match master.and_then(|m| m.region_name(code)) {
            Some(name) => name.to_owned(),
            None => format!("地域 {code}"),
        },
        Scope::Center(code) => match master.and_then(|m| m.center_name(code)) {
            Some(name) => name.to_owned(),
            None => format!("センター {code}"),
        },
    }
}
