//! A person registered at a centre: identity (stays on the centre node) and facts.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shared::common_id::CommonId;
use shared::dto::person::{DisabilityView, EndRegistration, PersonInput, PersonSummary, PersonView};
use shared::error::{FieldError, FieldErrors};
use shared::kana::{normalize_kana, validate_kana};
use unicode_normalization::UnicodeNormalization;

use super::codes::{list, Codes};

/// Personal identity: never leaves the centre node.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: NaiveDate,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub emergency_contact: Option<String>,
    pub notes: Option<String>,
}

impl Identity {
    /// Search key for フリガナ (family then given, normalised).
    pub fn kana_key(&self) -> String {
        normalize_kana(&format!("{}{}", self.family_kana, self.given_kana))
    }
    /// Search key for the name in kanji (spaces dropped, NFKC).
    pub fn name_key(&self) -> String {
        name_key(&format!("{}{}", self.family_name, self.given_name))
    }
}

/// Normalises a name for search: NFKC, no spaces of either width.
pub fn name_key(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disability {
    pub kind: String,
    pub grade: Option<String>,
}

/// The facts about a person that statistics use (and that may leave the node de-identified).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub sex: String,
    /// `YYYY-MM`.
    pub birth_year_month: String,
    pub residence_municipality: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub disabilities: Vec<Disability>,
    pub household: String,
    pub registered_on: NaiveDate,
}

/// A validated registration or update.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub identity: Identity,
    pub facts: Facts,
}

/// A person as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub common_id: CommonId,
    pub center: String,
    pub identity: Identity,
    pub facts: Facts,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a registration ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub ended_on: NaiveDate,
    pub end_reason: String,
}

/// Filters of the people list.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// Free text: a common ID, フリガナ (any width or script) or a name.
    pub q: Option<String>,
    pub category: Option<String>,
    /// Include people whose registration has ended.
    pub include_ended: bool,
    pub offset: u64,
    pub limit: u64,
}

const NAME_MAX: usize = 50;
const TEXT_MAX: usize = 200;
const NOTES_MAX: usize = 2000;

fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.push(field, "required", "入力してください。");
    } else if v.chars().count() > max {
        errors.push(field, "too_long", format!("{max}文字以内で入力してください。"));
    }
    v.to_owned()
}

fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(field, "too_long", format!("{max}文字以内で入力してください。"));
    }
    Some(v.to_owned())
}

fn kana(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    match validate_kana(value) {
        Ok(k) if k.chars().count() > NAME_MAX => {
            errors.push(
                field,
                "too_long",
                format!("{NAME_MAX}文字以内で入力してください。"),
            );
            k
        }
        Ok(k) => k,
        Err(e) => {
            errors.push(field, e.code(), e.to_string());
            String::new()
        }
    }
}

fn postal_code(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    let raw = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    let digits: String = raw
        .nfkc()
        .filter(|c| !matches!(c, '-' | 'ー' | '−' | '‐'))
        .collect();
    if digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("{}-{}", &digits[..3], &digits[3..]))
    } else {
        errors.push(
            "postal_code",
            "format",
            "郵便番号は7桁の数字で入力してください（例: 780-0850）。",
        );
        None
    }
}

fn phone(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    let raw = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    let v: String = raw.nfkc().collect();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | '+' | ' '));
    if !ok || !(9..=15).contains(&digits) {
        errors.push(
            "phone",
            "format",
            "電話番号は数字とハイフンで入力してください（例: 088-823-9999）。",
        );
    }
    Some(v)
}

fn code(
    errors: &mut FieldErrors,
    codes: &Codes,
    field: &str,
    list: &str,
    value: &str,
    on: NaiveDate,
) -> String {
    if !codes.is_valid(list, value, on) {
        errors.push(
            field,
            "unknown_code",
            format!("「{value}」は選択肢にありません。"),
        );
    }
    value.to_owned()
}

