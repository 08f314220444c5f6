//! Dates as Japanese users and the statistics need them: 年度 and quarters, age by the Japanese
//! rule, 和暦 display and input, and the period strings of the statistics API.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// The 年度 a date falls in: April to March, named by the year it starts in (2025-03-31 → 2024).
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// First and last day (inclusive) of 年度 `fiscal_year`: 1 April to 31 March of the next year.
///
/// Years beyond chrono's range saturate to `NaiveDate::MIN` / `NaiveDate::MAX` rather than panic.
pub fn fiscal_year_range(fiscal_year: i32) -> (NaiveDate, NaiveDate) {
    let saturate = |y: i32| {
        if y < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        }
    };
    let start = NaiveDate::from_ymd_opt(fiscal_year, 4, 1).unwrap_or(saturate(fiscal_year));
    let end = fiscal_year
        .checked_add(1)
        .and_then(|y| NaiveDate::from_ymd_opt(y, 3, 31))
        .unwrap_or(saturate(fiscal_year));
    (start, end)
}

/// Quarter of the 年度: April–June = 1, July–September = 2, October–December = 3, January–March = 4.
pub fn fiscal_quarter(date: NaiveDate) -> u8 {
    ((date.month() + 8) % 12 / 3 + 1) as u8
}

/// Age on `on` by 年齢計算ニ関スル法律: a year is gained at the start of the day before the birthday,
/// so someone born on 2 April is already 6 on 1 April, and someone born on 29 February gains a year
/// on 28 February. `None` when `on` is before `birth`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    // Completed years up to the day after `on`; the last representable date has no successor, but
    // its successor is 1 January of the next year.
    let (year, month, day) = match on.succ_opt() {
        Some(next) => (next.year(), next.month(), next.day()),
        None => (on.year().saturating_add(1), 1, 1),
    };
    let mut years = i64::from(year) - i64::from(birth.year());
    if (month, day) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Evaluated at compile time only, so an impossible constant fails the build instead of panicking.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}

/// Japanese eras from Meiji on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// First day of the era.
    pub fn start(self) -> NaiveDate {
        match self {
            Era::Meiji => const { ymd(1868, 10, 23) },
            Era::Taisho => const { ymd(1912, 7, 30) },
            Era::Showa => const { ymd(1926, 12, 25) },
            Era::Heisei => const { ymd(1989, 1, 8) },
            Era::Reiwa => const { ymd(2019, 5, 1) },
        }
    }

    /// Last day of the era; `None` for the current one.
    pub fn last_day(self) -> Option<NaiveDate> {
        self.next().and_then(|next| next.start().pred_opt())
    }

    /// The era that followed this one.
    pub fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// Name in kanji, e.g. `令和`.
    pub fn kanji(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// One-letter abbreviation used on forms, e.g. `S` in `S23.5.1`.
    pub fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The era for a one-letter abbreviation, either case.
    pub fn from_letter(letter: char) -> Option<Era> {
        let upper = letter.to_ascii_uppercase();
        Era::ALL.into_iter().find(|era| era.letter() == upper)
    }

    /// The era whose kanji name is exactly `name`.
    pub fn from_kanji(name: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|era| era.kanji() == name)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kanji())
    }
}

/// Era and era year of a date; `None` before Meiji.
pub fn to_wareki(date: NaiveDate) -> Option<(Era, u32)> {
    let era = Era::ALL.into_iter().rev().find(|era| date >= era.start())?;
    let year = date.year() - era.start().year() + 1;
    Some((era, u32::try_from(year).ok()?))
}

/// `令和6年4月1日`, with `元年` for the first year; dates before Meiji as `1868年1月1日` (西暦).
pub fn format_wareki(date: NaiveDate) -> String {
    let (month, day) = (date.month(), date.day());
    match to_wareki(date) {
        Some((era, 1)) => format!("{era}元年{month}月{day}日"),
        Some((era, year)) => format!("{era}{year}年{month}月{day}日"),
        None => format!("{}年{month}月{day}日", date.year()),
    }
}

