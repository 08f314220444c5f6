//! One person: the printable card (A4, common ID in large type) and everything recorded, with
//! the ways on to editing and ending the registration.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api;
use crate::app::PERSONS_PATH;
use crate::components::messages::{ErrorAlert, Loading, SuccessNotice};
use crate::components::person_card::PersonCard;
use crate::components::person_details::PersonDetails;
use crate::components::print::print;
use crate::format;
use crate::master::Master;
use crate::node::Node;
use crate::session::Session;

#[component]
pub fn PersonDetailPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let node = Node::expect();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let person = LocalResource::new(move || {
        let id = id.get();
        async move { api::person(session, &id).await }
    });
    let saved = Signal::derive(move || {
        query.with(|q| match q.get("saved").as_deref() {
            Some("new") => Some("登録しました。共通利用者番号を利用者カードで確認してください。".to_owned()),
            Some("updated") => Some("変更を保存しました。".to_owned()),
            Some("ended") => Some("登録を終了しました。".to_owned()),
            _ => None,
        })
    });

    let body = move || match (master.get(), person.get()) {
        (None, _) | (_, None) => view! { <Loading /> }.into_any(),
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="person-detail-error" /> }
                .into_any()
        }
        (Some(Ok(data)), Some(Ok(p))) => {
            let center_code = node
                .meta()
                .and_then(|m| m.center)
                .unwrap_or_else(|| p.center.clone());
            let center_name = data
                .center_name(&center_code)
                .map_or(center_code.clone(), str::to_owned);
            let name = format::full_name(&p.family_name, &p.given_name);
            let base = format!("{PERSONS_PATH}/{}", p.common_id);
            let ended = p.ended_on.is_some();
            view! {
                <div class="page-head no-print">
                    <h1 id="person-detail-title" class="long-text" data-testid="person-detail-name">{name}</h1>
                    {ended.then(|| view! { <span class="status-badge" data-testid="person-ended-badge">"登録終了"</span> })}
                </div>
                <div class="toolbar no-print">
                    <button type="button" class="button button-primary" data-testid="person-print" on:click=|_| print()>
                        "利用者カードを印刷"
                    </button>
                    <a class="button" href=format!("{base}/edit") data-testid="person-edit">"編集する"</a>
                    {(!ended)
                        .then(|| {
                            view! {
                                <a class="button button-danger" href=format!("{base}/end") data-testid="person-end">
                                    "登録を終了する"
                                </a>
                            }
                        })}
                    <a class="button" href=PERSONS_PATH data-testid="person-back">"一覧へ戻る"</a>
                </div>
                <div class="detail-grid">
                    <PersonCard person=p.clone() center_name printed_at=crate::ops::now_utc() />
                    <PersonDetails person=p.clone() master=data />
                </div>
                <PersonParticipations common_id=p.common_id.clone() />
            }
            .into_any()
        }
    };

    view! {
        <section class="page page-person-detail" data-testid="page-person-detail" aria-labelledby="person-detail-title">
            <div class="no-print">
                <SuccessNotice message=saved testid="person-saved" />
            </div>
            {body}
        </section>
    }
}

/// Where the person took part: their participations at this centre, newest first, 50 at a time.
#[component]
fn PersonParticipations(common_id: String) -> impl IntoView {
    use crate::activity_master::ActivityMaster;
    use crate::components::participation_history::ParticipationHistory;

    const STEP: u64 = 50;
    let session = Session::expect();
    let codes = ActivityMaster::expect();
    let limit = RwSignal::new(STEP);
    let page = LocalResource::new(move || {
        let common_id = common_id.clone();
        let limit = limit.get();
        async move { api::person_participations(session, &common_id, 0, limit).await }
    });
    let body = move || match (codes.get(), page.get()) {
        (None, _) | (_, None) => view! { <Loading /> }.into_any(),
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="person-participations-error" /> }
                .into_any()
        }
        (Some(Ok(codes)), Some(Ok(page))) => {
            let more = (page.total > page.items.len() as u64)
                .then(|| Callback::new(move |()| limit.update(|l| *l += STEP)));
            view! { <ParticipationHistory page codes on_more=more /> }.into_any()
        }
    };
    view! {
        <section class="card person-participations no-print" aria-labelledby="person-participations-title" data-testid="person-participations">
            <h3 id="person-participations-title">"参加の記録"</h3>
            {body}
        </section>
    }
}