impl PersonRecord {
    /// Turns the request into a record, naming every bad field.
    pub fn parse(
        input: &PersonInput,
        codes: &Codes,
        today: NaiveDate,
    ) -> Result<PersonRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let family_name = required_text(&mut e, "family_name", &input.family_name, NAME_MAX);
        let given_name = required_text(&mut e, "given_name", &input.given_name, NAME_MAX);
        let family_kana = kana(&mut e, "family_kana", &input.family_kana);
        let given_kana = kana(&mut e, "given_kana", &input.given_kana);
        let birth_date = input.birth_date;
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        let birth_ok = if birth_date > today {
            e.push("birth_date", "future", "生年月日が未来の日付です。");
            false
        } else if birth_date < earliest {
            e.push("birth_date", "too_early", "生年月日が1900年より前です。");
            false
        } else {
            true
        };
        let sex = code(&mut e, codes, "sex", list::SEX, &input.sex, today);
        let residence = input.residence_municipality.trim().to_owned();
        if !codes.is_municipality(&residence) {
            e.push(
                "residence_municipality",
                "unknown_code",
                "居住市町村のコードが正しくありません。",
            );
        }
        if input.categories.is_empty() {
            e.push("categories", "required", "対象区分を1つ以上選んでください。");
        }
        let mut categories: Vec<String> = Vec::new();
        for (i, c) in input.categories.iter().enumerate() {
            let field = format!("categories[{i}]");
            if categories.contains(c) {
                e.push(field, "duplicate", "同じ区分が重複しています。");
            } else {
                categories.push(code(&mut e, codes, &field, list::CATEGORIES, c, today));
            }
        }
        let care_level = code(
            &mut e,
            codes,
            "care_level",
            list::CARE_LEVELS,
            &input.care_level,
            today,
        );
        let household = code(
            &mut e,
            codes,
            "household",
            list::HOUSEHOLDS,
            &input.household,
            today,
        );
        let mut disabilities: Vec<Disability> = Vec::new();
        for (i, d) in input.disabilities.iter().enumerate() {
            let field = format!("disabilities[{i}].kind");
            if disabilities.iter().any(|x| x.kind == d.kind) {
                e.push(field, "duplicate", "同じ手帳の種類が重複しています。");
                continue;
            }
            let kind = code(&mut e, codes, &field, list::DISABILITY_KINDS, &d.kind, today);
            let grade = optional_text(&mut e, &format!("disabilities[{i}].grade"), &d.grade, 10);
            disabilities.push(Disability { kind, grade });
        }
        if input.registered_on > today {
            e.push("registered_on", "future", "登録日が未来の日付です。");
        } else if birth_ok && input.registered_on < birth_date {
            e.push("registered_on", "before_birth", "登録日が生年月日より前です。");
        }
        let identity = Identity {
            family_name,
            given_name,
            family_kana,
            given_kana,
            birth_date,
            postal_code: postal_code(&mut e, &input.postal_code),
            address: optional_text(&mut e, "address", &input.address, TEXT_MAX),
            phone: phone(&mut e, &input.phone),
            emergency_contact: optional_text(&mut e, "emergency_contact", &input.emergency_contact, TEXT_MAX),
            notes: optional_text(&mut e, "notes", &input.notes, NOTES_MAX),
        };
        e.into_result()?;
        Ok(PersonRecord {
            facts: Facts {
                sex,
                birth_year_month: format!("{:04}-{:02}", birth_date.year(), birth_date.month()),
                residence_municipality: residence,
                categories,
                care_level,
                disabilities,
                household,
                registered_on: input.registered_on,
            },
            identity,
        })
    }
}

impl Ending {
    pub fn parse(
        input: &EndRegistration,
        registered_on: NaiveDate,
        codes: &Codes,
        today: NaiveDate,
    ) -> Result<Ending, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        if input.ended_on > today {
            e.push("ended_on", "future", "終了日が未来の日付です。");
        } else if input.ended_on < registered_on {
            e.push("ended_on", "before_registration", "終了日が登録日より前です。");
        }
        let end_reason = code(
            &mut e,
            codes,
            "end_reason",
            list::END_REASONS,
            &input.end_reason,
            today,
        );
        e.into_result()?;
        Ok(Ending {
            ended_on: input.ended_on,
            end_reason,
        })
    }
}

impl Person {
    pub fn to_view(&self, today: NaiveDate) -> PersonView {
        let (i, f) = (&self.identity, &self.facts);
        PersonView {
            common_id: self.common_id.to_string(),
            center: self.center.clone(),
            family_name: i.family_name.clone(),
            given_name: i.given_name.clone(),
            family_kana: i.family_kana.clone(),
            given_kana: i.given_kana.clone(),
            birth_date: i.birth_date,
            age: shared::dates::age_on(i.birth_date, today),
            birth_year_month: f.birth_year_month.clone(),
            sex: f.sex.clone(),
            residence_municipality: f.residence_municipality.clone(),
            postal_code: i.postal_code.clone(),
            address: i.address.clone(),
            phone: i.phone.clone(),
            emergency_contact: i.emergency_contact.clone(),
            notes: i.notes.clone(),
            categories: f.categories.clone(),
            care_level: f.care_level.clone(),
            disabilities: f
                .disabilities
                .iter()
                .map(|d| DisabilityView {
                    kind: d.kind.clone(),
                    grade: d.grade.clone(),
                })
                .collect(),
            household: f.household.clone(),
            registered_on: f.registered_on,
            ended_on: self.ended_on,
            end_reason: self.end_reason.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    pub fn to_summary(&self, today: NaiveDate) -> PersonSummary {
        let i = &self.identity;
        PersonSummary {
            common_id: self.common_id.to_string(),
            family_name: i.family_name.clone(),
            given_name: i.given_name.clone(),
            family_kana: i.family_kana.clone(),
            given_kana: i.given_kana.clone(),
            birth_date: i.birth_date,
            age: shared::dates::age_on(i.birth_date, today),
            sex: self.facts.sex.clone(),
            categories: self.facts.categories.clone(),
            registered_on: self.facts.registered_on,
            ended_on: self.ended_on,
        }
    }
}
