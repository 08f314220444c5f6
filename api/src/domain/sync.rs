//! Centre → hub synchronisation: the changes an outbox carries, how they become the wire
//! payload (`shared::dto::sync`) on the centre, and how the hub turns a received batch back into
//! changes it can trust (codes checked against master data, every entry of the sender's centre).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use shared::common_id::CommonId;
use shared::dto::sync::{
    ActivityFacts, ActivityRef, CenterRef, CenterSyncStatus, OutboxStatus, ParticipationChange,
    ParticipationFacts, ParticipationRef, PersonFacts, SiteFacts, SyncBatch, SyncCredentialView, SyncOp,
    UnregisteredFacts,
};
use shared::error::{FieldError, FieldErrors};
use uuid::Uuid;

use super::activity::{
    ActivityRecord, Detail, Participation, Snapshot, Unregistered, COUNT_MAX, PARTICIPANTS_MAX,
};
use super::codes::{list, Codes};
use super::org::Site;
use super::person::Facts;

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

/// A batch the hub may apply: every entry is the sending centre's, every code known.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidBatch {
    pub center: String,
    pub stream: Uuid,
    pub batch_seq: u64,
    pub entries: Vec<(u64, Change)>,
}

impl ValidBatch {
    /// Forgets the duplicate-hint match keys (the hub does this while the prefecture has not
    /// enabled the hint, so none is stored).
    pub fn drop_match_keys(&mut self) {
        for (_, change) in &mut self.entries {
            if let Change::UpsertPerson(p) = change {
                p.match_key = None;
            }
        }
    }
}

/// Why a received batch is refused before anything is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchRefusal {
    /// The batch, or one of its entries (the field named), is about another centre than the
    /// credential's.
    OtherCenter(String),
    Invalid(Vec<FieldError>),
}

/// Checks `code` exists in `list` (validity dates were checked by the centre when recorded).
fn known(e: &mut FieldErrors, codes: &Codes, field: String, list: &str, code: &str) -> String {
    if codes.get(list, code).is_none() {
        e.push(field, "unknown_code", format!("「{code}」は選択肢にありません。"));
    }
    code.to_owned()
}

fn known_all(e: &mut FieldErrors, codes: &Codes, field: &str, list: &str, values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if out.contains(v) {
            e.push(format!("{field}[{i}]"), "duplicate", "重複しています。");
        } else {
            out.push(known(e, codes, format!("{field}[{i}]"), list, v));
        }
    }
    out.sort();
    out
}

fn common_id(e: &mut FieldErrors, field: String, raw: &str) -> Option<CommonId> {
    match CommonId::parse(raw) {
        // Only the canonical form: the hub keys people by it.
        Ok(id) if id.as_str() == raw => Some(id),
        Ok(_) => {
            e.push(
                field,
                "format",
                "共通利用者番号は正規の形（例: C001-000001-3）で送ってください。",
            );
            None
        }
        Err(err) => {
            e.push(field, err.code(), err.to_string());
            None
        }
    }
}

fn year_month(e: &mut FieldErrors, field: String, raw: &str) {
    let ok = raw.len() == 7 && NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").is_ok();
    if !ok {
        e.push(field, "format", "生年月は YYYY-MM の形で送ってください。");
    }
}

fn hhmm(e: &mut FieldErrors, field: String, raw: Option<&str>) -> Option<NaiveTime> {
    let v = raw?;
    match NaiveTime::parse_from_str(v, "%H:%M") {
        Ok(t) if v.len() == 5 => Some(t),
        _ => {
            e.push(field, "format", "時刻は HH:MM の形で送ってください。");
            None
        }
    }
}

fn count(e: &mut FieldErrors, field: String, v: u16) -> u16 {
    if i64::from(v) > COUNT_MAX {
        e.push(field, "too_large", format!("{COUNT_MAX}以下にしてください。"));
    }
    v
}

