//! Registering a person: a new common ID is issued, or the one they already have from another
//! centre is entered. Once フリガナ and birth date are filled in, the optional duplicate hint asks
//! the node whether the person may already have a common ID at another centre.

use std::sync::Arc;
use std::time::Duration;

use leptos::leptos_dom::helpers::{set_timeout_with_handle, TimeoutHandle};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::duplicate_hint::{DuplicateHintAnswer, DuplicateHintQuery};
use shared::error::ProblemCode;

use crate::api;
use crate::app::PERSONS_PATH;
use crate::clock::today_jst;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::person_form::PersonForm;
use crate::forms::{FormErrors, PersonFormState, Submission};
use crate::master::{Master, MasterData};
use crate::node::Node;
use crate::session::Session;

/// The draft of a new registration (one per account and tab).
const DRAFT: &str = "person-new";

/// Pause after the last keystroke before asking for the duplicate hint.
const HINT_DEBOUNCE: Duration = Duration::from_millis(500);

#[component]
pub fn PersonNewPage() -> impl IntoView {
    let master = Master::expect();
    view! {
        <section class="page page-person-new" data-testid="page-person-new" aria-labelledby="person-new-title">
            <h1 id="person-new-title">"利用者の新規登録"</h1>
            {move || match master.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(e)) => {
                    let message = e.full_message();
                    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="person-new-error" /> }
                        .into_any()
                }
                Some(Ok(data)) => view! { <NewPersonForm master=data /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn NewPersonForm(master: Arc<MasterData>) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let today = today_jst();
    // The centre's own municipality is the most likely residence.
    let home_municipality = untrack(|| Node::expect().meta())
        .and_then(|meta| meta.center)
        .and_then(|center| master.center_municipality(&center).map(str::to_owned))
        .unwrap_or_default();
    let (state, restored) =
        crate::forms::person_with_draft(DRAFT, PersonFormState::new(&home_municipality, today));
    let submission = Submission::new();
    crate::forms::person_errors_follow_fixes(state, submission, true);
    let Submission {
        errors,
        alert,
        pending,
    } = submission;
    let duplicate_hint = duplicate_hint_for(session, state);

    let on_submit = Callback::new(move |()| {
        let input = match state.to_input(true) {
            Ok(input) => input,
            Err(found) => return submission.refuse(found),
        };
        submission.start();
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::register_person(session, &input).await {
                Ok(person) => {
                    crate::drafts::discard(DRAFT);
                    navigate(
                        &format!("{PERSONS_PATH}/{}?saved=new", person.common_id),
                        Default::default(),
                    );
                }
                Err(e) => {
                    let mut found = FormErrors::from_api(&e);
                    if e.code() == Some(ProblemCode::AlreadyRegistered) {
                        found.push("common_id", e.user_message());
                    }
                    submission.fail(found, e.user_message());
                }
            }
        });
    });

    view! {
        <crate::drafts::DraftNotice name=DRAFT.to_owned() restored />
        <PersonForm
            state
            master
            errors
            alert
            is_new=true
            pending
            on_submit
            cancel_href=PERSONS_PATH.to_owned()
            today
            duplicate_hint
        />
    }
}

/// The duplicate hint's answer for the フリガナ and birth date in `state`: asked a moment after
/// they are all filled in or change, and only the latest question's answer is kept. A failed
/// call (e.g. kana the server rejects) shows nothing; the form's own checks say what is wrong.
fn duplicate_hint_for(session: Session, state: PersonFormState) -> Signal<Option<DuplicateHintAnswer>> {
    let answer = RwSignal::new(None::<DuplicateHintAnswer>);
    let question = Memo::new(move |_| {
        let family = state.family_kana.with(|s| s.trim().to_owned());
        let given = state.given_kana.with(|s| s.trim().to_owned());
        let birth_date = state.birth_date.get()?;
        (!family.is_empty() && !given.is_empty()).then_some(DuplicateHintQuery {
            family_kana: family,
            given_kana: given,
            birth_date,
        })
    });
    let asked = StoredValue::new(0u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let cancel_timer = move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    on_cleanup(cancel_timer);
    Effect::new(move |_| {
        let query = question.get();
        cancel_timer();
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        answer.set(None);
        let Some(query) = query else { return };
        let ask = move || {
            spawn_local(async move {
                let result = api::duplicate_hints(session, &query).await;
                if asked.try_get_value() == Some(this) {
                    answer.set(result.ok());
                }
            });
        };
        if let Ok(handle) = set_timeout_with_handle(ask, HINT_DEBOUNCE) {
            timer.set_value(Some(handle));
        }
    });
    answer.into()
}
