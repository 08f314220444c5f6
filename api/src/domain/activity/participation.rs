//! One registered person's part in an activity: the detail its function asks for and the
//! person's attributes as of the activity date.

use std::collections::HashMap;

use chrono::NaiveDate;
use shared::activity_rules as rules;
use shared::common_id::CommonId;
use shared::dto::activity::{ParticipationInput, ParticipationView, PersonParticipation};
use shared::error::{FieldError, FieldErrors};
use uuid::Uuid;

use super::{at, detail_rule, ActivityRecord, Need};
use crate::domain::codes::{list, Codes};
use crate::domain::person::Person;

/// The per-function detail of a participation (topics kept sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub visit_purpose: Option<String>,
    pub topics: Vec<String>,
    pub referral_destination: Option<String>,
}

/// The person's attributes as of the activity date (categories kept sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub age_band: String,
    pub sex: String,
    /// Reporting group: `elderly`, `disabled`, `child`, `other`.
    pub group: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub household: String,
}

/// One registered person's part in an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    pub common_id: CommonId,
    pub detail: Detail,
    pub snapshot: Snapshot,
}

/// One participation of a person, with the activity it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonParticipationRow {
    pub activity_id: Uuid,
    pub date: NaiveDate,
    pub site: Option<String>,
    pub function: String,
    pub title: Option<String>,
    pub participation: Participation,
}

impl Snapshot {
    /// The person's attributes on `date`; the code of the problem when there is no age band.
    pub fn of(person: &Person, date: NaiveDate, codes: &Codes) -> Result<Snapshot, &'static str> {
        let age = shared::dates::age_on(person.identity.birth_date, date).ok_or("before_birth")?;
        let age_band = codes.age_band(age).ok_or("no_age_band")?.to_owned();
        let mut categories = person.facts.categories.clone();
        categories.sort();
        let group = codes
            .group_of(categories.iter().map(String::as_str))
            .unwrap_or("other")
            .to_owned();
        Ok(Snapshot {
            age_band,
            sex: person.facts.sex.clone(),
            group,
            categories,
            care_level: person.facts.care_level.clone(),
            household: person.facts.household.clone(),
        })
    }
}

/// A detail code: what the function asks for (the shared rule), then in its code list on `date`.
fn detail_code(
    e: &mut FieldErrors,
    codes: &Codes,
    field: &str,
    list: &str,
    need: Need,
    value: Option<&str>,
    date: NaiveDate,
) -> Option<String> {
    match rules::detail_value(e, field, need, value) {
        Some(v) if !codes.is_valid(list, v, date) => {
            e.push(field, "unknown_code", format!("「{v}」は選択肢にありません。"));
            None
        }
        v => v.map(str::to_owned),
    }
}

impl Detail {
    /// Checks the detail against what `function` carries; `prefix` locates the fields.
    pub fn parse(
        e: &mut FieldErrors,
        prefix: &str,
        input: &ParticipationInput,
        function: &str,
        date: NaiveDate,
        codes: &Codes,
    ) -> Detail {
        let rule = detail_rule(function);
        let visit_purpose = detail_code(
            e,
            codes,
            &at(prefix, "visit_purpose"),
            list::VISIT_PURPOSES,
            rule.visit_purpose,
            input.visit_purpose.as_deref(),
            date,
        );
        let referral_destination = detail_code(
            e,
            codes,
            &at(prefix, "referral_destination"),
            list::REFERRAL_DESTINATIONS,
            rule.referral_destination,
            input.referral_destination.as_deref(),
            date,
        );
        let field = at(prefix, "topics");
        let mut topics: Vec<String> = Vec::new();
        for (i, t) in rules::topics(e, &field, rule.topics, &input.topics) {
            if codes.is_valid(list::CONSULTATION_TOPICS, t, date) {
                topics.push(t.to_owned());
            } else {
                e.push(
                    format!("{field}[{i}]"),
                    "unknown_code",
                    format!("「{t}」は選択肢にありません。"),
                );
            }
        }
        topics.sort();
        Detail {
            visit_purpose,
            topics,
            referral_destination,
        }
    }
}