fn participation(
    e: &mut FieldErrors,
    codes: &Codes,
    at: &str,
    p: &ParticipationFacts,
) -> Option<Participation> {
    let f = |name: &str| format!("{at}.{name}");
    let id = common_id(e, f("common_id"), &p.common_id);
    let snapshot = Snapshot {
        age_band: known(e, codes, f("age_band"), list::AGE_BANDS, &p.age_band),
        sex: known(e, codes, f("sex"), list::SEX, &p.sex),
        group: known(e, codes, f("group"), list::GROUPS, &p.group),
        categories: known_all(e, codes, &f("categories"), list::CATEGORIES, &p.categories),
        care_level: known(e, codes, f("care_level"), list::CARE_LEVELS, &p.care_level),
        household: known(e, codes, f("household"), list::HOUSEHOLDS, &p.household),
    };
    let detail = Detail {
        visit_purpose: p
            .visit_purpose
            .as_deref()
            .map(|v| known(e, codes, f("visit_purpose"), list::VISIT_PURPOSES, v)),
        topics: known_all(e, codes, &f("topics"), list::CONSULTATION_TOPICS, &p.topics),
        referral_destination: p.referral_destination.as_deref().map(|v| {
            known(
                e,
                codes,
                f("referral_destination"),
                list::REFERRAL_DESTINATIONS,
                v,
            )
        }),
    };
    Some(Participation {
        common_id: id?,
        snapshot,
        detail,
    })
}

fn site_of(e: &mut FieldErrors, field: String, center: &str, site: Option<&str>) {
    if let Some(code) = site {
        let ok = code
            .strip_prefix(center)
            .and_then(|r| r.strip_prefix("-S"))
            .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            e.push(field, "other_center", "このセンターのサテライトではありません。");
        }
    }
}

fn activity(e: &mut FieldErrors, codes: &Codes, at: &str, a: &ActivityFacts) -> ActivityRecord {
    let f = |name: &str| format!("{at}.{name}");
    site_of(e, f("site"), &a.center, a.site.as_deref());
    let function = known(e, codes, f("function"), list::FUNCTIONS, &a.function);
    let start = hhmm(e, f("start_time"), a.start_time.as_deref());
    let end = hhmm(e, f("end_time"), a.end_time.as_deref());
    match (start, end, a.start_time.is_some()) {
        (_, Some(_), false) => e.push(f("start_time"), "required", "終了時刻には開始時刻が必要です。"),
        (Some(s), Some(t), _) if t <= s => e.push(
            f("end_time"),
            "before_start",
            "終了時刻は開始時刻より後にしてください。",
        ),
        _ => {}
    }
    let u = &a.unregistered;
    let unregistered = Unregistered {
        elderly: count(e, f("unregistered.elderly"), u.elderly),
        disabled: count(e, f("unregistered.disabled"), u.disabled),
        child: count(e, f("unregistered.child"), u.child),
        other: count(e, f("unregistered.other"), u.other),
    };
    if a.participations.len() > PARTICIPANTS_MAX {
        e.push(f("participations"), "too_many", "参加者が多すぎます。");
    }
    let mut participations: Vec<Participation> = Vec::new();
    for (i, p) in a.participations.iter().enumerate() {
        let at = format!("{at}.participations[{i}]");
        if let Some(p) = participation(e, codes, &at, p) {
            if participations.iter().any(|x| x.common_id == p.common_id) {
                e.push(format!("{at}.common_id"), "duplicate", "同じ方が重複しています。");
            } else {
                participations.push(p);
            }
        }
    }
    participations.sort_by(|x, y| x.common_id.as_str().cmp(y.common_id.as_str()));
    ActivityRecord {
        id: a.id,
        center: a.center.clone(),
        site: a.site.clone(),
        date: a.date,
        function,
        title: None,
        start_time: a.start_time.clone(),
        end_time: a.end_time.clone(),
        staff_count: count(e, f("staff_count"), a.staff_count),
        volunteer_count: count(e, f("volunteer_count"), a.volunteer_count),
        unregistered,
        note: None,
        participations,
    }
}

