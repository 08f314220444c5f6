//! Centre → hub synchronisation: the changes an outbox carries, how they become the wire
//! payload (`shared::dto::sync`) on the centre, and how the hub turns a received batch back into
//! changes it can trust (codes checked against master data, every entry of the sender's centre).
//! The centre's outbox rules are in `outbox`, the received side in `ingest`, the state of
//! deliveries on both nodes in `delivery`.

mod delivery;
mod ingest;
pub mod outbox;
pub mod position;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use shared::common_id::CommonId;
use shared::dto::sync::{
    ActivityFacts, ActivityRef, CenterRef, ParticipationChange, ParticipationFacts, ParticipationRef,
    PersonFacts, SiteFacts, SyncOp, UnregisteredFacts,
};
use uuid::Uuid;

use super::activity::{ActivityRecord, Participation};
use super::org::Site;
use super::person::Facts;

pub use delivery::{AppliedBatch, CenterSyncState, FactsTouched, OutboxState, OutgoingBatch, SyncCredential};
pub use ingest::{
    check_owner, check_participation_target, parse_batch, ApplyPlan, BatchRefusal, DateWindow, ForeignRecord,
    OutOfOrder, StreamPosition, ValidBatch,
};
pub use position::Resend;

/// A person's facts at one centre (no identity), as the hub keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFactsRecord {
    pub common_id: CommonId,
    /// `disabilities` is always empty: disability kinds are not synchronised.
    pub facts: Facts,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// The optional duplicate hint's keyed hash of kana + birth date (`domain::duplicate_hint`);
    /// none unless the centre holds the prefecture's key.
    pub match_key: Option<String>,
}

/// One change to the facts of a centre. Each states the whole new state of what it names.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Everything the hub holds for the centre is replaced by what follows.
    ResetCenter,
    UpsertSite(Site),
    UpsertPerson(PersonFactsRecord),
    /// The activity without title or note.
    UpsertActivity(ActivityRecord),
    DeleteActivity(Uuid),
    PutParticipation {
        activity: Uuid,
        participation: Participation,
    },
    DeleteParticipation {
        activity: Uuid,
        common_id: CommonId,
    },
}

fn participation_facts(p: &Participation) -> ParticipationFacts {
    let (s, d) = (&p.snapshot, &p.detail);
    ParticipationFacts {
        common_id: p.common_id.to_string(),
        age_band: s.age_band.clone(),
        sex: s.sex.clone(),
        group: s.group.clone(),
        categories: s.categories.clone(),
        care_level: s.care_level.clone(),
        household: s.household.clone(),
        visit_purpose: d.visit_purpose.clone(),
        topics: d.topics.clone(),
        referral_destination: d.referral_destination.clone(),
    }
}

impl Change {
    /// An activity as it leaves the centre: without title or note (free text stays there).
    pub fn upsert_activity(record: ActivityRecord) -> Change {
        Change::UpsertActivity(ActivityRecord {
            title: None,
            note: None,
            ..record
        })
    }

    /// The wire form for `center`. Free text (activity title and note) and disability kinds are
    /// left behind here: the payload types have no field for them.
    pub fn to_op(&self, center: &str) -> SyncOp {
        let center = center.to_owned();
        match self {
            Change::ResetCenter => SyncOp::ResetCenter(CenterRef { center }),
            Change::UpsertSite(s) => SyncOp::UpsertSite(SiteFacts {
                center,
                code: s.code.clone(),
                name: s.name.clone(),
                opened_on: s.opened_on,
                closed_on: s.closed_on,
            }),
            Change::UpsertPerson(p) => SyncOp::UpsertPerson(PersonFacts {
                center,
                common_id: p.common_id.to_string(),
                sex: p.facts.sex.clone(),
                birth_year_month: p.facts.birth_year_month.clone(),
                residence_municipality: p.facts.residence_municipality.clone(),
                categories: p.facts.categories.clone(),
                care_level: p.facts.care_level.clone(),
                household: p.facts.household.clone(),
                registered_on: p.facts.registered_on,
                ended_on: p.ended_on,
                end_reason: p.end_reason.clone(),
                match_key: p.match_key.clone(),
            }),
            Change::UpsertActivity(a) => SyncOp::UpsertActivity(ActivityFacts {
                id: a.id,
                center,
                site: a.site.clone(),
                date: a.date,
                function: a.function.clone(),
                start_time: a.start_time.clone(),
                end_time: a.end_time.clone(),
                staff_count: a.staff_count,
                volunteer_count: a.volunteer_count,
                unregistered: UnregisteredFacts {
                    elderly: a.unregistered.elderly,
                    disabled: a.unregistered.disabled,
                    child: a.unregistered.child,
                    other: a.unregistered.other,
                },
                participations: a.participations.iter().map(participation_facts).collect(),
            }),
            Change::DeleteActivity(id) => SyncOp::DeleteActivity(ActivityRef { center, id: *id }),
            Change::PutParticipation {
                activity,
                participation,
            } => SyncOp::PutParticipation(ParticipationChange {
                center,
                activity_id: *activity,
                participation: participation_facts(participation),
            }),
            Change::DeleteParticipation { activity, common_id } => {
                SyncOp::DeleteParticipation(ParticipationRef {
                    center,
                    activity_id: *activity,
                    common_id: common_id.to_string(),
                })
            }
        }
    }

    /// The outbox row's JSON.
    pub fn to_json(&self, center: &str) -> anyhow::Result<String> {
        Ok(serde_json::to_string(&self.to_op(center))?)
    }

    pub fn is_reset(&self) -> bool {
        matches!(self, Change::ResetCenter)
    }
}
