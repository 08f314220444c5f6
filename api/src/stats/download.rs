//! What a downloaded file says about itself: the header block above its table (title, scope,
//! period in 和暦 and 西暦, when it was made, what was hidden) and a file name that says what is
//! inside, sent as RFC 6266 `Content-Disposition` with an RFC 5987 UTF-8 name and an ASCII
//! fallback. The same for CSV and workbooks.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use shared::dates::{fiscal_year_range, format_wareki};
use shared::dto::auth::Scope;

use super::table::Labeler;
use super::Dimension;

/// Everything a file's header block and name are made of.
#[derive(Debug, Clone, PartialEq)]
pub struct About {
    /// `集計` or `抽出`: the first word of the file name.
    pub kind: &'static str,
    /// The same in ASCII for the fallback name: `stats`, `participations`, …
    pub kind_ascii: String,
    /// The table's title: `延べ利用者数・実利用者数（市町村×機能）`, `参加記録`.
    pub title: String,
    /// For the file name: `市町村×機能`, `参加記録`.
    pub subject: String,
    pub subject_ascii: String,
    /// Japanese name of what the figures cover: `高知県全域`, `高知市`, a centre's name.
    pub scope: String,
    /// `prefecture`, `392014`, `C001`.
    pub scope_ascii: String,
    /// The filters asked for, in Japanese: `機能: つどい・訪問`.
    pub filters: Vec<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<FixedOffset>,
    /// What was hidden or left out (small-cell suppression, de-identification), and notes on
    /// reading the figures.
    pub notes: Vec<String>,
}

impl About {
    /// The scope of a request: the caller's, narrowed to one centre or municipality when the
    /// filters name exactly one.
    pub fn scope_of(
        scope: &Scope,
        filters: &[(Dimension, Vec<String>)],
        labeler: &Labeler,
    ) -> (String, String) {
        let one = |dim: Dimension| {
            filters
                .iter()
                .find(|(d, codes)| *d == dim && codes.len() == 1)
                .map(|(_, codes)| codes[0].clone())
        };
        if let Some(c) = one(Dimension::Center) {
            return (labeler.label(Dimension::Center, &c), c);
        }
        if let Some(m) = one(Dimension::Municipality) {
            return (labeler.label(Dimension::Municipality, &m), m);
        }
        if let Some(r) = one(Dimension::Region) {
            return (labeler.label(Dimension::Region, &r), r);
        }
        match scope {
            Scope::Prefecture => ("高知県全域".to_owned(), "prefecture".to_owned()),
            Scope::Municipality(m) => (labeler.label(Dimension::Municipality, m), m.clone()),
            Scope::Region(r) => (labeler.label(Dimension::Region, r), r.clone()),
            Scope::Center(c) => (labeler.label(Dimension::Center, c), c.clone()),
        }
    }

    /// The filters in Japanese, one entry per dimension.
    pub fn filters_ja(filters: &[(Dimension, Vec<String>)], labeler: &Labeler) -> Vec<String> {
        filters
            .iter()
            .map(|(d, codes)| {
                let names: Vec<String> = codes.iter().map(|c| labeler.label(*d, c)).collect();
                format!("{}: {}", d.label(), names.join("・"))
            })
            .collect()
    }

    /// The header block: one `[key, value]` line each, in this order.
    pub fn lines(&self) -> Vec<[String; 2]> {
        let mut out = vec![
            ["表題".to_owned(), self.title.clone()],
            ["範囲".to_owned(), self.scope.clone()],
        ];
        if !self.filters.is_empty() {
            out.push(["絞り込み".to_owned(), self.filters.join("、")]);
        }
        out.push(["期間".to_owned(), period_line(self.from, self.to)]);
        out.push(["作成日時".to_owned(), wareki_time(self.generated_at)]);
        for n in &self.notes {
            out.push(["注記".to_owned(), n.clone()]);
        }
        out
    }

