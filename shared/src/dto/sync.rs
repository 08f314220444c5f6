//! Centre → hub synchronisation: the batch a centre node sends (`POST /api/v1/sync/batches`),
//! the hub's acknowledgement, sync status, and the centre credentials the hub issues.
//!
//! The payload carries de-identified facts only. There is no field for a name, kana, birth date
//! (year-month at most), address, phone, contact, free-text note or programme title, and
//! disability handbook kinds (要配慮個人情報) are not sent either: statistics use the `disabled`
//! category, which is sent. Every payload struct refuses unknown fields, so a field added on one
//! side only is refused by the hub (400), never silently stored or dropped.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::meta::NodeRole;

/// A batch of outbox entries from one centre, in the order they were written there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SyncBatch {
    /// The sending centre; must be the centre of the credential.
    pub center: String,
    /// The centre's outbox stream. A centre starts a new stream (beginning with `reset_center`)
    /// when it sends a full snapshot, e.g. after a restore from backup.
    pub stream: Uuid,
    /// The batch number, counted by the centre; a batch sent again keeps its number.
    pub batch_seq: u64,
    /// Entries with strictly increasing `seq`.
    pub entries: Vec<SyncEntry>,
}

/// One change to the facts of the centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SyncEntry {
    /// Position in the centre's outbox: 1, 2, 3, … without gaps within a stream.
    pub seq: u64,
    pub op: SyncOp,
}

/// What changed. Every operation states the whole new state of what it names, so applying it
/// twice changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SyncOp {
    /// Forget every person and activity of the centre (the full snapshot that follows
    /// replaces them). Begins a new stream.
    ResetCenter(CenterRef),
    /// A site (サテライト) of the centre, created or changed.
    UpsertSite(SiteFacts),
    /// A person's facts at the centre, registered, corrected or ended.
    UpsertPerson(PersonFacts),
    /// An activity with all its participations, recorded or corrected.
    UpsertActivity(ActivityFacts),
    DeleteActivity(ActivityRef),
    /// One participation added or corrected.
    PutParticipation(ParticipationChange),
    DeleteParticipation(ParticipationRef),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CenterRef {
    pub center: String,
}

/// Organisation master data: the name is a place's, never a person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteFacts {
    pub center: String,
    /// `C001-S01`.
    pub code: String,
    pub name: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

/// A person at one centre, without identity: the hub keys people by (centre, common ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonFacts {
    pub center: String,
    /// 共通利用者番号 (a pseudonym on the hub).
    pub common_id: String,
    /// `sex` code.
    pub sex: String,
    /// `YYYY-MM`: the hub never learns the day of birth.
    pub birth_year_month: String,
    /// Municipality of residence (6-digit code).
    pub residence_municipality: String,
    /// `categories` codes.
    pub categories: Vec<String>,
    pub care_level: String,
    pub household: String,
    pub registered_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// `end_reasons` code.
    pub end_reason: Option<String>,
    /// Optional duplicate hint: HMAC-SHA256 under the prefecture's key (held by centre nodes
    /// only) of the normalised フリガナ and birth date, 64 lowercase hex digits. Absent unless the
    /// centre has the key; the hub keeps it only while the prefecture has the hint enabled. Never
    /// the kana or the date themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_key: Option<String>,
}

/// Headcounts of unregistered participants by reporting group (0–999 each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnregisteredFacts {
    pub elderly: u16,
    pub disabled: u16,
    pub child: u16,
    pub other: u16,
}

/// An activity without its note or programme title (free text stays on the centre node).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityFacts {
    pub id: Uuid,
    pub center: String,
    pub site: Option<String>,
    pub date: NaiveDate,
    /// `functions` code.
    pub function: String,
    /// `HH:MM`.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: u16,
    pub volunteer_count: u16,
    pub unregistered: UnregisteredFacts,
    pub participations: Vec<ParticipationFacts>,
}

/// A registered person's part in an activity, with their attributes as of the activity date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipationFacts {
    pub common_id: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityRef {
    pub center: String,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipationChange {
    pub center: String,
    pub activity_id: Uuid,
    pub participation: ParticipationFacts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipationRef {
    pub center: String,
    pub activity_id: Uuid,
    pub common_id: String,
}

impl SyncOp {
    /// The centre the operation is about.
    pub fn center(&self) -> &str {
        match self {
            SyncOp::ResetCenter(x) => &x.center,
            SyncOp::UpsertSite(x) => &x.center,
            SyncOp::UpsertPerson(x) => &x.center,
            SyncOp::UpsertActivity(x) => &x.center,
            SyncOp::DeleteActivity(x) => &x.center,
            SyncOp::PutParticipation(x) => &x.center,
            SyncOp::DeleteParticipation(x) => &x.center,
        }
    }

    /// The operation's name as it appears in JSON (`upsert_person`, …).
    pub fn name(&self) -> &'static str {
        match self {
            SyncOp::ResetCenter(_) => "reset_center",
            SyncOp::UpsertSite(_) => "upsert_site",
            SyncOp::UpsertPerson(_) => "upsert_person",
            SyncOp::UpsertActivity(_) => "upsert_activity",
            SyncOp::DeleteActivity(_) => "delete_activity",
            SyncOp::PutParticipation(_) => "put_participation",
            SyncOp::DeleteParticipation(_) => "delete_participation",
        }
    }
}

/// The hub's answer to a batch: everything in it is applied (now or before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncAck {
    pub center: String,
    pub stream: Uuid,
    pub batch_seq: u64,
    /// The last entry the hub has applied from this centre's stream.
    pub last_seq: u64,
    /// Entries applied by this delivery.
    pub applied: u64,
    /// Entries the hub already had (a batch or entry delivered again).
    pub skipped: u64,
}

