//! The activity form's state: one signal per input, the people chosen with the detail their
//! function asks for, turning all that into an `ActivityInput`, and filing the server's field
//! errors (`participants[3].common_id`, `unregistered.child`) next to the input they name.

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::dto::activity::{
    ActivityInput, ActivityView, ParticipantInput, ParticipationView, UnregisteredCounts,
};
use uuid::Uuid;

use shared::error::FieldError;

use crate::activity_rules::{detail_rule, new_activity_id, normalize_time, parse_count, FormKind};
use crate::api::ApiError;
use crate::forms::FormErrors;

/// A registered person as the form lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub common_id: String,
    pub name: String,
    pub kana: String,
}

impl PersonRef {
    /// A participant of a recorded activity, written with the full-width space the app uses
    /// between family and given names.
    pub fn from_participation(p: &ParticipationView) -> PersonRef {
        let spaced = |s: &str| s.replace(' ', "\u{3000}");
        PersonRef {
            common_id: p.common_id.clone(),
            name: p.name.as_deref().map_or_else(|| p.common_id.clone(), spaced),
            kana: p.kana.as_deref().map(spaced).unwrap_or_default(),
        }
    }
}

/// A person ticked as taking part, with the detail of their participation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    pub person: PersonRef,
    pub visit_purpose: String,
    pub topics: Vec<String>,
    pub referral_destination: String,
}

impl Chosen {
    pub fn new(person: PersonRef) -> Chosen {
        Chosen {
            person,
            visit_purpose: String::new(),
            topics: Vec::new(),
            referral_destination: String::new(),
        }
    }
}

/// The form, one signal per input (`Copy`: pass it to components freely).
#[derive(Debug, Clone, Copy)]
pub struct ActivityFormState {
    /// Chosen once per form, so saving again after a lost answer cannot record it twice.
    pub id: Uuid,
    pub kind: FormKind,
    pub date: RwSignal<String>,
    pub function: RwSignal<String>,
    /// Site code, empty for the centre itself.
    pub site: RwSignal<String>,
    pub title: RwSignal<String>,
    pub start_time: RwSignal<String>,
    pub end_time: RwSignal<String>,
    pub staff_count: RwSignal<String>,
    pub volunteer_count: RwSignal<String>,
    pub elderly: RwSignal<String>,
    pub disabled: RwSignal<String>,
    pub child: RwSignal<String>,
    pub other: RwSignal<String>,
    pub note: RwSignal<String>,
    /// Who took part, in the order they were ticked.
    pub chosen: RwSignal<Vec<Chosen>>,
    /// People added by search, newest first: they stay listed when unticked again.
    pub added: RwSignal<Vec<PersonRef>>,
}

/// The activity form as kept in a draft (see [`crate::drafts`]); `id` too, so a save after a
/// reload still cannot record the activity twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityDraft {
    pub id: Uuid,
    pub kind: String,
    pub date: String,
    pub function: String,
    pub site: String,
    pub title: String,
    pub start_time: String,
    pub end_time: String,
    pub staff_count: String,
    pub volunteer_count: String,
    pub elderly: String,
    pub disabled: String,
    pub child: String,
    pub other: String,
    pub note: String,
    pub chosen: Vec<Chosen>,
    pub added: Vec<PersonRef>,
}

impl ActivityFormState {
    /// What the form holds now (tracked), for its draft.
    pub fn snapshot(&self) -> ActivityDraft {
        ActivityDraft {
            id: self.id,
            kind: self.kind.query().to_owned(),
            date: self.date.get(),
            function: self.function.get(),
            site: self.site.get(),
            title: self.title.get(),
            start_time: self.start_time.get(),
            end_time: self.end_time.get(),
            staff_count: self.staff_count.get(),
            volunteer_count: self.volunteer_count.get(),
            elderly: self.elderly.get(),
            disabled: self.disabled.get(),
            child: self.child.get(),
            other: self.other.get(),
            note: self.note.get(),
            chosen: self.chosen.get(),
            added: self.added.get(),
        }
    }