fn person(e: &mut FieldErrors, codes: &Codes, at: &str, p: &PersonFacts) -> Option<PersonFactsRecord> {
    let f = |name: &str| format!("{at}.{name}");
    let id = common_id(e, f("common_id"), &p.common_id);
    year_month(e, f("birth_year_month"), &p.birth_year_month);
    if !codes.is_municipality(&p.residence_municipality) {
        e.push(
            f("residence_municipality"),
            "unknown_code",
            "市町村コードが正しくありません。",
        );
    }
    if p.categories.is_empty() {
        e.push(f("categories"), "required", "対象区分が必要です。");
    }
    match (p.ended_on, &p.end_reason) {
        (Some(end), Some(_)) if end < p.registered_on => {
            e.push(f("ended_on"), "before_registration", "終了日が登録日より前です。")
        }
        (Some(_), None) => e.push(f("end_reason"), "required", "終了理由が必要です。"),
        (None, Some(_)) => e.push(f("end_reason"), "not_applicable", "終了日がありません。"),
        _ => {}
    }
    let facts = Facts {
        sex: known(e, codes, f("sex"), list::SEX, &p.sex),
        birth_year_month: p.birth_year_month.clone(),
        residence_municipality: p.residence_municipality.clone(),
        categories: known_all(e, codes, &f("categories"), list::CATEGORIES, &p.categories),
        care_level: known(e, codes, f("care_level"), list::CARE_LEVELS, &p.care_level),
        disabilities: Vec::new(),
        household: known(e, codes, f("household"), list::HOUSEHOLDS, &p.household),
        registered_on: p.registered_on,
    };
    let end_reason = p
        .end_reason
        .as_deref()
        .map(|r| known(e, codes, f("end_reason"), list::END_REASONS, r));
    if let Some(key) = &p.match_key {
        if !super::duplicate_hint::is_match_key(key) {
            e.push(
                f("match_key"),
                "invalid",
                "照合キーは64桁の16進数（小文字）で指定してください。",
            );
        }
    }
    Some(PersonFactsRecord {
        common_id: id?,
        facts,
        ended_on: p.ended_on,
        end_reason,
        match_key: p.match_key.clone(),
    })
}

fn site(e: &mut FieldErrors, at: &str, s: &SiteFacts) -> Site {
    site_of(e, format!("{at}.code"), &s.center, Some(&s.code));
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        e.push(
            format!("{at}.name"),
            "required",
            "名称を100文字以内で送ってください。",
        );
    }
    if s.closed_on.is_some_and(|c| c < s.opened_on) {
        e.push(
            format!("{at}.closed_on"),
            "before_open",
            "終了日が開始日より前です。",
        );
    }
    Site {
        code: s.code.clone(),
        center: s.center.clone(),
        name: name.to_owned(),
        opened_on: s.opened_on,
        closed_on: s.closed_on,
    }
}

/// Turns a received batch into changes the hub may apply, for a sender holding a credential of
/// `credential_center`. Nothing is applied unless everything passes.
pub fn parse_batch(
    batch: &SyncBatch,
    credential_center: &str,
    codes: &Codes,
) -> Result<ValidBatch, BatchRefusal> {
    if batch.center != credential_center {
        return Err(BatchRefusal::OtherCenter("center".into()));
    }
    for (i, entry) in batch.entries.iter().enumerate() {
        if entry.op.center() != credential_center {
            return Err(BatchRefusal::OtherCenter(format!(
                "entries[{i}].op.{}.center",
                entry.op.name()
            )));
        }
    }
    let mut e = FieldErrors::default();
    let mut entries = Vec::with_capacity(batch.entries.len());
    let mut previous = 0;
    for (i, entry) in batch.entries.iter().enumerate() {
        if entry.seq == 0 || entry.seq <= previous {
            e.push(
                format!("entries[{i}].seq"),
                "order",
                "seq は1以上で、前の項目より大きくしてください。",
            );
        }
        previous = entry.seq;
        let at = format!("entries[{i}].op.{}", entry.op.name());
        let change =
            match &entry.op {
                SyncOp::ResetCenter(_) => Some(Change::ResetCenter),
                SyncOp::UpsertSite(s) => Some(Change::UpsertSite(site(&mut e, &at, s))),
                SyncOp::UpsertPerson(p) => person(&mut e, codes, &at, p).map(Change::UpsertPerson),
                SyncOp::UpsertActivity(a) => Some(Change::UpsertActivity(activity(&mut e, codes, &at, a))),
                SyncOp::DeleteActivity(r) => Some(Change::DeleteActivity(r.id)),
                SyncOp::PutParticipation(p) => {
                    participation(&mut e, codes, &format!("{at}.participation"), &p.participation).map(
                        |participation| Change::PutParticipation {
                            activity: p.activity_id,
                            participation,
                        },
                    )
                }
                SyncOp::DeleteParticipation(p) => common_id(&mut e, format!("{at}.common_id"), &p.common_id)
                    .map(|common_id| Change::DeleteParticipation {
                        activity: p.activity_id,
                        common_id,
                    }),
            };
        if let Some(change) = change {
            entries.push((entry.seq, change));
        }
    }
    e.into_result().map_err(BatchRefusal::Invalid)?;
    Ok(ValidBatch {
        center: batch.center.clone(),
        stream: batch.stream,
        batch_seq: batch.batch_seq,
        entries,
    })
}

