//! 運用記録：変更 — changes to the system (settings, data fixes, equipment), with why, their
//! impact and the minutes; version upgrades and database migrations are recorded by the node
//! itself when it starts.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::ops_log::{codes, ChangeInput, ChangeView};

use crate::api;
use crate::components::fields::{control_id, SelectField, TextAreaField};
use crate::components::messages::{focus_element, ErrorAlert, Loading, SuccessNotice};
use crate::components::ops_fields::{read_minutes, read_time, DateTimeField, MinutesField, OpsTabs};
use crate::forms::FormErrors;
use crate::ops::{jst_text, minutes_text, now_utc, options, to_input};
use crate::session::Session;

const FORM: &str = "change";

#[component]
pub fn OpsChangesPage() -> impl IntoView {
    let session = Session::expect();
    let reload = RwSignal::new(0_u32);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<ChangeView>);
    let list = LocalResource::new(move || {
        reload.track();
        async move { api::ops_changes(session, None).await }
    });
    let done = Callback::new(move |message: String| {
        notice.set(Some(message));
        editing.set(None);
        reload.update(|r| *r += 1);
    });
    let edit = Callback::new(move |row: ChangeView| {
        notice.set(None);
        editing.set(Some(row));
        request_animation_frame(|| focus_element(&control_id(FORM, "changed_at")));
    });
    let table = move || match list.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="ops-list-error" /> }
                .into_any()
        }
        Some(Ok(all)) => view! { <ChangeTable rows=all edit /> }.into_any(),
    };
    view! {
        <section class="page page-ops" data-testid="page-ops-changes" aria-labelledby="ops-title">
            <h1 id="ops-title">"運用記録：変更"</h1>
            <OpsTabs current="/ops/changes" />
            <p class="muted">"版の更新とデータベースの移行は、ノードが起動したときに自動で記録します。"</p>
            <SuccessNotice message=notice testid="ops-notice" />
            {move || {
                let current = editing.get();
                let cancel = Callback::new(move |()| editing.set(None));
                view! { <ChangeForm current done cancel /> }
            }}
            <h2>"変更の一覧"</h2>
            {table}
        </section>
    }
}

#[component]
fn ChangeForm(current: Option<ChangeView>, done: Callback<String>, cancel: Callback<()>) -> impl IntoView {
    let session = Session::expect();
    let id = current.as_ref().map(|c| c.id);
    let input = current.as_ref().map(|c| c.input.clone());
    let text = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let changed_at = RwSignal::new(to_input(input.as_ref().map_or_else(now_utc, |i| i.changed_at)));
    let kind = text(input.as_ref().map(|i| i.kind.clone()));
    let summary = text(input.as_ref().map(|i| i.summary.clone()));
    let reason = text(input.as_ref().map(|i| i.reason.clone()));
    let impact = text(input.as_ref().map(|i| i.impact.clone()));
    let minutes = RwSignal::new(
        input
            .as_ref()
            .map_or_else(String::new, |i| i.work_minutes.to_string()),
    );
    let errors = RwSignal::new(FormErrors::default());
    let alert = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = FormErrors::default();
        let at = read_time(
            &changed_at.get_untracked(),
            "changed_at",
            "変更日時",
            true,
            &mut found,
        );
        let work = read_minutes(&minutes.get_untracked(), &mut found);
        if kind.get_untracked().is_empty() {
            found.push("kind", "変更種別を選んでください。");
        }
        for (field, label, value) in [
            ("summary", "変更内容", summary),
            ("reason", "変更理由", reason),
            ("impact", "影響", impact),
        ] {
            if value.get_untracked().trim().is_empty() {
                found.push(field, format!("{label}を入力してください。"));
            }
        }
        if !found.is_empty() {
            alert.set(Some(found.summary()));
            errors.set(found);
            return;
        }
        let body = ChangeInput {
            changed_at: at.unwrap_or_default(),
            kind: kind.get_untracked(),
            summary: summary.get_untracked(),
            reason: reason.get_untracked(),
            impact: impact.get_untracked(),
            work_minutes: work,
        };
        errors.set(FormErrors::default());
        alert.set(None);
        pending.set(true);
        spawn_local(async move {
            match api::ops_save::<_, ChangeView>(session, "changes", id, &body).await {
                Ok(saved) => done.run(format!(
                    "変更 No.{} を{}しました。",
                    saved.id,
                    if id.is_some() { "更新" } else { "記録" }
                )),
                Err(e) => {
                    errors.set(FormErrors::from_api(&e));
                    alert.set(Some(e.full_message()));
                }
            }
            pending.set(false);
        });
    };
    let title = match id {
        Some(id) => format!("変更 No.{id} を編集"),
        None => "変更を記録".to_owned(),
    };
    view! {
        <form class="card ops-form no-print" novalidate on:submit=submit data-testid="change-form" aria-labelledby="change-form-title">
            <h2 id="change-form-title">{title}</h2>
            <ErrorAlert message=alert testid="change-form-error" />
            <div class="grid-3">
                <DateTimeField form=FORM name="changed_at" label="変更日時" value=changed_at errors required=true />
                <SelectField form=FORM name="kind" label="変更種別" value=kind options=options(codes::CHANGE_KINDS)
                    errors required=true placeholder="選んでください" />
                <MinutesField form=FORM value=minutes errors />
            </div>
            <TextAreaField form=FORM name="summary" label="変更内容（必須）" value=summary errors />
            <TextAreaField form=FORM name="reason" label="変更理由（必須）" value=reason errors />
            <TextAreaField form=FORM name="impact" label="影響（必須。なければ「なし」）" value=impact errors />
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="change-submit" disabled=move || pending.get()>
                    {if id.is_some() { "更新する" } else { "記録する" }}
                </button>
                {id.map(|_| view! {
                    <button type="button" class="button" data-testid="change-cancel" on:click=move |_| cancel.run(())>"やめる"</button>
                })}
            </div>
        </form>
    }
}

#[component]
fn ChangeTable(rows: Vec<ChangeView>, edit: Callback<ChangeView>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="changes-table">
                <caption class="visually-hidden">"変更の一覧"</caption>
                <thead>
                    <tr>
                        <th scope="col">"No."</th>
                        <th scope="col">"日時"</th>
                        <th scope="col">"種別"</th>
                        <th scope="col">"内容"</th>
                        <th scope="col">"理由"</th>
                        <th scope="col">"影響"</th>
                        <th scope="col">"作業時間"</th>
                        <th scope="col">"記録"</th>
                        <th scope="col" class="no-print">"操作"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let id = row.id;
                            let i = row.input.clone();
                            let manual = row.origin == "manual";
                            let target = row.clone();
                            view! {
                                <tr data-testid=format!("change-row-{id}")>
                                    <th scope="row">{id}</th>
                                    <td>{jst_text(i.changed_at)}</td>
                                    <td>{codes::label(codes::CHANGE_KINDS, &i.kind).to_owned()}</td>
                                    <td class="long-text">{i.summary.clone()}</td>
                                    <td class="long-text">{i.reason.clone()}</td>
                                    <td class="long-text">{i.impact.clone()}</td>
                                    <td>{minutes_text(i.work_minutes)}</td>
                                    <td>{if manual { "手動" } else { "自動" }}</td>
                                    <td class="no-print">
                                        <button type="button" class="button" data-testid=format!("change-edit-{id}")
                                            on:click=move |_| edit.run(target.clone())>
                                            "編集"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
