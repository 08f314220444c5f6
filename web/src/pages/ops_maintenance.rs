//! 運用記録：計画停止 — scheduled maintenance windows (定期点検など), announced here before they
//! begin: their time is left out of the contract's 稼働率. A window not yet begun can be
//! cancelled (it asks first).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::ops_log::{MaintenanceInput, MaintenanceView};

use crate::api;
use crate::components::fields::TextAreaField;
use crate::components::messages::{ErrorAlert, Loading, SuccessNotice};
use crate::components::ops_fields::{read_minutes, read_time, DateTimeField, MinutesField, OpsTabs};
use crate::forms::FormErrors;
use crate::ops::{jst_text, minutes_text, now_utc};
use crate::session::Session;

const FORM: &str = "maintenance";

#[component]
pub fn OpsMaintenancePage() -> impl IntoView {
    let session = Session::expect();
    let reload = RwSignal::new(0_u32);
    let notice = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        reload.track();
        async move { api::ops_maintenance(session, None).await }
    });
    let done = Callback::new(move |message: String| {
        notice.set(Some(message));
        reload.update(|r| *r += 1);
    });
    let table = move || match list.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="ops-list-error" /> }
                .into_any()
        }
        Some(Ok(all)) if all.is_empty() => {
            view! { <p data-testid="maintenance-empty">"登録された計画停止はありません。"</p> }.into_any()
        }
        Some(Ok(all)) => view! { <MaintenanceTable rows=all done /> }.into_any(),
    };
    view! {
        <section class="page page-ops" data-testid="page-ops-maintenance" aria-labelledby="ops-title">
            <h1 id="ops-title">"運用記録：計画停止"</h1>
            <OpsTabs current="/ops/maintenance" />
            <p class="muted">
                "計画停止（定期点検など）は開始前に登録してください。登録した時刻が告知の時刻になり、その時間は契約の稼働率から除かれます。開始後に登録した停止は除けません。"
            </p>
            <SuccessNotice message=notice testid="ops-notice" />
            <MaintenanceForm done />
            <h2>"計画停止の一覧"</h2>
            {table}
        </section>
    }
}

#[component]
fn MaintenanceForm(done: Callback<String>) -> impl IntoView {
    let session = Session::expect();
    let starts_at = RwSignal::new(String::new());
    let ends_at = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let minutes = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let alert = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = FormErrors::default();
        let starts = read_time(
            &starts_at.get_untracked(),
            "starts_at",
            "開始日時",
            true,
            &mut found,
        );
        let ends = read_time(&ends_at.get_untracked(), "ends_at", "終了日時", true, &mut found);
        let work = read_minutes(&minutes.get_untracked(), &mut found);
        if summary.get_untracked().trim().is_empty() {
            found.push("summary", "作業内容を入力してください。");
        }
        if !found.is_empty() {
            alert.set(Some(found.summary()));
            errors.set(found);
            return;
        }
        let body = MaintenanceInput {
            starts_at: starts.unwrap_or_else(now_utc),
            ends_at: ends.unwrap_or_else(now_utc),
            summary: summary.get_untracked(),
            work_minutes: work,
        };
        errors.set(FormErrors::default());
        alert.set(None);
        pending.set(true);
        spawn_local(async move {
            match api::ops_save::<_, MaintenanceView>(session, "maintenance", None, &body).await {
                Ok(saved) => {
                    starts_at.set(String::new());
                    ends_at.set(String::new());
                    summary.set(String::new());
                    minutes.set(String::new());
                    done.run(format!("計画停止 No.{} を登録しました。", saved.id));
                }
                Err(e) => {
                    errors.set(FormErrors::from_api(&e));
                    alert.set(Some(e.full_message()));
                }
            }
            pending.set(false);
        });
    };
    view! {
        <form class="card ops-form no-print" novalidate on:submit=submit data-testid="maintenance-form" aria-labelledby="maintenance-form-title">
            <h2 id="maintenance-form-title">"計画停止を登録"</h2>
            <ErrorAlert message=alert testid="maintenance-form-error" />
            <div class="grid-3">
                <DateTimeField form=FORM name="starts_at" label="開始日時" value=starts_at errors required=true />
                <DateTimeField form=FORM name="ends_at" label="終了日時" value=ends_at errors required=true />
                <MinutesField form=FORM value=minutes errors />
            </div>
            <TextAreaField form=FORM name="summary" label="作業内容（必須）" value=summary errors />
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="maintenance-submit" disabled=move || pending.get()>
                    "登録する"
                </button>
            </div>
        </form>
    }
}

#[component]
fn MaintenanceTable(rows: Vec<MaintenanceView>, done: Callback<String>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="maintenance-table">
                <caption class="visually-hidden">"計画停止の一覧"</caption>
                <thead>
                    <tr>
                        <th scope="col">"No."</th>
                        <th scope="col">"開始"</th>
                        <th scope="col">"終了"</th>
                        <th scope="col">"作業内容"</th>
                        <th scope="col">"告知"</th>
                        <th scope="col">"作業時間"</th>
                        <th scope="col">"状態"</th>
                        <th scope="col" class="no-print">"操作"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <MaintenanceRow row done /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn MaintenanceRow(row: MaintenanceView, done: Callback<String>) -> impl IntoView {
    let session = Session::expect();
    let id = row.id;
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ahead = row.cancelled_at.is_none() && row.input.starts_at > now_utc();
    let state = if row.cancelled_at.is_some() {
        "取消"
    } else if ahead {
        "予定"
    } else {
        "実施"
    };
    let cancel = move |_| {
        spawn_local(async move {
            match api::cancel_maintenance(session, id).await {
                Ok(_) => done.run(format!("計画停止 No.{id} を取り消しました。")),
                Err(e) => error.set(Some(e.full_message())),
            }
        });
    };
    view! {
        <tr data-testid=format!("maintenance-row-{id}")>
            <th scope="row">{id}</th>
            <td>{jst_text(row.input.starts_at)}</td>
            <td>{jst_text(row.input.ends_at)}</td>
            <td class="long-text">{row.input.summary.clone()}</td>
            <td>{jst_text(row.announced_at)}</td>
            <td>{minutes_text(row.input.work_minutes)}</td>
            <td data-testid=format!("maintenance-state-{id}")>{state}</td>
            <td class="no-print">
                {ahead.then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button button-danger" data-testid=format!("maintenance-cancel-{id}")
                                on:click=move |_| confirming.set(true)>
                                "取り消す"
                            </button>
                        }
                    >
                        <p class="confirm-text" role="alert">{format!("計画停止 No.{id} を取り消しますか？")}</p>
                        <button type="button" class="button button-danger" data-testid=format!("maintenance-cancel-confirm-{id}")
                            on:click=cancel>
                            "取り消す"
                        </button>
                        " "
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>"やめる"</button>
                    </Show>
                })}
                <ErrorAlert message=error testid="maintenance-cancel-error" />
            </td>
        </tr>
    }
}