/// What the hub did with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedBatch {
    pub last_seq: u64,
    pub applied: u64,
    pub skipped: u64,
}

/// A centre node's outbox and the state of its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxState {
    pub center: String,
    pub stream: Uuid,
    pub backlog: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub last_acked_seq: u64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The last successful pull of the hub's period locks, and the last failure since.
    pub locks_pulled_at: Option<DateTime<Utc>>,
    pub locks_error: Option<String>,
}

impl OutboxState {
    /// Whether the oldest waiting entry has waited longer than `limit`.
    pub fn is_stuck(&self, now: DateTime<Utc>, limit: chrono::Duration) -> bool {
        self.oldest_pending_at.is_some_and(|t| now - t > limit)
    }

    pub fn to_view(&self, configured: bool, hub_url: Option<String>, stuck: bool) -> OutboxStatus {
        OutboxStatus {
            center: self.center.clone(),
            configured,
            hub_url,
            backlog: self.backlog,
            oldest_pending_at: self.oldest_pending_at,
            last_acked_seq: self.last_acked_seq,
            last_attempt_at: self.last_attempt_at,
            last_success_at: self.last_success_at,
            last_error: self.last_error.clone(),
            stuck,
            locks_pulled_at: self.locks_pulled_at,
            locks_error: self.locks_error.clone(),
        }
    }
}

/// The next batch to send: entries in order, each the JSON of a `SyncOp`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingBatch {
    pub stream: Uuid,
    pub batch_seq: u64,
    pub entries: Vec<(u64, String)>,
    /// Sent before without an acknowledgement (so the hub may already have all of it).
    pub resent: bool,
}

impl OutgoingBatch {
    pub fn last_seq(&self) -> u64 {
        self.entries.last().map_or(0, |(s, _)| *s)
    }

    /// Whether the hub's acknowledgement shows it holds entries of this stream that this
    /// centre does not (it was restored from an older backup, or the hub from a newer one):
    /// the hub must end where the batch ends, and may have had the batch before only if it was
    /// sent before, and then all of it (a batch is applied whole or not at all).
    pub fn diverges(&self, ack_last_seq: u64, applied: u64, skipped: u64) -> bool {
        let len = self.entries.len() as u64;
        ack_last_seq != self.last_seq()
            || (skipped > 0 && !self.resent)
            || (skipped > 0 && skipped != len)
            || applied + skipped != len
    }
}

/// What the hub knows of one centre's deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterSyncState {
    pub center: String,
    pub last_batch_at: Option<DateTime<Utc>>,
    pub last_batch_seq: Option<u64>,
    pub last_seq: u64,
    pub active_credentials: u64,
}

impl CenterSyncState {
    pub fn to_view(&self) -> CenterSyncStatus {
        CenterSyncStatus {
            center: self.center.clone(),
            last_batch_at: self.last_batch_at,
            last_batch_seq: self.last_batch_seq,
            last_seq: self.last_seq,
            active_credentials: self.active_credentials,
        }
    }
}

