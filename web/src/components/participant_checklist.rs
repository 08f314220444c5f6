//! The people likely to have come, as a checklist: Tab moves between them, Space ticks. Each
//! person's server message (not registered on that date, ended, twice) shows under their name.

use leptos::prelude::*;

use crate::activity_form::{participant_key, ActivityFormState, PersonRef};
use crate::forms::FormErrors;

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistEntry {
    pub person: PersonRef,
    /// E.g. `最近5回中4回`.
    pub note: Option<String>,
    /// Added by search (rather than suggested).
    pub added: bool,
    /// Someone else listed has the same name: show the common ID.
    pub same_name: bool,
}

/// Every message filed for a participant (their ID or any detail), joined.
pub fn participant_message(errors: &FormErrors, common_id: &str) -> Option<String> {
    let key = participant_key(common_id, None);
    let messages: Vec<String> = errors
        .entries()
        .into_iter()
        .filter(|(k, _)| *k == key || k.starts_with(&format!("{key}.")))
        .map(|(_, m)| m)
        .collect();
    (!messages.is_empty()).then(|| messages.join(" "))
}

#[component]
pub fn ParticipantChecklist(
    #[prop(into)] entries: Signal<Vec<ChecklistEntry>>,
    state: ActivityFormState,
    #[prop(into)] errors: Signal<FormErrors>,
) -> impl IntoView {
    view! {
        <ul class="checklist" data-testid="activity-checklist" aria-label="参加者の候補">
            <For
                each=move || entries.get()
                key=|e| (e.person.common_id.clone(), e.note.clone(), e.added, e.same_name)
                children=move |entry: ChecklistEntry| {
                    let id = entry.person.common_id.clone();
                    let input_id = format!("activity-participant-{id}");
                    let error_id = format!("{input_id}-error");
                    let checked = {
                        let id = id.clone();
                        Memo::new(move |_| state.is_chosen(&id))
                    };
                    let message = {
                        let id = id.clone();
                        Signal::derive(move || errors.with(|e| participant_message(e, &id)))
                    };
                    let person = entry.person.clone();
                    view! {
                        <li
                            class="check-item"
                            class:checked=move || checked.get()
                            class:check-added=entry.added
                            class:check-invalid=move || message.with(Option::is_some)
                            data-testid="activity-participant-item"
                        >
                            <input
                                type="checkbox"
                                id=input_id.clone()
                                data-testid=input_id.clone()
                                aria-describedby=error_id.clone()
                                aria-invalid=move || message.with(Option::is_some).then_some("true")
                                prop:checked=move || checked.get()
                                on:change=move |ev| state.set_chosen(&person, event_target_checked(&ev))
                            />
                            <label for=input_id.clone()>
                                <span class="check-name long-text">{entry.person.name.clone()}</span>
                                <span class="check-kana long-text">{entry.person.kana.clone()}</span>
                                {entry.note.clone().map(|n| view! { <span class="check-note">{n}</span> })}
                                {entry.same_name.then(|| view! { <span class="check-note id-text">{id.clone()}</span> })}
                            </label>
                            <Show when=move || message.with(Option::is_some)>
                                <p class="field-error" id=error_id.clone() data-testid=format!("field-error-participant-{id}")>
                                    {move || message.get().unwrap_or_default()}
                                </p>
                            </Show>
                        </li>
                    }
                }
            />
        </ul>
    }
}
