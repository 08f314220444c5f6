//! The plan of a `/stats` query, the same for every SQL dialect: which source answers each
//! measure and how, and how the partial answers become rows. A dialect translates each
//! [`Step`] into SQL, runs it, and hands the rows to [`Merged`]; it decides nothing else.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use shared::dates::{fiscal_year, fiscal_year_range};

use super::{time_code, Dimension, Measure, StatsQuery};

/// Rows of a statistics answer: dimension codes (in `dims` order) and one value per measure.
pub type StatsRows = Vec<(Vec<String>, Vec<u64>)>;

/// Which rows are asked for: the breakdown, the range and the filters (scope included).
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub dims: Vec<Dimension>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
}

/// Where the participation facts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactSource {
    /// The year aggregates (whole fiscal years `first..=last`): one row per person, centre,
    /// site, function and year (with participations as the weight), and one per centre, site,
    /// function and year for the unregistered headcounts. Registered and unregistered facts may
    /// be read by separate queries: their rows are added by key.
    YearAggregates { first: i32, last: i32 },
    /// The month aggregates (whole months `first..=last`, each `yyyymm`), shaped as the year
    /// aggregates with the month instead of the year, and for a range that does not start or
    /// end on a month's edge the facts of the days before the first whole month (`head`) and
    /// after the last (`tail`). The registered rows of both are one stream (a person in an
    /// edge day and a whole month is one distinct person), as are the unregistered ones; the
    /// fiscal year, quarter and month of every row follow from its month.
    MonthAggregates {
        first: u32,
        last: u32,
        head: Option<(NaiveDate, NaiveDate)>,
        tail: Option<(NaiveDate, NaiveDate)>,
    },
    /// The participations and unregistered headcounts of the activities in `[from, to]`, as one
    /// stream of facts: a participation weighs 1, an unregistered headcount n, with its group
    /// as group and category and `unknown` for the other person attributes.
    Facts,
}

/// How a measure is aggregated over the facts of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Σ weight.
    Weight,
    /// Σ weight of the facts of activities with this function code.
    WeightOfFunction(&'static str),
    /// Distinct registered people (unregistered facts have none, so adding the registered and
    /// unregistered parts stays exact).
    DistinctPersons,
    /// Distinct activities with a fact in the cell.
    DistinctActivities,
    /// Distinct (centre, date) pairs with a fact in the cell.
    DistinctCenterDays,
}

/// What is counted over every activity in range, attended or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityCount {
    /// Activities.
    Activities,
    /// Distinct (centre, date) pairs.
    OpenDays,
}

/// The registry stock at the end of one time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockBucket {
    /// The day the stock is taken: registered on or before it, not ended by it.
    pub on: NaiveDate,
    /// The bucket's codes of the selection's time dimensions, in their order.
    pub time_keys: Vec<String>,
}

impl StockBucket {
    /// The row key for `all` dimensions from the codes of the non-time ones (in their order).
    pub fn key(&self, all: &[Dimension], other: Vec<String>) -> Vec<String> {
        let (mut t, mut o) = (self.time_keys.iter(), other.into_iter());
        all.iter()
            .map(|d| if d.is_time() { t.next().cloned() } else { o.next() }.unwrap_or_default())
            .collect()
    }
}

/// One query shape; each writes its values into the answer's `column`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Participation facts grouped by the selection's dimensions, one aggregate per column.
    /// With `per_category` each fact counts once in each of its categories, and a category
    /// filter matches the row's category; without it a category filter keeps the facts having
    /// any of the codes.
    Facts {
        source: FactSource,
        per_category: bool,
        outputs: Vec<(usize, Aggregate)>,
    },
    /// Every activity in range grouped by the selection's (activity-level) dimensions.
    Activities { outputs: Vec<(usize, ActivityCount)> },
    /// People whose registration date is in range, grouped by the selection's dimensions
    /// (time dimensions and filters apply to the registration date); ages at registration.
    NewRegistrations {
        column: usize,
        filters: Vec<(Dimension, Vec<String>)>,
    },
    /// The registry stock at the end of each bucket, grouped by `dims` (the non-time
    /// dimensions; the bucket gives the time codes); ages on the bucket's day.
    RegisteredPersons {
        column: usize,
        dims: Vec<Dimension>,
        filters: Vec<(Dimension, Vec<String>)>,
        buckets: Vec<StockBucket>,
    },
}

