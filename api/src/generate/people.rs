//! The people of each centre over the years: who registers when, who they are (the FY2023 mix of
//! older people, disabled people, children and others), how their care level changes, and when
//! and why their registration ends. A few people use a second centre under the same common ID.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use shared::common_id::{CenterCode, CommonId};

use super::centers::Plan;
use super::profiles::{care_path, draft, ending, weighted, MIX};
use crate::domain::codes::Codes;
use crate::domain::person::{Disability, Facts, Identity, Person};

/// What kind of user someone is; decides which activities they come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Elderly,
    Disabled,
    Child,
    Family,
    Other,
}

/// A registration of one person at one centre, with everything the generator needs.
#[derive(Debug, Clone)]
pub struct Member {
    pub common_id: CommonId,
    pub center: usize,
    pub kind: Kind,
    pub birth: NaiveDate,
    pub sex: &'static str,
    /// Sorted.
    pub categories: Vec<String>,
    pub group: String,
    pub household: &'static str,
    pub residence: String,
    pub disability: Option<(&'static str, &'static str)>,
    /// The care level from each date on; the first applies from registration.
    pub care: Vec<(NaiveDate, &'static str)>,
    pub registered_on: NaiveDate,
    pub ended: Option<(NaiveDate, &'static str)>,
    /// How likely they are to come: regulars near 1, occasional visitors near 0.
    pub weight: f64,
}

impl Member {
    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.registered_on <= date && self.ended.is_none_or(|(e, _)| date <= e)
    }

    pub fn care_on(&self, date: NaiveDate) -> &'static str {
        self.care
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .or(self.care.first())
            .map_or("independent", |(_, c)| c)
    }

    /// Lives alone or with older people only: visits, meals and help at home.
    pub fn alone(&self) -> bool {
        matches!(self.household, "alone" | "elderly_only" | "daytime_alone")
    }

    /// Needs a lift (事業対象者 to 要介護1) on `date`.
    pub fn needs_transport(&self, date: NaiveDate) -> bool {
        matches!(self.care_on(date), "jigyou" | "shien1" | "shien2" | "kaigo1")
    }

    /// The person as the registry stores them now (care level as last recorded), with an
    /// identity for centre nodes.
    pub fn to_person(&self, center: &str, rng: &mut StdRng) -> Person {
        let last = self.care.last().map_or(self.registered_on, |(d, _)| *d);
        let at = |d: NaiveDate| -> DateTime<Utc> {
            // 00:00 UTC is 09:00 in Japan: the morning the record was typed in.
            d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
        };
        Person {
            common_id: self.common_id.clone(),
            center: center.to_owned(),
            identity: identity(rng, self),
            facts: Facts {
                sex: self.sex.to_owned(),
                birth_year_month: format!("{:04}-{:02}", self.birth.year(), self.birth.month()),
                residence_municipality: self.residence.clone(),
                categories: self.categories.clone(),
                care_level: self.care_on(last).to_owned(),
                disabilities: self
                    .disability
                    .iter()
                    .map(|(kind, grade)| Disability {
                        kind: (*kind).to_owned(),
                        grade: Some((*grade).to_owned()),
                    })
                    .collect(),
                household: self.household.to_owned(),
                registered_on: self.registered_on,
            },
            ended_on: self.ended.map(|(d, _)| d),
            end_reason: self.ended.map(|(_, r)| r.to_owned()),
            created_at: at(self.registered_on),
            updated_at: at(self.ended.map_or(last, |(d, _)| d.max(last))),
        }
    }
}

fn identity(rng: &mut StdRng, m: &Member) -> Identity {
    use crate::demo::{FAMILY, FEMALE, MALE};
    let (family_name, family_kana) = FAMILY[rng.random_range(0..FAMILY.len())];
    let given = if m.sex == "M" { MALE } else { FEMALE };
    let (given_name, given_kana) = given[rng.random_range(0..given.len())];
    Identity {
        family_name: family_name.into(),
        given_name: given_name.into(),
        family_kana: family_kana.into(),
        given_kana: given_kana.into(),
        birth_date: m.birth,
        postal_code: None,
        address: None,
        phone: None,
        emergency_contact: None,
        notes: None,
    }
}