/// The date of era year `year` (1 = 元年), `month`, `day`, if that day exists and lies in the era.
pub fn from_wareki(era: Era, year: u32, month: u32, day: u32) -> Result<NaiveDate, DateInputError> {
    if year == 0 {
        return Err(DateInputError::OutOfEra(era));
    }
    let last_day = era.last_day();
    let gregorian = i64::from(era.start().year()) + i64::from(year) - 1;
    if last_day.is_some_and(|last| gregorian > i64::from(last.year())) {
        return Err(DateInputError::OutOfEra(era));
    }
    let date = i32::try_from(gregorian)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or(DateInputError::InvalidDate)?;
    if date < era.start() || last_day.is_some_and(|last| date > last) {
        return Err(DateInputError::OutOfEra(era));
    }
    Ok(date)
}

/// Like [`from_wareki`], but as offices write dates in an era's last calendar year: 平成31年5月1日
/// is read as the day it names (令和元年5月1日), since forms printed before a change of era keep
/// the old name until the year ends. Only that calendar year: 平成32年 and 令和0年 stay refused,
/// as does any day before the era began.
pub fn from_wareki_lenient(era: Era, year: u32, month: u32, day: u32) -> Result<NaiveDate, DateInputError> {
    match from_wareki(era, year, month, day) {
        Err(DateInputError::OutOfEra(_)) if year > 0 => {
            let last = era.last_day().ok_or(DateInputError::OutOfEra(era))?;
            let gregorian = i64::from(era.start().year()) + i64::from(year) - 1;
            if gregorian != i64::from(last.year()) {
                return Err(DateInputError::OutOfEra(era));
            }
            let date = NaiveDate::from_ymd_opt(last.year(), month, day).ok_or(DateInputError::InvalidDate)?;
            if date > last {
                Ok(date)
            } else {
                Err(DateInputError::OutOfEra(era))
            }
        }
        other => other,
    }
}

/// Why a typed date was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateInputError {
    /// Not a shape of date we read.
    Format,
    /// Well-formed, but no such day (2月30日, 13月).
    InvalidDate,
    /// A real day, but not inside the era given (平成31年5月1日 is 令和元年).
    OutOfEra(Era),
}

impl DateInputError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            DateInputError::Format => "format",
            DateInputError::InvalidDate => "invalid_date",
            DateInputError::OutOfEra(_) => "out_of_era",
        }
    }
}

impl fmt::Display for DateInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateInputError::Format => f.write_str(
                "日付の形式が正しくありません（例: 2024-04-01、2024/4/1、昭和23年5月1日、S23.5.1）。",
            ),
            DateInputError::InvalidDate => f.write_str("存在しない日付です。"),
            DateInputError::OutOfEra(era) => {
                let start = era.start();
                write!(
                    f,
                    "{era}の期間外の日付です（{era}は{}年{}月{}日から",
                    start.year(),
                    start.month(),
                    start.day()
                )?;
                match era.last_day() {
                    Some(last) => write!(f, "{}年{}月{}日まで）。", last.year(), last.month(), last.day()),
                    None => f.write_str("）。"),
                }
            }
        }
    }
}

impl std::error::Error for DateInputError {}