    /// The form filled from a kept draft.
    pub fn from_draft(d: ActivityDraft) -> ActivityFormState {
        ActivityFormState {
            id: d.id,
            kind: FormKind::from_query(&d.kind),
            date: RwSignal::new(d.date),
            function: RwSignal::new(d.function),
            site: RwSignal::new(d.site),
            title: RwSignal::new(d.title),
            start_time: RwSignal::new(d.start_time),
            end_time: RwSignal::new(d.end_time),
            staff_count: RwSignal::new(d.staff_count),
            volunteer_count: RwSignal::new(d.volunteer_count),
            elderly: RwSignal::new(d.elderly),
            disabled: RwSignal::new(d.disabled),
            child: RwSignal::new(d.child),
            other: RwSignal::new(d.other),
            note: RwSignal::new(d.note),
            chosen: RwSignal::new(d.chosen),
            added: RwSignal::new(d.added),
        }
    }

    /// The form under draft `name`: the kept draft when there is one (`true`), else `self`;
    /// from here on its input is kept as it changes.
    pub fn with_draft(self, name: &str) -> (ActivityFormState, bool) {
        let pristine = untrack(|| self.snapshot());
        let (state, restored) = match crate::drafts::load::<ActivityDraft>(name) {
            Some(d) if d != pristine && d.kind == pristine.kind => (ActivityFormState::from_draft(d), true),
            _ => (self, false),
        };
        let snapshot = Memo::new(move |_| state.snapshot());
        crate::drafts::keep(name.to_owned(), snapshot, pristine);
        (state, restored)
    }

    /// Each input's value as text, keyed like the form's errors.
    pub fn field_values(&self) -> Vec<(String, String)> {
        let d = self.snapshot();
        let mut out: Vec<(String, String)> = vec![
            ("date".into(), d.date),
            ("function".into(), d.function),
            ("site".into(), d.site),
            ("title".into(), d.title),
            ("start_time".into(), d.start_time),
            ("end_time".into(), d.end_time),
            ("staff_count".into(), d.staff_count),
            ("volunteer_count".into(), d.volunteer_count),
            ("unregistered.elderly".into(), d.elderly),
            ("unregistered.disabled".into(), d.disabled),
            ("unregistered.child".into(), d.child),
            ("unregistered.other".into(), d.other),
            ("note".into(), d.note),
            ("participants".into(), d.chosen.len().to_string()),
        ];
        for c in d.chosen {
            let id = &c.person.common_id;
            out.push((participant_key(id, None), String::new()));
            out.push((participant_key(id, Some("visit_purpose")), c.visit_purpose));
            out.push((participant_key(id, Some("topics")), c.topics.join(",")));
            out.push((
                participant_key(id, Some("referral_destination")),
                c.referral_destination,
            ));
        }
        out
    }

    pub fn new(kind: FormKind, date: NaiveDate, function: &str) -> ActivityFormState {
        let text = |v: &str| RwSignal::new(v.to_owned());
        ActivityFormState {
            id: new_activity_id(),
            kind,
            date: text(&crate::format::iso(date)),
            function: text(function),
            site: text(""),
            title: text(""),
            start_time: text(""),
            end_time: text(""),
            staff_count: text(if kind == FormKind::Individual { "1" } else { "" }),
            volunteer_count: text(""),
            elderly: text(""),
            disabled: text(""),
            child: text(""),
            other: text(""),
            note: text(""),
            chosen: RwSignal::new(Vec::new()),
            added: RwSignal::new(Vec::new()),
        }
    }

    /// The form filled with a recorded activity, for correcting it.
    pub fn from_view(v: &ActivityView) -> ActivityFormState {
        let text = |v: &str| RwSignal::new(v.to_owned());
        let opt = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
        let count = |n: i64| RwSignal::new(if n == 0 { String::new() } else { n.to_string() });
        ActivityFormState {
            id: v.id,
            kind: FormKind::for_function(&v.function),
            date: text(&crate::format::iso(v.date)),
            function: text(&v.function),
            site: opt(&v.site),
            title: opt(&v.title),
            start_time: opt(&v.start_time),
            end_time: opt(&v.end_time),
            staff_count: count(v.staff_count),
            volunteer_count: count(v.volunteer_count),
            elderly: count(v.unregistered.elderly),
            disabled: count(v.unregistered.disabled),
            child: count(v.unregistered.child),
            other: count(v.unregistered.other),
            note: opt(&v.note),
            chosen: RwSignal::new(
                v.participants
                    .iter()
                    .map(|p| Chosen {
                        person: PersonRef::from_participation(p),
                        visit_purpose: p.visit_purpose.clone().unwrap_or_default(),
                        topics: p.topics.clone(),
                        referral_destination: p.referral_destination.clone().unwrap_or_default(),
                    })
                    .collect(),
            ),
            added: RwSignal::new(Vec::new()),
        }
    }

