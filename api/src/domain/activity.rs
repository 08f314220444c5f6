//! Activities and participations: the rules for recording what a centre did on a day and who
//! took part, and the person's attributes as of that day (the snapshot statistics count).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use shared::common_id::CommonId;
use shared::dates::{Period, PeriodKind};
use shared::dto::activity::{
    ActivityInput, ActivitySummary, ActivityView, FunctionTotals, ParticipationInput, ParticipationView,
    PersonParticipation, SoleParticipant, UnregisteredCounts,
};
use shared::error::{FieldError, FieldErrors};
use uuid::Uuid;

use super::codes::{list, Codes};
use super::org::{Center, Site};
use super::person::Person;

/// Largest count (staff, volunteers, unregistered by group) one activity may carry.
pub const COUNT_MAX: i64 = 999;
/// Largest number of registered participants of one activity.
pub const PARTICIPANTS_MAX: usize = 300;
const TITLE_MAX: usize = 100;
const NOTE_MAX: usize = 2000;

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

/// One line of an activity list, with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityListItem {
    pub id: Uuid,
    pub site: Option<String>,
    pub date: NaiveDate,
    pub function: String,
    pub title: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: u16,
    pub volunteer_count: u16,
    pub unregistered: Unregistered,
    pub participants: i64,
    /// The one registered person who took part, when there is exactly one (a visit, a
    /// consultation, a referral): common ID and name. Read on centre nodes only.
    pub sole_participant: Option<(String, Option<String>)>,
}

/// Filters of an activity list (dates inclusive).
#[derive(Debug, Clone)]
pub struct ActivityQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub function: Option<String>,
    pub site: Option<String>,
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

pub use shared::activity_detail::{detail_rule, DetailRule, Need};

/// What the rules need to know besides the request: master data, today, the centre with its
/// sites, and the people named in the request who are registered at the centre.
pub struct Context<'a> {
    pub codes: &'a Codes,
    pub today: NaiveDate,
    pub center: &'a Center,
    pub sites: &'a [Site],
    pub people: &'a HashMap<String, Person>,
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