/// Reads a date as staff type it: `2024-04-01`, `2024/4/1`, `20240401`, `2024年4月1日`,
/// `昭和23年5月1日`, `S23.5.1`, `s23/5/1`, `H元.1.8`, `令和元年5月1日`, `昭23.5.1` (one-kanji era),
/// `S230501` (era and six digits), in either width and with stray spaces; an era's last calendar
/// year is read past the era's end (`H31.5.1`, see [`from_wareki_lenient`]). A Japanese IME turns the minus key into ー, so ー also separates.
pub fn parse_date_input(input: &str) -> Result<NaiveDate, DateInputError> {
    let text: String = input.nfkc().filter(|c| !c.is_whitespace()).collect();
    let (era, rest) = split_era(&text)?;
    let tokens = tokenize(rest).ok_or(DateInputError::Format)?;
    let (year, month, day) = match tokens.as_slice() {
        [Token::Number(all)] if era.is_none() && all.len() == 8 => (&all[..4], &all[4..6], &all[6..]),
        [Token::Number(all)] if era.is_some() && all.len() == 6 => (&all[..2], &all[2..4], &all[4..]),
        [Token::Number(y), Token::Sep(a), Token::Number(m), Token::Sep(b), Token::Number(d), tail @ ..]
            if fits_pattern(*a, *b, tail) =>
        {
            (y.as_str(), m.as_str(), d.as_str())
        }
        _ => return Err(DateInputError::Format),
    };
    let month = small_number(month, 2).ok_or(DateInputError::Format)?;
    let day = small_number(day, 2).ok_or(DateInputError::Format)?;
    match era {
        None => {
            if year.len() != 4 {
                return Err(DateInputError::Format);
            }
            let year = small_number(year, 4).ok_or(DateInputError::Format)?;
            i32::try_from(year)
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
                .ok_or(DateInputError::InvalidDate)
        }
        Some(era) => {
            let year = if year == "元" {
                1
            } else {
                small_number(year, 3).ok_or(DateInputError::Format)?
            };
            from_wareki_lenient(era, year, month, day)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Year,
    Month,
    Day,
    Punct,
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// ASCII digits, or `元`.
    Number(String),
    Sep(Sep),
}

/// Either `年` `月` with an optional closing `日`, or the same kind of punctuation twice.
fn fits_pattern(a: Sep, b: Sep, tail: &[Token]) -> bool {
    match (a, b) {
        (Sep::Year, Sep::Month) => matches!(tail, [] | [Token::Sep(Sep::Day)]),
        (Sep::Punct, Sep::Punct) => tail.is_empty(),
        _ => false,
    }
}

/// Splits off a leading era name or letter. A leading digit means a 西暦 date.
fn split_era(text: &str) -> Result<(Option<Era>, &str), DateInputError> {
    for era in Era::ALL {
        if let Some(rest) = text.strip_prefix(era.kanji()) {
            return Ok((Some(era), rest));
        }
    }
    // One-kanji abbreviations as on office forms: 明 大 昭 平 令.
    for era in Era::ALL {
        let first = era.kanji().chars().next().unwrap_or_default();
        if let Some(rest) = text.strip_prefix(first) {
            return Ok((Some(era), rest));
        }
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => Ok((None, text)),
        Some(c) => Era::from_letter(c)
            .map(|era| (Some(era), chars.as_str()))
            .ok_or(DateInputError::Format),
        None => Err(DateInputError::Format),
    }
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            tokens.push(Token::Number(std::mem::take(&mut digits)));
        }
        tokens.push(match c {
            '元' => Token::Number("元".to_string()),
            '年' => Token::Sep(Sep::Year),
            '月' => Token::Sep(Sep::Month),
            '日' => Token::Sep(Sep::Day),
            '-' | '/' | '.' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' => Token::Sep(Sep::Punct),
            _ => return None,
        });
    }
    if !digits.is_empty() {
        tokens.push(Token::Number(digits));
    }
    Some(tokens)
}

/// A run of at most `max_len` ASCII digits as a number; short enough never to overflow.
fn small_number(digits: &str, max_len: usize) -> Option<u32> {
    if digits.is_empty() || digits.len() > max_len || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Why a statistics period string was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodError {
    /// Not `FY2024`, `2024-04` or `FY2024Q1`.
    Format,
}

impl PeriodError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            PeriodError::Format => "period_format",
        }
    }
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("期間は FY2024（年度）、2024-04（月）、FY2024Q1（四半期）の形で指定してください。")
    }
}

impl std::error::Error for PeriodError {}

/// What a statistics period names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// `FY2024`: 2024-04-01 ..= 2025-03-31.
    FiscalYear { fiscal_year: i32 },
    /// `2024-04`: one calendar month.
    Month { year: i32, month: u32 },
    /// `FY2024Q1`: a quarter of the 年度; Q4 is January–March of the following calendar year.
    FiscalQuarter { fiscal_year: i32, quarter: u8 },
}

/// A statistics period with its inclusive first and last day. Years are four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    kind: PeriodKind,
    from: NaiveDate,
    to: NaiveDate,
}

