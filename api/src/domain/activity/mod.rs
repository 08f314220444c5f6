//! Activities and participations: the rules for recording what a centre did on a day and who
//! took part, and the person's attributes as of that day (the snapshot statistics count).
//! The request rules are in `record`, one participant's in `participation`, lists in `list`.

mod list;
mod participation;
mod record;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shared::dto::activity::{ActivityView, UnregisteredCounts};
use uuid::Uuid;

use super::codes::Codes;
use super::org::{Center, Site};
use super::person::Person;

pub use list::{totals_by_function, ActivityListItem, ActivityQuery};
pub use participation::{Detail, Participation, PersonParticipationRow, Snapshot};
pub use record::{SentAgain, COUNT_MAX, PARTICIPANTS_MAX};
pub use shared::activity_detail::{detail_rule, DetailRule, Need};
use shared::activity_rules::at;

/// Unregistered headcounts by reporting group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unregistered {
    pub elderly: u16,
    pub disabled: u16,
    pub child: u16,
    pub other: u16,
}

impl Unregistered {
    pub fn total(&self) -> i64 {
        [self.elderly, self.disabled, self.child, self.other]
            .iter()
            .map(|&n| i64::from(n))
            .sum()
    }

    pub fn to_dto(self) -> UnregisteredCounts {
        UnregisteredCounts {
            elderly: self.elderly.into(),
            disabled: self.disabled.into(),
            child: self.child.into(),
            other: self.other.into(),
        }
    }
}

/// A validated activity with its participations (sorted by common ID).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub id: Uuid,
    pub center: String,
    pub site: Option<String>,
    pub date: NaiveDate,
    pub function: String,
    pub title: Option<String>,
    /// `HH:MM`.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: u16,
    pub volunteer_count: u16,
    pub unregistered: Unregistered,
    /// Centre node only.
    pub note: Option<String>,
    pub participations: Vec<Participation>,
}

/// An activity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub record: ActivityRecord,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the rules need to know besides the request: master data, today, the centre with its
/// sites, and the people named in the request who are registered at the centre.
pub struct Context<'a> {
    pub codes: &'a Codes,
    pub today: NaiveDate,
    pub center: &'a Center,
    pub sites: &'a [Site],
    pub people: &'a HashMap<String, Person>,
}

impl Activity {
    /// The view, with names from `people` where known (centre node).
    pub fn to_view(&self, people: &HashMap<String, Person>) -> ActivityView {
        let r = &self.record;
        ActivityView {
            id: r.id,
            center: r.center.clone(),
            site: r.site.clone(),
            date: r.date,
            fiscal_year: r.fiscal_year(),
            function: r.function.clone(),
            title: r.title.clone(),
            start_time: r.start_time.clone(),
            end_time: r.end_time.clone(),
            staff_count: r.staff_count.into(),
            volunteer_count: r.volunteer_count.into(),
            unregistered: r.unregistered.to_dto(),
            note: r.note.clone(),
            participants: r
                .participations
                .iter()
                .map(|p| p.to_view(people.get(p.common_id.as_str())))
                .collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
