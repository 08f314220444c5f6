//! Periods as the figures screens offer and name them: 年度, quarter, month or a range of dates,
//! in 和暦 with 西暦, and the short x-axis labels of a trend.

use chrono::{Datelike, NaiveDate};
use shared::dates::{fiscal_year, format_wareki, to_wareki, Era};

use crate::api::StatsQuery;

/// The period a table covers, as the page offers it.
#[derive(Debug, Clone, PartialEq)]
pub enum Period {
    /// A whole 年度.
    FiscalYear(i32),
    /// A quarter (1–4) of a 年度.
    Quarter(i32, u8),
    /// A calendar month.
    Month(i32, u32),
    /// From and to, inclusive.
    Range(NaiveDate, NaiveDate),
}

impl Period {
    /// The 年度 that `today` falls in.
    pub fn current_fiscal_year(today: NaiveDate) -> Period {
        Period::FiscalYear(fiscal_year(today))
    }

    /// The `period` parameter (`FY2024`, `FY2024Q1`, `2024-04`), or `from`/`to` for a range.
    pub fn apply(&self, query: &mut StatsQuery) {
        query.period.clear();
        query.from.clear();
        query.to.clear();
        match self {
            Period::FiscalYear(y) => query.period = format!("FY{y}"),
            Period::Quarter(y, q) => query.period = format!("FY{y}Q{q}"),
            Period::Month(y, m) => query.period = format!("{y}-{m:02}"),
            Period::Range(from, to) => {
                query.from = crate::format::iso(*from);
                query.to = crate::format::iso(*to);
            }
        }
    }

    /// Reads `period=…` or `from=…&to=…` back.
    pub fn parse(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> Option<Period> {
        if let Some(p) = period.filter(|p| !p.is_empty()) {
            if let Some(rest) = p.strip_prefix("FY") {
                return match rest.split_once('Q') {
                    Some((y, q)) => {
                        let (y, q) = (y.parse().ok()?, q.parse().ok()?);
                        (1..=4).contains(&q).then_some(Period::Quarter(y, q))
                    }
                    None => rest.parse().ok().map(Period::FiscalYear),
                };
            }
            let (y, m) = p.split_once('-')?;
            let (y, m) = (y.parse().ok()?, m.parse().ok()?);
            return (1..=12).contains(&m).then_some(Period::Month(y, m));
        }
        let from = NaiveDate::parse_from_str(from?, "%Y-%m-%d").ok()?;
        let to = NaiveDate::parse_from_str(to?, "%Y-%m-%d").ok()?;
        Some(Period::Range(from, to))
    }

    /// `令和6年度（2024年度）`, `令和6年11月（2024年11月）`, … as a heading says it.
    pub fn label(&self) -> String {
        match self {
            Period::FiscalYear(y) => fiscal_year_label(*y),
            Period::Quarter(y, q) => format!("{} {}", fiscal_year_label(*y), quarter_label(*q)),
            Period::Month(y, m) => month_label(*y, *m),
            Period::Range(from, to) => format!(
                "{}〜{}（{}〜{}）",
                format_wareki(*from),
                format_wareki(*to),
                crate::format::iso(*from),
                crate::format::iso(*to)
            ),
        }
    }

    /// A short form for file names: `FY2024`, `FY2024Q1`, `2024-04`, `2024-04-01_2024-06-30`.
    pub fn slug(&self) -> String {
        let mut q = StatsQuery::default();
        self.apply(&mut q);
        if q.period.is_empty() {
            format!("{}_{}", q.from, q.to)
        } else {
            q.period
        }
    }
}

/// The era year of a 年度, named as offices name it: FY2019 is 令和元年度 (the era changed in
/// its second month).
fn fiscal_year_wareki(year: i32) -> Option<(Era, u32)> {
    NaiveDate::from_ymd_opt(year, 5, 1).and_then(to_wareki)
}

fn era_year(era: Era, n: u32) -> String {
    if n == 1 {
        format!("{era}元年")
    } else {
        format!("{era}{n}年")
    }
}

/// `令和6年度（2024年度）`.
pub fn fiscal_year_label(year: i32) -> String {
    match fiscal_year_wareki(year) {
        Some((era, n)) => format!("{}度（{year}年度）", era_year(era, n)),
        None => format!("{year}年度"),
    }
}

/// `令和6年11月（2024年11月）`.
pub fn month_label(year: i32, month: u32) -> String {
    match NaiveDate::from_ymd_opt(year, month, 1).and_then(to_wareki) {
        Some((era, n)) => format!("{}{month}月（{year}年{month}月）", era_year(era, n)),
        None => format!("{year}年{month}月"),
    }
}

/// `第1四半期（4〜6月）`.
pub fn quarter_label(quarter: u8) -> &'static str {
    match quarter {
        1 => "第1四半期（4〜6月）",
        2 => "第2四半期（7〜9月）",
        3 => "第3四半期（10〜12月）",
        _ => "第4四半期（1〜3月）",
    }
}

/// Months of the 年度 `year`, April first: `(calendar year, month)`.
pub fn months_of_fiscal_year(year: i32) -> Vec<(i32, u32)> {
    (4..=12)
        .map(|m| (year, m))
        .chain((1..=3).map(|m| (year + 1, m)))
        .collect()
}

/// Whether the period a time code names is not over yet on `today` (JST): this month, this
/// quarter, this 年度, today. Its figures are partial — a chart marks it 「途中」 rather than
/// drawing the cliff of a month with a week in it.
pub fn unfinished(dimension: &str, code: &str, today: NaiveDate) -> bool {
    let fy = fiscal_year(today);
    match dimension {
        "month" => code == format!("{:04}-{:02}", today.year(), today.month()),
        "fiscal_year" => code == format!("FY{fy}"),
        "quarter" => code == format!("FY{fy}Q{}", shared::dates::fiscal_quarter(today)),
        "date" => code == today.format("%Y-%m-%d").to_string(),
        _ => false,
    }
}

/// A short x-axis label for a time code and, where a new year starts, the year under it:
/// `2024-04` → (`4月`, `2024年`), `FY2024` → (`R6年度`, None), `FY2024Q1` → (`Q1`, `R6年度`).
pub fn time_tick(dimension: &str, code: &str, first: bool) -> (String, Option<String>) {
    match dimension {
        "month" => {
            let mut parts = code.split('-');
            let (y, m) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let month = m.trim_start_matches('0');
            let sub = (first || month == "1").then(|| format!("{y}年"));
            (format!("{month}月"), sub)
        }
        "fiscal_year" => {
            let year = code.trim_start_matches("FY").parse::<i32>().ok();
            let text = year
                .and_then(fiscal_year_wareki)
                .map(|(era, n)| format!("{}{}年度", era.letter(), n))
                .unwrap_or_else(|| code.to_owned());
            (text, year.map(|y| format!("{y}")))
        }
        "quarter" => match code.split_once('Q') {
            Some((fy, q)) => {
                let sub = (first || q == "1").then(|| fy.to_owned());
                (format!("Q{q}"), sub)
            }
            None => (code.to_owned(), None),
        },
        "date" => match NaiveDate::parse_from_str(code, "%Y-%m-%d") {
            Ok(d) => (
                format!("{}/{}", d.month(), d.day()),
                (first || d.day() == 1).then(|| format!("{}年", d.year())),
            ),
            Err(_) => (code.to_owned(), None),
        },
        _ => (code.to_owned(), None),
    }
}