    /// `集計_高知市_令和6年度_市町村×機能.xlsx`: kind, scope, period and subject, with the
    /// characters Windows refuses in a file name replaced.
    pub fn file_name(&self, ext: &str) -> String {
        let name = if self.kind == "集計" {
            format!(
                "{}_{}_{}_{}",
                self.kind,
                self.scope,
                period_name(self.from, self.to),
                self.subject
            )
        } else {
            format!(
                "{}_{}_{}_{}",
                self.kind,
                self.subject,
                self.scope,
                period_name(self.from, self.to)
            )
        };
        format!("{}.{ext}", windows_safe(&name))
    }

    /// The ASCII fallback: `attaka-stats_392014_FY2024_municipality-function.xlsx`.
    pub fn ascii_file_name(&self, ext: &str) -> String {
        let name = if self.kind == "集計" {
            format!(
                "attaka-{}_{}_{}_{}",
                self.kind_ascii,
                self.scope_ascii,
                period_ascii(self.from, self.to),
                self.subject_ascii
            )
        } else {
            format!(
                "attaka-{}_{}_{}",
                self.kind_ascii,
                self.scope_ascii,
                period_ascii(self.from, self.to)
            )
        };
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}.{ext}")
    }

    /// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 §4.3:
    /// clients that understand `filename*` take it, others the ASCII name).
    pub fn content_disposition(&self, ext: &str) -> String {
        format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            self.ascii_file_name(ext),
            rfc5987(&self.file_name(ext))
        )
    }
}

pub use shared::file_name::rfc5987_encode as rfc5987;

fn windows_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\/:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// `令和元年度` style fiscal-year name (the era in force on 1 May).
fn fiscal_year_name(fy: i32) -> String {
    super::table::fiscal_year_label(&format!("FY{fy}")).unwrap_or_else(|| format!("{fy}年度"))
}

/// What a range is called: a fiscal year, a quarter, a month, or its two ends.
enum Named {
    FiscalYear(i32),
    Quarter(i32, u32),
    Month(i32, u32),
    Range,
}

fn named(from: NaiveDate, to: NaiveDate) -> Named {
    let fy = shared::dates::fiscal_year(from);
    if (from, to) == fiscal_year_range(fy) {
        return Named::FiscalYear(fy);
    }
    let last_of_month = |d: NaiveDate| d.succ_opt().is_some_and(|n| n.day() == 1);
    if from.day() == 1 && last_of_month(to) {
        let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
        if months == 1 {
            return Named::Month(from.year(), from.month());
        }
        let q = shared::dates::fiscal_quarter(from) as u32;
        if months == 3
            && shared::dates::fiscal_year(to) == fy
            && shared::dates::fiscal_quarter(to) as u32 == q
        {
            return Named::Quarter(fy, q);
        }
    }
    Named::Range
}

fn wareki_month(year: i32, month: u32) -> String {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let full = format_wareki(first);
    full.strip_suffix("1日").map(str::to_owned).unwrap_or(full)
}

/// The period for a file name: `令和6年度`, `令和6年度第1四半期`, `令和6年4月`, or
/// `令和6年4月1日～令和6年5月31日`.
pub fn period_name(from: NaiveDate, to: NaiveDate) -> String {
    match named(from, to) {
        Named::FiscalYear(fy) => fiscal_year_name(fy),
        Named::Quarter(fy, q) => format!("{}第{q}四半期", fiscal_year_name(fy)),
        Named::Month(y, m) => wareki_month(y, m),
        Named::Range => format!("{}～{}", format_wareki(from), format_wareki(to)),
    }
}

fn period_ascii(from: NaiveDate, to: NaiveDate) -> String {
    match named(from, to) {
        Named::FiscalYear(fy) => format!("FY{fy}"),
        Named::Quarter(fy, q) => format!("FY{fy}Q{q}"),
        Named::Month(y, m) => format!("{y:04}-{m:02}"),
        Named::Range => format!("{}-{}", from.format("%Y%m%d"), to.format("%Y%m%d")),
    }
}