/// A centre's credential on the hub (the secret itself is stored only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncCredential {
    pub id: i64,
    pub center: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SyncCredential {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    pub fn to_view(&self) -> SyncCredentialView {
        SyncCredentialView {
            id: self.id,
            center: self.center.clone(),
            prefix: self.prefix.clone(),
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::dto::sync::SyncEntry;

    fn codes() -> Codes {
        let item = |list: &str, code: &str| super::super::codes::CodeItem {
            list: list.into(),
            code: code.into(),
            label: code.into(),
            sort_order: 0,
            valid_from: None,
            valid_to: None,
            parent: None,
            rank: None,
            lower: None,
            upper: None,
        };
        Codes::new(
            vec![
                item(list::SEX, "F"),
                item(list::CATEGORIES, "elderly"),
                item(list::CARE_LEVELS, "shien1"),
                item(list::HOUSEHOLDS, "alone"),
                item(list::END_REASONS, "moved"),
                item(list::FUNCTIONS, "tsudoi"),
            ],
            ["392014".to_owned()],
        )
    }

    fn valid_id() -> String {
        let center = shared::common_id::CenterCode::parse("C001").unwrap();
        CommonId::issue(&center, 1).unwrap().to_string()
    }

    fn person_op(center: &str, sex: &str) -> SyncOp {
        SyncOp::UpsertPerson(PersonFacts {
            center: center.into(),
            common_id: valid_id(),
            sex: sex.into(),
            birth_year_month: "1948-05".into(),
            residence_municipality: "392014".into(),
            categories: vec!["elderly".into()],
            care_level: "shien1".into(),
            household: "alone".into(),
            registered_on: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            ended_on: None,
            end_reason: None,
            match_key: None,
        })
    }

    fn batch(ops: Vec<SyncOp>) -> SyncBatch {
        SyncBatch {
            center: "C001".into(),
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

    #[test]
    fn a_valid_person_entry_becomes_a_change_that_turns_back_into_the_same_op() {
        let b = batch(vec![person_op("C001", "F")]);
        let valid = parse_batch(&b, "C001", &codes()).unwrap();
        assert_eq!(valid.entries.len(), 1);
        assert_eq!(valid.entries[0].1.to_op("C001"), b.entries[0].op);
    }

    #[test]
    fn an_entry_of_another_centre_is_refused_whatever_the_batch_says() {
        let b = batch(vec![person_op("C001", "F"), person_op("C002", "F")]);
        assert_eq!(
            parse_batch(&b, "C001", &codes()),
            Err(BatchRefusal::OtherCenter(
                "entries[1].op.upsert_person.center".into()
            ))
        );
        assert_eq!(
            parse_batch(&batch(vec![]), "C002", &codes()),
            Err(BatchRefusal::OtherCenter("center".into()))
        );
    }

    #[test]
    fn free_text_in_a_code_field_is_refused_with_the_field_named() {
        let b = batch(vec![person_op("C001", "山本花子")]);
        match parse_batch(&b, "C001", &codes()) {
            Err(BatchRefusal::Invalid(errors)) => {
                assert_eq!(errors[0].field, "entries[0].op.upsert_person.sex");
                assert_eq!(errors[0].code, "unknown_code");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_acknowledgement_that_skips_part_of_a_batch_or_a_new_batch_means_divergence() {
        let batch = |resent| OutgoingBatch {
            stream: Uuid::from_u128(1),
            batch_seq: 3,
            entries: (9..=12).map(|s| (s, String::new())).collect(),
            resent,
        };
        assert!(!batch(false).diverges(12, 4, 0), "delivered");
        assert!(
            !batch(true).diverges(12, 0, 4),
            "delivered before, the answer was lost"
        );
        assert!(
            batch(false).diverges(12, 0, 4),
            "a batch never sent cannot be known"
        );
        assert!(batch(true).diverges(12, 2, 2), "half known: another timeline");
        assert!(batch(true).diverges(14, 0, 4), "the hub is ahead");
    }

    #[test]
    fn entries_must_come_in_increasing_order() {
        let mut b = batch(vec![person_op("C001", "F"), person_op("C001", "F")]);
        b.entries[1].seq = 1;
        assert!(matches!(
            parse_batch(&b, "C001", &codes()),
            Err(BatchRefusal::Invalid(e)) if e[0].field == "entries[1].seq"
        ));
    }
}
