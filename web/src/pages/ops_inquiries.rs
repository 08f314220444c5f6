//! 運用記録：問い合わせ — the operator (and the prefecture) records each inquiry from a centre,
//! a municipality or the prefecture's office, its first answer (the 24-hour clock), its closing
//! and the minutes it took. No person data: the server refuses a common ID in the text.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use shared::dto::ops_log::{codes, InquiryInput, InquiryView};

use crate::api;
use crate::components::fields::{control_id, SelectField, TextAreaField};
use crate::components::messages::{focus_element, ErrorAlert, Loading, SuccessNotice};
use crate::components::ops_fields::{
    read_minutes, read_time, DateTimeField, MinutesField, OpsTabs, SlaBadge,
};
use crate::forms::FormErrors;
use crate::master::Master;
use crate::ops::{jst_text, minutes_text, now_utc, opt_jst_text, options, to_input};
use crate::session::Session;

const FORM: &str = "inquiry";

#[component]
pub fn OpsInquiriesPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let reload = RwSignal::new(0_u32);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<InquiryView>);
    let list = LocalResource::new(move || {
        reload.track();
        async move { api::ops_inquiries(session, None).await }
    });
    // `?edit=N` (from the home screen's list) opens that inquiry in the form once loaded.
    Effect::new(move |_| {
        let wanted: Option<i64> = query.with(|q| q.get("edit").and_then(|v| v.parse().ok()));
        if let (Some(id), Some(Ok(all))) = (wanted, list.get()) {
            if editing.with_untracked(|e| e.as_ref().map(|e| e.id)) != Some(id) {
                editing.set(all.into_iter().find(|i| i.id == id));
            }
        }
    });
    let done = Callback::new(move |message: String| {
        notice.set(Some(message));
        editing.set(None);
        reload.update(|r| *r += 1);
    });
    let edit = Callback::new(move |row: InquiryView| {
        notice.set(None);
        editing.set(Some(row));
        request_animation_frame(|| focus_element(&control_id(FORM, "received_at")));
    });

    let table = move || match list.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="ops-list-error" /> }
                .into_any()
        }
        Some(Ok(all)) if all.is_empty() => {
            view! { <p data-testid="inquiries-empty">"記録された問い合わせはありません。"</p> }.into_any()
        }
        Some(Ok(all)) => view! { <InquiryTable rows=all edit /> }.into_any(),
    };

    view! {
        <section class="page page-ops" data-testid="page-ops-inquiries" aria-labelledby="ops-title">
            <h1 id="ops-title">"運用記録：問い合わせ"</h1>
            <OpsTabs current="/ops/inquiries" />
            <p class="muted">
                "初回回答の期限は受付から24時間（夜間・休日も数えます）。氏名・共通利用者番号など、利用者個人の情報は書かないでください。"
            </p>
            <SuccessNotice message=notice testid="ops-notice" />
            {move || {
                let current = editing.get();
                let cancel = Callback::new(move |()| editing.set(None));
                view! { <InquiryForm current done cancel /> }
            }}
            <h2>"問い合わせの一覧"</h2>
            {table}
        </section>
    }
}