/// `GET /api/v1/sync/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    pub node_role: NodeRole,
    /// A centre node's outbox and its delivery to the hub.
    pub outbox: Option<OutboxStatus>,
    /// On the hub: each centre in the caller's scope that has synchronised or has a credential.
    pub centers: Vec<CenterSyncStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxStatus {
    pub center: String,
    /// Whether `[sync] hub_url` and `credential` are set (the sender runs).
    pub configured: bool,
    pub hub_url: Option<String>,
    /// Entries written but not yet acknowledged by the hub.
    pub backlog: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// The last entry the hub acknowledged.
    pub last_acked_seq: u64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failure (cleared by the next success).
    pub last_error: Option<String>,
    /// True while the backlog has been waiting longer than `[sync] alert_after_seconds`.
    pub stuck: bool,
    /// When the hub's period locks were last pulled and applied on this node.
    #[serde(default)]
    pub locks_pulled_at: Option<DateTime<Utc>>,
    /// The last failure to pull or apply them (cleared by the next success). Delivery of the
    /// outbox goes on regardless.
    #[serde(default)]
    pub locks_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CenterSyncStatus {
    pub center: String,
    pub last_batch_at: Option<DateTime<Utc>>,
    pub last_batch_seq: Option<u64>,
    /// The last entry applied from the centre.
    pub last_seq: u64,
    pub active_credentials: u64,
}

/// `GET /api/v1/sync/period-locks` (hub; centre credential): every period lock made on the hub
/// that covers the credential's centre (its own, its municipality's, the prefecture's), active
/// and unlocked, oldest first. The centre node mirrors exactly this list.
///
/// Unlike the batch, this answer does not refuse unknown fields: it travels from the hub to the
/// centre, carries no personal data, and a hub upgraded before its centres may add a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubPeriodLocks {
    /// The centre of the credential.
    pub center: String,
    pub locks: Vec<HubPeriodLock>,
    /// How far the hub has applied this centre's outbox. Absent from a hub older than this
    /// field; present with no stream when the hub holds nothing of the centre. A centre whose
    /// acknowledged position is ahead of it knows the hub lost deliveries (a restore) and sends
    /// everything again.
    #[serde(default)]
    pub position: Option<HubSyncPosition>,
}

/// The hub's position in a centre's outbox: the stream it applies and its last entry applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubSyncPosition {
    pub stream: Option<Uuid>,
    pub last_seq: u64,
}

/// What a centre tells the hub when it pulls the period locks: the position the hub last
/// acknowledged to it (query of `GET /api/v1/sync/period-locks`), and how much still waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct AckedPosition {
    /// The stream of the centre's last acknowledged entry (its current stream).
    pub stream: Option<Uuid>,
    /// The last entry the hub acknowledged in that stream.
    pub acked_seq: Option<u64>,
    /// Entries the centre still has to deliver.
    pub backlog: Option<u64>,
}

/// A period lock as the hub holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubPeriodLock {
    /// The lock's ID on the hub.
    pub id: i64,
    pub scope: super::auth::Scope,
    /// `YYYY-MM` or `FYYYYY`.
    pub period: String,
    pub locked_by: String,
    pub locked_at: DateTime<Utc>,
    pub unlocked_by: Option<String>,
    /// Set once unlocked on the hub; the centre then unlocks its copy.
    pub unlocked_at: Option<DateTime<Utc>>,
}

