//! The cost limits of one `/stats` request, checked before any SQL runs: how many row
//! dimensions, and how many cells the table could have (`[stats] max_row_dimensions`,
//! `max_cells`). The time budget is kept by the route and the store.

use super::plan::stock_buckets;
use super::{Dimension, StatsQuery};
use crate::domain::codes::Codes;

/// How many values the organisation dimensions can take on this node.
#[derive(Debug, Clone, Copy)]
pub struct OrgSizes {
    pub municipalities: usize,
    pub centers: usize,
    pub sites: usize,
    pub regions: usize,
}

/// Why a request is over its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverBudget {
    Dimensions { asked: usize, max: usize },
    Cells { estimated: u64, max: u64 },
}

/// The most cells the query's table could hold: the product over its row dimensions of how
/// many values each can take (its filter's codes, else the whole list plus `unknown`; the time
/// dimensions together as the buckets of the period; a centre within a site's, a municipality
/// within a centre's), times the measures. An over-estimate, never an under-estimate.
pub fn estimated_cells(q: &StatsQuery, codes: &Codes, org: OrgSizes) -> u64 {
    let filtered = |d: Dimension| {
        q.filters
            .iter()
            .find(|(f, _)| *f == d)
            .map(|(_, codes)| codes.len())
    };
    let has = |d: Dimension| q.dims.contains(&d);
    let mut cells: u64 = q.measures.len().max(1) as u64;
    let time: Vec<Dimension> = q.dims.iter().copied().filter(|d| d.is_time()).collect();
    if !time.is_empty() {
        cells = cells.saturating_mul(stock_buckets(&time, q.from, q.to, &[]).len() as u64);
    }
    for d in q.dims.iter().copied().filter(|d| !d.is_time()) {
        let values = match d {
            Dimension::Municipality if has(Dimension::Center) || has(Dimension::Site) => 1,
            Dimension::Center if has(Dimension::Site) => 1,
            Dimension::Municipality => filtered(d).unwrap_or(org.municipalities),
            // A centre lies in one region on a day, but a period may see its municipality move.
            Dimension::Region => filtered(d).unwrap_or(org.regions + 1),
            Dimension::Center => filtered(d).unwrap_or(org.centers),
            // Activities at no site are their own row.
            Dimension::Site => filtered(d).unwrap_or(org.sites + 1),
            other => filtered(other)
                .unwrap_or_else(|| other.code_list().map_or(1, |list| codes.items(list).len() + 1)),
        };
        cells = cells.saturating_mul(values.max(1) as u64);
    }
    cells
}

/// Refuses more row dimensions than `max`.
pub fn check_dimensions(rows: &[Dimension], max: usize) -> Result<(), OverBudget> {
    if rows.len() > max {
        return Err(OverBudget::Dimensions {
            asked: rows.len(),
            max,
        });
    }
    Ok(())
}

/// Refuses a query whose table could hold more than `max` cells.
pub fn check_cells(q: &StatsQuery, codes: &Codes, org: OrgSizes, max: u64) -> Result<(), OverBudget> {
    let estimated = estimated_cells(q, codes, org);
    if estimated > max {
        return Err(OverBudget::Cells { estimated, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Measure;

    fn query(dims: &[Dimension], from: &str, to: &str) -> StatsQuery {
        StatsQuery {
            measures: vec![Measure::Participations, Measure::UniquePersons],
            dims: dims.to_vec(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            filters: Vec::new(),
        }
    }

    const ORG: OrgSizes = OrgSizes {
        municipalities: 34,
        centers: 55,
        sites: 40,
        regions: 5,
    };

    #[test]
    fn the_standard_questions_are_small() {
        let codes = Codes::default();
        let q = query(
            &[Dimension::FiscalYear, Dimension::Municipality],
            "2024-04-01",
            "2025-03-31",
        );
        assert_eq!(estimated_cells(&q, &codes, ORG), 2 * 34);
        let q = query(&[Dimension::Month], "2024-04-01", "2025-03-31");
        assert_eq!(estimated_cells(&q, &codes, ORG), 2 * 12);
        // Date within month: the buckets of the finer one.
        let q = query(&[Dimension::Month, Dimension::Date], "2024-04-01", "2024-04-30");
        assert_eq!(estimated_cells(&q, &codes, ORG), 2 * 30);
    }

    #[test]
    fn a_site_counts_once_with_its_centre_and_municipality() {
        let codes = Codes::default();
        let q = query(
            &[Dimension::Municipality, Dimension::Center, Dimension::Site],
            "2024-04-01",
            "2025-03-31",
        );
        assert_eq!(estimated_cells(&q, &codes, ORG), 2 * 41);
    }

    #[test]
    fn ten_dimensions_over_two_years_are_refused_before_any_sql() {
        let dims = [
            Dimension::Date,
            Dimension::Municipality,
            Dimension::Center,
            Dimension::Function,
            Dimension::Sex,
            Dimension::AgeBand,
            Dimension::Group,
            Dimension::Category,
            Dimension::CareLevel,
            Dimension::Household,
        ];
        assert_eq!(
            check_dimensions(&dims, 4),
            Err(OverBudget::Dimensions { asked: 10, max: 4 })
        );
        let sexes = ["F", "M", "X"].map(|code| crate::domain::codes::CodeItem {
            list: "sex".into(),
            code: code.into(),
            label: code.into(),
            sort_order: 0,
            valid_from: None,
            valid_to: None,
            parent: None,
            rank: None,
            lower: None,
            upper: None,
        });
        let codes = Codes::new(sexes.to_vec(), Vec::new());
        // Four dimensions, but a day by centre by sex for two years: 731 × 55 × 4 × 2 measures.
        let q = query(
            &[
                Dimension::Date,
                Dimension::Center,
                Dimension::Sex,
                Dimension::Function,
            ],
            "2023-04-01",
            "2025-03-31",
        );
        assert_eq!(
            check_cells(&q, &codes, ORG, 200_000),
            Err(OverBudget::Cells {
                estimated: 731 * 55 * 4 * 2,
                max: 200_000
            })
        );
    }
}
