//! How the hub turns a received batch back into changes it can trust: codes checked against
//! master data, every entry of the sender's centre, nothing applied unless everything passes.

use chrono::{NaiveDate, NaiveTime};
use shared::common_id::CommonId;
use shared::dto::sync::{ActivityFacts, ParticipationFacts, PersonFacts, SiteFacts, SyncBatch, SyncOp};
use shared::error::{FieldError, FieldErrors};
use uuid::Uuid;

use super::{AppliedBatch, Change, PersonFactsRecord};
use crate::domain::activity::{
    ActivityRecord, Detail, Participation, Snapshot, Unregistered, COUNT_MAX, PARTICIPANTS_MAX,
};
use crate::domain::codes::{list, Codes};
use crate::domain::duplicate_hint;
use crate::domain::org::Site;
use crate::domain::person::Facts;

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

/// How far the hub has applied a centre's deliveries: the stream and its last entry applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPosition {
    pub stream: Uuid,
    pub last_seq: u64,
}

/// The entries of a batch the hub applies, in order, and how many it skips as applied before.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyPlan<'a> {
    pub apply: Vec<&'a (u64, Change)>,
    pub skipped: u64,
    /// The hub's position in the batch's stream afterwards; none when the batch is empty and
    /// its stream new to the hub (nothing to record).
    pub last_seq: Option<u64>,
}

impl ApplyPlan<'_> {
    /// What the hub answers once the plan is applied.
    pub fn outcome(&self) -> AppliedBatch {
        AppliedBatch {
            last_seq: self.last_seq.unwrap_or(0),
            applied: self.apply.len() as u64,
            skipped: self.skipped,
            touched: Default::default(),
        }
    }
}

/// A batch entry that cannot be applied where it stands: the centre must start a new stream
/// (`Conflict("sync_out_of_order")`; nothing of the batch is applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the entry does not follow on from what the hub applied")]
pub struct OutOfOrder;

/// A centre's entry about a record the hub holds under another centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the record belongs to another centre")]
pub struct ForeignRecord;

impl ValidBatch {
    /// Which entries to apply, given where the hub stands with this centre (`hub`: none before
    /// its first delivery). Entries of the hub's stream up to its last one were applied before
    /// (a batch sent again) and are skipped; each other entry must follow on from the one before
    /// (the first ever from 1), unless it is a reset, which begins the centre's data anew; a
    /// batch of a stream the hub does not know must therefore begin with a reset.
    pub fn plan(&self, hub: Option<&StreamPosition>) -> Result<ApplyPlan<'_>, OutOfOrder> {
        let first_contact = hub.is_none();
        let mut last = hub.filter(|h| h.stream == self.stream).map(|h| h.last_seq);
        let (mut apply, mut skipped) = (Vec::new(), 0);
        for entry in &self.entries {
            let (seq, change) = (entry.0, &entry.1);
            let follows = match last {
                Some(l) if seq <= l => {
                    skipped += 1;
                    continue;
                }
                Some(l) => seq == l + 1,
                None => first_contact && seq == 1,
            };
            if !(follows || change.is_reset()) {
                return Err(OutOfOrder);
            }
            last = Some(seq);
            apply.push(entry);
        }
        Ok(ApplyPlan {
            apply,
            skipped,
            last_seq: last,
        })
    }
}

/// Whether the sender may write a site or an activity the hub holds under `owner` (none: new
/// to the hub): only its own.
pub fn check_owner(owner: Option<&str>, sender: &str) -> Result<(), ForeignRecord> {
    match owner {
        Some(o) if o != sender => Err(ForeignRecord),
        _ => Ok(()),
    }
}

/// Whether a participation change may be applied to the activity the hub holds under `owner`:
/// it must be the sender's activity. Only an entry out of place can name an activity the hub
/// does not have.
pub fn check_participation_target(owner: Option<&str>, sender: &str) -> Result<(), OutOfOrder> {
    if owner == Some(sender) {
        Ok(())
    } else {
        Err(OutOfOrder)
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

/// The dates a centre accepts when its staff record them, so the hub accepts no other: nothing
/// after today (with a day's grace for a centre's clock), nothing before 1900, and activities
/// only while the centre is open (when the hub knows the centre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateWindow {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    /// The centre's opening and closing dates.
    pub center_open: Option<(NaiveDate, Option<NaiveDate>)>,
}

impl DateWindow {
    /// The window on `today` (Japan time) for a centre open over `center_open`.
    pub fn on(today: NaiveDate, center_open: Option<(NaiveDate, Option<NaiveDate>)>) -> DateWindow {
        DateWindow {
            earliest: NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN),
            latest: today.succ_opt().unwrap_or(today),
            center_open,
        }
    }

    fn check(&self, e: &mut FieldErrors, field: String, date: NaiveDate) {
        if date < self.earliest || date > self.latest {
            e.push(
                field,
                "out_of_range",
                format!(
                    "{date} はセンターで記録できる日付の範囲（{}〜{}）の外です。",
                    self.earliest, self.latest
                ),
            );
        }
    }

    fn check_activity(&self, e: &mut FieldErrors, field: String, date: NaiveDate) {
        match self.center_open {
            Some((opened, closed)) if date < opened || closed.is_some_and(|c| date > c) => e.push(
                field,
                "center_closed",
                format!("{date} はセンターの開設期間外です。"),
            ),
            _ => self.check(e, field, date),
        }
    }
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

fn year_month(e: &mut FieldErrors, window: &DateWindow, field: String, raw: &str) {
    match NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d") {
        Ok(first) if raw.len() == 7 => window.check(e, field, first),
        _ => e.push(field, "format", "生年月は YYYY-MM の形で送ってください。"),
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

fn activity(
    e: &mut FieldErrors,
    codes: &Codes,
    window: &DateWindow,
    at: &str,
    a: &ActivityFacts,
) -> ActivityRecord {
    let f = |name: &str| format!("{at}.{name}");
    window.check_activity(e, f("date"), a.date);
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

fn person(
    e: &mut FieldErrors,
    codes: &Codes,
    window: &DateWindow,
    at: &str,
    p: &PersonFacts,
) -> Option<PersonFactsRecord> {
    let f = |name: &str| format!("{at}.{name}");
    let id = common_id(e, f("common_id"), &p.common_id);
    year_month(e, window, f("birth_year_month"), &p.birth_year_month);
    window.check(e, f("registered_on"), p.registered_on);
    if let Some(end) = p.ended_on {
        window.check(e, f("ended_on"), end);
    }
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
        if !duplicate_hint::is_match_key(key) {
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
/// `credential_center`; every date must lie in `window` (what the centre itself accepts).
/// Nothing is applied unless everything passes.
pub fn parse_batch(
    batch: &SyncBatch,
    credential_center: &str,
    codes: &Codes,
    window: &DateWindow,
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
                SyncOp::UpsertPerson(p) => person(&mut e, codes, window, &at, p).map(Change::UpsertPerson),
                SyncOp::UpsertActivity(a) => {
                    Some(Change::UpsertActivity(activity(&mut e, codes, window, &at, a)))
                }
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