    /// The date as typed, if it reads as one.
    pub fn date_value(&self) -> Option<NaiveDate> {
        self.date.with(|d| shared::dates::parse_date_input(d).ok())
    }

    pub fn is_chosen(&self, common_id: &str) -> bool {
        self.chosen
            .with(|c| c.iter().any(|c| c.person.common_id == common_id))
    }

    /// Ticks or unticks a person.
    pub fn set_chosen(&self, person: &PersonRef, on: bool) {
        self.chosen.update(|c| {
            let there = c.iter().any(|c| c.person.common_id == person.common_id);
            if on && !there {
                c.push(Chosen::new(person.clone()));
            } else if !on && there {
                c.retain(|c| c.person.common_id != person.common_id);
            }
        });
    }

    /// A person found by search: listed at the top and ticked.
    pub fn add(&self, person: PersonRef) {
        self.added.update(|a| {
            a.retain(|p| p.common_id != person.common_id);
            a.insert(0, person.clone());
        });
        self.set_chosen(&person, true);
    }

    /// Changes one chosen person's detail.
    pub fn update_detail(&self, common_id: &str, change: impl FnOnce(&mut Chosen)) {
        self.chosen.update(|c| {
            if let Some(c) = c.iter_mut().find(|c| c.person.common_id == common_id) {
                change(c);
            }
        });
    }

    /// Registered people plus every unregistered headcount that reads as a number.
    pub fn headcount(&self) -> (usize, i64) {
        let unregistered = [self.elderly, self.disabled, self.child, self.other]
            .iter()
            .filter_map(|s| s.with(|v| parse_count(v).ok()))
            .sum();
        (self.chosen.with(Vec::len), unregistered)
    }

    /// The request, or every problem the form finds at once: what keeps a request from being
    /// built (a date or time that does not read, counts that are not numbers, no person for a
    /// visit) and what the shared rules (`shared::activity_rules`, the server's too) refuse.
    /// Only what needs the server (the centre open that day, a code in its list, a person
    /// registered) is left to its answer.
    pub fn to_input(&self) -> Result<ActivityInput, FormErrors> {
        let mut e = FormErrors::default();
        let date = match self.date.with_untracked(|d| d.trim().to_owned()) {
            d if d.is_empty() => {
                e.push_exact("date", "日付を入力してください。");
                None
            }
            d => match shared::dates::parse_date_input(&d) {
                Ok(date) => Some(date),
                Err(err) => {
                    e.push_exact("date", err.to_string());
                    None
                }
            },
        };
        let function = self.function.get_untracked();
        if function.is_empty() {
            e.push_exact("function", "選択してください。");
        }
        let mut time = |key: &str, signal: RwSignal<String>| match normalize_time(&signal.get_untracked()) {
            Ok(t) => t,
            Err(message) => {
                e.push_exact(key, message);
                None
            }
        };
        let start_time = time("start_time", self.start_time);
        let end_time = time("end_time", self.end_time);
        let mut count = |key: &str, signal: RwSignal<String>| match parse_count(&signal.get_untracked()) {
            Ok(n) => n,
            Err(message) => {
                e.push_exact(key, message);
                0
            }
        };
        let staff_count = count("staff_count", self.staff_count);
        let volunteer_count = count("volunteer_count", self.volunteer_count);
        let unregistered = if self.kind == FormKind::Gathering {
            UnregisteredCounts {
                elderly: count("unregistered.elderly", self.elderly),
                disabled: count("unregistered.disabled", self.disabled),
                child: count("unregistered.child", self.child),
                other: count("unregistered.other", self.other),
            }
        } else {
            UnregisteredCounts::default()
        };
        let rule = detail_rule(&function);
        let chosen = self.chosen.get_untracked();
        if self.kind == FormKind::Individual && chosen.is_empty() {
            e.push_exact("participants", "対象の方を選んでください。");
        }
        let participants = chosen
            .into_iter()
            .map(|c| ParticipantInput {
                common_id: c.person.common_id,
                visit_purpose: (rule.visit_purpose.shown() && !c.visit_purpose.is_empty())
                    .then_some(c.visit_purpose),
                topics: if rule.topics.shown() { c.topics } else { Vec::new() },
                referral_destination: (rule.referral_destination.shown()
                    && !c.referral_destination.is_empty())
                .then_some(c.referral_destination),
            })
            .collect();
        let text = |s: RwSignal<String>| {
            let v = s.get_untracked();
            (!v.trim().is_empty()).then(|| v.trim().to_owned())
        };
        let today = crate::clock::today_jst();
        let input = ActivityInput {
            id: self.id,
            site: text(self.site),
            // An unreadable date is named above; today stands in so the other rules still run.
            date: date.unwrap_or(today),
            function,
            title: text(self.title),
            start_time,
            end_time,
            staff_count,
            volunteer_count,
            unregistered,
            note: text(self.note),
            participants,
        };
        // A field the form has faulted already keeps the form's message (it knows what was typed).
        let shared_found = file_errors(&shared::activity_rules::check(&input, today).0, &input);
        for (key, message) in shared_found.entries() {
            if e.get(&key).is_none() {
                e.push_exact(&key, message);
            }
        }
        if e.is_empty() {
            Ok(input)
        } else {
            Err(e)
        }
    }
}