/// What a dialect runs for a `/stats` query.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsPlan {
    pub selection: Selection,
    /// Values per row (one per measure asked, repeats included).
    pub columns: usize,
    pub steps: Vec<Step>,
}

impl StatsPlan {
    /// An empty answer to fill with the steps' rows.
    pub fn merged(&self) -> Merged {
        Merged {
            columns: self.columns,
            rows: HashMap::new(),
        }
    }
}

/// The answer being put together: values by row key, added up over the steps and their parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    columns: usize,
    rows: HashMap<Vec<String>, Vec<u64>>,
}

impl Merged {
    /// Adds a row of a step's answer: `values[i]` into column `columns[i]`.
    pub fn add(&mut self, key: Vec<String>, columns: impl IntoIterator<Item = usize>, values: &[u64]) {
        let row = self.rows.entry(key).or_insert_with(|| vec![0; self.columns]);
        for (column, v) in columns.into_iter().zip(values) {
            if let Some(cell) = row.get_mut(column) {
                *cell += v;
            }
        }
    }

    /// The rows, in no particular order; rows with zero everywhere are left out.
    pub fn finish(self) -> StatsRows {
        self.rows
            .into_iter()
            .filter(|(_, v)| v.iter().any(|x| *x > 0))
            .collect()
    }
}

/// The plan for `q`.
pub fn plan(q: &StatsQuery) -> StatsPlan {
    let selection = Selection {
        dims: q.dims.clone(),
        from: q.from,
        to: q.to,
        filters: q.filters.clone(),
    };
    let personal = q.dims.iter().any(|d| d.is_personal()) || q.filters.iter().any(|(d, _)| d.is_personal());
    let per_category = q.dims.contains(&Dimension::Category);
    let mut facts = Vec::new();
    let mut plain = Vec::new();
    let mut steps = Vec::new();
    for (column, m) in q.measures.iter().enumerate() {
        let aggregate = match m {
            Measure::Participations => Aggregate::Weight,
            Measure::UniquePersons => Aggregate::DistinctPersons,
            // Within a breakdown by person attributes: activities and days with someone of
            // that kind. Without: every activity, attended or not.
            Measure::Activities if personal => Aggregate::DistinctActivities,
            Measure::OpenDays if personal => Aggregate::DistinctCenterDays,
            Measure::Activities => {
                plain.push((column, ActivityCount::Activities));
                continue;
            }
            Measure::OpenDays => {
                plain.push((column, ActivityCount::OpenDays));
                continue;
            }
            Measure::Visits => Aggregate::WeightOfFunction("houmon"),
            Measure::Consultations => Aggregate::WeightOfFunction("soudan"),
            // つなぎ件数 counts つなぎ activities' participants, so the extracts alone give it back.
            Measure::Referrals => Aggregate::WeightOfFunction("tsunagi"),
            Measure::NewRegistrations => {
                steps.push(Step::NewRegistrations {
                    column,
                    filters: registry_filters(&q.filters),
                });
                continue;
            }
            Measure::RegisteredPersons => {
                steps.push(Step::RegisteredPersons {
                    column,
                    dims: q.dims.iter().copied().filter(|d| !d.is_time()).collect(),
                    // Time filters choose the day of each bucket's stock, not registration dates.
                    filters: registry_filters(&q.filters)
                        .into_iter()
                        .filter(|(d, _)| !d.is_time())
                        .collect(),
                    buckets: stock_buckets(&q.dims, q.from, q.to, &q.filters),
                });
                continue;
            }
        };
        facts.push((column, aggregate));
    }
    let mut activity_steps = Vec::new();
    if !facts.is_empty() {
        let source = match (year_range(&selection, &facts), month_range(&selection, &facts)) {
            (Some((first, last)), _) => FactSource::YearAggregates { first, last },
            (None, Some(months)) => months,
            (None, None) => FactSource::Facts,
        };
        activity_steps.push(Step::Facts {
            source,
            per_category,
            outputs: facts,
        });
    }
    if !plain.is_empty() {
        activity_steps.push(Step::Activities { outputs: plain });
    }
    activity_steps.extend(steps);
    StatsPlan {
        selection,
        columns: q.measures.len(),
        steps: activity_steps,
    }
}

