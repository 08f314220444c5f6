//! What leaves the hub as records, by who receives them (decision 0019): the exact view of the
//! prefecture and the coarsened view of those below it — per-recipient pseudonyms in place of
//! common IDs, broad age bands fixed for a fiscal year, months for dates, and the attributes
//! that single people out withheld — and the k-anonymity measure `attaka privacy report`
//! prints. No SQL here: a view rewrites the rows the store's extract streams.

pub mod kanon;
pub mod report;
pub mod steps;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::error::FieldError;

use super::extract::{ColumnSpec, ExtractKind, ExtractRequest, LabelOf, Rows};
use super::Dimension;
use crate::domain::codes::Codes;

/// Which rendering of the records a caller receives (`auth::policy::extract_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Common IDs, exact dates and attributes, as stored on the hub.
    Exact,
    /// Pseudonyms, broad age bands, months; activity IDs, residence, care level, household,
    /// registration and end withheld (empty).
    Coarsened,
}

/// Name of the node secret the pseudonyms are keyed with.
pub const PSEUDONYM_SECRET: &str = "extract_pseudonym";

/// The broad age bands of the coarsened view: children and working ages are merged (few
/// people, so they would stand out); the older bands of master data stay. `(code, label,
/// last age)`.
pub const BROAD_AGE_BANDS: [(&str, &str, i32); 2] =
    [("age_0_17", "0〜17歳", 17), ("age_18_64", "18〜64歳", 64)];

/// The label of a broad age band that is not one of master data.
pub fn broad_age_band_label(code: &str) -> Option<&'static str> {
    BROAD_AGE_BANDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, label, _)| *label)
}

/// The broad band of an age: the merged bands below 65, the band of master data above.
pub fn broad_age_band(codes: &Codes, age: i32) -> String {
    match BROAD_AGE_BANDS.iter().find(|(_, _, last)| age <= *last) {
        Some((code, _, _)) => (*code).to_owned(),
        None => u32::try_from(age)
            .ok()
            .and_then(|a| codes.age_band(a))
            .unwrap_or(super::UNKNOWN)
            .to_owned(),
    }
}

/// The broad band containing a band of master data (by its lower bound).
pub fn broaden(codes: &Codes, band: &str) -> String {
    match codes
        .get(crate::domain::codes::list::AGE_BANDS, band)
        .and_then(|b| b.lower)
    {
        Some(lower) => broad_age_band(codes, lower),
        None => band.to_owned(),
    }
}

/// Age in whole years on `on` from a birth year-month (`1948-05`), as the registry measures
/// take it: a year is counted from the birth month on.
pub fn age_from_year_month(birth: &str, on: NaiveDate) -> Option<i32> {
    let year: i32 = birth.get(..4)?.parse().ok()?;
    let month: u32 = birth.get(5..7)?.parse().ok()?;
    Some(on.year() - year - i32::from(on.month() < month))
}

/// The first day of the fiscal year `FY2025` (or of the one `date` falls in).
fn fiscal_year_start(code: &str) -> Option<NaiveDate> {
    let fy: i32 = code.strip_prefix("FY")?.parse().ok()?;
    NaiveDate::from_ymd_opt(fy, 4, 1)
}

/// Per-recipient pseudonyms: a keyed hash (HMAC-SHA256 with a node secret) of the recipient
/// and the common ID, cut to 11 base-32 characters after a `P`. The same recipient always gets
/// the same pseudonym for a person; two recipients' pseudonyms cannot be matched without the
/// node's secret. 55 bits keep collisions among the prefecture's some 30,000 registrations
/// below one in ten million, so distinct counts stay exact.
#[derive(Clone)]
pub struct Pseudonyms {
    mac: Hmac<Sha256>,
    made: HashMap<String, String>,
}

/// Crockford's base 32: digits and capitals without I, L, O and U.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Pseudonyms {
    /// Pseudonyms for `recipient` (`account:12`, `token:3`) under the node's `secret`.
    pub fn new(secret: &[u8], recipient: &str) -> Pseudonyms {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
        mac.update(recipient.as_bytes());
        mac.update(&[0]);
        Pseudonyms {
            mac,
            made: HashMap::new(),
        }
    }

    /// The recipient of a principal: its account or its token.
    pub fn recipient(p: &crate::domain::account::Principal) -> String {
        match (p.account_id, p.api_token_id) {
            (_, Some(token)) => format!("token:{token}"),
            (Some(account), None) => format!("account:{account}"),
            (None, None) => format!("name:{}", p.name),
        }
    }

    pub fn of(&mut self, common_id: &str) -> &str {
        if !self.made.contains_key(common_id) {
            let mut mac = self.mac.clone();
            mac.update(common_id.as_bytes());
            let digest = mac.finalize().into_bytes();
            let bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
            let mut out = String::with_capacity(12);
            out.push('P');
            for i in 0..11 {
                out.push(BASE32[((bits >> (59 - 5 * i)) & 31) as usize] as char);
            }
            self.made.insert(common_id.to_owned(), out);
        }
        &self.made[common_id]
    }
}