/// Issue a credential for a centre (hub, prefecture).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSyncCredential {
    /// The centre (registered on the hub under `/centers/{code}`).
    pub center: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncCredentialView {
    pub id: i64,
    pub center: String,
    /// The first characters, to tell credentials apart (the rest is never shown again).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new credential: `credential` is shown this once and stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedSyncCredential {
    pub credential: String,
    pub info: SyncCredentialView,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that would mean identity had found a way into the payload.
    pub const IDENTITY_LIKE: &[&str] = &[
        "name",
        "kana",
        "birth_date",
        "birthday",
        "address",
        "postal",
        "zip",
        "phone",
        "tel",
        "mobile",
        "email",
        "mail",
        "contact",
        "note",
        "memo",
        "comment",
        "remark",
        "title",
        "free_text",
        "disabilit",
        "grade",
    ];

    /// Paths where such a name is organisation master data, not a person's.
    const ALLOWED: &[&str] = &["entries[].op.upsert_site.name"];

    fn participation() -> ParticipationFacts {
        ParticipationFacts {
            common_id: "C001-000001-3".into(),
            age_band: "age_75_84".into(),
            sex: "F".into(),
            group: "elderly".into(),
            categories: vec!["elderly".into()],
            care_level: "shien1".into(),
            household: "alone".into(),
            visit_purpose: Some("watching".into()),
            topics: vec!["health".into()],
            referral_destination: Some("houkatsu".into()),
        }
    }

    /// Every operation, every optional field filled.
    pub fn full_sample() -> SyncBatch {
        let date = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        let center = || "C001".to_owned();
        let id = Uuid::from_u128(7);
        let ops = vec![
            SyncOp::ResetCenter(CenterRef { center: center() }),
            SyncOp::UpsertSite(SiteFacts {
                center: center(),
                code: "C001-S01".into(),
                name: "サテライト".into(),
                opened_on: date,
                closed_on: Some(date),
            }),
            SyncOp::UpsertPerson(PersonFacts {
                center: center(),
                common_id: "C001-000001-3".into(),
                sex: "F".into(),
                birth_year_month: "1948-05".into(),
                residence_municipality: "392014".into(),
                categories: vec!["elderly".into()],
                care_level: "shien1".into(),
                household: "alone".into(),
                registered_on: date,
                ended_on: Some(date),
                end_reason: Some("moved".into()),
                match_key: Some("0f".repeat(32)),
            }),
            SyncOp::UpsertActivity(ActivityFacts {
                id,
                center: center(),
                site: Some("C001-S01".into()),
                date,
                function: "tsudoi".into(),
                start_time: Some("10:00".into()),
                end_time: Some("12:00".into()),
                staff_count: 2,
                volunteer_count: 1,
                unregistered: UnregisteredFacts {
                    elderly: 1,
                    disabled: 1,
                    child: 1,
                    other: 1,
                },
                participations: vec![participation()],
            }),
            SyncOp::PutParticipation(ParticipationChange {
                center: center(),
                activity_id: id,
                participation: participation(),
            }),
            SyncOp::DeleteParticipation(ParticipationRef {
                center: center(),
                activity_id: id,
                common_id: "C001-000001-3".into(),
            }),
            SyncOp::DeleteActivity(ActivityRef { center: center(), id }),
        ];
        SyncBatch {
            center: center(),
            stream: Uuid::from_u128(1),
            batch_seq: 1,
            entries: ops
                .into_iter()
                .enumerate()
                .map(|(i, op)| SyncEntry {
                    seq: i as u64 + 1,
                    op,
                })
                .collect(),
        }
    }

    /// Every object key in `v`, as a path (array positions written `[]`).
    fn keys(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(p.clone());
                    keys(child, &p, out);
                }
            }
            serde_json::Value::Array(items) => {
                for child in items {
                    keys(child, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn no_key_of_the_payload_looks_like_identity() {
        let value = serde_json::to_value(full_sample()).unwrap();
        let mut all = Vec::new();
        keys(&value, "", &mut all);
        all.sort();
        all.dedup();
        // The sample really covers every operation.
        for op in [
            "reset_center",
            "upsert_site",
            "upsert_person",
            "upsert_activity",
            "delete_activity",
            "put_participation",
            "delete_participation",
        ] {
            assert!(all.iter().any(|k| k.ends_with(&format!("op.{op}"))), "{op}");
        }
        let bad: Vec<&String> = all
            .iter()
            .filter(|path| {
                let last = path.rsplit('.').next().unwrap_or_default().to_lowercase();
                IDENTITY_LIKE.iter().any(|w| last.contains(w)) && !ALLOWED.contains(&path.as_str())
            })
            .collect();
        assert!(bad.is_empty(), "identity-like keys in the sync payload: {bad:?}");
    }

    #[test]
    fn a_batch_round_trips_through_json() {
        let batch = full_sample();
        let text = serde_json::to_string(&batch).unwrap();
        assert_eq!(serde_json::from_str::<SyncBatch>(&text).unwrap(), batch);
    }

    #[test]
    fn an_extra_field_anywhere_is_refused() {
        let mut v = serde_json::to_value(full_sample()).unwrap();
        v["entries"][2]["op"]["upsert_person"]["name"] = "山本 花子".into();
        let err = serde_json::from_value::<SyncBatch>(v).unwrap_err().to_string();
        assert!(err.contains("unknown field `name`"), "{err}");
        let mut v = serde_json::to_value(full_sample()).unwrap();
        v["entries"][3]["op"]["upsert_activity"]["title"] = "山本さん宅訪問".into();
        assert!(serde_json::from_value::<SyncBatch>(v).is_err());
        let mut v = serde_json::to_value(full_sample()).unwrap();
        v["entries"][3]["op"]["upsert_activity"]["participations"][0]["kana"] = "ヤマモト".into();
        assert!(serde_json::from_value::<SyncBatch>(v).is_err());
        let mut v = serde_json::to_value(full_sample()).unwrap();
        v["note"] = "x".into();
        assert!(serde_json::from_value::<SyncBatch>(v).is_err());
    }
}
