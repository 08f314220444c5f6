//! Activities (what a centre did on a day), who took part, and period locks.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::Scope;

/// Headcounts of people who took part without being registered, by reporting group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnregisteredCounts {
    /// 高齢者. 0–999, default 0.
    #[serde(default)]
    pub elderly: i64,
    /// 障害のある人.
    #[serde(default)]
    pub disabled: i64,
    /// 子ども.
    #[serde(default)]
    pub child: i64,
    /// それ以外.
    #[serde(default)]
    pub other: i64,
}

impl UnregisteredCounts {
    pub fn total(&self) -> i64 {
        self.elderly + self.disabled + self.child + self.other
    }
}

/// A registered person who took part, with the detail their function asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    /// 共通利用者番号 of a person registered at this centre on the activity date.
    pub common_id: String,
    /// See [`ParticipationInput`].
    #[serde(default)]
    pub visit_purpose: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub referral_destination: Option<String>,
}

impl ParticipantInput {
    pub fn detail(&self) -> ParticipationInput {
        ParticipationInput {
            visit_purpose: self.visit_purpose.clone(),
            topics: self.topics.clone(),
            referral_destination: self.referral_destination.clone(),
        }
    }
}

/// The per-function detail of one participation: a visit's purpose (訪問, required), a
/// consultation's topics (相談, at least one) and where the person was referred (つなぎ, required;
/// 相談, optional). Other functions take none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipationInput {
    /// `visit_purposes` code (`watching`, `delivery`, …).
    #[serde(default)]
    pub visit_purpose: Option<String>,
    /// `consultation_topics` codes (`health`, `care`, …).
    #[serde(default)]
    pub topics: Vec<String>,
    /// `referral_destinations` code (`houkatsu` = 地域包括支援センター, …).
    #[serde(default)]
    pub referral_destination: Option<String>,
}

/// Record an activity (`POST /activities`, idempotent by `id`) or replace it
/// (`PUT /activities/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// Chosen by the client (UUID v4), so a retried request cannot record the activity twice.
    pub id: Uuid,
    /// Site code (サテライト) when it took place at one, e.g. `C001-S01`.
    #[serde(default)]
    pub site: Option<String>,
    /// Not in the future (Asia/Tokyo).
    pub date: NaiveDate,
    /// `functions` code (`tsudoi`, `houmon`, `soudan`, `tsunagi`, …).
    pub function: String,
    /// Programme title (e.g. いきいき百歳体操); never a person's name. At most 100 characters.
    #[serde(default)]
    pub title: Option<String>,
    /// `HH:MM`.
    #[serde(default)]
    pub start_time: Option<String>,
    /// `HH:MM`, after `start_time` (which it needs).
    #[serde(default)]
    pub end_time: Option<String>,
    /// Staff on duty, 0–999.
    #[serde(default)]
    pub staff_count: i64,
    /// Volunteers, 0–999.
    #[serde(default)]
    pub volunteer_count: i64,
    #[serde(default)]
    pub unregistered: UnregisteredCounts,
    /// Free-text note. Stays on the centre node (never synchronised). At most 2000 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// The registered people who took part, each at most once.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
}

/// One participation as recorded: the person's attributes as of the activity date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipationView {
    pub common_id: String,
    /// 氏名 (centre node only).
    pub name: Option<String>,
    /// フリガナ (centre node only).
    pub kana: Option<String>,
    pub age_band: String,
    pub sex: String,
    /// Reporting group (`elderly`, `disabled`, `child`, `other`).
    pub group: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub household: String,
    pub visit_purpose: Option<String>,
    pub topics: Vec<String>,
    pub referral_destination: Option<String>,
}

/// An activity with everyone who took part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityView {
    pub id: Uuid,
    pub center: String,
    pub site: Option<String>,
    pub date: NaiveDate,
    /// 年度 of `date`.
    pub fiscal_year: i32,
    pub function: String,
    pub title: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: i64,
    pub volunteer_count: i64,
    pub unregistered: UnregisteredCounts,
    pub note: Option<String>,
    pub participants: Vec<ParticipationView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One line of a day or month list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivitySummary {
    pub id: Uuid,
    pub site: Option<String>,
    pub date: NaiveDate,
    pub function: String,
    pub title: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: i64,
    pub volunteer_count: i64,
    /// Registered people who took part.
    pub participants: i64,
    /// Unregistered headcount, all groups.
    pub unregistered: i64,
    /// The one registered person who took part, when there is exactly one (so staff can tell a
    /// day's visits and consultations apart). Reading a list that names someone is audited.
    #[serde(default)]
    pub person: Option<SoleParticipant>,
}

/// The only registered participant of an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoleParticipant {
    pub common_id: String,
    /// Family and given name; absent if the person's identity is not held on this node.
    pub name: Option<String>,
}

/// Totals of one function within a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionTotals {
    pub function: String,
    /// 実施回数.
    pub activities: i64,
    /// Participations of registered people.
    pub participants: i64,
    pub unregistered: i64,
}

/// A month's (or a day's) activities, in date and start-time order, with totals by function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityList {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<ActivitySummary>,
    /// In function order of the master data; functions without activities are left out.
    pub by_function: Vec<FunctionTotals>,
}

/// One line of a person's participation history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonParticipation {
    pub activity_id: Uuid,
    pub date: NaiveDate,
    pub site: Option<String>,
    pub function: String,
    pub title: Option<String>,
    /// The person's attributes as recorded for that date.
    pub age_band: String,
    pub group: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub household: String,
    pub visit_purpose: Option<String>,
    pub topics: Vec<String>,
    pub referral_destination: Option<String>,
}

/// A page of a person's participations, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonParticipationPage {
    pub common_id: String,
    pub items: Vec<PersonParticipation>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Lock a month (`2024-05`) or a 年度 (`FY2024`) for a centre, a municipality or the whole
/// prefecture: writes to activities dated in it are refused until it is unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PeriodLockInput {
    pub scope: Scope,
    /// `YYYY-MM` or `FYYYYY`.
    pub period: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodLockView {
    pub id: i64,
    pub scope: Scope,
    /// `YYYY-MM` or `FYYYYY`.
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub locked_by: String,
    pub locked_at: DateTime<Utc>,
    /// Set once unlocked; an unlocked lock no longer refuses anything.
    pub unlocked_by: Option<String>,
    pub unlocked_at: Option<DateTime<Utc>>,
    /// On a centre node, the lock's ID on the hub when the prefecture made it there (the centre
    /// mirrors it and cannot unlock it; only the hub can). None for a lock made on this node.
    #[serde(default)]
    pub hub_lock_id: Option<i64>,
}