/// `prefix.name`, or `name` when there is no prefix.
fn at(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn detail_code(
    e: &mut FieldErrors,
    codes: &Codes,
    field: &str,
    list: &str,
    need: Need,
    value: Option<&str>,
    date: NaiveDate,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match (need, value) {
        (Need::Required, None) => {
            e.push(field, "required", "この機能では入力が必要です。");
            None
        }
        (Need::NotApplicable, Some(_)) => {
            e.push(field, "not_applicable", "この機能では入力できない項目です。");
            None
        }
        (_, Some(v)) if !codes.is_valid(list, v, date) => {
            e.push(field, "unknown_code", format!("「{v}」は選択肢にありません。"));
            None
        }
        (_, v) => v.map(str::to_owned),
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
        match (rule.topics, input.topics.is_empty()) {
            (Need::Required, true) => e.push(&field, "required", "相談の内容を1つ以上選んでください。"),
            (Need::NotApplicable, false) => {
                e.push(&field, "not_applicable", "この機能では入力できない項目です。")
            }
            _ => {
                for (i, t) in input.topics.iter().enumerate() {
                    let f = format!("{field}[{i}]");
                    if topics.contains(t) {
                        e.push(f, "duplicate", "同じ内容が重複しています。");
                    } else if !codes.is_valid(list::CONSULTATION_TOPICS, t, date) {
                        e.push(f, "unknown_code", format!("「{t}」は選択肢にありません。"));
                    } else {
                        topics.push(t.clone());
                    }
                }
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

impl ActivityQuery {
    /// A month (`2024-05`) or a single day, optionally one function and one site.
    pub fn parse(
        month: Option<&str>,
        date: Option<NaiveDate>,
        function: Option<&str>,
        site: Option<&str>,
    ) -> Result<ActivityQuery, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let (from, to) = match (month.map(str::trim).filter(|m| !m.is_empty()), date) {
            (Some(m), None) => match Period::parse(m) {
                Ok(p) if matches!(p.kind(), PeriodKind::Month { .. }) => (p.from(), p.to()),
                _ => {
                    e.push(
                        "month",
                        "format",
                        "月は YYYY-MM の形で指定してください（例: 2024-05）。",
                    );
                    (NaiveDate::MIN, NaiveDate::MIN)
                }
            },
            (None, Some(d)) => (d, d),
            (Some(_), Some(_)) => {
                e.push(
                    "date",
                    "conflict",
                    "month と date はどちらか一方だけ指定してください。",
                );
                (NaiveDate::MIN, NaiveDate::MIN)
            }
            (None, None) => {
                e.push(
                    "month",
                    "required",
                    "month（YYYY-MM）または date を指定してください。",
                );
                (NaiveDate::MIN, NaiveDate::MIN)
            }
        };
        e.into_result()?;
        let some = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Ok(ActivityQuery {
            from,
            to,
            function: some(function),
            site: some(site).map(|s| s.to_ascii_uppercase()),
        })
    }
}

fn count(e: &mut FieldErrors, field: &str, value: i64) -> u16 {
    if value < 0 {
        e.push(field, "negative", "0以上の数を入力してください。");
        0
    } else if value > COUNT_MAX {
        e.push(
            field,
            "too_large",
            format!("{COUNT_MAX}以下の数を入力してください。"),
        );
        0
    } else {
        u16::try_from(value).unwrap_or(0)
    }
}

fn time(e: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<NaiveTime> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match NaiveTime::parse_from_str(v, "%H:%M") {
        Ok(t) if v.len() == 5 => Some(t),
        _ => {
            e.push(
                field,
                "format",
                "時刻は HH:MM の形で入力してください（例: 09:30）。",
            );
            None
        }
    }
}

fn text(e: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        e.push(field, "too_long", format!("{max}文字以内で入力してください。"));
    }
    Some(v.to_owned())
}

impl ActivityRecord {
    /// Turns the request into a record, naming every field that breaks a rule.
    pub fn parse(input: &ActivityInput, ctx: &Context) -> Result<ActivityRecord, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let date = input.date;
        if input.id.is_nil() {
            e.push("id", "nil", "IDにはUUIDを指定してください。");
        }
        if date > ctx.today {
            e.push("date", "future", "未来の日付の活動は記録できません。");
        } else if !ctx.center.is_open_on(date) {
            e.push("date", "center_closed", "この日はセンターの開設期間外です。");
        }
        let site = input
            .site
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_uppercase);
        if let Some(code) = &site {
            match ctx
                .sites
                .iter()
                .find(|s| &s.code == code && s.center == ctx.center.code)
            {
                None => e.push("site", "unknown_site", "このセンターのサテライトではありません。"),
                Some(s) if !(s.opened_on <= date && s.closed_on.is_none_or(|c| date <= c)) => {
                    e.push("site", "site_closed", "この日はサテライトの開設期間外です。")
                }
                Some(_) => {}
            }
        }
        let function = input.function.trim().to_owned();
        match ctx.codes.get(list::FUNCTIONS, &function) {
            None => e.push(
                "function",
                "unknown_code",
                format!("「{function}」は機能の選択肢にありません。"),
            ),
            Some(f) if !f.valid_on(date) => e.push(
                "function",
                "not_valid_on_date",
                "この機能はその日付では使えません。",
            ),
            Some(_) => {}
        }
        let title = text(&mut e, "title", input.title.as_deref(), TITLE_MAX);
        let note = text(&mut e, "note", input.note.as_deref(), NOTE_MAX);
        let start = time(&mut e, "start_time", input.start_time.as_deref());
        let end = time(&mut e, "end_time", input.end_time.as_deref());
        match (start, end) {
            (None, Some(_)) if input.start_time.as_deref().is_none_or(|s| s.trim().is_empty()) => e.push(
                "start_time",
                "required",
                "終了時刻を入れるときは開始時刻も入力してください。",
            ),
            (Some(s), Some(t)) if t <= s => e.push(
                "end_time",
                "before_start",
                "終了時刻は開始時刻より後にしてください。",
            ),
            _ => {}
        }
        let u = &input.unregistered;
        let unregistered = Unregistered {
            elderly: count(&mut e, "unregistered.elderly", u.elderly),
            disabled: count(&mut e, "unregistered.disabled", u.disabled),
            child: count(&mut e, "unregistered.child", u.child),
            other: count(&mut e, "unregistered.other", u.other),
        };
        let staff_count = count(&mut e, "staff_count", input.staff_count);
        let volunteer_count = count(&mut e, "volunteer_count", input.volunteer_count);
        let mut participations = Vec::new();
        if input.participants.len() > PARTICIPANTS_MAX {
            e.push(
                "participants",
                "too_many",
                format!("参加者は1件の活動につき{PARTICIPANTS_MAX}人までです。"),
            );
        } else {
            let mut seen = HashSet::new();
            for (i, p) in input.participants.iter().enumerate() {
                let prefix = format!("participants[{i}]");
                let key = CommonId::parse(&p.common_id).map(|id| id.to_string()).ok();
                if key.as_ref().is_some_and(|k| !seen.insert(k.clone())) {
                    e.push(
                        at(&prefix, "common_id"),
                        "duplicate",
                        "同じ方が1つの活動に重複しています。",
                    );
                    continue;
                }
                let detail = p.detail();
                if let Some(found) = Participation::parse(
                    &mut e,
                    &prefix,
                    &p.common_id,
                    &detail,
                    &function,
                    date,
                    ctx.codes,
                    ctx.people,
                ) {
                    participations.push(found);
                }
            }
        }
        e.into_result()?;
        participations.sort_by(|a, b| a.common_id.as_str().cmp(b.common_id.as_str()));
        Ok(ActivityRecord {
            id: input.id,
            center: ctx.center.code.clone(),
            site,
            date,
            function,
            title,
            start_time: start.map(|t| t.format("%H:%M").to_string()),
            end_time: end.map(|t| t.format("%H:%M").to_string()),
            staff_count,
            volunteer_count,
            unregistered,
            note,
            participations,
        })
    }

    pub fn fiscal_year(&self) -> i32 {
        shared::dates::fiscal_year(self.date)
    }

    /// Whether `other` records the same thing as this, as a client would have sent it: everything
    /// but the attribute snapshots (which come from the people's records, not the request).
    pub fn same_request(&self, other: &ActivityRecord) -> bool {
        fn details(r: &ActivityRecord) -> Vec<(&str, &Detail)> {
            r.participations
                .iter()
                .map(|p| (p.common_id.as_str(), &p.detail))
                .collect()
        }
        let (a, b) = (self, other);
        (a.id, &a.center, &a.site, a.date, &a.function, &a.title)
            == (b.id, &b.center, &b.site, b.date, &b.function, &b.title)
            && (
                &a.start_time,
                &a.end_time,
                a.staff_count,
                a.volunteer_count,
                a.unregistered,
            ) == (
                &b.start_time,
                &b.end_time,
                b.staff_count,
                b.volunteer_count,
                b.unregistered,
            )
            && a.note == b.note
            && details(a) == details(b)
    }

    /// On a correction of an activity, participations that stay as they were keep the
    /// attributes they were recorded with; new or changed ones (and all of them when the date
    /// moves) take the person's attributes as of the date, as parsed.
    pub fn keep_recorded_snapshots(&mut self, before: &ActivityRecord) {
        if self.date != before.date {
            return;
        }
        for p in &mut self.participations {
            if let Some(old) = before
                .participations
                .iter()
                .find(|o| o.common_id == p.common_id && o.detail == p.detail)
            {
                p.snapshot = old.snapshot.clone();
            }
        }
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

impl ActivityListItem {
    pub fn to_summary(&self) -> ActivitySummary {
        ActivitySummary {
            id: self.id,
            site: self.site.clone(),
            date: self.date,
            function: self.function.clone(),
            title: self.title.clone(),
            start_time: self.start_time.clone(),
            end_time: self.end_time.clone(),
            staff_count: self.staff_count.into(),
            volunteer_count: self.volunteer_count.into(),
            participants: self.participants,
            unregistered: self.unregistered.total(),
            person: self
                .sole_participant
                .as_ref()
                .map(|(common_id, name)| SoleParticipant {
                    common_id: common_id.clone(),
                    name: name.clone(),
                }),
        }
    }
}

/// Totals per function of a list, in the master data's function order.
pub fn totals_by_function(items: &[ActivityListItem], codes: &Codes) -> Vec<FunctionTotals> {
    let mut totals: Vec<FunctionTotals> = Vec::new();
    for item in items {
        let i = match totals.iter().position(|t| t.function == item.function) {
            Some(i) => i,
            None => {
                totals.push(FunctionTotals {
                    function: item.function.clone(),
                    activities: 0,
                    participants: 0,
                    unregistered: 0,
                });
                totals.len() - 1
            }
        };
        totals[i].activities += 1;
        totals[i].participants += item.participants;
        totals[i].unregistered += item.unregistered.total();
    }
    let order = |f: &str| codes.get(list::FUNCTIONS, f).map_or(i32::MAX, |i| i.sort_order);
    totals.sort_by(|a, b| {
        order(&a.function)
            .cmp(&order(&b.function))
            .then(a.function.cmp(&b.function))
    });
    totals
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared::common_id::CenterCode;
    use shared::dto::activity::ParticipantInput;

    use super::*;
    use crate::domain::codes::CodeItem;
    use crate::domain::person::{Facts, Identity};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn item(list: &str, code: &str) -> CodeItem {
        CodeItem {
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
        }
    }

    fn codes() -> Codes {
        let mut items = Vec::new();
        for (i, f) in ["tsudoi", "houmon", "soudan", "tsunagi"].iter().enumerate() {
            items.push(CodeItem {
                sort_order: i as i32,
                ..item(list::FUNCTIONS, f)
            });
        }
        items.push(CodeItem {
            valid_to: Some(d(2020, 3, 31)),
            sort_order: 9,
            ..item(list::FUNCTIONS, "retired")
        });
        items.push(item(list::VISIT_PURPOSES, "watching"));
        items.push(item(list::CONSULTATION_TOPICS, "care"));
        items.push(item(list::CONSULTATION_TOPICS, "health"));
        items.push(item(list::REFERRAL_DESTINATIONS, "houkatsu"));
        for (g, rank) in [("disabled", 1), ("child", 2), ("elderly", 3), ("other", 4)] {
            items.push(CodeItem {
                rank: Some(rank),
                ..item(list::GROUPS, g)
            });
            items.push(CodeItem {
                parent: Some(g.into()),
                ..item(list::CATEGORIES, g)
            });
        }
        for (band, lower, upper) in [("young", 0, 17), ("adult", 18, 64), ("old", 65, i32::MAX)] {
            items.push(CodeItem {
                lower: Some(lower),
                upper: (upper != i32::MAX).then_some(upper),
                ..item(list::AGE_BANDS, band)
            });
        }
        Codes::new(items, Vec::new())
    }

    fn center() -> Center {
        Center {
            code: "C001".into(),
            name: "テスト".into(),
            municipality: "392014".into(),
            operator_body: "社協".into(),
            opened_on: d(2009, 4, 1),
            closed_on: None,
        }
    }

    fn person(serial: u32, birth: NaiveDate, categories: &[&str]) -> Person {
        let center = CenterCode::parse("C001").unwrap();
        Person {
            common_id: CommonId::issue(&center, serial).unwrap(),
            center: "C001".into(),
            identity: Identity {
                family_name: "山本".into(),
                given_name: "花子".into(),
                family_kana: "ヤマモト".into(),
                given_kana: "ハナコ".into(),
                birth_date: birth,
                postal_code: None,
                address: None,
                phone: None,
                emergency_contact: None,
                notes: None,
            },
            facts: Facts {
                sex: "F".into(),
                birth_year_month: "1948-05".into(),
                residence_municipality: "392014".into(),
                categories: categories.iter().map(|c| c.to_string()).collect(),
                care_level: "shien1".into(),
                disabilities: Vec::new(),
                household: "alone".into(),
                registered_on: d(2024, 4, 1),
            },
            ended_on: None,
            end_reason: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn people(list: Vec<Person>) -> HashMap<String, Person> {
        list.into_iter().map(|p| (p.common_id.to_string(), p)).collect()
    }

    fn input(function: &str, date: NaiveDate, participants: Vec<ParticipantInput>) -> ActivityInput {
        ActivityInput {
            id: Uuid::from_u128(42),
            site: None,
            date,
            function: function.into(),
            title: None,
            start_time: Some("10:00".into()),
            end_time: Some("12:00".into()),
            staff_count: 2,
            volunteer_count: 0,
            unregistered: UnregisteredCounts::default(),
            note: None,
            participants,
        }
    }

    fn joins(p: &Person) -> ParticipantInput {
        ParticipantInput {
            common_id: p.common_id.to_string(),
            visit_purpose: None,
            topics: Vec::new(),
            referral_destination: None,
        }
    }

    fn parse(
        input: &ActivityInput,
        people: &HashMap<String, Person>,
    ) -> Result<ActivityRecord, Vec<FieldError>> {
        let (codes, center) = (codes(), center());
        let ctx = Context {
            codes: &codes,
            today: d(2025, 1, 15),
            center: &center,
            sites: &[],
            people,
        };
        ActivityRecord::parse(input, &ctx)
    }

    /// The (field, code) pairs of a refusal.
    fn refused(input: &ActivityInput, people: &HashMap<String, Person>) -> Vec<(String, String)> {
        parse(input, people)
            .expect_err("refused")
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn pair(field: &str, code: &str) -> (String, String) {
        (field.into(), code.into())
    }

    #[test]
    fn an_activity_dated_after_today_in_japan_is_refused() {
        let got = refused(&input("tsudoi", d(2025, 1, 16), vec![]), &HashMap::new());
        assert_eq!(got, [pair("date", "future")]);
        assert!(parse(&input("tsudoi", d(2025, 1, 15), vec![]), &HashMap::new()).is_ok());
    }

    #[test]
    fn an_activity_before_the_centre_opened_is_refused() {
        let got = refused(&input("tsudoi", d(2009, 3, 31), vec![]), &HashMap::new());
        assert_eq!(got, [pair("date", "center_closed")]);
    }

    #[test]
    fn a_function_outside_its_validity_is_refused() {
        let got = refused(&input("retired", d(2024, 5, 1), vec![]), &HashMap::new());
        assert_eq!(got, [pair("function", "not_valid_on_date")]);
        assert!(parse(&input("retired", d(2019, 5, 1), vec![]), &HashMap::new()).is_ok());
    }

    #[test]
    fn a_person_takes_part_only_between_registration_and_its_end() {
        let mut ended = person(2, d(1948, 5, 1), &["elderly"]);
        ended.ended_on = Some(d(2024, 6, 30));
        let p = people(vec![person(1, d(1948, 5, 1), &["elderly"]), ended.clone()]);
        let first = CommonId::issue(&CenterCode::parse("C001").unwrap(), 1).unwrap();
        let early = input("tsudoi", d(2024, 3, 31), vec![joins(&p[first.as_str()])]);
        assert_eq!(
            refused(&early, &p),
            [pair("participants[0].common_id", "not_yet_registered")]
        );
        let last_day = input("tsudoi", d(2024, 6, 30), vec![joins(&ended)]);
        assert!(parse(&last_day, &p).is_ok());
        let after = input("tsudoi", d(2024, 7, 1), vec![joins(&ended)]);
        assert_eq!(
            refused(&after, &p),
            [pair("participants[0].common_id", "registration_ended")]
        );
    }

    #[test]
    fn someone_not_registered_at_this_centre_is_refused() {
        let stranger = person(9, d(1948, 5, 1), &["elderly"]);
        let got = refused(
            &input("tsudoi", d(2024, 5, 1), vec![joins(&stranger)]),
            &HashMap::new(),
        );
        assert_eq!(got, [pair("participants[0].common_id", "not_registered")]);
    }

    #[test]
    fn the_same_person_twice_in_one_activity_is_refused() {
        let a = person(1, d(1948, 5, 1), &["elderly"]);
        let p = people(vec![a.clone()]);
        let got = refused(&input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&a)]), &p);
        assert_eq!(got, [pair("participants[1].common_id", "duplicate")]);
    }

    #[test]
    fn counts_must_lie_between_zero_and_999() {
        let mut i = input("tsudoi", d(2024, 5, 1), vec![]);
        i.staff_count = -1;
        i.volunteer_count = 1000;
        i.unregistered.child = 999;
        i.unregistered.other = -2;
        assert_eq!(
            refused(&i, &HashMap::new()),
            [
                pair("unregistered.other", "negative"),
                pair("staff_count", "negative"),
                pair("volunteer_count", "too_large"),
            ]
        );
    }

    #[test]
    fn an_end_time_must_come_after_a_start_time() {
        let mut i = input("tsudoi", d(2024, 5, 1), vec![]);
        i.end_time = Some("10:00".into());
        assert_eq!(refused(&i, &HashMap::new()), [pair("end_time", "before_start")]);
        i.start_time = None;
        assert_eq!(refused(&i, &HashMap::new()), [pair("start_time", "required")]);
        i.start_time = Some("9:5".into());
        assert_eq!(refused(&i, &HashMap::new()), [pair("start_time", "format")]);
        i.start_time = None;
        i.end_time = None;
        assert!(parse(&i, &HashMap::new()).is_ok());
    }

    #[test]
    fn each_function_takes_only_its_own_details() {
        let a = person(1, d(1948, 5, 1), &["elderly"]);
        let p = people(vec![a.clone()]);
        let with = |visit: Option<&str>, topics: &[&str], referral: Option<&str>| ParticipantInput {
            visit_purpose: visit.map(str::to_owned),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            referral_destination: referral.map(str::to_owned),
            ..joins(&a)
        };
        let date = d(2024, 5, 1);
        let visit = input("houmon", date, vec![with(None, &[], None)]);
        assert_eq!(
            refused(&visit, &p),
            [pair("participants[0].visit_purpose", "required")]
        );
        assert!(parse(
            &input("houmon", date, vec![with(Some("watching"), &[], None)]),
            &p
        )
        .is_ok());
        let salon = input(
            "tsudoi",
            date,
            vec![with(Some("watching"), &["care"], Some("houkatsu"))],
        );
        assert_eq!(
            refused(&salon, &p),
            [
                pair("participants[0].visit_purpose", "not_applicable"),
                pair("participants[0].referral_destination", "not_applicable"),
                pair("participants[0].topics", "not_applicable"),
            ]
        );
        let consultation = input("soudan", date, vec![with(None, &[], None)]);
        assert_eq!(
            refused(&consultation, &p),
            [pair("participants[0].topics", "required")]
        );
        let referred = parse(
            &input(
                "soudan",
                date,
                vec![with(None, &["health", "care"], Some("houkatsu"))],
            ),
            &p,
        )
        .expect("a consultation may be referred on");
        assert_eq!(referred.participations[0].detail.topics, ["care", "health"]);
        let referral = input("tsunagi", date, vec![with(None, &[], Some("nowhere"))]);
        assert_eq!(
            refused(&referral, &p),
            [pair("participants[0].referral_destination", "unknown_code")]
        );
    }

    #[test]
    fn the_age_band_is_the_age_on_the_activity_date_by_the_japanese_rule() {
        // Born 14 May 2000: 18 from the start of 13 May 2018, the day before the birthday.
        let a = person(1, d(2000, 5, 14), &["other"]);
        let codes = codes();
        assert_eq!(
            Snapshot::of(&a, d(2018, 5, 12), &codes).unwrap().age_band,
            "young"
        );
        assert_eq!(
            Snapshot::of(&a, d(2018, 5, 13), &codes).unwrap().age_band,
            "adult"
        );
    }

    #[test]
    fn the_reporting_group_follows_the_precedence_in_master_data() {
        let a = person(1, d(1948, 5, 1), &["elderly", "disabled"]);
        let s = Snapshot::of(&a, d(2024, 5, 1), &codes()).unwrap();
        assert_eq!(s.group, "disabled");
        assert_eq!(s.categories, ["disabled", "elderly"]);
    }

    #[test]
    fn a_retry_listing_people_in_another_order_is_the_same_request_but_other_counts_are_not() {
        let (a, b) = (
            person(1, d(1948, 5, 1), &["elderly"]),
            person(2, d(1950, 1, 1), &["elderly"]),
        );
        let p = people(vec![a.clone(), b.clone()]);
        let first = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&b)]), &p).unwrap();
        let retry = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&b), joins(&a)]), &p).unwrap();
        assert!(first.same_request(&retry));
        let mut other = input("tsudoi", d(2024, 5, 1), vec![joins(&a), joins(&b)]);
        other.volunteer_count = 3;
        assert!(!first.same_request(&parse(&other, &p).unwrap()));
    }

    #[test]
    fn a_correction_keeps_the_recorded_attributes_of_unchanged_participations() {
        let a = person(1, d(1948, 5, 1), &["elderly"]);
        let before = parse(
            &input("tsudoi", d(2024, 5, 1), vec![joins(&a)]),
            &people(vec![a.clone()]),
        )
        .unwrap();
        let mut later = a.clone();
        later.facts.care_level = "kaigo3".into();
        let p = people(vec![later]);
        let mut same_day = parse(&input("tsudoi", d(2024, 5, 1), vec![joins(&a)]), &p).unwrap();
        same_day.keep_recorded_snapshots(&before);
        assert_eq!(same_day.participations[0].snapshot.care_level, "shien1");
        let mut moved = parse(&input("tsudoi", d(2024, 5, 2), vec![joins(&a)]), &p).unwrap();
        moved.keep_recorded_snapshots(&before);
        assert_eq!(moved.participations[0].snapshot.care_level, "kaigo3");
    }

    #[test]
    fn a_list_needs_a_month_or_a_day() {
        let q = ActivityQuery::parse(Some("2024-02"), None, None, Some("c001-s01")).unwrap();
        assert_eq!((q.from, q.to), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(q.site.as_deref(), Some("C001-S01"));
        assert!(ActivityQuery::parse(None, None, None, None).is_err());
        assert!(ActivityQuery::parse(Some("FY2024"), None, None, None).is_err());
        assert!(ActivityQuery::parse(Some("2024-02"), Some(d(2024, 2, 3)), None, None).is_err());
    }
}
