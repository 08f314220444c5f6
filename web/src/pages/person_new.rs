//! Registering a person: a new common ID is issued, or the one they already have from another
//! centre is entered.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::app::PERSONS_PATH;
use crate::clock::today_jst;
use crate::components::messages::{ErrorAlert, Loading};
use crate::components::person_form::PersonForm;
use crate::forms::{FormErrors, PersonFormState};
use crate::master::{Master, MasterData};
use crate::node::Node;
use crate::session::Session;

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
    let state = PersonFormState::new(&home_municipality, today);
    let errors = RwSignal::new(FormErrors::default());
    let alert = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let on_submit = Callback::new(move |()| {
        let input = match state.to_input(true) {
            Ok(input) => input,
            Err(found) => {
                alert.set(Some(format!(
                    "{}件の項目を確認してください。",
                    found.entries().len()
                )));
                errors.set(found);
                return;
            }
        };
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::register_person(session, &input).await {
                Ok(person) => {
                    navigate(
                        &format!("{PERSONS_PATH}/{}?saved=new", person.common_id),
                        Default::default(),
                    );
                }
                Err(e) => {
                    let mut found = FormErrors::from_api(&e);
                    if e.code() == Some("already_registered") {
                        found.push("common_id", e.user_message());
                    }
                    errors.set(found);
                    alert.set(Some(e.user_message()));
                    pending.set(false);
                }
            }
        });
    });

    view! {
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
        />
    }
}
