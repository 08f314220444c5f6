//! Statistics and extraction: the `/stats` request model, query parameters, tables, CSV for
//! Japanese Excel and small-cell suppression, and the plan each SQL dialect runs (`plan`). The
//! SQL lives in the store.

pub mod budget;
pub mod cache;
pub mod cellkey;
pub mod csv_out;
pub mod download;
pub mod engine;
pub mod extract;
pub mod params;
pub mod plan;
pub mod privacy;
pub mod suppress;
pub mod table;
pub mod xlsx_out;

use chrono::NaiveDate;

/// What is counted (api.md "measures").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// 延べ利用者数: participations of registered people plus unregistered headcounts.
    Participations,
    /// 実利用者数: distinct people (never summed).
    UniquePersons,
    /// 実施回数.
    Activities,
    /// 開所日数: distinct centre-days with any activity.
    OpenDays,
    /// 新規登録者数.
    NewRegistrations,
    /// 登録者数 at the end of the period (or of each time bucket).
    RegisteredPersons,
    /// 訪問件数.
    Visits,
    /// 相談件数.
    Consultations,
    /// つなぎ件数.
    Referrals,
}

impl Measure {
    pub const ALL: [Measure; 9] = [
        Measure::Participations,
        Measure::UniquePersons,
        Measure::Activities,
        Measure::OpenDays,
        Measure::NewRegistrations,
        Measure::RegisteredPersons,
        Measure::Visits,
        Measure::Consultations,
        Measure::Referrals,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Measure::Participations => "participations",
            Measure::UniquePersons => "unique_persons",
            Measure::Activities => "activities",
            Measure::OpenDays => "open_days",
            Measure::NewRegistrations => "new_registrations",
            Measure::RegisteredPersons => "registered_persons",
            Measure::Visits => "visits",
            Measure::Consultations => "consultations",
            Measure::Referrals => "referrals",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Participations => "延べ利用者数",
            Measure::UniquePersons => "実利用者数",
            Measure::Activities => "実施回数",
            // Summed over the centres of a row: centre-days, said so (issue 14).
            Measure::OpenDays => "延べ開所日数（センター日数）",
            Measure::NewRegistrations => "新規登録者数",
            Measure::RegisteredPersons => "登録者数",
            Measure::Visits => "訪問件数",
            Measure::Consultations => "相談件数",
            Measure::Referrals => "つなぎ件数",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.code() == s)
    }

    /// Whether the measure counts people (and so is subject to small-cell suppression).
    /// 実施回数 and 開所日数 count events and days, not people.
    pub fn counts_people(self) -> bool {
        !matches!(self, Measure::Activities | Measure::OpenDays)
    }
}

/// What rows break down by (api.md "rows").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    FiscalYear,
    Quarter,
    Month,
    Date,
    Municipality,
    /// The region (regional office's area) the fact's municipality belonged to on the fact's
    /// date; `unknown` for a municipality in no region then.
    Region,
    Center,
    Site,
    Function,
    Sex,
    AgeBand,
    Group,
    Category,
    CareLevel,
    Household,
}