impl Period {
    /// Parses `FY2024`, `2024-04` or `FY2024Q1` (either case and width, surrounding spaces allowed).
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let text: String = input.nfkc().collect::<String>().trim().to_ascii_uppercase();
        if let Some(rest) = text.strip_prefix("FY") {
            let (year, quarter) = match rest.split_once('Q') {
                Some((year, quarter)) => (year, Some(quarter)),
                None => (rest, None),
            };
            let year = four_digit_year(year)?;
            match quarter {
                None => Period::fiscal_year(year),
                Some(q) => {
                    let q = small_number(q, 1).ok_or(PeriodError::Format)?;
                    Period::fiscal_quarter(year, u8::try_from(q).map_err(|_| PeriodError::Format)?)
                }
            }
        } else {
            let (year, month) = text.split_once('-').ok_or(PeriodError::Format)?;
            let month = match month.len() {
                2 => small_number(month, 2).ok_or(PeriodError::Format)?,
                _ => return Err(PeriodError::Format),
            };
            Period::month(four_digit_year(year)?, month)
        }
    }

    /// 年度 `fiscal_year` (0..=9999).
    pub fn fiscal_year(fiscal_year: i32) -> Result<Period, PeriodError> {
        check_year(fiscal_year)?;
        let (from, to) = fiscal_year_range(fiscal_year);
        Ok(Period {
            kind: PeriodKind::FiscalYear { fiscal_year },
            from,
            to,
        })
    }

    /// Calendar month `month` (1..=12) of `year` (0..=9999).
    pub fn month(year: i32, month: u32) -> Result<Period, PeriodError> {
        check_year(year)?;
        let (from, to) = month_bounds(year, month).ok_or(PeriodError::Format)?;
        Ok(Period {
            kind: PeriodKind::Month { year, month },
            from,
            to,
        })
    }

    /// Quarter `quarter` (1..=4) of 年度 `fiscal_year` (0..=9999).
    pub fn fiscal_quarter(fiscal_year: i32, quarter: u8) -> Result<Period, PeriodError> {
        check_year(fiscal_year)?;
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::Format);
        }
        // Q1 starts in April; each quarter three months on, Q4 crossing into the next calendar year.
        let first_month = 4 + 3 * (u32::from(quarter) - 1);
        let (year, month) = if first_month > 12 {
            (fiscal_year + 1, first_month - 12)
        } else {
            (fiscal_year, first_month)
        };
        let (from, _) = month_bounds(year, month).ok_or(PeriodError::Format)?;
        let (_, to) = month_bounds(year, month + 2).ok_or(PeriodError::Format)?;
        Ok(Period {
            kind: PeriodKind::FiscalQuarter { fiscal_year, quarter },
            from,
            to,
        })
    }

    /// What the period names.
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// First day, inclusive.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// Last day, inclusive.
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether `date` lies in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// First and last day of a calendar month.
fn month_bounds(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    Some((first, next?.pred_opt()?))
}

fn check_year(year: i32) -> Result<(), PeriodError> {
    if (0..=9999).contains(&year) {
        Ok(())
    } else {
        Err(PeriodError::Format)
    }
}

