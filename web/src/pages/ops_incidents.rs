//! 運用記録：障害 — incidents (障害・セキュリティ事故): opened by the node's alert events or by
//! hand; the operator records the first triage (the 12-hour clock), the resolution, the cause,
//! the impact, the handling and the minutes. Each has its own 障害対応報告書.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use shared::dto::ops_log::{codes, IncidentInput, IncidentView};

use crate::api;
use crate::components::fields::{control_id, SelectField, TextAreaField};
use crate::components::messages::{focus_element, ErrorAlert, Loading, SuccessNotice};
use crate::components::ops_fields::{
    read_minutes, read_time, DateTimeField, MinutesField, OpsTabs, SlaBadge,
};
use crate::forms::FormErrors;
use crate::ops::{jst_text, minutes_text, now_utc, opt_jst_text, options, to_input};
use crate::session::Session;

const FORM: &str = "incident";

#[component]
pub fn OpsIncidentsPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let reload = RwSignal::new(0_u32);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<IncidentView>);
    let list = LocalResource::new(move || {
        reload.track();
        async move { api::ops_incidents(session, None).await }
    });
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
    let edit = Callback::new(move |row: IncidentView| {
        notice.set(None);
        editing.set(Some(row));
        request_animation_frame(|| focus_element(&control_id(FORM, "detected_at")));
    });
    let table = move || match list.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="ops-list-error" /> }
                .into_any()
        }
        Some(Ok(all)) if all.is_empty() => {
            view! { <p data-testid="incidents-empty">"記録された障害はありません。"</p> }.into_any()
        }
        Some(Ok(all)) => view! { <IncidentTable rows=all edit /> }.into_any(),
    };
    view! {
        <section class="page page-ops" data-testid="page-ops-incidents" aria-labelledby="ops-title">
            <h1 id="ops-title">"運用記録：障害"</h1>
            <OpsTabs current="/ops/incidents" />
            <p class="muted">
                "監視の通知（ディスク残量、同期の滞留、バックアップ失敗など）は自動で障害として記録されます。一次切り分けの期限は検知から12時間（夜間・休日も数えます）。"
            </p>
            <SuccessNotice message=notice testid="ops-notice" />
            {move || {
                let current = editing.get();
                let cancel = Callback::new(move |()| editing.set(None));
                view! { <IncidentForm current done cancel /> }
            }}
            <h2>"障害の一覧"</h2>
            {table}
        </section>
    }
}