impl Dimension {
    pub const ALL: [Dimension; 15] = [
        Dimension::FiscalYear,
        Dimension::Quarter,
        Dimension::Month,
        Dimension::Date,
        Dimension::Municipality,
        Dimension::Region,
        Dimension::Center,
        Dimension::Site,
        Dimension::Function,
        Dimension::Sex,
        Dimension::AgeBand,
        Dimension::Group,
        Dimension::Category,
        Dimension::CareLevel,
        Dimension::Household,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Dimension::FiscalYear => "fiscal_year",
            Dimension::Quarter => "quarter",
            Dimension::Month => "month",
            Dimension::Date => "date",
            Dimension::Municipality => "municipality",
            Dimension::Region => "region",
            Dimension::Center => "center",
            Dimension::Site => "site",
            Dimension::Function => "function",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Group => "group",
            Dimension::Category => "category",
            Dimension::CareLevel => "care_level",
            Dimension::Household => "household",
        }
    }

    /// Japanese column header.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::FiscalYear => "年度",
            Dimension::Quarter => "四半期",
            Dimension::Month => "月",
            Dimension::Date => "日付",
            Dimension::Municipality => "市町村",
            Dimension::Region => "福祉保健所",
            Dimension::Center => "センター",
            Dimension::Site => "サテライト",
            Dimension::Function => "機能",
            Dimension::Sex => "性別",
            Dimension::AgeBand => "年齢区分",
            Dimension::Group => "対象区分",
            Dimension::Category => "該当区分",
            Dimension::CareLevel => "要介護度",
            Dimension::Household => "世帯",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.code() == s)
    }

    /// Time dimensions bucket the period; the rest describe where or who.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::FiscalYear | Dimension::Quarter | Dimension::Month | Dimension::Date
        )
    }

    /// Dimensions that describe the person (registered or not) rather than the activity.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            Dimension::Sex
                | Dimension::AgeBand
                | Dimension::Group
                | Dimension::Category
                | Dimension::CareLevel
                | Dimension::Household
        )
    }

    /// The master list whose codes this dimension takes, when it has one.
    pub fn code_list(self) -> Option<&'static str> {
        use crate::domain::codes::list;
        match self {
            Dimension::Function => Some(list::FUNCTIONS),
            Dimension::Sex => Some(list::SEX),
            Dimension::AgeBand => Some(list::AGE_BANDS),
            Dimension::Group => Some(list::GROUPS),
            Dimension::Category => Some(list::CATEGORIES),
            Dimension::CareLevel => Some(list::CARE_LEVELS),
            Dimension::Household => Some(list::HOUSEHOLDS),
            _ => None,
        }
    }
}

/// The code used for attributes nobody recorded (unregistered participants' sex, age band, …).
pub const UNKNOWN: &str = "unknown";

/// Output format of `/stats` and the extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Ndjson,
    /// An Excel workbook (`xlsx_out`): typed cells, a header block, a frozen header row.
    Xlsx,
}

/// CSV character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 with a byte-order mark: what Excel needs to read UTF-8.
    Utf8Bom,
    Utf8,
    /// Shift_JIS (Windows-31J) for old Excel.
    Cp932,
}

/// Whether headers and dimension values carry Japanese labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    Ja,
    Code,
}

/// A validated `/stats` request (before scope is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRequest {
    pub measures: Vec<Measure>,
    pub rows: Vec<Dimension>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
    pub totals: bool,
    pub format: Format,
    pub encoding: Encoding,
    pub labels: Labels,
    /// With `encoding=cp932`: replace characters Shift_JIS cannot hold instead of failing.
    pub replace_unmappable: bool,
    /// Lines saying what the file holds (title, scope, period, …) above the table: CSV only
    /// when asked (`header_block=true`), workbooks unless asked not to.
    pub header_block: bool,
}

/// What the store computes: measures broken down by `dims` over `[from, to]`, with filters that
/// already include the caller's scope (a `municipality` or `center` filter).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsQuery {
    pub measures: Vec<Measure>,
    pub dims: Vec<Dimension>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
}

impl Measure {
    /// 新規登録者数 and 登録者数 come from the registry, not from activities: they cannot be
    /// broken down by what only an activity has.
    pub fn is_registry(self) -> bool {
        matches!(self, Measure::NewRegistrations | Measure::RegisteredPersons)
    }
}

impl Dimension {
    /// Whether registry measures can be broken down (or filtered) by this dimension.
    pub fn applies_to_registry(self) -> bool {
        !matches!(self, Dimension::Site | Dimension::Function)
    }
}

/// The code of a date in a time dimension: `FY2024`, `FY2024Q1`, `2024-04`, `2024-04-01`.
pub fn time_code(dim: Dimension, date: NaiveDate) -> String {
    use chrono::Datelike;
    let fy = shared::dates::fiscal_year(date);
    match dim {
        Dimension::FiscalYear => format!("FY{fy}"),
        Dimension::Quarter => format!("FY{fy}Q{}", shared::dates::fiscal_quarter(date)),
        Dimension::Month => format!("{:04}-{:02}", date.year(), date.month()),
        _ => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn time_codes_follow_the_fiscal_year() {
        assert_eq!(time_code(Dimension::FiscalYear, d("2025-03-31")), "FY2024");
        assert_eq!(time_code(Dimension::FiscalYear, d("2025-04-01")), "FY2025");
        assert_eq!(time_code(Dimension::Quarter, d("2025-01-15")), "FY2024Q4");
        assert_eq!(time_code(Dimension::Month, d("2025-01-15")), "2025-01");
    }
}
