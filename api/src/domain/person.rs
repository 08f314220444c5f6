//! A person registered at a centre: identity (stays on the centre node) and facts.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shared::common_id::CommonId;
use shared::dto::person::{DisabilityView, EndRegistration, PersonInput, PersonSummary, PersonView};
use shared::error::{FieldError, FieldErrors};
use shared::kana::normalize_kana;
// The rules that need no code list are shared with the web app (decision 0028).
use shared::person_rules::{self as rules, NAME_MAX, NOTES_MAX, TEXT_MAX};
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
        let family_name = rules::required_text(&mut e, "family_name", &input.family_name, NAME_MAX);
        let given_name = rules::required_text(&mut e, "given_name", &input.given_name, NAME_MAX);
        let family_kana = rules::kana(&mut e, "family_kana", &input.family_kana);
        let given_kana = rules::kana(&mut e, "given_kana", &input.given_kana);
        let birth_date = input.birth_date;
        let birth_ok = rules::birth_date(&mut e, birth_date, today);
        let sex = code(&mut e, codes, "sex", list::SEX, &input.sex, today);
        let residence = input.residence_municipality.trim().to_owned();
        if !codes.is_municipality(&residence) {
            e.push(
                "residence_municipality",
                "unknown_code",
                "居住市町村のコードが正しくありません。",
            );
        }
        let categories: Vec<String> = rules::categories(&mut e, &input.categories)
            .into_iter()
            .map(|(i, c)| {
                code(
                    &mut e,
                    codes,
                    &format!("categories[{i}]"),
                    list::CATEGORIES,
                    c,
                    today,
                )
            })
            .collect();
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
        let disabilities: Vec<Disability> = rules::disabilities(&mut e, &input.disabilities)
            .into_iter()
            .map(|(i, kind, grade)| Disability {
                kind: code(
                    &mut e,
                    codes,
                    &format!("disabilities[{i}].kind"),
                    list::DISABILITY_KINDS,
                    &kind,
                    today,
                ),
                grade,
            })
            .collect();
        rules::registered_on(&mut e, input.registered_on, birth_ok.then_some(birth_date), today);
        let identity = Identity {
            family_name,
            given_name,
            family_kana,
            given_kana,
            birth_date,
            postal_code: rules::postal_code(&mut e, input.postal_code.as_deref()),
            address: rules::optional_text(&mut e, "address", input.address.as_deref(), TEXT_MAX),
            phone: rules::phone(&mut e, input.phone.as_deref()),
            emergency_contact: rules::optional_text(
                &mut e,
                "emergency_contact",
                input.emergency_contact.as_deref(),
                TEXT_MAX,
            ),
            notes: rules::optional_text(&mut e, "notes", input.notes.as_deref(), NOTES_MAX),
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
