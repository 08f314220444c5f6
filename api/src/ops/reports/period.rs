//! The period a report covers: a month or a 年度, in Japan time, and its months.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};
use shared::dates::{to_wareki, Period, PeriodKind};

use crate::domain::clock::at_jst;

/// A month or a 年度 as a report covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPeriod {
    /// `2025-05` or `FY2025`.
    pub code: String,
    /// `令和7年5月` or `令和7年度`.
    pub label: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// `[from, to)`: from the first day's midnight to the day after the last, Japan time.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Why a period cannot be reported on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodRefusal {
    /// Not a month (`2025-05`) or a 年度 (`FY2025`).
    Format,
    /// It begins after today.
    Future,
}

fn era_year(date: NaiveDate, year: i32) -> String {
    match to_wareki(date) {
        Some((era, 1)) => format!("{era}元"),
        Some((era, y)) => format!("{era}{y}"),
        None => year.to_string(),
    }
}

/// A 年度 is named in the era it ends in when that era began by its April (FY2019 is 令和元年度,
/// as the government wrote it), else in the era it begins in.
fn fiscal_era_year(last: NaiveDate, first: NaiveDate, fiscal_year: i32) -> String {
    match to_wareki(last) {
        Some((era, _)) if fiscal_year >= era.start().year() => match fiscal_year - era.start().year() + 1 {
            1 => format!("{era}元"),
            y => format!("{era}{y}"),
        },
        _ => era_year(first, fiscal_year),
    }
}

impl ReportPeriod {
    /// Parses `2025-05` or `FY2025`; a period beginning after `today` is refused.
    pub fn parse(text: &str, today: NaiveDate) -> Result<ReportPeriod, PeriodRefusal> {
        let p = Period::parse(text).map_err(|_| PeriodRefusal::Format)?;
        let code = match p.kind() {
            PeriodKind::Month { year, month } => format!("{year:04}-{month:02}"),
            PeriodKind::FiscalYear { fiscal_year } => format!("FY{fiscal_year}"),
            PeriodKind::FiscalQuarter { .. } => return Err(PeriodRefusal::Format),
        };
        if p.from() > today {
            return Err(PeriodRefusal::Future);
        }
        Ok(ReportPeriod::of(&p, code))
    }

    /// The month beginning on `first`.
    pub fn month(first: NaiveDate) -> ReportPeriod {
        let p = Period::month(first.year(), first.month()).unwrap_or_else(|_| {
            Period::month(2000, 1).unwrap_or_else(|_| unreachable!("January 2000 is a month"))
        });
        ReportPeriod::of(&p, first.format("%Y-%m").to_string())
    }

    fn of(p: &Period, code: String) -> ReportPeriod {
        let label = match p.kind() {
            PeriodKind::Month { year, month } => format!("{}年{month}月", era_year(p.from(), year)),
            PeriodKind::FiscalYear { fiscal_year } | PeriodKind::FiscalQuarter { fiscal_year, .. } => {
                format!("{}年度", fiscal_era_year(p.to(), p.from(), fiscal_year))
            }
        };
        ReportPeriod {
            code,
            label,
            first: p.from(),
            last: p.to(),
            from: at_jst(p.from(), NaiveTime::MIN),
            to: at_jst(p.to() + chrono::Days::new(1), NaiveTime::MIN),
        }
    }

    /// The months of the period, in order (one for a month, twelve for a 年度).
    pub fn months(&self) -> Vec<ReportPeriod> {
        let mut out = Vec::new();
        let mut first = self.first;
        while first <= self.last {
            out.push(ReportPeriod::month(first));
            first = first + Months::new(1);
        }
        out
    }

    /// Whether `t` lies in the period.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_month_and_a_fiscal_year_are_named_in_the_japanese_calendar_and_run_in_japan_time() {
        let today = d(2026, 1, 1);
        let may = ReportPeriod::parse("2025-05", today).unwrap();
        assert_eq!((may.code.as_str(), may.label.as_str()), ("2025-05", "令和7年5月"));
        assert_eq!(may.from.to_rfc3339(), "2025-04-30T15:00:00+00:00");
        assert_eq!(may.to.to_rfc3339(), "2025-05-31T15:00:00+00:00");
        let year = ReportPeriod::parse("fy2019", today).unwrap();
        assert_eq!(
            (year.code.as_str(), year.label.as_str()),
            ("FY2019", "令和元年度")
        );
        assert_eq!(year.months().len(), 12);
        assert_eq!(ReportPeriod::parse("FY2024", today).unwrap().label, "令和6年度");
        assert_eq!(year.months()[11].code, "2020-03");
        assert_eq!(ReportPeriod::parse("FY2025Q1", today), Err(PeriodRefusal::Format));
        assert_eq!(ReportPeriod::parse("2026-02", today), Err(PeriodRefusal::Future));
    }
}