/// The filters the registry understands (site and function are refused when the request is
/// checked; they mean nothing to a registration).
fn registry_filters(filters: &[(Dimension, Vec<String>)]) -> Vec<(Dimension, Vec<String>)> {
    filters
        .iter()
        .filter(|(d, _)| d.applies_to_registry())
        .cloned()
        .collect()
}

/// Whether aggregates (of any grain) can answer `facts` for `s`: no count of distinct
/// activities or days (the aggregates do not tell them apart), no time finer than `finest`
/// allows, and no category filter without category rows (that needs each participation's
/// categories).
fn aggregates_can_answer(s: &Selection, facts: &[(usize, Aggregate)], finer: fn(Dimension) -> bool) -> bool {
    if s.dims.iter().copied().any(finer) || s.filters.iter().any(|(d, _)| finer(*d)) {
        return false;
    }
    if facts
        .iter()
        .any(|(_, a)| matches!(a, Aggregate::DistinctActivities | Aggregate::DistinctCenterDays))
    {
        return false;
    }
    let category_filter = s.filters.iter().any(|(d, _)| *d == Dimension::Category);
    !category_filter || s.dims.contains(&Dimension::Category)
}

/// The fiscal years the facts can be read from the year aggregates for: no finer time than the
/// fiscal year, whole fiscal years, and what [`aggregates_can_answer`] asks.
fn year_range(s: &Selection, facts: &[(usize, Aggregate)]) -> Option<(i32, i32)> {
    let finer = |d: Dimension| matches!(d, Dimension::Quarter | Dimension::Month | Dimension::Date);
    if !aggregates_can_answer(s, facts, finer) {
        return None;
    }
    let (first, last) = (fiscal_year(s.from), fiscal_year(s.to));
    (fiscal_year_range(first).0 == s.from && fiscal_year_range(last).1 == s.to).then_some((first, last))
}

/// `yyyymm` of a day.
pub fn month_key(day: NaiveDate) -> u32 {
    u32::try_from(day.year()).unwrap_or(0) * 100 + day.month()
}

/// The month source for `s`: no day (dimension or filter), at least one whole month in the
/// range, and what [`aggregates_can_answer`] asks. Days before the first whole month and after
/// the last are read from the facts.
fn month_range(s: &Selection, facts: &[(usize, Aggregate)]) -> Option<FactSource> {
    if !aggregates_can_answer(s, facts, |d| d == Dimension::Date) || s.from > s.to {
        return None;
    }
    let first_of = |d: NaiveDate| d.with_day(1);
    let first_day = if s.from.day() == 1 {
        s.from
    } else {
        first_of(s.from)?.checked_add_months(Months::new(1))?
    };
    let after_to = s.to.succ_opt()?;
    // The day after the last whole month: the first of `to`'s month unless `to` ends it.
    let end = if after_to.day() == 1 {
        after_to
    } else {
        first_of(s.to)?
    };
    if first_day >= end {
        return None;
    }
    let head = (first_day > s.from).then(|| (s.from, first_day.pred_opt().unwrap_or(s.from)));
    let tail = (end <= s.to).then_some((end, s.to));
    Some(FactSource::MonthAggregates {
        first: month_key(first_day),
        last: month_key(end.pred_opt()?),
        head,
        tail,
    })
}

