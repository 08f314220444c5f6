//! `attaka privacy report --steps`: the exact rows described after each step of coarsening in
//! turn, up to the default view, so the report shows what each step does to k.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::kanon::{columns_at, Describe};
use crate::domain::codes::Codes;
use crate::stats::extract::ExtractKind;

/// The steps from the exact rows to the default coarsened view, each on top of the ones
/// before: what each one does to k (docs/privacy.md, "what was needed").
pub fn steps(
    kind: ExtractKind,
    codes: Codes,
    births: HashMap<String, String>,
    to: NaiveDate,
) -> Vec<(&'static str, Describe)> {
    use super::{age_from_year_month, broad_age_band, broaden};
    let codes = Arc::new(codes);
    let band_on = shared::dates::fiscal_year_range(shared::dates::fiscal_year(to)).0;
    let join = |parts: Vec<String>| parts.join("\u{1f}");
    let month = |d: &str| d.get(..7).unwrap_or(d).to_owned();
    let fiscal = |d: &str| {
        d.parse::<NaiveDate>()
            .map(|d| shared::dates::fiscal_year(d).to_string())
            .unwrap_or_default()
    };
    let no_deceased = |w: &str| {
        if w == "deceased" {
            "other".to_owned()
        } else {
            w.to_owned()
        }
    };
    match kind {
        ExtractKind::Persons => {
            let band = {
                let codes = codes.clone();
                move |birth: &str| {
                    age_from_year_month(birth, band_on)
                        .and_then(|a| u32::try_from(a).ok())
                        .and_then(|a| codes.age_band(a))
                        .unwrap_or_default()
                        .to_owned()
                }
            };
            let (b1, b2, b3, b4) = (band.clone(), band.clone(), band.clone(), band);
            let broad = {
                let codes = codes.clone();
                move |birth: &str| {
                    age_from_year_month(birth, band_on)
                        .map_or_else(String::new, |a| broad_age_band(&codes, a))
                }
            };
            vec![
                (
                    "exact (the prefecture's view)",
                    columns_at(vec![1, 2, 3, 4, 5, 8, 9, 10, 11, 12]),
                ),
                (
                    "age band, registration and end to the month, deceased → other",
                    Box::new(move |f: &[&str]| {
                        join(vec![
                            f[1].into(),
                            f[2].into(),
                            f[3].into(),
                            b1(f[4]),
                            f[5].into(),
                            f[8].into(),
                            f[9].into(),
                            month(f[10]),
                            month(f[11]),
                            no_deceased(f[12]),
                        ])
                    }),
                ),
                (
                    "… registration and end to the fiscal year",
                    Box::new(move |f: &[&str]| {
                        join(vec![
                            f[1].into(),
                            f[2].into(),
                            f[3].into(),
                            b2(f[4]),
                            f[5].into(),
                            f[8].into(),
                            f[9].into(),
                            fiscal(f[10]),
                            fiscal(f[11]),
                            no_deceased(f[12]),
                        ])
                    }),
                ),
                (
                    "… residence, care level and household withheld",
                    Box::new(move |f: &[&str]| {
                        join(vec![
                            f[1].into(),
                            f[2].into(),
                            f[3].into(),
                            b3(f[4]),
                            fiscal(f[10]),
                            fiscal(f[11]),
                            no_deceased(f[12]),
                        ])
                    }),
                ),
                (
                    "… registration, end and end reason withheld",
                    Box::new(move |f: &[&str]| join(vec![f[1].into(), f[2].into(), f[3].into(), b4(f[4])])),
                ),
                (
                    "… broad age bands (the default coarsened view)",
                    Box::new(move |f: &[&str]| {
                        join(vec![f[1].into(), f[2].into(), f[3].into(), broad(f[4])])
                    }),
                ),
            ]
        }
        ExtractKind::Participations => {
            let c1 = codes.clone();
            let c2 = codes;
            vec![
                (
                    "exact (the prefecture's view)",
                    columns_at(vec![2, 3, 8, 9, 12, 13]),
                ),
                ("care level and household withheld", columns_at(vec![2, 3, 8, 9])),
                (
                    "… broad age band of the day",
                    Box::new(move |f: &[&str]| {
                        join(vec![f[2].into(), f[3].into(), f[8].into(), broaden(&c1, f[9])])
                    }),
                ),
                (
                    "… broad age band on 1 April of the fiscal year (the default coarsened view)",
                    Box::new(move |f: &[&str]| {
                        let on = f[6]
                            .strip_prefix("FY")
                            .and_then(|y| y.parse().ok())
                            .and_then(|y| NaiveDate::from_ymd_opt(y, 4, 1));
                        let band = births
                            .get(f[1])
                            .zip(on)
                            .and_then(|(b, on)| age_from_year_month(b, on))
                            .map_or_else(|| broaden(&c2, f[9]), |a| broad_age_band(&c2, a));
                        join(vec![f[2].into(), f[3].into(), f[8].into(), band])
                    }),
                ),
            ]
        }
        ExtractKind::Activities => Vec::new(),
    }
}