fn four_digit_year(text: &str) -> Result<i32, PeriodError> {
    if text.len() != 4 {
        return Err(PeriodError::Format);
    }
    small_number(text, 4)
        .and_then(|y| i32::try_from(y).ok())
        .ok_or(PeriodError::Format)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::FiscalYear { fiscal_year } => write!(f, "FY{fiscal_year:04}"),
            PeriodKind::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            PeriodKind::FiscalQuarter { fiscal_year, quarter } => write!(f, "FY{fiscal_year:04}Q{quarter}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Period::parse(&value)
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("test dates are valid")
    }

    #[test]
    fn the_fiscal_year_turns_between_31_march_and_1_april() {
        assert_eq!(fiscal_year(d(2025, 3, 31)), 2024);
        assert_eq!(fiscal_year(d(2025, 4, 1)), 2025);
        assert_eq!(fiscal_year(d(2024, 1, 1)), 2023);
        assert_eq!(fiscal_year(d(2024, 12, 31)), 2024);
        assert_eq!(fiscal_year_range(2024), (d(2024, 4, 1), d(2025, 3, 31)));
    }

    #[test]
    fn every_day_lies_in_the_range_of_its_own_fiscal_year() {
        let mut day = d(2023, 1, 1);
        while day <= d(2026, 12, 31) {
            let (from, to) = fiscal_year_range(fiscal_year(day));
            assert!(from <= day && day <= to, "{day}");
            day = day.succ_opt().expect("in range");
        }
    }

    #[test]
    fn a_fiscal_year_beyond_the_calendar_saturates_instead_of_panicking() {
        assert_eq!(fiscal_year_range(i32::MAX), (NaiveDate::MAX, NaiveDate::MAX));
        assert_eq!(fiscal_year_range(i32::MIN), (NaiveDate::MIN, NaiveDate::MIN));
        let _ = fiscal_year(NaiveDate::MIN);
        let _ = fiscal_quarter(NaiveDate::MAX);
    }

    #[test]
    fn quarters_start_in_april() {
        assert_eq!(fiscal_quarter(d(2024, 4, 1)), 1);
        assert_eq!(fiscal_quarter(d(2024, 6, 30)), 1);
        assert_eq!(fiscal_quarter(d(2024, 7, 1)), 2);
        assert_eq!(fiscal_quarter(d(2024, 9, 30)), 2);
        assert_eq!(fiscal_quarter(d(2024, 10, 1)), 3);
        assert_eq!(fiscal_quarter(d(2024, 12, 31)), 3);
        assert_eq!(fiscal_quarter(d(2025, 1, 1)), 4);
        assert_eq!(fiscal_quarter(d(2025, 3, 31)), 4);
    }

    #[test]
    fn a_person_gains_a_year_on_the_day_before_the_birthday() {
        let birth = d(2000, 4, 2);
        assert_eq!(age_on(birth, d(2006, 3, 31)), Some(5));
        assert_eq!(age_on(birth, d(2006, 4, 1)), Some(6));
        assert_eq!(age_on(birth, d(2006, 4, 2)), Some(6));
        // Born on 1 April: 6 on 31 March, so a year ahead at school of someone born on 2 April.
        assert_eq!(age_on(d(2000, 4, 1), d(2006, 3, 31)), Some(6));
    }

    #[test]
    fn a_person_born_on_29_february_gains_a_year_on_28_february() {
        let birth = d(2000, 2, 29);
        assert_eq!(age_on(birth, d(2001, 2, 27)), Some(0));
        assert_eq!(age_on(birth, d(2001, 2, 28)), Some(1));
        assert_eq!(age_on(birth, d(2004, 2, 27)), Some(3));
        assert_eq!(age_on(birth, d(2004, 2, 28)), Some(4));
        assert_eq!(age_on(birth, d(2004, 2, 29)), Some(4));
    }

    #[test]
    fn age_is_zero_from_birth_and_undefined_before_it() {
        let birth = d(2024, 5, 10);
        assert_eq!(age_on(birth, birth), Some(0));
        assert_eq!(age_on(birth, d(2024, 5, 9)), None);
        assert_eq!(age_on(d(1948, 5, 1), d(2024, 4, 30)), Some(76));
        assert_eq!(age_on(d(1948, 5, 1), d(2024, 4, 29)), Some(75));
    }

    #[test]
    fn age_on_the_last_representable_day_does_not_panic() {
        assert!(age_on(NaiveDate::MIN, NaiveDate::MAX).is_some());
        assert_eq!(age_on(d(2000, 1, 1), NaiveDate::MAX).map(|a| a > 0), Some(true));
    }

    #[test]
    fn era_boundaries_fall_on_the_right_days() {
        let cases = [
            (d(1868, 10, 23), Some((Era::Meiji, 1))),
            (d(1868, 10, 22), None),
            (d(1912, 7, 29), Some((Era::Meiji, 45))),
            (d(1912, 7, 30), Some((Era::Taisho, 1))),
            (d(1926, 12, 24), Some((Era::Taisho, 15))),
            (d(1926, 12, 25), Some((Era::Showa, 1))),
            (d(1989, 1, 7), Some((Era::Showa, 64))),
            (d(1989, 1, 8), Some((Era::Heisei, 1))),
            (d(2019, 4, 30), Some((Era::Heisei, 31))),
            (d(2019, 5, 1), Some((Era::Reiwa, 1))),
            (d(2024, 4, 1), Some((Era::Reiwa, 6))),
        ];
        for (date, expected) in cases {
            assert_eq!(to_wareki(date), expected, "{date}");
        }
    }

    #[test]
    fn the_first_year_of_an_era_is_written_gannen() {
        assert_eq!(format_wareki(d(2024, 4, 1)), "令和6年4月1日");
        assert_eq!(format_wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(format_wareki(d(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(format_wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(format_wareki(d(1948, 5, 1)), "昭和23年5月1日");
    }

    #[test]
    fn dates_before_meiji_are_written_in_the_western_calendar() {
        assert_eq!(format_wareki(d(1868, 10, 22)), "1868年10月22日");
    }

    #[test]
    fn a_wareki_date_must_lie_inside_its_era() {
        assert_eq!(from_wareki(Era::Showa, 64, 1, 7), Ok(d(1989, 1, 7)));
        assert_eq!(
            from_wareki(Era::Showa, 64, 1, 8),
            Err(DateInputError::OutOfEra(Era::Showa))
        );
        assert_eq!(
            from_wareki(Era::Heisei, 31, 5, 1),
            Err(DateInputError::OutOfEra(Era::Heisei))
        );
        assert_eq!(from_wareki(Era::Heisei, 31, 4, 30), Ok(d(2019, 4, 30)));
        assert_eq!(
            from_wareki(Era::Reiwa, 1, 4, 30),
            Err(DateInputError::OutOfEra(Era::Reiwa))
        );
        assert_eq!(
            from_wareki(Era::Heisei, 0, 5, 1),
            Err(DateInputError::OutOfEra(Era::Heisei))
        );
        assert_eq!(
            from_wareki(Era::Taisho, 99, 1, 1),
            Err(DateInputError::OutOfEra(Era::Taisho))
        );
        assert_eq!(
            from_wareki(Era::Reiwa, 6, 2, 30),
            Err(DateInputError::InvalidDate)
        );
        assert_eq!(
            from_wareki(Era::Reiwa, u32::MAX, 1, 1),
            Err(DateInputError::InvalidDate)
        );
    }

    #[test]
    fn every_day_since_meiji_round_trips_through_wareki() {
        let mut day = d(1868, 10, 23);
        while day <= d(2030, 12, 31) {
            let (era, year) = to_wareki(day).expect("after Meiji");
            assert_eq!(from_wareki(era, year, day.month(), day.day()), Ok(day));
            day = day.succ_opt().expect("in range");
        }
    }

    #[test]
    fn western_dates_are_read_in_the_usual_shapes() {
        for typed in [
            "2024-04-01",
            "2024/4/1",
            "2024.4.1",
            "20240401",
            "2024年4月1日",
            "２０２４／０４／０１",
            "２０２４－４－１",
            "２０２４０４０１",
            " 2024 - 04 - 01 ",
            "2024ー4ー1",
        ] {
            assert_eq!(parse_date_input(typed), Ok(d(2024, 4, 1)), "{typed}");
        }
    }

    #[test]
    fn era_dates_are_read_in_the_usual_shapes() {
        let cases = [
            ("昭和23年5月1日", d(1948, 5, 1)),
            ("S23.5.1", d(1948, 5, 1)),
            ("s23/5/1", d(1948, 5, 1)),
            ("Ｓ２３．５．１", d(1948, 5, 1)),
            ("ｓ２３年５月１日", d(1948, 5, 1)),
            ("昭和 23年 5月 1日", d(1948, 5, 1)),
            ("H元.1.8", d(1989, 1, 8)),
            ("H1.1.8", d(1989, 1, 8)),
            ("H01.01.08", d(1989, 1, 8)),
            ("R6.4.1", d(2024, 4, 1)),
            ("令和元年5月1日", d(2019, 5, 1)),
            ("令和6年4月1日", d(2024, 4, 1)),
            ("㋿6年4月1日", d(2024, 4, 1)),
            ("㍻元年1月8日", d(1989, 1, 8)),
            ("M45.7.29", d(1912, 7, 29)),
            ("T1.7.30", d(1912, 7, 30)),
            ("大正15年12月24日", d(1926, 12, 24)),
            ("昭和23年5月1", d(1948, 5, 1)),
        ];
        for (typed, expected) in cases {
            assert_eq!(parse_date_input(typed), Ok(expected), "{typed}");
        }
    }

    #[test]
    fn office_shorthands_are_read_with_the_same_era_limits() {
        let cases = [
            ("昭23.5.1", d(1948, 5, 1)),
            ("昭２３．５．１", d(1948, 5, 1)),
            ("平元.1.8", d(1989, 1, 8)),
            ("令6年4月1日", d(2024, 4, 1)),
            ("大15.12.24", d(1926, 12, 24)),
            ("S230501", d(1948, 5, 1)),
            ("ｓ２３０５０１", d(1948, 5, 1)),
            ("R060401", d(2024, 4, 1)),
            // An era's last calendar year, written past the era's end.
            ("H31.5.1", d(2019, 5, 1)),
            ("平成31年12月31日", d(2019, 12, 31)),
            ("S64.1.8", d(1989, 1, 8)),
            ("H310501", d(2019, 5, 1)),
        ];
        for (typed, expected) in cases {
            assert_eq!(parse_date_input(typed), Ok(expected), "{typed}");
        }
        assert_eq!(parse_date_input("S230230"), Err(DateInputError::InvalidDate));
        assert_eq!(parse_date_input("S23.2.30"), Err(DateInputError::InvalidDate));
        assert_eq!(parse_date_input("H310230"), Err(DateInputError::InvalidDate));
        assert_eq!(parse_date_input("S2305"), Err(DateInputError::Format));
        assert_eq!(parse_date_input("昭"), Err(DateInputError::Format));
        assert_eq!(from_wareki_lenient(Era::Reiwa, 99, 1, 1), Ok(d(2117, 1, 1)));
        assert_eq!(
            from_wareki_lenient(Era::Heisei, 32, 1, 1),
            Err(DateInputError::OutOfEra(Era::Heisei))
        );
    }

    #[test]
    fn typed_dates_that_do_not_exist_are_invalid() {
        for typed in ["2024-02-30", "2023/2/29", "2024/13/1", "2024/0/1", "R6.2.30"] {
            assert_eq!(
                parse_date_input(typed),
                Err(DateInputError::InvalidDate),
                "{typed}"
            );
        }
    }

    #[test]
    fn typed_era_dates_outside_their_era_are_rejected() {
        assert_eq!(
            parse_date_input("平成32年1月1日"),
            Err(DateInputError::OutOfEra(Era::Heisei))
        );
        assert_eq!(
            parse_date_input("S65.1.8"),
            Err(DateInputError::OutOfEra(Era::Showa))
        );
        assert_eq!(
            parse_date_input("R1.4.30"),
            Err(DateInputError::OutOfEra(Era::Reiwa))
        );
        assert_eq!(
            parse_date_input("H0.5.1"),
            Err(DateInputError::OutOfEra(Era::Heisei))
        );
        assert_eq!(
            parse_date_input("T16.1.1"),
            Err(DateInputError::OutOfEra(Era::Taisho))
        );
        assert_eq!(parse_date_input("S64.1.7"), Ok(d(1989, 1, 7)));
        assert_eq!(DateInputError::OutOfEra(Era::Showa).code(), "out_of_era");
        assert_eq!(
            DateInputError::OutOfEra(Era::Heisei).to_string(),
            "平成の期間外の日付です（平成は1989年1月8日から2019年4月30日まで）。"
        );
    }

    #[test]
    fn unreadable_dates_are_format_errors() {
        for typed in [
            "",
            "   ",
            "today",
            "X23.5.1",
            "23.5.1",
            "24/4/1",
            "2024-4",
            "2024/4/1/2",
            "2024年4.1",
            "2024.4月1日",
            "2024-04-01T00:00",
            "元.5.1",
            "2024元.5.1",
            "S元元.5.1",
            "S1234.5.1",
            "2024/004/1",
            "202441",
            "令和",
            "R",
            "S23.5.1日",
            "平成99999999999999999999年1月1日",
        ] {
            assert_eq!(parse_date_input(typed), Err(DateInputError::Format), "{typed}");
        }
    }

    #[test]
    fn a_fiscal_year_period_runs_april_to_march() {
        let p = Period::parse("FY2024").expect("valid");
        assert_eq!((p.from(), p.to()), (d(2024, 4, 1), d(2025, 3, 31)));
        assert_eq!(p.kind(), PeriodKind::FiscalYear { fiscal_year: 2024 });
        assert!(p.contains(d(2025, 3, 31)) && !p.contains(d(2025, 4, 1)));
    }

    #[test]
    fn a_month_period_covers_the_whole_month() {
        let cases = [
            ("2024-04", d(2024, 4, 1), d(2024, 4, 30)),
            ("2024-02", d(2024, 2, 1), d(2024, 2, 29)),
            ("2023-02", d(2023, 2, 1), d(2023, 2, 28)),
            ("2024-12", d(2024, 12, 1), d(2024, 12, 31)),
        ];
        for (text, from, to) in cases {
            let p = Period::parse(text).expect(text);
            assert_eq!((p.from(), p.to()), (from, to), "{text}");
            assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn fiscal_quarters_run_from_april_and_q4_is_next_january_to_march() {
        let cases = [
            ("FY2024Q1", d(2024, 4, 1), d(2024, 6, 30)),
            ("FY2024Q2", d(2024, 7, 1), d(2024, 9, 30)),
            ("FY2024Q3", d(2024, 10, 1), d(2024, 12, 31)),
            ("FY2024Q4", d(2025, 1, 1), d(2025, 3, 31)),
        ];
        for (text, from, to) in cases {
            let p = Period::parse(text).expect(text);
            assert_eq!((p.from(), p.to()), (from, to), "{text}");
            assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn periods_accept_lower_case_and_full_width() {
        assert_eq!(
            Period::parse(" fy2024q1 ").map(|p| p.to_string()),
            Ok("FY2024Q1".to_string())
        );
        assert_eq!(
            Period::parse("ＦＹ２０２４").map(|p| p.to_string()),
            Ok("FY2024".to_string())
        );
    }

    #[test]
    fn malformed_periods_are_rejected() {
        for text in [
            "",
            "FY",
            "FY24",
            "FY20245",
            "FY2024Q0",
            "FY2024Q5",
            "FY2024Q",
            "FY2024Q11",
            "2024",
            "2024-4",
            "2024-13",
            "2024-00",
            "24-04",
            "2024/04",
            "FY-2024",
            "FY+202",
            "2024-04-01",
        ] {
            assert_eq!(Period::parse(text), Err(PeriodError::Format), "{text}");
        }
        assert_eq!(PeriodError::Format.code(), "period_format");
        assert_eq!(Period::fiscal_year(10_000), Err(PeriodError::Format));
        assert_eq!(Period::month(2024, 0), Err(PeriodError::Format));
    }

    #[test]
    fn the_last_quarter_of_the_last_four_digit_year_still_exists() {
        let p = Period::parse("FY9999Q4").expect("valid");
        assert_eq!((p.from(), p.to()), (d(10_000, 1, 1), d(10_000, 3, 31)));
    }

    #[test]
    fn periods_serialise_as_their_canonical_string() {
        let p = Period::parse("fy2024q4").expect("valid");
        assert_eq!(serde_json::to_string(&p).expect("ok"), "\"FY2024Q4\"");
        assert_eq!(serde_json::from_str::<Period>("\"FY2024Q4\"").expect("ok"), p);
        assert!(serde_json::from_str::<Period>("\"FY2024Q5\"").is_err());
    }
}
