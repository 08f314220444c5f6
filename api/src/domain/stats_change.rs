//! What a write changed, as far as the figures are concerned: the entries of the `/stats` result
//! cache's change log (decision 0033). Every process serving the same database reads the log, so
//! each drops exactly the cached answers a write by any of them may have changed.

use super::sync::FactsTouched;

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatsChange {
    /// Master data (labels, centres, sites, regions): every answer.
    All,
    /// Everything of a centre (its people, a correction whose old date is unknown).
    Center(String),
    /// A centre's activity facts in one fiscal year.
    Year(String, i32),
}

impl StatsChange {
    /// The entries of a centre's facts touched by one write (none when nothing was).
    pub fn of_facts(center: &str, touched: &FactsTouched) -> Vec<StatsChange> {
        let whole = touched
            .whole_center
            .then(|| StatsChange::Center(center.to_owned()));
        whole
            .into_iter()
            .chain(
                touched
                    .fiscal_years
                    .iter()
                    .map(|y| StatsChange::Year(center.to_owned(), *y)),
            )
            .collect()
    }

    /// One activity's facts on `date` at `center`.
    pub fn of_date(center: &str, date: chrono::NaiveDate) -> StatsChange {
        StatsChange::Year(center.to_owned(), shared::dates::fiscal_year(date))
    }

    /// The row's columns: (centre, fiscal year).
    pub fn columns(&self) -> (Option<&str>, Option<i32>) {
        match self {
            StatsChange::All => (None, None),
            StatsChange::Center(c) => (Some(c), None),
            StatsChange::Year(c, y) => (Some(c), Some(*y)),
        }
    }

    /// From the row's columns.
    pub fn from_columns(center: Option<String>, fiscal_year: Option<i32>) -> StatsChange {
        match (center, fiscal_year) {
            (None, _) => StatsChange::All,
            (Some(c), None) => StatsChange::Center(c),
            (Some(c), Some(y)) => StatsChange::Year(c, y),
        }
    }
}

/// How long entries stay in the log. A process that has not read it for longer than this may
/// have missed pruned entries and drops its whole cache instead (its answers are older than the
/// cache's own age limit by then anyway).
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_batch_touching_two_years_and_the_whole_centre_gives_three_entries() {
        let mut t = FactsTouched::default();
        t.year(2024);
        t.year(2025);
        t.whole_center = true;
        assert_eq!(
            StatsChange::of_facts("C001", &t),
            vec![
                StatsChange::Center("C001".into()),
                StatsChange::Year("C001".into(), 2024),
                StatsChange::Year("C001".into(), 2025),
            ]
        );
        assert!(StatsChange::of_facts("C001", &FactsTouched::default()).is_empty());
    }

    #[test]
    fn entries_survive_the_round_trip_through_their_columns() {
        for c in [
            StatsChange::All,
            StatsChange::Center("C002".into()),
            StatsChange::Year("C003".into(), 2019),
        ] {
            let (center, year) = c.columns();
            assert_eq!(StatsChange::from_columns(center.map(str::to_owned), year), c);
        }
    }
}
