//! Ending a registration (転居, 死亡, …): the record and its history are kept, the person no
//! longer appears in the list unless asked for.

use std::sync::Arc;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::person::PersonView;

use crate::api;
use crate::app::PERSONS_PATH;
use crate::clock::today_jst;
use crate::components::fields::{DateField, SelectField};
use crate::components::messages::{ErrorSummary, SummaryItem};
use crate::format;
use crate::forms::{EndFormState, FormErrors, Submission};
use crate::master::{choices, MasterData};
use crate::pages::person_page::{PersonHeading, PersonPage};
use crate::session::Session;

const FORM: &str = "end";

#[component]
pub fn PersonEndPage() -> impl IntoView {
    view! {
        <PersonPage
            error_testid="person-end-error"
            name="person-end"
            title="登録の終了"
            body=|person, master| view! { <EndForm person master /> }.into_any()
        />
    }
}

#[component]
fn EndForm(person: PersonView, master: Arc<MasterData>) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let today = today_jst();
    let state = EndFormState::new(today);
    let submission = Submission::new();
    let Submission {
        errors,
        alert,
        pending,
    } = submission;
    let common_id = person.common_id.clone();
    let detail_href = format!("{PERSONS_PATH}/{common_id}");
    let reasons: Vec<(String, String)> = choices(&master.end_reasons, today, &[])
        .into_iter()
        .map(|i| (i.code, i.label))
        .collect();
    let summary = Signal::derive(move || {
        errors.with(|e| {
            e.entries()
                .into_iter()
                .map(|(key, message)| SummaryItem {
                    label: match key.as_str() {
                        "ended_on" => "終了日".to_owned(),
                        "end_reason" => "終了理由".to_owned(),
                        _ => key.clone(),
                    },
                    target_id: format!("{FORM}-{key}"),
                    message,
                })
                .collect()
        })
    });

    if let Some(ended_on) = person.ended_on {
        return view! {
            <p class="alert alert-info" data-testid="person-already-ended">
                {format!("この方の登録は {} に終了しています。", format::wareki_with_seireki(ended_on))}
            </p>
            <a class="button" href=detail_href>"利用者の画面へ戻る"</a>
        }
        .into_any();
    }

    let submit = {
        let common_id = common_id.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let input = match state.to_input() {
                Ok(input) => input,
                Err(found) => return submission.refuse(found),
            };
            submission.start();
            let navigate = navigate.clone();
            let common_id = common_id.clone();
            spawn_local(async move {
                match api::end_registration(session, &common_id, &input).await {
                    Ok(_) => navigate(
                        &format!("{PERSONS_PATH}/{common_id}?saved=ended"),
                        Default::default(),
                    ),
                    Err(e) => submission.fail(FormErrors::from_api(&e), e.user_message()),
                }
            });
        }
    };

    view! {
        <form class="card end-form" novalidate on:submit=submit data-testid="end-form">
            <ErrorSummary title=alert items=summary testid="end-form-errors" />
            <PersonHeading person=person.clone() />
            <p>"登録を終了しても、これまでの記録と共通利用者番号は残ります。"</p>
            <div class="grid-2">
                <DateField form=FORM name="ended_on" label="終了日" value=state.ended_on errors required=true />
                <SelectField
                    form=FORM
                    name="end_reason"
                    label="終了理由"
                    value=state.end_reason
                    options=reasons
                    errors
                    required=true
                    placeholder="選択してください"
                />
            </div>
            <div class="actions">
                <button type="submit" class="button button-danger-solid" data-testid="end-save" disabled=move || pending.get()>
                    {move || if pending.get() { "処理中…" } else { "登録を終了する" }}
                </button>
                <a class="button" href=detail_href data-testid="end-cancel">"キャンセル"</a>
            </div>
        </form>
    }
    .into_any()
}