/// The header block's period: its name and both ends in 和暦, then in 西暦.
/// `令和6年度（令和6年4月1日～令和7年3月31日／2024年4月1日～2025年3月31日）`.
pub fn period_line(from: NaiveDate, to: NaiveDate) -> String {
    let seireki = |d: NaiveDate| format!("{}年{}月{}日", d.year(), d.month(), d.day());
    let ends = format!(
        "{}～{}／{}～{}",
        format_wareki(from),
        format_wareki(to),
        seireki(from),
        seireki(to)
    );
    match named(from, to) {
        Named::Range => ends,
        _ => format!("{}（{ends}）", period_name(from, to)),
    }
}

/// `令和8年4月2日 9時05分`.
pub fn wareki_time(at: DateTime<FixedOffset>) -> String {
    format!(
        "{} {}時{:02}分",
        format_wareki(at.date_naive()),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn about(from: &str, to: &str) -> About {
        About {
            kind: "集計",
            kind_ascii: "stats".into(),
            title: "延べ利用者数（市町村×機能）".into(),
            subject: "市町村×機能".into(),
            subject_ascii: "municipality-function".into(),
            scope: "高知市".into(),
            scope_ascii: "392014".into(),
            filters: vec![],
            from: d(from),
            to: d(to),
            generated_at: DateTime::parse_from_rfc3339("2026-04-02T09:05:00+09:00").unwrap(),
            notes: vec!["人数が3未満のセルは x と表示しています。".into()],
        }
    }

    #[test]
    fn a_file_is_named_for_its_kind_scope_period_and_breakdown() {
        let a = about("2024-04-01", "2025-03-31");
        assert_eq!(a.file_name("xlsx"), "集計_高知市_令和6年度_市町村×機能.xlsx");
        assert_eq!(
            a.ascii_file_name("xlsx"),
            "attaka-stats_392014_FY2024_municipality-function.xlsx"
        );
        assert_eq!(
            about("2024-07-01", "2024-09-30").file_name("csv"),
            "集計_高知市_令和6年度第2四半期_市町村×機能.csv"
        );
        assert_eq!(
            about("2019-05-01", "2019-05-31").file_name("csv"),
            "集計_高知市_令和元年5月_市町村×機能.csv"
        );
        assert_eq!(
            about("2024-04-03", "2024-05-31").ascii_file_name("csv"),
            "attaka-stats_392014_20240403-20240531_municipality-function.csv"
        );
        let mut odd = a.clone();
        odd.scope = "A/B:C".into();
        assert_eq!(odd.file_name("csv"), "集計_A_B_C_令和6年度_市町村×機能.csv");
    }

    #[test]
    fn content_disposition_carries_an_ascii_name_and_the_utf8_name_percent_encoded() {
        let cd = about("2024-04-01", "2025-03-31").content_disposition("xlsx");
        assert!(cd.starts_with(
            "attachment; filename=\"attaka-stats_392014_FY2024_municipality-function.xlsx\"; filename*=UTF-8''"
        ));
        let encoded = cd.split("UTF-8''").nth(1).unwrap();
        assert!(encoded.is_ascii() && !encoded.contains(' '));
        // 集 = E9 9B 86
        assert!(encoded.starts_with("%E9%9B%86"));
        assert!(encoded.ends_with(".xlsx"));
    }

    #[test]
    fn the_header_block_gives_the_period_in_wareki_and_seireki_and_the_time_in_wareki() {
        let lines = about("2024-04-01", "2025-03-31").lines();
        let keys: Vec<&str> = lines.iter().map(|l| l[0].as_str()).collect();
        assert_eq!(keys, ["表題", "範囲", "期間", "作成日時", "注記"]);
        assert_eq!(
            lines[2][1],
            "令和6年度（令和6年4月1日～令和7年3月31日／2024年4月1日～2025年3月31日）"
        );
        assert_eq!(lines[3][1], "令和8年4月2日 9時05分");
        assert_eq!(
            period_line(d("2024-04-03"), d("2024-05-31")),
            "令和6年4月3日～令和6年5月31日／2024年4月3日～2024年5月31日"
        );
    }
}