#[component]
fn InquiryForm(current: Option<InquiryView>, done: Callback<String>, cancel: Callback<()>) -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let id = current.as_ref().map(|c| c.id);
    let input = current.as_ref().map(|c| c.input.clone());
    let text = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let received_at = RwSignal::new(to_input(input.as_ref().map_or_else(now_utc, |i| i.received_at)));
    let source_kind = text(input.as_ref().map(|i| i.source_kind.clone()));
    let source_code = text(input.as_ref().and_then(|i| i.source_code.clone()));
    let channel = text(input.as_ref().map(|i| i.channel.clone()));
    let category = text(input.as_ref().map(|i| i.category.clone()));
    let summary = text(input.as_ref().map(|i| i.summary.clone()));
    let answer = text(input.as_ref().and_then(|i| i.answer.clone()));
    let answered_at = text(input.as_ref().and_then(|i| i.first_answered_at.map(to_input)));
    let closed_at = text(input.as_ref().and_then(|i| i.closed_at.map(to_input)));
    let minutes = RwSignal::new(
        input
            .as_ref()
            .map_or_else(String::new, |i| i.work_minutes.to_string()),
    );
    let errors = RwSignal::new(FormErrors::default());
    let alert = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let code_options = move || -> Vec<(String, String)> {
        let data = master.data();
        match source_kind.get().as_str() {
            "center" => data.map_or_else(Vec::new, |d| {
                d.centers
                    .iter()
                    .map(|c| (c.code.clone(), format!("{}（{}）", c.name, c.code)))
                    .collect()
            }),
            "municipality" => data.map_or_else(Vec::new, |d| {
                d.municipalities
                    .iter()
                    .map(|m| (m.code.clone(), m.name.clone()))
                    .collect()
            }),
            _ => Vec::new(),
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = FormErrors::default();
        let received = read_time(
            &received_at.get_untracked(),
            "received_at",
            "受付日時",
            true,
            &mut found,
        );
        let first = read_time(
            &answered_at.get_untracked(),
            "first_answered_at",
            "初回回答日時",
            false,
            &mut found,
        );
        let closed = read_time(
            &closed_at.get_untracked(),
            "closed_at",
            "完了日時",
            false,
            &mut found,
        );
        let work = read_minutes(&minutes.get_untracked(), &mut found);
        for (field, label, value) in [
            ("source_kind", "問い合わせ元", source_kind.get_untracked()),
            ("channel", "受付手段", channel.get_untracked()),
            ("category", "分類", category.get_untracked()),
        ] {
            if value.is_empty() {
                found.push(field, format!("{label}を選んでください。"));
            }
        }
        if summary.get_untracked().trim().is_empty() {
            found.push("summary", "問い合わせ内容を入力してください。");
        }
        if !found.is_empty() {
            alert.set(Some(found.summary()));
            errors.set(found);
            return;
        }
        let kind = source_kind.get_untracked();
        let body = InquiryInput {
            received_at: received.unwrap_or_default(),
            source_code: matches!(kind.as_str(), "center" | "municipality")
                .then(|| source_code.get_untracked())
                .filter(|c| !c.is_empty()),
            source_kind: kind,
            channel: channel.get_untracked(),
            category: category.get_untracked(),
            summary: summary.get_untracked(),
            answer: Some(answer.get_untracked()).filter(|a| !a.trim().is_empty()),
            first_answered_at: first,
            closed_at: closed,
            work_minutes: work,
        };
        errors.set(FormErrors::default());
        alert.set(None);
        pending.set(true);
        spawn_local(async move {
            match api::ops_save::<_, InquiryView>(session, "inquiries", id, &body).await {
                Ok(saved) => done.run(format!(
                    "問い合わせ No.{} を{}しました（初回回答: {}）。",
                    saved.id,
                    if id.is_some() { "更新" } else { "記録" },
                    saved.sla.state.label()
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
        Some(id) => format!("問い合わせ No.{id} を編集"),
        None => "問い合わせを記録".to_owned(),
    };
    view! {
        <form class="card ops-form no-print" novalidate on:submit=submit data-testid="inquiry-form" aria-labelledby="inquiry-form-title">
            <h2 id="inquiry-form-title">{title}</h2>
            <ErrorAlert message=alert testid="inquiry-form-error" />
            <div class="grid-3">
                <DateTimeField form=FORM name="received_at" label="受付日時" value=received_at errors required=true />
                <SelectField form=FORM name="source_kind" label="問い合わせ元" value=source_kind
                    options=options(codes::SOURCE_KINDS) errors required=true placeholder="選んでください" />
                {move || {
                    matches!(source_kind.get().as_str(), "center" | "municipality")
                        .then(|| view! {
                            <SelectField form=FORM name="source_code" label="センター・市町村" value=source_code
                                options=code_options() errors required=true placeholder="選んでください" />
                        })
                }}
            </div>
            <div class="grid-3">
                <SelectField form=FORM name="channel" label="受付手段" value=channel
                    options=options(codes::CHANNELS) errors required=true placeholder="選んでください" />
                <SelectField form=FORM name="category" label="分類" value=category
                    options=options(codes::INQUIRY_CATEGORIES) errors required=true placeholder="選んでください" />
                <MinutesField form=FORM value=minutes errors />
            </div>
            <TextAreaField form=FORM name="summary" label="問い合わせ内容（必須）" value=summary errors />
            <TextAreaField form=FORM name="answer" label="回答内容" value=answer errors />
            <div class="grid-3">
                <DateTimeField form=FORM name="first_answered_at" label="初回回答日時" value=answered_at errors />
                <DateTimeField form=FORM name="closed_at" label="完了日時" value=closed_at errors />
            </div>
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="inquiry-submit" disabled=move || pending.get()>
                    {if id.is_some() { "更新する" } else { "記録する" }}
                </button>
                {id.map(|_| view! {
                    <button type="button" class="button" data-testid="inquiry-cancel" on:click=move |_| cancel.run(())>
                        "やめる"
                    </button>
                })}
            </div>
        </form>
    }
}

#[component]
fn InquiryTable(rows: Vec<InquiryView>, edit: Callback<InquiryView>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="inquiries-table">
                <caption class="visually-hidden">"問い合わせの一覧"</caption>
                <thead>
                    <tr>
                        <th scope="col">"No."</th>
                        <th scope="col">"受付"</th>
                        <th scope="col">"問い合わせ元"</th>
                        <th scope="col">"分類"</th>
                        <th scope="col">"内容"</th>
                        <th scope="col">"初回回答"</th>
                        <th scope="col">"完了"</th>
                        <th scope="col">"作業時間"</th>
                        <th scope="col" class="no-print">"操作"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let id = row.id;
                            let i = &row.input;
                            let from = match &i.source_code {
                                Some(c) => format!("{}（{c}）", codes::label(codes::SOURCE_KINDS, &i.source_kind)),
                                None => codes::label(codes::SOURCE_KINDS, &i.source_kind).to_owned(),
                            };
                            let cells = (
                                jst_text(i.received_at),
                                from,
                                codes::label(codes::INQUIRY_CATEGORIES, &i.category).to_owned(),
                                i.summary.clone(),
                                opt_jst_text(i.first_answered_at),
                                opt_jst_text(i.closed_at),
                                minutes_text(i.work_minutes),
                            );
                            let sla = row.sla.clone();
                            let target = row.clone();
                            view! {
                                <tr data-testid=format!("inquiry-row-{id}")>
                                    <th scope="row">{id}</th>
                                    <td>{cells.0}</td>
                                    <td>{cells.1}</td>
                                    <td>{cells.2}</td>
                                    <td class="long-text">{cells.3}</td>
                                    <td>{cells.4} <br /> <SlaBadge sla testid=format!("inquiry-sla-{id}") /></td>
                                    <td>{cells.5}</td>
                                    <td>{cells.6}</td>
                                    <td class="no-print">
                                        <button type="button" class="button" data-testid=format!("inquiry-edit-{id}")
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