/// The people of every centre from their opening to `end`, keeping each centre's registered
/// stock near `stock × size / Σ size`, growing a little each year from `start`.
pub fn simulate(
    rng: &mut StdRng,
    codes: &Codes,
    plans: &[Plan],
    stock: f64,
    start: NaiveDate,
    end: NaiveDate,
) -> Vec<Member> {
    let growth = 0.012;
    let total_size: f64 = plans.iter().map(|p| p.size).sum();
    let mut members: Vec<Member> = Vec::new();
    let mut serials = vec![0u32; plans.len()];
    let neighbours: Vec<&str> = plans.iter().map(|p| p.center.municipality.as_str()).collect();
    for (ci, plan) in plans.iter().enumerate() {
        let target = |d: NaiveDate| {
            let years = (d - start).num_days() as f64 / 365.25;
            stock * plan.size / total_size * (1.0 + growth * years)
        };
        let opened = plan.center.opened_on;
        let center = CenterCode::parse(&plan.center.code).expect("generated centre codes are valid");
        let mut month = if opened < start {
            start
        } else {
            opened.with_day(1).unwrap_or(opened)
        };
        let mut at_centre: Vec<Member> = Vec::new();
        while month <= end {
            let next = month.checked_add_months(chrono::Months::new(1)).unwrap_or(end);
            let active = at_centre.iter().filter(|m| m.active_on(month)).count() as f64;
            let first = at_centre.is_empty();
            // A centre opening in range fills up over its first year.
            let ramp = if opened >= start {
                ((month - opened).num_days() as f64 / 365.0 + 0.3).min(1.0)
            } else {
                1.0
            };
            let wanted = (target(month) * ramp - active).round().max(0.0) as usize;
            for _ in 0..wanted {
                let kind = weighted(rng, &MIX.map(|(k, share, years)| (k, share / years)));
                let kind = if first {
                    weighted(rng, &MIX.map(|(k, share, _)| (k, share)))
                } else {
                    kind
                };
                let registered_on = if first && opened < start {
                    opened + Duration::days(rng.random_range(0..(start - opened).num_days().max(1)))
                } else {
                    month + Duration::days(rng.random_range(0..(next - month).num_days().max(1)))
                };
                let d = draft(rng, kind, registered_on);
                // Someone registered before the start is still registered then.
                let ended = ending(rng, &d, registered_on.max(start), end);
                serials[ci] += 1;
                let common_id = CommonId::issue(&center, serials[ci]).expect("serial in range");
                let categories: Vec<String> = d.categories.iter().map(|c| (*c).to_owned()).collect();
                let group = codes
                    .group_of(categories.iter().map(String::as_str))
                    .unwrap_or("other")
                    .to_owned();
                let until = ended.map_or(end, |(e, _)| e);
                let residence = if rng.random_bool(0.04) {
                    neighbours[rng.random_range(0..neighbours.len())].to_owned()
                } else {
                    plan.center.municipality.clone()
                };
                at_centre.push(Member {
                    common_id,
                    center: ci,
                    kind,
                    birth: d.birth,
                    sex: d.sex,
                    categories,
                    group,
                    household: d.household,
                    residence,
                    disability: d.disability,
                    care: care_path(rng, &d, registered_on, until),
                    registered_on,
                    ended,
                    weight: weighted(rng, &[(1.0, 0.3), (0.35, 0.45), (0.08, 0.25)]),
                });
            }
            month = next;
        }
        members.extend(at_centre);
    }
    second_centres(rng, plans, &mut members, end);
    members
}

/// About one older person in seventy also uses another centre of their municipality, under the
/// number the first centre issued.
fn second_centres(rng: &mut StdRng, plans: &[Plan], members: &mut Vec<Member>, end: NaiveDate) {
    let mut extra = Vec::new();
    for m in members.iter().filter(|m| m.kind == Kind::Elderly) {
        if !rng.random_bool(0.015) {
            continue;
        }
        let town = &plans[m.center].center.municipality;
        let siblings: Vec<usize> = (0..plans.len())
            .filter(|&i| i != m.center && plans[i].center.municipality == *town)
            .collect();
        if siblings.is_empty() {
            continue;
        }
        let other = siblings[rng.random_range(0..siblings.len())];
        let on =
            (m.registered_on + Duration::days(rng.random_range(30..700))).max(plans[other].center.opened_on);
        let until = m.ended.map_or(end, |(e, _)| e);
        if on >= until {
            continue;
        }
        let mut second = m.clone();
        second.center = other;
        second.registered_on = on;
        second.care.retain(|(d, _)| *d > on);
        second.care.insert(0, (on, m.care_on(on)));
        second.weight = 0.08;
        extra.push(second);
    }
    members.extend(extra);
}