/// The columns of the coarsened participations: the contract's names, the age band broad.
const PARTICIPATIONS_COARSENED: [ColumnSpec; 14] = [
    ("activity_id", "活動ID", LabelOf::None),
    ("common_id", "利用者仮名ID", LabelOf::None),
    ("center", "センター", LabelOf::Dim(Dimension::Center)),
    ("municipality", "市町村", LabelOf::Dim(Dimension::Municipality)),
    ("site", "サテライト", LabelOf::Dim(Dimension::Site)),
    ("date", "年月", LabelOf::None),
    ("fiscal_year", "年度", LabelOf::Dim(Dimension::FiscalYear)),
    ("function", "機能", LabelOf::Dim(Dimension::Function)),
    ("sex", "性別", LabelOf::Dim(Dimension::Sex)),
    ("age_band", "年齢区分（年度初め）", LabelOf::AgeBand),
    ("group", "対象区分", LabelOf::Dim(Dimension::Group)),
    (
        "categories",
        "該当区分",
        LabelOf::List(crate::domain::codes::list::CATEGORIES),
    ),
    ("care_level", "要介護度", LabelOf::Dim(Dimension::CareLevel)),
    ("household", "世帯", LabelOf::Dim(Dimension::Household)),
];

/// The columns of the coarsened persons: `birth_year_month` becomes `age_band` (its meaning
/// changes, so its name does); withheld columns keep their names and stay empty.
const PERSONS_COARSENED: [ColumnSpec; 13] = [
    ("common_id", "利用者仮名ID", LabelOf::None),
    ("center", "センター", LabelOf::Dim(Dimension::Center)),
    ("municipality", "市町村", LabelOf::Dim(Dimension::Municipality)),
    ("sex", "性別", LabelOf::Dim(Dimension::Sex)),
    ("age_band", "年齢区分（年度初め）", LabelOf::AgeBand),
    (
        "residence_municipality",
        "居住市町村",
        LabelOf::Dim(Dimension::Municipality),
    ),
    ("group", "対象区分", LabelOf::Dim(Dimension::Group)),
    (
        "categories",
        "該当区分",
        LabelOf::List(crate::domain::codes::list::CATEGORIES),
    ),
    ("care_level", "要介護度", LabelOf::Dim(Dimension::CareLevel)),
    ("household", "世帯", LabelOf::Dim(Dimension::Household)),
    ("registered_on", "登録日", LabelOf::None),
    ("ended_on", "終了日", LabelOf::None),
    ("end_reason", "終了理由", LabelOf::EndReason),
];

/// The columns `kind` has in `view`.
pub fn columns(kind: ExtractKind, view: View) -> &'static [ColumnSpec] {
    match (kind, view) {
        (ExtractKind::Participations, View::Coarsened) => &PARTICIPATIONS_COARSENED,
        (ExtractKind::Persons, View::Coarsened) => &PERSONS_COARSENED,
        _ => kind.columns(),
    }
}

/// What the coarsened view does to one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    Keep,
    Pseudonym,
    /// Empty: the column is there, its values are not.
    Withheld,
    /// `2025-04-10` → `2025-04`.
    Month,
    /// Participations: the person's broad band on 1 April of the row's fiscal year (column 6).
    BandAtRowFiscalYear,
    /// Persons: the broad band on 1 April of the fiscal year the period ends in.
    BandAtPeriodFiscalYear,
}

fn rewrites(kind: ExtractKind) -> &'static [Rewrite] {
    use Rewrite::*;
    match kind {
        ExtractKind::Participations => &[
            Withheld,
            Pseudonym,
            Keep,
            Keep,
            Keep,
            Month,
            Keep,
            Keep,
            Keep,
            BandAtRowFiscalYear,
            Keep,
            Keep,
            Withheld,
            Withheld,
        ],
        ExtractKind::Persons => &[
            Pseudonym,
            Keep,
            Keep,
            Keep,
            BandAtPeriodFiscalYear,
            Withheld,
            Keep,
            Keep,
            Withheld,
            Withheld,
            Withheld,
            Withheld,
            Withheld,
        ],
        // Activities hold no person: nothing to coarsen.
        ExtractKind::Activities => &[],
    }
}

