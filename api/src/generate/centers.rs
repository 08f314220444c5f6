//! The prefecture's centres as the generator lays them out: 55 centres in 31 of the 34
//! municipalities (as in FY2023), sized roughly by population, the four small villages tiny.

use chrono::NaiveDate;

use crate::domain::org::{Center, Site};

/// One generated centre: where it is, how big (1.0 is an average centre) and how many
/// satellites it runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub center: Center,
    pub sites: Vec<Site>,
    pub size: f64,
}

/// `(municipality, place, size, satellites)`, in municipality-code order. 東洋町, 芸西村 and
/// 日高村 have no centre here: which three lack one is not known, so this is a guess.
const LAYOUT: [(&str, &str, f64, u8); 55] = [
    ("392014", "春野", 1.5, 1),
    ("392014", "鏡", 1.1, 1),
    ("392014", "土佐山", 0.8, 0),
    ("392014", "介良", 1.6, 0),
    ("392014", "朝倉", 1.7, 1),
    ("392014", "長浜", 1.5, 0),
    ("392014", "一宮", 1.4, 1),
    ("392022", "室戸岬", 1.0, 1),
    ("392022", "吉良川", 0.8, 0),
    ("392031", "安芸", 1.2, 1),
    ("392031", "井ノ口", 0.7, 0),
    ("392049", "後免", 1.4, 1),
    ("392049", "稲生", 0.9, 0),
    ("392057", "高岡", 1.3, 1),
    ("392057", "宇佐", 0.9, 0),
    ("392065", "須崎", 1.2, 1),
    ("392065", "浦ノ内", 0.7, 0),
    ("392081", "宿毛", 1.2, 1),
    ("392081", "平田", 0.7, 0),
    ("392090", "清水", 1.0, 1),
    ("392090", "下ノ加江", 0.6, 0),
    ("392103", "中村", 1.4, 1),
    ("392103", "西土佐", 0.8, 1),
    ("392103", "具同", 1.0, 0),
    ("392111", "野市", 1.3, 1),
    ("392111", "赤岡", 0.9, 0),
    ("392120", "土佐山田", 1.3, 1),
    ("392120", "香北", 0.8, 0),
    ("392120", "物部", 0.6, 1),
    ("393029", "奈半利", 0.6, 0),
    ("393037", "田野", 0.6, 0),
    ("393045", "安田", 0.5, 1),
    ("393053", "北川", 0.25, 0),
    ("393061", "馬路", 0.2, 0),
    ("393410", "本山", 0.6, 0),
    ("393444", "大杉", 0.6, 1),
    ("393444", "東豊永", 0.4, 0),
    ("393631", "土佐町", 0.6, 1),
    ("393649", "大川", 0.12, 0),
    ("393860", "伊野", 1.3, 1),
    ("393860", "吾北", 0.6, 1),
    ("393860", "本川", 0.3, 0),
    ("393878", "仁淀", 0.6, 1),
    ("393878", "池川", 0.4, 0),
    ("394017", "久礼", 0.8, 1),
    ("394025", "佐川", 1.0, 1),
    ("394033", "越知", 0.7, 0),
    ("394050", "梼原", 0.6, 1),
    ("394114", "津野", 0.6, 1),
    ("394122", "窪川", 1.0, 1),
    ("394122", "大正", 0.5, 0),
    ("394246", "大月", 0.6, 1),
    ("394271", "三原", 0.25, 0),
    ("394289", "大方", 0.9, 1),
    ("394289", "佐賀", 0.6, 0),
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn municipality_name(code: &str) -> &'static str {
    shared::municipality::KOCHI_MUNICIPALITIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("", |(_, n, _)| n)
}

/// `n` centres spread over the layout (all 55 when `n` is 55), numbered C001.. in layout
/// order. The programme started in FY2009; a few centres opened later.
pub fn plan(n: usize) -> Vec<Plan> {
    let n = n.clamp(1, LAYOUT.len());
    (0..n)
        .map(|i| {
            let at = i * LAYOUT.len() / n;
            let (municipality, place, size, satellites) = LAYOUT[at];
            let code = format!("C{:03}", i + 1);
            let town = municipality_name(municipality);
            let operator_body = match at % 5 {
                3 => format!("NPO法人 {place}ふれあいの会"),
                4 => format!("社会福祉法人 {place}福祉会"),
                _ => format!("{town}社会福祉協議会"),
            };
            let opened_on = match at % 11 {
                3 => date(2010, 4, 1),
                7 => date(2012, 10, 1),
                9 => date(2018, 4, 1),
                _ => date(2009, 4, 1),
            };
            let sites = (1..=satellites)
                .map(|s| Site {
                    code: format!("{code}-S{s:02}"),
                    center: code.clone(),
                    name: format!("サテライト {place}{s}"),
                    opened_on: opened_on.max(date(2013, 4, 1)),
                    closed_on: None,
                })
                .collect();
            Plan {
                center: Center {
                    code,
                    name: format!("あったかふれあいセンター {place}"),
                    municipality: municipality.to_owned(),
                    operator_body,
                    opened_on,
                    closed_on: None,
                },
                sites,
                size,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_prefecture_has_55_centres_in_31_municipalities_with_the_small_villages_tiny() {
        let all = plan(55);
        assert_eq!(all.len(), 55);
        let towns: BTreeSet<&str> = all.iter().map(|p| p.center.municipality.as_str()).collect();
        assert_eq!(towns.len(), 31);
        for village in ["393649", "393061", "394271", "393053"] {
            let c = all.iter().find(|p| p.center.municipality == village).unwrap();
            assert!(c.size <= 0.25, "{village} is small");
        }
        assert!(all
            .iter()
            .all(|p| !municipality_name(&p.center.municipality).is_empty()));
    }

    #[test]
    fn fewer_centres_are_spread_over_the_prefecture() {
        let some = plan(5);
        let towns: BTreeSet<&str> = some.iter().map(|p| p.center.municipality.as_str()).collect();
        assert_eq!(towns.len(), 5);
        assert_eq!(some[4].center.code, "C005");
    }
}