impl Participation {
    /// One participant: registered at the centre on `date`, with the detail `function` asks for.
    /// `prefix` locates the fields (`participants[3]`, or empty for a single participation).
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        e: &mut FieldErrors,
        prefix: &str,
        raw_id: &str,
        detail: &ParticipationInput,
        function: &str,
        date: NaiveDate,
        codes: &Codes,
        people: &HashMap<String, Person>,
    ) -> Option<Participation> {
        let id_field = at(prefix, "common_id");
        let detail = Detail::parse(e, prefix, detail, function, date, codes);
        let common_id = e.take(&id_field, CommonId::parse(raw_id))?;
        let Some(person) = people.get(common_id.as_str()) else {
            e.push(
                id_field,
                "not_registered",
                "この共通利用者番号の方はこのセンターに登録されていません。",
            );
            return None;
        };
        if date < person.facts.registered_on {
            e.push(
                id_field,
                "not_yet_registered",
                format!(
                    "この方の登録日（{}）より前の活動です。",
                    person.facts.registered_on
                ),
            );
            return None;
        }
        if let Some(ended) = person.ended_on.filter(|&end| end < date) {
            e.push(
                id_field,
                "registration_ended",
                format!("この方の登録は{ended}に終了しています。"),
            );
            return None;
        }
        match Snapshot::of(person, date, codes) {
            Ok(snapshot) => Some(Participation {
                common_id,
                detail,
                snapshot,
            }),
            Err(code) => {
                e.push(id_field, code, "活動日時点の年齢区分を決められません。");
                None
            }
        }
    }
}

impl Participation {
    /// One participation of `activity` on its own (adding or correcting it): the same rules
    /// as in a whole activity, with the attributes taken afresh as of the activity date.
    pub fn parse_single(
        raw_id: &str,
        input: &ParticipationInput,
        activity: &ActivityRecord,
        codes: &Codes,
        people: &HashMap<String, Person>,
    ) -> Result<Participation, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let found = Participation::parse(
            &mut e,
            "",
            raw_id,
            input,
            &activity.function,
            activity.date,
            codes,
            people,
        );
        e.into_result()?;
        found.ok_or_else(|| {
            vec![FieldError::new(
                "common_id",
                "invalid",
                "参加者を確認してください。",
            )]
        })
    }
}

impl Participation {
    pub fn to_view(&self, person: Option<&Person>) -> ParticipationView {
        let s = &self.snapshot;
        ParticipationView {
            common_id: self.common_id.to_string(),
            name: person.map(|p| format!("{} {}", p.identity.family_name, p.identity.given_name)),
            kana: person.map(|p| format!("{} {}", p.identity.family_kana, p.identity.given_kana)),
            age_band: s.age_band.clone(),
            sex: s.sex.clone(),
            group: s.group.clone(),
            categories: s.categories.clone(),
            care_level: s.care_level.clone(),
            household: s.household.clone(),
            visit_purpose: self.detail.visit_purpose.clone(),
            topics: self.detail.topics.clone(),
            referral_destination: self.detail.referral_destination.clone(),
        }
    }
}

impl PersonParticipationRow {
    pub fn to_dto(&self) -> PersonParticipation {
        let (s, d) = (&self.participation.snapshot, &self.participation.detail);
        PersonParticipation {
            activity_id: self.activity_id,
            date: self.date,
            site: self.site.clone(),
            function: self.function.clone(),
            title: self.title.clone(),
            age_band: s.age_band.clone(),
            group: s.group.clone(),
            categories: s.categories.clone(),
            care_level: s.care_level.clone(),
            household: s.household.clone(),
            visit_purpose: d.visit_purpose.clone(),
            topics: d.topics.clone(),
            referral_destination: d.referral_destination.clone(),
        }
    }
}
