//! The people registry of a centre node: identity (stays on the node) and facts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A disability handbook (障害者手帳) held by the person. 要配慮個人情報.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisabilityInput {
    /// `physical` (身体), `intellectual` (療育), `mental` (精神).
    pub kind: String,
    /// Grade as written in the handbook (`1`–`6` for 身体, `A`/`B1`… for 療育, `1`–`3` for 精神).
    pub grade: Option<String>,
}

/// Register a person at this centre (POST) or replace their record (PUT).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Only when registering someone who already has a common ID from another centre; leave out
    /// to issue a new one. Ignored on update.
    #[serde(default)]
    pub common_id: Option<String>,
    pub family_name: String,
    pub given_name: String,
    /// フリガナ (katakana, hiragana or half-width katakana; stored as katakana).
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: NaiveDate,
    /// `M`, `F`, `other`, `undisclosed`.
    pub sex: String,
    /// Municipality of residence (6-digit code).
    pub residence_municipality: String,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub emergency_contact: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Category codes, one or more (`elderly`, `disabled`, `child`, `childrearing`, `other`).
    pub categories: Vec<String>,
    /// Care level code (`independent`, `jigyou`, `shien1` … `kaigo5`, `unknown`).
    pub care_level: String,
    #[serde(default)]
    pub disabilities: Vec<DisabilityInput>,
    /// Household type code (`alone`, `elderly_only`, `daytime_alone`, `with_family`, `other`).
    pub household: String,
    pub registered_on: NaiveDate,
}

/// End a registration (転居, 死亡, …). The person and their history are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndRegistration {
    pub ended_on: NaiveDate,
    /// End reason code (`moved`, `deceased`, `institution`, `request`, `other`).
    pub end_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisabilityView {
    pub kind: String,
    pub grade: Option<String>,
}

/// A person as seen on their centre node (identity included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonView {
    pub common_id: String,
    pub center: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: NaiveDate,
    /// Age today, by the Japanese age rule.
    pub age: Option<u32>,
    pub birth_year_month: String,
    pub sex: String,
    pub residence_municipality: String,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub emergency_contact: Option<String>,
    pub notes: Option<String>,
    pub categories: Vec<String>,
    pub care_level: String,
    pub disabilities: Vec<DisabilityView>,
    pub household: String,
    pub registered_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One line of the people list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonSummary {
    pub common_id: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: NaiveDate,
    pub age: Option<u32>,
    pub sex: String,
    pub categories: Vec<String>,
    pub registered_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonPage {
    pub items: Vec<PersonSummary>,
    /// Number of matches in all pages.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}
