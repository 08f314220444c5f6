//! The frame of a page about the person in the URL (`/persons/:id/edit`, `/persons/:id/end`):
//! loads them and the master data, shows progress or the error, then the page's own body.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::dto::person::PersonView;

use crate::api;
use crate::components::messages::{ErrorAlert, Loading};
use crate::format;
use crate::master::{Master, MasterData};
use crate::session::Session;

/// `name` makes the page's class, test ID and title ID (`page-person-edit`, `person-edit-title`).
#[component]
pub fn PersonPage(
    name: &'static str,
    title: &'static str,
    /// `data-testid` of the message shown when the person cannot be loaded.
    error_testid: &'static str,
    body: fn(PersonView, Arc<MasterData>) -> AnyView,
) -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let person = LocalResource::new(move || {
        let id = id.get();
        async move { api::person(session, &id).await }
    });
    let title_id = format!("{name}-title");

    view! {
        <section class=format!("page page-{name}") data-testid=format!("page-{name}") aria-labelledby=title_id.clone()>
            <h1 id=title_id.clone()>{title}</h1>
            {move || match (master.get(), person.get()) {
                (None, _) | (_, None) => view! { <Loading /> }.into_any(),
                (Some(Err(e)), _) | (_, Some(Err(e))) => {
                    let message = e.full_message();
                    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid=error_testid /> }
                        .into_any()
                }
                (Some(Ok(data)), Some(Ok(p))) => body(p, data),
            }}
        </section>
    }
}

/// Whom the page is about: the common ID and the name, above the page's form.
#[component]
pub fn PersonHeading(person: PersonView) -> impl IntoView {
    view! {
        <p class="person-heading">
            <span class="muted">"共通利用者番号 "</span>
            <strong class="id-text" data-testid="person-common-id">{person.common_id.clone()}</strong>
            <span class="long-text">
                {format!("　{}", format::full_name(&person.family_name, &person.given_name))}
            </span>
        </p>
    }
}
