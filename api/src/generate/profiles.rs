//! Who registers: the attributes of a new registration by kind of user (ages, sex, categories,
//! household, care level, disability), how long they stay and why they leave, and how an older
//! person's care level changes over the years. Shares follow the FY2023 prefecture figures.

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::Rng;

use super::people::Kind;

/// Shares of the people taking part in a year, by reporting group (FY2023: 6,287 / 411 / 925 /
/// 2,587), and how long each kind stays registered on average, in years.
pub(super) const MIX: [(Kind, f64, f64); 5] = [
    (Kind::Elderly, 0.580, 5.5),
    (Kind::Disabled, 0.045, 8.0),
    (Kind::Child, 0.115, 4.0),
    (Kind::Family, 0.115, 3.0),
    (Kind::Other, 0.145, 5.0),
];

pub(super) fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn years(rng: &mut StdRng, from: f64, to: f64) -> Duration {
    Duration::days((rng.random_range(from..to) * 365.25) as i64)
}

/// Everything about a new registration except who issued the ID.
pub(super) struct Draft {
    pub(super) kind: Kind,
    pub(super) birth: NaiveDate,
    pub(super) sex: &'static str,
    pub(super) categories: Vec<&'static str>,
    pub(super) household: &'static str,
    pub(super) care: &'static str,
    pub(super) disability: Option<(&'static str, &'static str)>,
}

pub(super) fn draft(rng: &mut StdRng, kind: Kind, on: NaiveDate) -> Draft {
    let age = |rng: &mut StdRng, lo: f64, hi: f64| on - years(rng, lo, hi);
    let female = |rng: &mut StdRng, p: f64| {
        if rng.random_bool(0.004) {
            "undisclosed"
        } else if rng.random_bool(p) {
            "F"
        } else {
            "M"
        }
    };
    match kind {
        Kind::Elderly => {
            let band = weighted(
                rng,
                &[((65.0, 75.0), 0.35), ((75.0, 85.0), 0.45), ((85.0, 95.0), 0.20)],
            );
            Draft {
                kind,
                birth: age(rng, band.0, band.1),
                sex: female(rng, 0.72),
                categories: vec!["elderly"],
                household: weighted(
                    rng,
                    &[
                        ("alone", 0.36),
                        ("elderly_only", 0.30),
                        ("daytime_alone", 0.10),
                        ("with_family", 0.21),
                        ("other", 0.03),
                    ],
                ),
                care: weighted(
                    rng,
                    &[
                        ("independent", 0.45),
                        ("jigyou", 0.14),
                        ("shien1", 0.15),
                        ("shien2", 0.12),
                        ("kaigo1", 0.11),
                        ("unknown", 0.03),
                    ],
                ),
                disability: None,
            }
        }
        Kind::Disabled => {
            let older = rng.random_bool(0.25);
            let young = !older && rng.random_bool(0.08);
            let (birth, categories) = if older {
                (age(rng, 65.0, 90.0), vec!["disabled", "elderly"])
            } else if young {
                (age(rng, 6.0, 12.9), vec!["child", "disabled"])
            } else {
                (age(rng, 18.0, 64.9), vec!["disabled"])
            };
            let disability = weighted(
                rng,
                &[
                    (("physical", "2"), 0.35),
                    (("intellectual", "B1"), 0.35),
                    (("mental", "2"), 0.30),
                ],
            );
            Draft {
                kind,
                birth,
                sex: female(rng, 0.48),
                categories,
                household: weighted(rng, &[("with_family", 0.7), ("alone", 0.2), ("other", 0.1)]),
                care: if older { "shien1" } else { "independent" },
                disability: Some(disability),
            }
        }
        Kind::Child => Draft {
            kind,
            birth: if rng.random_bool(0.35) {
                age(rng, 0.3, 5.9)
            } else {
                age(rng, 6.0, 11.5)
            },
            sex: female(rng, 0.5),
            categories: vec!["child"],
            household: "with_family",
            care: "independent",
            disability: None,
        },
        Kind::Family => Draft {
            kind,
            birth: age(rng, 22.0, 45.0),
            sex: female(rng, 0.85),
            categories: if rng.random_bool(0.06) {
                vec!["childrearing", "other"]
            } else {
                vec!["childrearing"]
            },
            household: "with_family",
            care: "independent",
            disability: None,
        },
        Kind::Other => Draft {
            kind,
            birth: age(rng, 20.0, 64.9),
            sex: female(rng, 0.6),
            categories: vec!["other"],
            household: weighted(rng, &[("with_family", 0.65), ("alone", 0.25), ("other", 0.10)]),
            care: if rng.random_bool(0.05) {
                "unknown"
            } else {
                "independent"
            },
            disability: None,
        },
    }
}

/// When and why a registration that starts on `from` ends (none if after `horizon`).
pub(super) fn ending(
    rng: &mut StdRng,
    d: &Draft,
    from: NaiveDate,
    horizon: NaiveDate,
) -> Option<(NaiveDate, &'static str)> {
    let mean = MIX
        .iter()
        .find(|(k, _, _)| *k == d.kind)
        .map_or(5.0, |(_, _, y)| *y);
    let stay = -mean * (1.0 - rng.random::<f64>()).ln();
    let mut end = from + Duration::days((stay * 365.25) as i64);
    let mut reason = match d.kind {
        Kind::Elderly => weighted(
            rng,
            &[
                ("deceased", 0.35),
                ("institution", 0.35),
                ("moved", 0.10),
                ("request", 0.15),
                ("other", 0.05),
            ],
        ),
        _ => weighted(rng, &[("moved", 0.4), ("request", 0.5), ("other", 0.1)]),
    };
    if d.kind == Kind::Child {
        // Children leave the after-school place when they start junior high (31 March after
        // they turn 12).
        let turns_12 = d.birth.with_year(d.birth.year() + 12).unwrap_or(d.birth);
        let graduation = shared::dates::fiscal_year_range(shared::dates::fiscal_year(turns_12)).1;
        if graduation < end {
            (end, reason) = (graduation, "request");
        }
    }
    (end < horizon).then_some((end.max(from), reason))
}

/// Care levels from registration on: each year an older person may move one step.
pub(super) fn care_path(
    rng: &mut StdRng,
    d: &Draft,
    from: NaiveDate,
    until: NaiveDate,
) -> Vec<(NaiveDate, &'static str)> {
    const STEPS: [&str; 7] = [
        "independent",
        "jigyou",
        "shien1",
        "shien2",
        "kaigo1",
        "kaigo2",
        "kaigo3",
    ];
    let mut path = vec![(from, d.care)];
    if d.kind != Kind::Elderly {
        return path;
    }
    let mut at = from;
    loop {
        at += Duration::days(rng.random_range(200..600));
        if at >= until {
            return path;
        }
        let now = path[path.len() - 1].1;
        if let Some(i) = STEPS.iter().position(|s| *s == now) {
            if i + 1 < STEPS.len() && rng.random_bool(0.35) {
                path.push((at, STEPS[i + 1]));
            }
        }
    }
}
