//! Editing a person's record. Past participations keep the attributes they were recorded with
//! (the server takes care of that), so correcting a record never changes closed figures.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::person::PersonView;

use crate::api;
use crate::app::PERSONS_PATH;
use crate::clock::today_jst;
use crate::components::person_form::PersonForm;
use crate::forms::{FormErrors, PersonFormState, Submission};
use crate::master::MasterData;
use crate::pages::person_page::{PersonHeading, PersonPage};
use crate::session::Session;

#[component]
pub fn PersonEditPage() -> impl IntoView {
    view! {
        <PersonPage
            error_testid="person-edit-error"
            name="person-edit"
            title="利用者情報の編集"
            body=|person, master| view! { <EditPersonForm person master /> }.into_any()
        />
    }
}

#[component]
fn EditPersonForm(person: PersonView, master: Arc<MasterData>) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let draft = format!("person-edit:{}", person.common_id);
    let (state, restored) = crate::forms::person_with_draft(&draft, PersonFormState::from_view(&person));
    let submission = Submission::new();
    crate::forms::person_errors_follow_fixes(state, submission, false);
    let Submission {
        errors,
        alert,
        pending,
    } = submission;
    let common_id = person.common_id.clone();
    let detail_href = format!("{PERSONS_PATH}/{common_id}");

    let on_submit = Callback::new({
        let common_id = common_id.clone();
        let draft = draft.clone();
        move |()| {
            let input = match state.to_input(false) {
                Ok(input) => input,
                Err(found) => return submission.refuse(found),
            };
            submission.start();
            let navigate = navigate.clone();
            let common_id = common_id.clone();
            let draft = draft.clone();
            spawn_local(async move {
                match api::update_person(session, &common_id, &input).await {
                    Ok(_) => {
                        crate::drafts::discard(&draft);
                        navigate(
                            &format!("{PERSONS_PATH}/{common_id}?saved=updated"),
                            Default::default(),
                        )
                    }
                    Err(e) => submission.fail(FormErrors::from_api(&e), e.user_message()),
                }
            });
        }
    });

    view! {
        <PersonHeading person=person.clone() />
        <crate::drafts::DraftNotice name=draft restored />
        <PersonForm
            state
            master
            errors
            alert
            is_new=false
            pending
            on_submit
            cancel_href=detail_href
            today=today_jst()
        />
    }
}
