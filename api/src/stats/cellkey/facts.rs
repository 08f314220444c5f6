//! The participation facts as the extracts give them — a registered participation, an
//! unregistered headcount — and the cells each falls in.

use chrono::NaiveDate;

use super::{parse_date, stream, RecordKeys, Sinks};
use crate::stats::extract::{ExtractKind, ExtractQuery};
use crate::stats::{time_code, Dimension, Measure, StatsQuery};
use crate::store::{CommonStore, StoreResult};
use std::sync::Arc;

/// The dimensions a fact carries a code for, in the order of [`Fact::codes`].
const FACT_DIMS: [Dimension; 11] = [
    Dimension::FiscalYear,
    Dimension::Date,
    Dimension::Municipality,
    Dimension::Center,
    Dimension::Site,
    Dimension::Function,
    Dimension::Sex,
    Dimension::AgeBand,
    Dimension::Group,
    Dimension::CareLevel,
    Dimension::Household,
];

/// A fact of the participation stream: its codes (of [`FACT_DIMS`]) and its categories.
struct Fact<'a> {
    codes: [&'a str; 11],
    categories: Vec<&'a str>,
    date: NaiveDate,
}

impl Fact<'_> {
    fn code(&self, d: Dimension) -> String {
        match d {
            Dimension::Quarter | Dimension::Month => time_code(d, self.date),
            _ => FACT_DIMS
                .iter()
                .position(|x| *x == d)
                .map_or("", |i| self.codes[i])
                .to_owned(),
        }
    }

    /// The row keys the fact falls in for `dims`: several with `category` (only the codes a
    /// category filter lets through).
    fn keys(&self, dims: &[Dimension], category_filter: Option<&Vec<String>>) -> Vec<Vec<String>> {
        let mut keys = vec![Vec::with_capacity(dims.len())];
        for d in dims {
            if *d == Dimension::Category {
                let cats: Vec<&str> = self
                    .categories
                    .iter()
                    .copied()
                    .filter(|c| category_filter.is_none_or(|f| f.iter().any(|x| x == c)))
                    .collect();
                keys = keys
                    .into_iter()
                    .flat_map(|k| {
                        cats.iter().map(move |c| {
                            let mut k = k.clone();
                            k.push((*c).to_owned());
                            k
                        })
                    })
                    .collect();
            } else {
                let code = self.code(*d);
                for k in &mut keys {
                    k.push(code.clone());
                }
            }
        }
        keys
    }
}

/// Which measure columns count which facts: every fact, or those of one function.
pub(super) fn counted_columns(measures: &[Measure]) -> Vec<(usize, Option<&'static str>)> {
    measures
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            Measure::Participations => Some((i, None)),
            Measure::Visits => Some((i, Some("houmon"))),
            Measure::Consultations => Some((i, Some("soudan"))),
            Measure::Referrals => Some((i, Some("tsunagi"))),
            _ => None,
        })
        .collect()
}

/// The registered participations in the selection: one record each, and their people for the
/// distinct counts.
pub(super) async fn add_participations(
    store: &Arc<dyn CommonStore>,
    q: &StatsQuery,
    keys: &mut RecordKeys,
    counted: &[(usize, Option<&'static str>)],
    distinct: &[usize],
    category_filter: Option<&Vec<String>>,
    into: &mut Sinks<'_>,
) -> StoreResult<()> {
    let dims = &q.dims;
    let participations = ExtractQuery {
        kind: ExtractKind::Participations,
        from: q.from,
        to: q.to,
        filters: q.filters.clone(),
    };
    stream(store, participations, |chunk| {
        for r in 0..chunk.len() {
            let f: Vec<&str> = chunk.row(r).collect();
            let Some(date) = parse_date(f[5]) else { continue };
            let fact = Fact {
                codes: [
                    f[6], f[5], f[3], f[2], f[4], f[7], f[8], f[9], f[10], f[12], f[13],
                ],
                categories: f[11].split(';').filter(|c| !c.is_empty()).collect(),
                date,
            };
            let record = keys.key(&["participation", f[0], f[1]]);
            let person = keys.person(f[1]);
            let function = f[7];
            for (cells, row_keys) in [
                (&mut *into.rows, fact.keys(dims, category_filter)),
                (&mut *into.total, vec![Vec::new()]),
            ] {
                for key in &row_keys {
                    for (column, only) in counted {
                        if only.is_none_or(|fun| fun == function) {
                            cells.add(key, *column, record, 1);
                        }
                    }
                    for column in distinct {
                        cells.person(key, *column, person);
                    }
                }
            }
        }
    })
    .await?;
    Ok(())
}

/// The unregistered headcounts of the activities in range: each head is a record, with its
/// group as group and category and `unknown` for the other person attributes.
pub(super) async fn add_unregistered(
    store: &Arc<dyn CommonStore>,
    q: &StatsQuery,
    keys: &RecordKeys,
    counted: &[(usize, Option<&'static str>)],
    category_filter: Option<&Vec<String>>,
    into: &mut Sinks<'_>,
) -> StoreResult<()> {
    const GROUPS: [&str; 4] = ["elderly", "disabled", "child", "other"];
    let (personal, activity): (Vec<_>, Vec<_>) =
        q.filters.iter().cloned().partition(|(d, _)| d.is_personal());
    let activities = ExtractQuery {
        kind: ExtractKind::Activities,
        from: q.from,
        to: q.to,
        filters: activity,
    };
    let passes = |group: &str| {
        personal.iter().all(|(d, codes)| {
            let value = match d {
                Dimension::Group | Dimension::Category => group,
                _ => crate::stats::UNKNOWN,
            };
            codes.iter().any(|c| c == value)
        })
    };
    stream(store, activities, |chunk| {
        for r in 0..chunk.len() {
            let f: Vec<&str> = chunk.row(r).collect();
            let Some(date) = parse_date(f[4]) else { continue };
            for (g, group) in GROUPS.iter().enumerate() {
                let heads: u64 = f[8 + g].parse().unwrap_or(0);
                if heads == 0 || !passes(group) {
                    continue;
                }
                let unknown = crate::stats::UNKNOWN;
                let fact = Fact {
                    codes: [
                        f[5], f[4], f[2], f[1], f[3], f[6], unknown, unknown, group, unknown, unknown,
                    ],
                    categories: vec![*group],
                    date,
                };
                // Each head is a record of its own: the nth of the group at the activity.
                let mut key = 0u32;
                for i in 0..heads {
                    key = key.wrapping_add(keys.key(&["unregistered", f[0], group, &i.to_string()]));
                }
                for (cells, row_keys) in [
                    (&mut *into.rows, fact.keys(&q.dims, category_filter)),
                    (&mut *into.total, vec![Vec::new()]),
                ] {
                    for row in &row_keys {
                        for (column, only) in counted {
                            if only.is_none_or(|fun| fun == f[6]) {
                                cells.add(row, *column, key, heads);
                            }
                        }
                    }
                }
            }
        }
    })
    .await
}
