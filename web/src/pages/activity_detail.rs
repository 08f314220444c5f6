//! One activity: everything recorded and everyone who took part, with editing and deleting
//! (after a confirmation) unless its period is locked.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::activity_master::{home_center, load_locks, lock_period_label, ActivityMaster};
use crate::api;
use crate::app::ACTIVITIES_PATH;
use crate::components::activity_details::{date_with_weekday, ActivityDetails};
use crate::components::messages::{focus_element, ErrorAlert, Loading, SuccessNotice};
use crate::components::print::print;
use crate::pages::activity_calendar::day_href;
use crate::session::Session;

#[component]
pub fn ActivityDetailPage() -> impl IntoView {
    let session = Session::expect();
    let codes = ActivityMaster::expect();
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let center = home_center();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let data = LocalResource::new(move || {
        let id = id.get();
        let center = center.clone();
        async move { futures::try_join!(api::activity(session, &id), load_locks(session, center)) }
    });
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let saved =
        Signal::derive(move || query.with(|q| q.get("saved").map(|_| "変更を保存しました。".to_owned())));

    let on_delete = move |date: chrono::NaiveDate| {
        if deleting.get_untracked() {
            return;
        }
        deleting.set(true);
        delete_error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_activity(session, &id.get_untracked()).await {
                Ok(()) => navigate(&format!("{}?deleted=1", day_href(date)), Default::default()),
                Err(e) => {
                    delete_error.set(Some(e.user_message()));
                    deleting.set(false);
                }
            }
        });
    };

    let body = move || {
        let codes = match codes.get() {
            None => return view! { <Loading /> }.into_any(),
            Some(Err(e)) => return error_view(e.full_message()),
            Some(Ok(c)) => c,
        };
        match data.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(e)) => error_view(e.full_message()),
            Some(Ok((activity, locks))) => {
                let date = activity.date;
                let lock = locks.on(date).map(lock_period_label);
                let heading = format!(
                    "{}　{}",
                    codes.function_label(&activity.function),
                    activity.title.clone().unwrap_or_default()
                );
                let people = activity.participants.len() as i64 + activity.unregistered.total();
                let edit_href = format!("{ACTIVITIES_PATH}/{}/edit", activity.id);
                let on_delete = on_delete.clone();
                view! {
                    <div class="page-head">
                        <h1 id="activity-detail-title" class="long-text" data-testid="activity-detail-heading">{heading}</h1>
                        {lock.is_some().then(|| view! { <span class="status-badge" data-testid="activity-locked-badge">"締め済み"</span> })}
                    </div>
                    <p class="activity-date-line">{date_with_weekday(date)}</p>
                    {lock.clone().map(|l| view! {
                        <p class="alert alert-info lock-banner no-print" data-testid="activity-locked">
                            {format!("この活動は締め済みの期間（{l}）にあるため、変更・削除できません。")}
                        </p>
                    })}
                    <div class="toolbar no-print">
                        {lock.is_none().then(|| view! {
                            <a class="button button-primary" href=edit_href data-testid="activity-edit">"編集する"</a>
                            <button
                                type="button"
                                class="button button-danger"
                                data-testid="activity-delete"
                                on:click=move |_| {
                                    confirming.set(true);
                                    request_animation_frame(|| focus_element("activity-delete-cancel"));
                                }
                            >
                                "削除する"
                            </button>
                        })}
                        <a class="button" href=day_href(date) data-testid="activity-back-day">"この日の一覧へ"</a>
                        <button type="button" class="button" data-testid="activity-print" on:click=|_| print()>"印刷"</button>
                    </div>
                    <Show when=move || confirming.get()>
                        <div class="card confirm-box no-print" role="alertdialog" aria-labelledby="activity-delete-question" data-testid="activity-delete-confirm">
                            <p id="activity-delete-question">
                                {format!("この活動を削除します（参加の記録 延べ{people}人分も消えます）。元に戻せません。よろしいですか？")}
                            </p>
                            <ErrorAlert message=delete_error testid="activity-delete-error" />
                            <div class="actions">
                                <button
                                    type="button"
                                    class="button"
                                    id="activity-delete-cancel"
                                    data-testid="activity-delete-cancel"
                                    on:click=move |_| {
                                        confirming.set(false);
                                        request_animation_frame(|| focus_element("main"));
                                    }
                                >
                                    "やめる"
                                </button>
                                <button
                                    type="button"
                                    class="button button-danger-solid"
                                    data-testid="activity-delete-confirm-button"
                                    disabled=move || deleting.get()
                                    on:click={
                                        let on_delete = on_delete.clone();
                                        move |_| on_delete(date)
                                    }
                                >
                                    {move || if deleting.get() { "削除中…" } else { "削除する" }}
                                </button>
                            </div>
                        </div>
                    </Show>
                    <ActivityDetails activity codes />
                }
                .into_any()
            }
        }
    };

    view! {
        <section class="page page-activity-detail" data-testid="page-activity-detail" aria-labelledby="activity-detail-title">
            <div class="no-print">
                <SuccessNotice message=saved testid="activity-saved" />
            </div>
            {body}
        </section>
    }
}

fn error_view(message: String) -> AnyView {
    view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="activity-detail-error" /> }
        .into_any()
}