/// Error key of one participant (`participant:C001-000012-3`), or of one of their details
/// (`participant:C001-000012-3.topics`).
pub fn participant_key(common_id: &str, detail: Option<&str>) -> String {
    match detail {
        Some(d) => format!("participant:{common_id}.{d}"),
        None => format!("participant:{common_id}"),
    }
}

/// The server's field errors, filed under the inputs they belong to (see [`file_errors`]).
pub fn errors_from_api(error: &ApiError, sent: &ActivityInput) -> FormErrors {
    match error.problem() {
        Some(problem) => file_errors(&problem.errors, sent),
        None => FormErrors::default(),
    }
}

/// Field errors of a request (the server's, or the shared rules' run here), filed under the
/// inputs they belong to: `participants[3].topics[0]` under the person sent fourth,
/// `unregistered.child` as it is.
pub fn file_errors(found: &[FieldError], sent: &ActivityInput) -> FormErrors {
    let mut errors = FormErrors::default();
    for fe in found {
        match participant_field(&fe.field) {
            Some((index, detail)) => match sent.participants.get(index) {
                Some(p) => {
                    let detail = detail.filter(|d| *d != "common_id");
                    errors.push_exact(&participant_key(&p.common_id, detail), fe.message.clone());
                }
                None => errors.push_exact("participants", fe.message.clone()),
            },
            None => {
                // `topics[1]` style indexes say nothing more to staff than the field does.
                let key = fe.field.split('[').next().unwrap_or(&fe.field);
                errors.push_exact(key, fe.message.clone());
            }
        }
    }
    errors
}

/// `participants[3].topics[0]` → `(3, Some("topics"))`; `participants[3]` → `(3, None)`.
fn participant_field(field: &str) -> Option<(usize, Option<&str>)> {
    let rest = field.strip_prefix("participants[")?;
    let (index, rest) = rest.split_once(']')?;
    let index = index.parse().ok()?;
    let detail = rest.strip_prefix('.').map(|d| d.split('[').next().unwrap_or(d));
    Some((index, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participant_fields_name_the_person_and_the_detail() {
        assert_eq!(
            participant_field("participants[3].common_id"),
            Some((3, Some("common_id")))
        );
        assert_eq!(
            participant_field("participants[0].topics[1]"),
            Some((0, Some("topics")))
        );
        assert_eq!(participant_field("unregistered.child"), None);
    }
}
