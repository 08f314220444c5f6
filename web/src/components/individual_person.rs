//! The person of a visit, consultation or referral: the search until someone is chosen, then
//! their name with a way to choose someone else; people seen recently are one key away.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use shared::dto::person::PersonSummary;

use crate::activity_form::{participant_key, ActivityFormState};
use crate::components::fields::{FieldError, RequiredMark};
use crate::components::messages::focus_element;
use crate::components::participant_checklist::ChecklistEntry;
use crate::components::person_picker::{PersonPicker, SearchResults};
use crate::forms::FormErrors;

/// The person of a visit, consultation or referral: the search until someone is chosen, then
/// their name with a way to choose someone else; people seen recently can be picked at once.
#[component]
pub fn IndividualPerson(
    state: ActivityFormState,
    search_query: RwSignal<String>,
    #[prop(into)] search_results: Signal<Option<SearchResults>>,
    #[prop(into)] chosen_ids: Signal<Vec<String>>,
    on_pick: Callback<PersonSummary>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(into)] entries: Signal<Vec<ChecklistEntry>>,
) -> impl IntoView {
    let error = Signal::derive(move || errors.with(|e| e.get("participants")));
    view! {
        <div class="field individual-person">
            <Show
                when=move || state.chosen.with(Vec::is_empty)
                fallback=move || {
                    view! {
                        <p class="field-label">"対象の方" <RequiredMark /></p>
                        <ul class="chosen-people">
                            {move || {
                                state
                                    .chosen
                                    .get()
                                    .into_iter()
                                    .map(|c| {
                                        let id = c.person.common_id.clone();
                                        let person = c.person.clone();
                                        view! {
                                            <li class="chosen-person" data-testid=format!("activity-participant-{id}")>
                                                <span class="check-name long-text">{c.person.name.clone()}</span>
                                                <span class="check-kana long-text">{c.person.kana.clone()}</span>
                                                <span class="id-text">{id.clone()}</span>
                                                <button
                                                    type="button"
                                                    class="button button-small"
                                                    data-testid=format!("activity-participant-{id}-remove")
                                                    on:click=move |_| {
                                                        state.set_chosen(&person, false);
                                                        request_animation_frame(|| focus_element("activity-person-search"));
                                                    }
                                                >
                                                    "別の方にする"
                                                </button>
                                                <ParticipantIdError id=id.clone() errors />
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    }
                }
            >
                <PersonPicker
                    id="activity-person-search"
                    label="対象の方（フリガナ・氏名・番号でさがして Enter）"
                    testid="activity-person-search"
                    query=search_query
                    results=search_results
                    chosen=chosen_ids
                    on_pick=Callback::new(move |p| {
                        on_pick.run(p);
                        focus_first_detail();
                    })
                />
                {move || {
                    let recent = entries.get();
                    (!recent.is_empty())
                        .then(|| {
                            view! {
                                <div class="quick-picks" data-testid="activity-quick-picks">
                                    <p class="field-hint">"最近の対象の方:"</p>
                                    {recent
                                        .into_iter()
                                        .take(12)
                                        .map(|e| {
                                            let person = e.person.clone();
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button button-small quick-pick"
                                                    data-testid=format!("activity-quick-pick-{}", e.person.common_id)
                                                    on:click=move |_| {
                                                        state.add(person.clone());
                                                        focus_first_detail();
                                                    }
                                                >
                                                    {e.person.name.clone()}
                                                    {e.same_name.then(|| view! { <span class="quick-id">{format!("（{}）", e.person.common_id)}</span> })}
                                                </button>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            }
                        })
                }}
                <FieldError form="activity" name="participants" message=error />
            </Show>
        </div>
    }
}

#[component]
fn ParticipantIdError(id: String, #[prop(into)] errors: Signal<FormErrors>) -> impl IntoView {
    let key = participant_key(&id, None);
    let message = Signal::derive(move || errors.with(|e| e.get(&key)));
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="field-error" data-testid=format!("field-error-participant-{id}")>
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}

/// After a person is chosen for a visit or consultation: on to the first of its detail fields.
fn focus_first_detail() {
    fn attempt(frames: u32) {
        request_animation_frame(move || {
            let found = leptos::web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(".participant-detail input").ok().flatten())
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            match found {
                Some(el) => {
                    let _ = el.focus();
                }
                None if frames > 0 => attempt(frames - 1),
                None => {}
            }
        });
    }
    attempt(30);
}
