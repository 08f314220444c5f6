//! Form state and form errors: the person form's fields as signals, the checks that must pass
//! before a request can even be built, and the server's field errors keyed by input.

use std::collections::HashMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::common_id::CommonId;
use shared::dto::person::{DisabilityInput, EndRegistration, PersonInput, PersonView};

use crate::api::ApiError;

/// Field errors of one form, keyed by the request field they belong to (`categories[1]` and
/// `disabilities[0].kind` are filed under `categories` and `disabilities`: the input group).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field_key(field).to_owned(), message.into()));
    }

    /// Files a message under `key` as given: for forms whose sub-fields have inputs of their own
    /// (`unregistered.child`), or keys of the form's own making.
    pub fn push_exact(&mut self, key: &str, message: impl Into<String>) {
        self.0.push((key.to_owned(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Files every error of a shared rule check under its input.
    pub fn extend_shared(&mut self, found: &shared::error::FieldErrors) {
        for e in &found.0 {
            self.push(&e.field, e.message.clone());
        }
    }

    /// Every message for `key`, joined (a group may collect several).
    pub fn get(&self, key: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    /// `(key, message)` in the order the fields were reported, one entry per key.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &self.0 {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        keys.into_iter()
            .filter_map(|k| self.get(k).map(|m| (k.to_owned(), m)))
            .collect()
    }

    /// The message above a form with these errors ("2件の項目を確認してください。").
    pub fn summary(&self) -> String {
        format!("{}件の項目を確認してください。", self.entries().len())
    }

    /// The field errors a problem+json answer names.
    pub fn from_api(error: &ApiError) -> FormErrors {
        let mut errors = FormErrors::default();
        if let Some(problem) = error.problem() {
            for e in &problem.errors {
                errors.push(&e.field, e.message.clone());
            }
        }
        errors
    }
}

/// What a form shows of its submission: the field errors, the message above the form, and
/// whether its request is under way (`Copy`: hand it to callbacks and components freely).
#[derive(Debug, Clone, Copy)]
pub struct Submission {
    pub errors: RwSignal<FormErrors>,
    pub alert: RwSignal<Option<String>>,
    pub pending: RwSignal<bool>,
}

impl Submission {
    pub fn new() -> Submission {
        Submission {
            errors: RwSignal::new(FormErrors::default()),
            alert: RwSignal::new(None),
            pending: RwSignal::new(false),
        }
    }

    /// The browser's own checks failed: the fields and their count show, nothing is sent.
    pub fn refuse(&self, found: FormErrors) {
        self.alert.set(Some(found.summary()));
        self.errors.set(found);
    }

    pub fn start(&self) {
        self.pending.set(true);
    }

    /// The node refused the request: its field errors and `message` show, and the form can be
    /// sent again.
    pub fn fail(&self, found: FormErrors, message: String) {
        self.errors.set(found);
        self.alert.set(Some(message));
        self.pending.set(false);
    }
}

impl Default for Submission {
    fn default() -> Self {
        Submission::new()
    }
}

/// Clears an error once its field is fixed: when the field's value (from `values`, keyed like
/// the errors) differs from when the error appeared and `check` (the form's own rules) no longer
/// finds fault with it. A field the rules still fault shows their current message. The count
/// above the form follows; it goes when the last error does.
pub fn clear_fixed_errors(
    submission: Submission,
    values: Memo<Vec<(String, String)>>,
    check: impl Fn() -> FormErrors + 'static,
) {
    let seen: StoredValue<HashMap<String, String>> = StoredValue::new(HashMap::new());
    Effect::new(move |_| {
        let current: HashMap<String, String> = values.get().into_iter().collect();
        let errors = submission.errors.get();
        if errors.is_empty() {
            seen.set_value(HashMap::new());
            return;
        }
        let found = untrack(&check);
        let mut kept = FormErrors::default();
        let mut changed = false;
        seen.update_value(|seen| {
            seen.retain(|k, _| errors.get(k).is_some());
            for (key, message) in errors.entries() {
                let now = current.get(&key).cloned().unwrap_or_default();
                let then = seen.entry(key.clone()).or_insert_with(|| now.clone());
                match found.get(&key) {
                    Some(still) => {
                        changed |= still != message;
                        kept.push_exact(&key, still);
                    }
                    None if *then != now => changed = true,
                    None => kept.push_exact(&key, message),
                }
            }
        });
        if changed {
            submission.alert.set((!kept.is_empty()).then(|| kept.summary()));
            submission.errors.set(kept);
        }
    });
}

/// The person form as kept in a draft (see [`crate::drafts`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDraft {
    pub has_common_id: bool,
    pub common_id: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: String,
    pub residence_municipality: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub emergency_contact: String,
    pub notes: String,
    pub categories: Vec<String>,
    pub care_level: String,
    pub disabilities: Vec<DisabilityInput>,
    pub household: String,
    pub registered_on: String,
}

/// The input a request field belongs to: `categories[0]` → `categories`,
/// `disabilities[1].grade` → `disabilities`.
pub fn field_key(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// The person form, one signal per input (`Copy`: pass it to components freely).
#[derive(Debug, Clone, Copy)]
pub struct PersonFormState {
    pub has_common_id: RwSignal<bool>,
    pub common_id: RwSignal<String>,
    pub family_name: RwSignal<String>,
    pub given_name: RwSignal<String>,
    pub family_kana: RwSignal<String>,
    pub given_kana: RwSignal<String>,
    pub birth_date: RwSignal<Option<NaiveDate>>,
    pub sex: RwSignal<String>,
    pub residence_municipality: RwSignal<String>,
    pub postal_code: RwSignal<String>,
    pub address: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub emergency_contact: RwSignal<String>,
    pub notes: RwSignal<String>,
    pub categories: RwSignal<Vec<String>>,
    pub care_level: RwSignal<String>,
    pub disabilities: RwSignal<Vec<DisabilityInput>>,
    pub household: RwSignal<String>,
    /// `YYYY-MM-DD` as an `<input type="date">` holds it.
    pub registered_on: RwSignal<String>,
}

impl PersonFormState {
    /// An empty form for a new registration at a centre in `municipality`, registered today.
    pub fn new(municipality: &str, today: NaiveDate) -> PersonFormState {
        PersonFormState {
            has_common_id: RwSignal::new(false),
            common_id: RwSignal::new(String::new()),
            family_name: RwSignal::new(String::new()),
            given_name: RwSignal::new(String::new()),
            family_kana: RwSignal::new(String::new()),
            given_kana: RwSignal::new(String::new()),
            birth_date: RwSignal::new(None),
            sex: RwSignal::new(String::new()),
            residence_municipality: RwSignal::new(municipality.to_owned()),
            postal_code: RwSignal::new(String::new()),
            address: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            emergency_contact: RwSignal::new(String::new()),
            notes: RwSignal::new(String::new()),
            categories: RwSignal::new(Vec::new()),
            care_level: RwSignal::new(String::new()),
            disabilities: RwSignal::new(Vec::new()),
            household: RwSignal::new(String::new()),
            registered_on: RwSignal::new(crate::format::iso(today)),
        }
    }

    /// The form filled with a person's current record, for editing.
    pub fn from_view(p: &PersonView) -> PersonFormState {
        let text = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
        PersonFormState {
            has_common_id: RwSignal::new(false),
            common_id: RwSignal::new(p.common_id.clone()),
            family_name: RwSignal::new(p.family_name.clone()),
            given_name: RwSignal::new(p.given_name.clone()),
            family_kana: RwSignal::new(p.family_kana.clone()),
            given_kana: RwSignal::new(p.given_kana.clone()),
            birth_date: RwSignal::new(Some(p.birth_date)),
            sex: RwSignal::new(p.sex.clone()),
            residence_municipality: RwSignal::new(p.residence_municipality.clone()),
            postal_code: text(&p.postal_code),
            address: text(&p.address),
            phone: text(&p.phone),
            emergency_contact: text(&p.emergency_contact),
            notes: text(&p.notes),
            categories: RwSignal::new(p.categories.clone()),
            care_level: RwSignal::new(p.care_level.clone()),
            disabilities: RwSignal::new(
                p.disabilities
                    .iter()
                    .map(|d| DisabilityInput {
                        kind: d.kind.clone(),
                        grade: d.grade.clone(),
                    })
                    .collect(),
            ),
            household: RwSignal::new(p.household.clone()),
            registered_on: RwSignal::new(crate::format::iso(p.registered_on)),
        }
    }

    /// What the form holds now (tracked), for its draft.
    pub fn snapshot(&self) -> PersonDraft {
        PersonDraft {
            has_common_id: self.has_common_id.get(),
            common_id: self.common_id.get(),
            family_name: self.family_name.get(),
            given_name: self.given_name.get(),
            family_kana: self.family_kana.get(),
            given_kana: self.given_kana.get(),
            birth_date: self.birth_date.get(),
            sex: self.sex.get(),
            residence_municipality: self.residence_municipality.get(),
            postal_code: self.postal_code.get(),
            address: self.address.get(),
            phone: self.phone.get(),
            emergency_contact: self.emergency_contact.get(),
            notes: self.notes.get(),
            categories: self.categories.get(),
            care_level: self.care_level.get(),
            disabilities: self.disabilities.get(),
            household: self.household.get(),
            registered_on: self.registered_on.get(),
        }
    }

    /// The form filled from a kept draft.
    pub fn from_draft(d: PersonDraft) -> PersonFormState {
        PersonFormState {
            has_common_id: RwSignal::new(d.has_common_id),
            common_id: RwSignal::new(d.common_id),
            family_name: RwSignal::new(d.family_name),
            given_name: RwSignal::new(d.given_name),
            family_kana: RwSignal::new(d.family_kana),
            given_kana: RwSignal::new(d.given_kana),
            birth_date: RwSignal::new(d.birth_date),
            sex: RwSignal::new(d.sex),
            residence_municipality: RwSignal::new(d.residence_municipality),
            postal_code: RwSignal::new(d.postal_code),
            address: RwSignal::new(d.address),
            phone: RwSignal::new(d.phone),
            emergency_contact: RwSignal::new(d.emergency_contact),
            notes: RwSignal::new(d.notes),
            categories: RwSignal::new(d.categories),
            care_level: RwSignal::new(d.care_level),
            disabilities: RwSignal::new(d.disabilities),
            household: RwSignal::new(d.household),
            registered_on: RwSignal::new(d.registered_on),
        }
    }

    /// Each input's value as text, keyed like the form's errors (for [`clear_fixed_errors`]).
    pub fn field_values(&self) -> Vec<(String, String)> {
        let d = self.snapshot();
        vec![
            ("common_id".into(), d.common_id),
            ("family_name".into(), d.family_name),
            ("given_name".into(), d.given_name),
            ("family_kana".into(), d.family_kana),
            ("given_kana".into(), d.given_kana),
            ("birth_date".into(), format!("{:?}", d.birth_date)),
            ("sex".into(), d.sex),
            ("residence_municipality".into(), d.residence_municipality),
            ("postal_code".into(), d.postal_code),
            ("address".into(), d.address),
            ("phone".into(), d.phone),
            ("emergency_contact".into(), d.emergency_contact),
            ("notes".into(), d.notes),
            ("categories".into(), d.categories.join(",")),
            ("care_level".into(), d.care_level),
            ("disabilities".into(), format!("{:?}", d.disabilities)),
            ("household".into(), d.household),
            ("registered_on".into(), d.registered_on),
        ]
    }

    /// The request, or every problem the shared rules (`shared::person_rules`, the server's
    /// too) and the form itself (no readable date, a mistyped common ID) find, all at once.
    /// Only what needs the server (a code withdrawn today, an ID already registered) is left to
    /// its answer.
    pub fn to_input(&self, new_registration: bool) -> Result<PersonInput, FormErrors> {
        let mut errors = FormErrors::default();
        let common_id = if new_registration && self.has_common_id.get_untracked() {
            match CommonId::parse(&self.common_id.get_untracked()) {
                Ok(id) => Some(id.to_string()),
                Err(e) => {
                    errors.push("common_id", e.to_string());
                    None
                }
            }
        } else {
            None
        };
        let birth_date = self.birth_date.get_untracked();
        if birth_date.is_none() {
            errors.push(
                "birth_date",
                "生年月日を入力してください（例: 昭和23年5月1日、S23.5.1）。",
            );
        }
        let categories = self.categories.get_untracked();
        let registered_on =
            parse_date_field(&mut errors, "registered_on", &self.registered_on.get_untracked());
        let d = untrack(|| self.snapshot());
        let fields = shared::person_rules::PersonFields {
            family_name: &d.family_name,
            given_name: &d.given_name,
            family_kana: &d.family_kana,
            given_kana: &d.given_kana,
            birth_date,
            sex: &d.sex,
            residence_municipality: &d.residence_municipality,
            postal_code: Some(d.postal_code.as_str()),
            address: Some(d.address.as_str()),
            phone: Some(d.phone.as_str()),
            emergency_contact: Some(d.emergency_contact.as_str()),
            notes: Some(d.notes.as_str()),
            categories: &d.categories,
            care_level: &d.care_level,
            disabilities: &d.disabilities,
            household: &d.household,
            registered_on,
        };
        errors.extend_shared(&shared::person_rules::check(&fields, crate::clock::today_jst()));
        match (birth_date, registered_on) {
            (Some(birth_date), Some(registered_on)) if errors.is_empty() => Ok(PersonInput {
                common_id,
                family_name: self.family_name.get_untracked(),
                given_name: self.given_name.get_untracked(),
                family_kana: self.family_kana.get_untracked(),
                given_kana: self.given_kana.get_untracked(),
                birth_date,
                sex: self.sex.get_untracked(),
                residence_municipality: self.residence_municipality.get_untracked(),
                postal_code: optional(self.postal_code),
                address: optional(self.address),
                phone: optional(self.phone),
                emergency_contact: optional(self.emergency_contact),
                notes: optional(self.notes),
                categories,
                care_level: self.care_level.get_untracked(),
                disabilities: self
                    .disabilities
                    .get_untracked()
                    .into_iter()
                    .map(|d| DisabilityInput {
                        grade: d.grade.filter(|g| !g.trim().is_empty()),
                        ..d
                    })
                    .collect(),
                household: self.household.get_untracked(),
                registered_on,
            }),
            _ => Err(errors),
        }
    }
}

/// The person form under draft `name`: the kept draft when there is one (`true`), else `fresh`;
/// from here on its input is kept as it changes (see [`crate::drafts`]).
pub fn person_with_draft(name: &str, fresh: PersonFormState) -> (PersonFormState, bool) {
    let pristine = untrack(|| fresh.snapshot());
    let (state, restored) = match crate::drafts::load::<PersonDraft>(name) {
        Some(d) if d != pristine => (PersonFormState::from_draft(d), true),
        _ => (fresh, false),
    };
    let snapshot = Memo::new(move |_| state.snapshot());
    crate::drafts::keep(name.to_owned(), snapshot, pristine);
    (state, restored)
}

/// The person form's errors clear as their fields are fixed (see [`clear_fixed_errors`]).
pub fn person_errors_follow_fixes(state: PersonFormState, submission: Submission, new_registration: bool) {
    let values = Memo::new(move |_| state.field_values());
    clear_fixed_errors(submission, values, move || {
        state.to_input(new_registration).err().unwrap_or_default()
    });
}

/// Ending a registration: the date and the reason.
#[derive(Debug, Clone, Copy)]
pub struct EndFormState {
    pub ended_on: RwSignal<String>,
    pub end_reason: RwSignal<String>,
}

impl EndFormState {
    pub fn new(today: NaiveDate) -> EndFormState {
        EndFormState {
            ended_on: RwSignal::new(crate::format::iso(today)),
            end_reason: RwSignal::new(String::new()),
        }
    }

    pub fn to_input(&self) -> Result<EndRegistration, FormErrors> {
        let mut errors = FormErrors::default();
        let ended_on = parse_date_field(&mut errors, "ended_on", &self.ended_on.get_untracked());
        let end_reason = self.end_reason.get_untracked();
        if end_reason.is_empty() {
            errors.push("end_reason", "終了理由を選択してください。");
        }
        match ended_on {
            Some(ended_on) if errors.is_empty() => Ok(EndRegistration { ended_on, end_reason }),
            _ => Err(errors),
        }
    }
}

/// A date input's value (`YYYY-MM-DD`; typed text in 和暦 is accepted too).
fn parse_date_field(errors: &mut FormErrors, key: &str, value: &str) -> Option<NaiveDate> {
    if value.trim().is_empty() {
        errors.push(key, "日付を入力してください。");
        return None;
    }
    match shared::dates::parse_date_input(value) {
        Ok(date) => Some(date),
        Err(e) => {
            errors.push(key, e.to_string());
            None
        }
    }
}

fn optional(signal: RwSignal<String>) -> Option<String> {
    let value = signal.get_untracked();
    (!value.trim().is_empty()).then_some(value)
}
