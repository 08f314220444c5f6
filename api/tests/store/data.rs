//! Small builders for what the stories write: people, activities, participations, accounts,
//! audit entries, sync batches. Valid by construction, with codes from the seeded master data.

use api::domain::account::NewAccountRecord;
use api::domain::activity::{ActivityRecord, Detail, Participation, Snapshot, Unregistered};
use api::domain::audit::{AuditDraft, AuditEntry, Outcome};
use api::domain::person::{Facts, Identity, Person, PersonRecord};
use api::domain::sync::{Change, PersonFactsRecord, ValidBatch};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shared::common_id::{CenterCode, CommonId};
use shared::dto::auth::{Role, Scope};
use uuid::Uuid;

pub use crate::harness::date;

/// A UTC instant, to the second.
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("valid instant")
}

pub fn center_code(code: &str) -> CenterCode {
    CenterCode::parse(code).expect("centre code")
}

/// The common ID `center` issues as its `serial`th.
pub fn common_id(center: &str, serial: u32) -> CommonId {
    CommonId::issue(&center_code(center), serial).expect("common ID")
}

/// A registration: an elderly woman living alone in 高知市, with the given フリガナ.
pub fn person_record(family_kana: &str, given_kana: &str) -> PersonRecord {
    let birth_date = date(1948, 5, 1);
    PersonRecord {
        identity: Identity {
            family_name: "山本".into(),
            given_name: "花子".into(),
            family_kana: family_kana.into(),
            given_kana: given_kana.into(),
            birth_date,
            postal_code: Some("781-0301".into()),
            address: Some("高知市春野町西分100".into()),
            phone: Some("088-894-0000".into()),
            emergency_contact: Some("長男 山本一郎 090-0000-0000".into()),
            notes: Some("膝が悪く送迎が必要".into()),
        },
        facts: Facts {
            sex: "F".into(),
            birth_year_month: birth_date.format("%Y-%m").to_string(),
            residence_municipality: "392014".into(),
            categories: vec!["elderly".into()],
            care_level: "shien1".into(),
            disabilities: Vec::new(),
            household: "alone".into(),
            registered_on: date(2024, 4, 1),
        },
    }
}

/// A person as a bulk load writes it: `center`'s own `serial`th, registered on `registered_on`.
pub fn imported_person(center: &str, serial: u32, registered_on: NaiveDate) -> Person {
    let mut record = person_record("ヤマモト", "ハナコ");
    record.facts.registered_on = registered_on;
    let now = Utc::now();
    Person {
        common_id: common_id(center, serial),
        center: center.into(),
        identity: record.identity,
        facts: record.facts,
        ended_on: None,
        end_reason: None,
        created_at: now,
        updated_at: now,
    }
}

/// An elderly woman aged 75–84 taking part, with no per-function detail.
pub fn participation(id: &CommonId) -> Participation {
    Participation {
        common_id: id.clone(),
        detail: Detail::default(),
        snapshot: Snapshot {
            age_band: "age_75_84".into(),
            sex: "F".into(),
            group: "elderly".into(),
            categories: vec!["elderly".into()],
            care_level: "shien1".into(),
            household: "alone".into(),
        },
    }
}

/// An activity of `center` on `on`, with the participations of `people` (sorted by common ID,
/// as the domain sorts them) and no unregistered headcount.
pub fn activity(center: &str, on: NaiveDate, function: &str, people: &[&CommonId]) -> ActivityRecord {
    let mut participations: Vec<Participation> = people.iter().map(|id| participation(id)).collect();
    participations.sort_by(|a, b| a.common_id.as_str().cmp(b.common_id.as_str()));
    ActivityRecord {
        id: Uuid::new_v4(),
        center: center.into(),
        site: None,
        date: on,
        function: function.into(),
        title: None,
        start_time: None,
        end_time: None,
        staff_count: 2,
        volunteer_count: 1,
        unregistered: Unregistered::default(),
        note: None,
        participations,
    }
}

/// Unregistered headcounts: `elderly` elderly and `child` children.
pub fn unregistered(elderly: u16, child: u16) -> Unregistered {
    Unregistered {
        elderly,
        child,
        ..Default::default()
    }
}

pub fn account(username: &str, role: Role, scope: Scope) -> NewAccountRecord {
    NewAccountRecord {
        username: username.into(),
        display_name: format!("{username} さん"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash-of-{username}"),
        role,
        scope,
    }
}

/// An audit entry with every field set, so a round trip checks them all.
pub fn audit_entry(action: &str, actor: &str, target: &str, when: DateTime<Utc>) -> AuditEntry {
    AuditEntry {
        at: when,
        actor: Some(actor.into()),
        account_id: Some(7),
        role: Some("center_staff".into()),
        scope: Some("center:C001".into()),
        action: action.into(),
        target: Some(target.into()),
        outcome: Outcome::Ok,
        client: Some("192.0.2.10".into()),
        request_id: Some(Uuid::new_v4().to_string()),
        detail: Some(r#"{"fields":["address"]}"#.into()),
    }
}

/// The audit row an audited write commits with (what the HTTP layer would hand the store).
pub fn draft<T>(action: &str) -> AuditDraft<T> {
    AuditDraft::new(audit_entry(action, "story", "-", Utc::now()))
}

/// A person's facts as a centre sends them to the hub.
pub fn person_facts(id: &CommonId, match_key: Option<&str>) -> PersonFactsRecord {
    let facts = person_record("ヤマモト", "ハナコ").facts;
    PersonFactsRecord {
        common_id: id.clone(),
        facts,
        ended_on: None,
        end_reason: None,
        match_key: match_key.map(str::to_owned),
    }
}

/// A batch of `center`'s stream whose entries are numbered from `first_seq` on.
pub fn batch(center: &str, stream: Uuid, batch_seq: u64, first_seq: u64, changes: Vec<Change>) -> ValidBatch {
    ValidBatch {
        center: center.into(),
        stream,
        batch_seq,
        entries: changes
            .into_iter()
            .enumerate()
            .map(|(i, c)| (first_seq + i as u64, c))
            .collect(),
    }
}
