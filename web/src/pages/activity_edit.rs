//! Correcting an activity: the same form, filled. Participations that stay as they were keep
//! the attributes they were recorded with (the server sees to that).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::activity_form::ActivityFormState;
use crate::activity_master::ActivityMaster;
use crate::api;
use crate::app::ACTIVITIES_PATH;
use crate::components::activity_details::date_with_weekday;
use crate::components::messages::{ErrorAlert, Loading};
use crate::pages::activity_editor::ActivityEditor;
use crate::session::Session;

#[component]
pub fn ActivityEditPage() -> impl IntoView {
    let session = Session::expect();
    let codes = ActivityMaster::expect();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let activity = LocalResource::new(move || {
        let id = id.get();
        async move { api::activity(session, &id).await }
    });

    let body = move || match (codes.get(), activity.get()) {
        (None, _) | (_, None) => view! { <Loading /> }.into_any(),
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="activity-edit-error" /> }
                .into_any()
        }
        (Some(Ok(codes)), Some(Ok(view))) => {
            let state = ActivityFormState::from_view(&view);
            let cancel_href = format!("{ACTIVITIES_PATH}/{}", view.id);
            let heading = format!(
                "{}　{}",
                date_with_weekday(view.date),
                codes.function_label(&view.function)
            );
            view! {
                <p class="person-heading" data-testid="activity-edit-heading">{heading}</p>
                <ActivityEditor state codes existing=Some(view) cancel_href />
            }
            .into_any()
        }
    };

    view! {
        <section class="page page-activity-edit" data-testid="page-activity-edit" aria-labelledby="activity-edit-title">
            <h1 id="activity-edit-title">"活動の記録を直す"</h1>
            {body}
        </section>
    }
}