/// The buckets of `[from, to]` by the time dimensions among `dims`, each with its last day
/// that every time filter lets through: 登録者数 is taken at the end of the time the request
/// covers, which is the range narrowed by its time filters (for `period=FY2024` with
/// `filter=month:2024-05`, 2024-05-31). A bucket no day of which passes the filters has no row.
pub fn stock_buckets(
    dims: &[Dimension],
    from: NaiveDate,
    to: NaiveDate,
    filters: &[(Dimension, Vec<String>)],
) -> Vec<StockBucket> {
    let time: Vec<Dimension> = dims.iter().copied().filter(|d| d.is_time()).collect();
    let time_filters: Vec<&(Dimension, Vec<String>)> = filters.iter().filter(|(d, _)| d.is_time()).collect();
    let mut out: Vec<StockBucket> = Vec::new();
    let mut day = from;
    while day <= to {
        let passes = time_filters
            .iter()
            .all(|(d, codes)| codes.contains(&time_code(*d, day)));
        if passes {
            let key: Vec<String> = time.iter().map(|d| time_code(*d, day)).collect();
            match out.last_mut() {
                Some(b) if b.time_keys == key => b.on = day,
                _ => out.push(StockBucket {
                    on: day,
                    time_keys: key,
                }),
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn query(measures: &[Measure], dims: &[Dimension], from: &str, to: &str) -> StatsQuery {
        StatsQuery {
            measures: measures.to_vec(),
            dims: dims.to_vec(),
            from: d(from),
            to: d(to),
            filters: Vec::new(),
        }
    }

    fn fy2024(measures: &[Measure], dims: &[Dimension]) -> StatsQuery {
        query(measures, dims, "2024-04-01", "2025-03-31")
    }

    fn filtered(mut q: StatsQuery, d: Dimension, codes: &[&str]) -> StatsQuery {
        q.filters
            .push((d, codes.iter().map(|c| (*c).to_owned()).collect()));
        q
    }

    fn fact_source(p: &StatsPlan) -> Option<FactSource> {
        p.steps.iter().find_map(|s| match s {
            Step::Facts { source, .. } => Some(*source),
            _ => None,
        })
    }

    fn stock_days(p: &StatsPlan) -> Vec<(Vec<String>, String)> {
        p.steps
            .iter()
            .find_map(|s| match s {
                Step::RegisteredPersons { buckets, .. } => Some(
                    buckets
                        .iter()
                        .map(|b| (b.time_keys.clone(), b.on.to_string()))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }

    use Dimension as D;
    use Measure as M;

    #[test]
    fn whole_fiscal_years_of_people_measures_come_from_the_year_aggregates() {
        let p = plan(&fy2024(
            &[M::Participations, M::UniquePersons, M::Visits],
            &[D::AgeBand],
        ));
        assert_eq!(
            p.steps,
            [Step::Facts {
                source: FactSource::YearAggregates {
                    first: 2024,
                    last: 2024
                },
                per_category: false,
                outputs: vec![
                    (0, Aggregate::Weight),
                    (1, Aggregate::DistinctPersons),
                    (2, Aggregate::WeightOfFunction("houmon")),
                ],
            }]
        );
        let two = query(&[M::Participations], &[D::FiscalYear], "2023-04-01", "2025-03-31");
        assert_eq!(
            fact_source(&plan(&two)),
            Some(FactSource::YearAggregates {
                first: 2023,
                last: 2024
            })
        );
    }

    fn months(first: u32, last: u32) -> Option<FactSource> {
        Some(FactSource::MonthAggregates {
            first,
            last,
            head: None,
            tail: None,
        })
    }

    #[test]
    fn whole_months_quarters_and_half_years_come_from_the_month_aggregates() {
        let april = query(
            &[M::Participations, M::UniquePersons],
            &[],
            "2024-04-01",
            "2024-04-30",
        );
        assert_eq!(fact_source(&plan(&april)), months(202404, 202404));
        let by_month = fy2024(&[M::Participations], &[D::Month]);
        assert_eq!(fact_source(&plan(&by_month)), months(202404, 202503));
        let by_quarter = fy2024(&[M::UniquePersons], &[D::Quarter, D::Center]);
        assert_eq!(fact_source(&plan(&by_quarter)), months(202404, 202503));
        let quarter = filtered(fy2024(&[M::Participations], &[]), D::Quarter, &["FY2024Q1"]);
        assert_eq!(fact_source(&plan(&quarter)), months(202404, 202503));
        let half = query(
            &[M::UniquePersons],
            &[D::Municipality],
            "2024-04-01",
            "2024-09-30",
        );
        assert_eq!(fact_source(&plan(&half)), months(202404, 202409));
        // Five years by month, across calendar years.
        let trend = query(&[M::Participations], &[D::Month], "2021-04-01", "2026-03-31");
        assert_eq!(fact_source(&plan(&trend)), months(202104, 202603));
        // Whole fiscal years without a finer time keep the year aggregates.
        let year = fy2024(&[M::UniquePersons], &[D::FiscalYear]);
        assert!(matches!(
            fact_source(&plan(&year)),
            Some(FactSource::YearAggregates { .. })
        ));
        // Category rows with a category filter, as for years.
        let category_rows = filtered(
            query(&[M::Participations], &[D::Category], "2024-05-01", "2024-05-31"),
            D::Category,
            &["elderly"],
        );
        assert!(matches!(
            plan(&category_rows).steps[0],
            Step::Facts {
                source: FactSource::MonthAggregates { .. },
                per_category: true,
                ..
            }
        ));
    }

    #[test]
    fn a_range_off_the_month_edges_reads_its_edge_days_from_the_facts() {
        let free = query(&[M::UniquePersons], &[D::Month], "2024-04-10", "2024-07-20");
        assert_eq!(
            fact_source(&plan(&free)),
            Some(FactSource::MonthAggregates {
                first: 202405,
                last: 202406,
                head: Some((d("2024-04-10"), d("2024-04-30"))),
                tail: Some((d("2024-07-01"), d("2024-07-20"))),
            })
        );
        // Only one edge off; across a leap-year February and the turn of the calendar year.
        let end_off = query(&[M::Participations], &[], "2023-12-01", "2024-02-28");
        assert_eq!(
            fact_source(&plan(&end_off)),
            Some(FactSource::MonthAggregates {
                first: 202312,
                last: 202401,
                head: None,
                tail: Some((d("2024-02-01"), d("2024-02-28"))),
            })
        );
        let start_off = query(&[M::Participations], &[], "2024-01-31", "2024-02-29");
        assert_eq!(
            fact_source(&plan(&start_off)),
            Some(FactSource::MonthAggregates {
                first: 202402,
                last: 202402,
                head: Some((d("2024-01-31"), d("2024-01-31"))),
                tail: None,
            })
        );
        // No whole month in range: the facts alone.
        for (from, to) in [
            ("2024-04-10", "2024-05-20"),
            ("2024-04-02", "2024-04-30"),
            ("2024-04-01", "2024-04-29"),
        ] {
            let q = query(&[M::Participations], &[], from, to);
            assert_eq!(fact_source(&plan(&q)), Some(FactSource::Facts), "{from}..{to}");
        }
    }

    #[test]
    fn days_distinct_activities_or_a_bare_category_filter_need_the_facts() {
        let by_day = query(&[M::Participations], &[D::Date], "2024-04-01", "2024-04-30");
        assert_eq!(fact_source(&plan(&by_day)), Some(FactSource::Facts));
        let one_day = filtered(
            fy2024(&[M::Participations], &[D::Month]),
            D::Date,
            &["2024-04-03"],
        );
        assert_eq!(fact_source(&plan(&one_day)), Some(FactSource::Facts));
        let activities = query(&[M::Activities], &[D::Sex, D::Month], "2024-04-01", "2024-06-30");
        assert_eq!(fact_source(&plan(&activities)), Some(FactSource::Facts));
        let category = filtered(fy2024(&[M::Participations], &[D::Sex]), D::Category, &["elderly"]);
        assert_eq!(fact_source(&plan(&category)), Some(FactSource::Facts));
        let category_month = filtered(
            fy2024(&[M::Participations], &[D::Month]),
            D::Category,
            &["elderly"],
        );
        assert_eq!(fact_source(&plan(&category_month)), Some(FactSource::Facts));
    }

    #[test]
    fn activities_count_every_activity_unless_people_attributes_split_them() {
        let p = plan(&fy2024(
            &[M::Activities, M::Participations, M::OpenDays],
            &[D::Center],
        ));
        assert_eq!(
            p.steps,
            [
                Step::Facts {
                    source: FactSource::YearAggregates {
                        first: 2024,
                        last: 2024
                    },
                    per_category: false,
                    outputs: vec![(1, Aggregate::Weight)],
                },
                Step::Activities {
                    outputs: vec![(0, ActivityCount::Activities), (2, ActivityCount::OpenDays)],
                },
            ]
        );
        let by_sex = plan(&fy2024(&[M::Activities, M::OpenDays], &[D::Sex]));
        assert_eq!(
            by_sex.steps,
            [Step::Facts {
                source: FactSource::Facts,
                per_category: false,
                outputs: vec![
                    (0, Aggregate::DistinctActivities),
                    (1, Aggregate::DistinctCenterDays)
                ],
            }]
        );
        // A filter on a person attribute splits them as much as a row does.
        let women = filtered(fy2024(&[M::Activities], &[]), D::Sex, &["F"]);
        assert_eq!(fact_source(&plan(&women)), Some(FactSource::Facts));
    }

    #[test]
    fn a_measure_named_twice_gets_its_value_in_both_columns() {
        let p = plan(&fy2024(&[M::Participations, M::Participations], &[]));
        let Step::Facts { outputs, .. } = &p.steps[0] else {
            panic!("{p:?}")
        };
        let mut m = p.merged();
        let columns: Vec<usize> = outputs.iter().map(|(c, _)| *c).collect();
        m.add(vec![], columns.iter().copied(), &[7, 7]);
        assert_eq!(m.finish(), [(vec![], vec![7, 7])]);
    }

    #[test]
    fn partial_rows_are_added_by_key_and_empty_rows_left_out() {
        let p = plan(&fy2024(&[M::Participations, M::UniquePersons], &[D::Group]));
        let mut m = p.merged();
        m.add(vec!["elderly".into()], [0, 1], &[10, 4]);
        m.add(vec!["elderly".into()], [0, 1], &[3, 0]);
        m.add(vec!["child".into()], [0, 1], &[0, 0]);
        assert_eq!(m.finish(), [(vec!["elderly".to_owned()], vec![13, 4])]);
    }

    #[test]
    fn registered_persons_are_a_stock_at_the_end_of_each_bucket() {
        let p = plan(&query(
            &[M::RegisteredPersons],
            &[D::Month, D::Sex],
            "2024-04-10",
            "2024-06-05",
        ));
        assert_eq!(
            stock_days(&p),
            [
                (vec!["2024-04".to_owned()], "2024-04-30".to_owned()),
                (vec!["2024-05".to_owned()], "2024-05-31".to_owned()),
                (vec!["2024-06".to_owned()], "2024-06-05".to_owned()),
            ]
        );
        let Step::RegisteredPersons { dims, buckets, .. } = &p.steps[0] else {
            panic!("{p:?}")
        };
        assert_eq!(dims, &[D::Sex]);
        assert_eq!(
            buckets[1].key(&[D::Sex, D::Month], vec!["F".into()]),
            ["F", "2024-05"]
        );
        let whole = plan(&fy2024(&[M::RegisteredPersons], &[D::Sex]));
        assert_eq!(stock_days(&whole), [(vec![], "2025-03-31".to_owned())]);
    }

    #[test]
    fn a_time_filter_moves_the_stock_to_the_end_of_the_time_it_lets_through() {
        let may = filtered(fy2024(&[M::RegisteredPersons], &[]), D::Month, &["2024-05"]);
        assert_eq!(stock_days(&plan(&may)), [(vec![], "2024-05-31".to_owned())]);
        let q1 = filtered(fy2024(&[M::RegisteredPersons], &[]), D::Quarter, &["FY2024Q1"]);
        assert_eq!(stock_days(&plan(&q1)), [(vec![], "2024-06-30".to_owned())]);
        // Two months apart: the end of the later one.
        let two = filtered(
            fy2024(&[M::RegisteredPersons], &[]),
            D::Month,
            &["2024-05", "2024-08"],
        );
        assert_eq!(stock_days(&plan(&two)), [(vec![], "2024-08-31".to_owned())]);
        // By month, only the months let through, each at its end: the same as the total.
        let by_month = filtered(
            fy2024(&[M::RegisteredPersons], &[D::Month]),
            D::Month,
            &["2024-05"],
        );
        assert_eq!(
            stock_days(&plan(&by_month)),
            [(vec!["2024-05".to_owned()], "2024-05-31".to_owned())]
        );
        // Filters on different time dimensions must all hold.
        let none = filtered(q1, D::Month, &["2024-09"]);
        assert!(stock_days(&plan(&none)).is_empty());
        // Time filters do not filter registration dates for the stock.
        let Step::RegisteredPersons { filters, .. } = &plan(&may).steps[0] else {
            panic!()
        };
        assert!(filters.is_empty());
    }
}