#[component]
fn IncidentForm(
    current: Option<IncidentView>,
    done: Callback<String>,
    cancel: Callback<()>,
) -> impl IntoView {
    let session = Session::expect();
    let id = current.as_ref().map(|c| c.id);
    let origin = current.as_ref().and_then(|c| {
        c.alert_event.clone().map(|e| {
            format!(
                "監視の通知 {e}（{}）から自動で記録",
                c.alert_subject.clone().unwrap_or_default()
            )
        })
    });
    let input = current.as_ref().map(|c| c.input.clone());
    let text = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let detected_at = RwSignal::new(to_input(input.as_ref().map_or_else(now_utc, |i| i.detected_at)));
    let kind = RwSignal::new(
        input
            .as_ref()
            .map_or_else(|| "failure".to_owned(), |i| i.kind.clone()),
    );
    let summary = text(input.as_ref().map(|i| i.summary.clone()));
    let triaged_at = text(input.as_ref().and_then(|i| i.triaged_at.map(to_input)));
    let resolved_at = text(input.as_ref().and_then(|i| i.resolved_at.map(to_input)));
    let cause = text(input.as_ref().and_then(|i| i.cause.clone()));
    let impact = text(input.as_ref().and_then(|i| i.impact.clone()));
    let handling = text(input.as_ref().and_then(|i| i.handling.clone()));
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
        let detected = read_time(
            &detected_at.get_untracked(),
            "detected_at",
            "検知日時",
            true,
            &mut found,
        );
        let triaged = read_time(
            &triaged_at.get_untracked(),
            "triaged_at",
            "一次切り分け日時",
            false,
            &mut found,
        );
        let resolved = read_time(
            &resolved_at.get_untracked(),
            "resolved_at",
            "解決日時",
            false,
            &mut found,
        );
        let work = read_minutes(&minutes.get_untracked(), &mut found);
        if summary.get_untracked().trim().is_empty() {
            found.push("summary", "概要を入力してください。");
        }
        if !found.is_empty() {
            alert.set(Some(found.summary()));
            errors.set(found);
            return;
        }
        let optional = |s: RwSignal<String>| Some(s.get_untracked()).filter(|t| !t.trim().is_empty());
        let body = IncidentInput {
            detected_at: detected.unwrap_or_default(),
            kind: kind.get_untracked(),
            summary: summary.get_untracked(),
            triaged_at: triaged,
            resolved_at: resolved,
            cause: optional(cause),
            impact: optional(impact),
            handling: optional(handling),
            work_minutes: work,
        };
        errors.set(FormErrors::default());
        alert.set(None);
        pending.set(true);
        spawn_local(async move {
            match api::ops_save::<_, IncidentView>(session, "incidents", id, &body).await {
                Ok(saved) => done.run(format!(
                    "障害 No.{} を{}しました（一次切り分け: {}）。",
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
        Some(id) => format!("障害 No.{id} を編集"),
        None => "障害を記録".to_owned(),
    };
    view! {
        <form class="card ops-form no-print" novalidate on:submit=submit data-testid="incident-form" aria-labelledby="incident-form-title">
            <h2 id="incident-form-title">{title}</h2>
            {origin.map(|o| view! { <p class="muted" data-testid="incident-origin">{o}</p> })}
            <ErrorAlert message=alert testid="incident-form-error" />
            <div class="grid-3">
                <DateTimeField form=FORM name="detected_at" label="検知日時" value=detected_at errors required=true />
                <SelectField form=FORM name="kind" label="種類" value=kind options=options(codes::INCIDENT_KINDS) errors required=true />
                <MinutesField form=FORM value=minutes errors />
            </div>
            <TextAreaField form=FORM name="summary" label="概要（必須）" value=summary errors />
            <div class="grid-3">
                <DateTimeField form=FORM name="triaged_at" label="一次切り分け日時" value=triaged_at errors />
                <DateTimeField form=FORM name="resolved_at" label="解決日時" value=resolved_at errors />
            </div>
            <TextAreaField form=FORM name="cause" label="原因" value=cause errors />
            <TextAreaField form=FORM name="impact" label="影響" value=impact errors />
            <TextAreaField form=FORM name="handling" label="対応内容" value=handling errors />
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="incident-submit" disabled=move || pending.get()>
                    {if id.is_some() { "更新する" } else { "記録する" }}
                </button>
                {id.map(|_| view! {
                    <button type="button" class="button" data-testid="incident-cancel" on:click=move |_| cancel.run(())>
                        "やめる"
                    </button>
                })}
            </div>
        </form>
    }
}

#[component]
fn IncidentTable(rows: Vec<IncidentView>, edit: Callback<IncidentView>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="incidents-table">
                <caption class="visually-hidden">"障害の一覧"</caption>
                <thead>
                    <tr>
                        <th scope="col">"No."</th>
                        <th scope="col">"種類"</th>
                        <th scope="col">"検知"</th>
                        <th scope="col">"概要"</th>
                        <th scope="col">"一次切り分け"</th>
                        <th scope="col">"解決"</th>
                        <th scope="col">"作業時間"</th>
                        <th scope="col" class="no-print">"操作"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let id = row.id;
                            let i = row.input.clone();
                            let sla = row.sla.clone();
                            let automatic = row.origin == "alert";
                            let target = row.clone();
                            view! {
                                <tr data-testid=format!("incident-row-{id}")>
                                    <th scope="row">{id}</th>
                                    <td>{codes::label(codes::INCIDENT_KINDS, &i.kind).to_owned()}</td>
                                    <td>
                                        {jst_text(i.detected_at)}
                                        {automatic.then(|| view! { <br /><span class="badge">"自動"</span> })}
                                    </td>
                                    <td class="long-text">{i.summary.clone()}</td>
                                    <td>{opt_jst_text(i.triaged_at)} <br /> <SlaBadge sla testid=format!("incident-sla-{id}") /></td>
                                    <td>{opt_jst_text(i.resolved_at)}</td>
                                    <td>{minutes_text(i.work_minutes)}</td>
                                    <td class="no-print">
                                        <button type="button" class="button" data-testid=format!("incident-edit-{id}")
                                            on:click=move |_| edit.run(target.clone())>
                                            "編集"
                                        </button>
                                        " "
                                        <a class="button" href=format!("/ops/reports?kind=incidents&incident={id}")
                                            data-testid=format!("incident-report-{id}")>
                                            "報告書"
                                        </a>
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