/// Filters a coarsened view cannot take: those on what it withholds or coarsens (a filter on
/// care level would tell each returned row's care level; one on a day its date; one on the
/// age band of the day the crossing of a band).
fn withheld_filter(kind: ExtractKind, d: Dimension) -> bool {
    kind != ExtractKind::Activities
        && matches!(
            d,
            Dimension::Date | Dimension::AgeBand | Dimension::CareLevel | Dimension::Household
        )
}

/// Why a request cannot be answered in `view`: a period that is not whole months (a range
/// of days would give back the dates the view coarsens), or a filter on what it withholds.
pub fn refusals(view: View, request: &ExtractRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if view == View::Exact || request.kind == ExtractKind::Activities {
        return errors;
    }
    let whole_months = request.from.day() == 1 && request.to.succ_opt().is_none_or(|next| next.day() == 1);
    if !whole_months {
        errors.push(FieldError::new(
            "period",
            "not_whole_months",
            "この抽出は月単位の期間（period=2024-04、FY2024、FY2024Q1、または月初から月末まで）でだけ受け付けます。",
        ));
    }
    for (d, _) in &request.filters {
        if withheld_filter(request.kind, *d) {
            errors.push(FieldError::new(
                "filter",
                "withheld",
                format!(
                    "この抽出では {} を提供しないため、{} で絞り込めません。",
                    d.code(),
                    d.code()
                ),
            ));
        }
    }
    errors
}

/// Rewrites the rows of one kind into the coarsened view.
pub struct Coarsener {
    kind: ExtractKind,
    codes: Codes,
    pseudonyms: Pseudonyms,
    /// Persons: the day the age band is taken on.
    band_on: NaiveDate,
    /// Participations: each person's birth year-month (from the persons extract).
    births: HashMap<String, String>,
}

impl Coarsener {
    /// `to` is the last day of the period; `births` the birth year-months of the people who may
    /// appear (participations only; a person missing falls back to the row's own band).
    pub fn new(
        kind: ExtractKind,
        codes: Codes,
        pseudonyms: Pseudonyms,
        to: NaiveDate,
        births: HashMap<String, String>,
    ) -> Coarsener {
        let band_on = shared::dates::fiscal_year_range(shared::dates::fiscal_year(to)).0;
        Coarsener {
            kind,
            codes,
            pseudonyms,
            band_on,
            births,
        }
    }

    /// Whether the persons' birth year-months are needed first.
    pub fn needs_births(kind: ExtractKind) -> bool {
        kind == ExtractKind::Participations
    }

    /// The rows in the coarsened view.
    pub fn apply(&mut self, rows: Rows) -> Rows {
        let how = rewrites(self.kind);
        if how.is_empty() {
            return rows;
        }
        let mut out = Rows::new(how.len(), rows.len());
        for r in 0..rows.len() {
            let fields: Vec<&str> = rows.row(r).collect();
            for (i, rewrite) in how.iter().enumerate() {
                let value = fields.get(i).copied().unwrap_or_default();
                match rewrite {
                    Rewrite::Keep => out.push(value),
                    Rewrite::Withheld => out.push(""),
                    Rewrite::Pseudonym => out.push(self.pseudonyms.of(value)),
                    Rewrite::Month => out.push(value.get(..7).unwrap_or(value)),
                    Rewrite::BandAtRowFiscalYear => {
                        let person = fields.get(1).copied().unwrap_or_default();
                        let on = fields.get(6).and_then(|fy| fiscal_year_start(fy));
                        let age = self
                            .births
                            .get(person)
                            .zip(on)
                            .and_then(|(birth, on)| age_from_year_month(birth, on));
                        let band = match age {
                            Some(age) => broad_age_band(&self.codes, age),
                            None => broaden(&self.codes, value),
                        };
                        out.push(&band);
                    }
                    Rewrite::BandAtPeriodFiscalYear => {
                        let band = age_from_year_month(value, self.band_on).map_or_else(
                            || super::UNKNOWN.to_owned(),
                            |age| broad_age_band(&self.codes, age),
                        );
                        out.push(&band);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
