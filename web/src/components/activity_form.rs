//! The activity form, in two shapes: a gathering (集い, 介護予防, 配食, …) with its regular
//! participants as a checklist, others added by search and unregistered headcounts; or one
//! person's visit, consultation or referral with the detail its function needs. Keyboard first:
//! Tab / Space through the checklist, Enter in the search adds, Ctrl+Enter saves from anywhere
//! (a plain Enter never saves a half-filled form). The page saves and hands back the errors.

use std::sync::Arc;

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use shared::dto::person::PersonSummary;

use crate::activity_form::{ActivityFormState, PersonRef};
use crate::activity_master::ActivityCodes;
use crate::activity_rules::FormKind;
use crate::components::fields::{
    control_id, DateField, FieldError, RadioGroup, SelectField, TextAreaField, TextField,
};
use crate::components::individual_person::IndividualPerson;
use crate::components::messages::{focus_element, ErrorSummary, SummaryItem};
use crate::components::participant_checklist::{ChecklistEntry, ParticipantChecklist};
use crate::components::participant_detail::ParticipantDetail;
use crate::components::person_picker::{PersonPicker, SearchResults};
use crate::components::time_field::TimeField;
use crate::format;
use crate::forms::FormErrors;

const FORM: &str = "activity";

/// The last earlier session of the same function, to copy from.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousSession {
    pub date: chrono::NaiveDate,
    pub title: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub staff_count: i64,
    pub volunteer_count: i64,
    pub participants: Vec<PersonRef>,
}

/// Where the suggestions come from, for the line above the checklist.
#[derive(Debug, Clone, PartialEq)]
pub enum Suggestions {
    Loading,
    Failed(String),
    /// `最近5回の集い（11月10日〜11月24日）に参加した方`.
    Ready(String),
}

/// Labels of the request fields, for the error summary, in the order the form shows them.
const FIELD_LABELS: [(&str, &str); 16] = [
    ("function", "機能"),
    ("date", "日付"),
    ("participants", "参加者"),
    ("site", "場所"),
    ("title", "名目"),
    ("start_time", "開始時刻"),
    ("end_time", "終了時刻"),
    ("staff_count", "職員数"),
    ("volunteer_count", "ボランティア数"),
    ("unregistered.elderly", "登録外の人数（高齢者）"),
    ("unregistered.disabled", "登録外の人数（障害のある人）"),
    ("unregistered.child", "登録外の人数（子ども）"),
    ("unregistered.other", "登録外の人数（それ以外）"),
    ("note", "メモ"),
    ("id", "活動ID"),
    ("body", "入力内容"),
];

fn summary_items(errors: &FormErrors, state: &ActivityFormState) -> Vec<SummaryItem> {
    let chosen = state.chosen.get_untracked();
    let mut entries = errors.entries();
    entries.sort_by_key(|(key, _)| {
        FIELD_LABELS
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or(FIELD_LABELS.len())
    });
    entries
        .into_iter()
        .map(|(key, message)| {
            if let Some(rest) = key.strip_prefix("participant:") {
                let (id, detail) = rest.split_once('.').unwrap_or((rest, ""));
                let name = chosen
                    .iter()
                    .find(|c| c.person.common_id == id)
                    .map_or_else(|| id.to_owned(), |c| c.person.name.clone());
                let target_id = if detail.is_empty() || state.kind == FormKind::Gathering {
                    format!("activity-participant-{id}")
                } else {
                    format!("activity-participant-{id}-{detail}")
                };
                let what = match detail {
                    "visit_purpose" => "訪問の目的",
                    "topics" => "相談の内容",
                    "referral_destination" => "つなぎ先",
                    _ => "参加者",
                };
                return SummaryItem {
                    label: format!("{what}（{name}）"),
                    message,
                    target_id,
                };
            }
            SummaryItem {
                label: FIELD_LABELS
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or_else(|| key.clone(), |(_, l)| (*l).to_owned()),
                target_id: match key.as_str() {
                    "participants" => "activity-person-search".to_owned(),
                    _ => control_id(FORM, &key),
                },
                message,
            }
        })
        .collect()
}

fn person_ref(p: &PersonSummary) -> PersonRef {
    PersonRef {
        common_id: p.common_id.clone(),
        name: format::full_name(&p.family_name, &p.given_name),
        kana: format::full_name(&p.family_kana, &p.given_kana),
    }
}

#[component]
pub fn ActivityForm(
    state: ActivityFormState,
    codes: Arc<ActivityCodes>,
    /// This node's centre (for its sites).
    center: String,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(into)] alert: Signal<Option<String>>,
    /// Set when the date lies in a locked period: nothing can be saved.
    #[prop(into)]
    locked: Signal<Option<String>>,
    #[prop(into)] pending: Signal<bool>,
    /// Gathering: the checklist. Individual: people to pick with one key.
    #[prop(into)]
    entries: Signal<Vec<ChecklistEntry>>,
    #[prop(into)] suggestions: Signal<Suggestions>,
    #[prop(into)] previous: Signal<Option<PreviousSession>>,
    /// The person search: the text to search for (set by the picker) and what was found.
    search_query: RwSignal<String>,
    #[prop(into)] search_results: Signal<Option<SearchResults>>,
    on_submit: Callback<()>,
    is_new: bool,
    cancel_href: String,
) -> impl IntoView {
    let kind = state.kind;
    let today = crate::clock::today_jst();
    let function_options = codes.functions_for(kind, today, &state.function.get_untracked());
    let site_options: Vec<(String, String)> = codes
        .sites_of(&center, today, &state.site.get_untracked())
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    let has_sites = !site_options.is_empty();
    let summary = Signal::derive(move || errors.with(|e| summary_items(e, &state)));
    let chosen_ids = Signal::derive(move || {
        state
            .chosen
            .with(|c| c.iter().map(|c| c.person.common_id.clone()).collect::<Vec<_>>())
    });

    let submit = move || {
        if !pending.get_untracked() && locked.with_untracked(Option::is_none) {
            on_submit.run(());
        }
    };
    let on_form_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    // Ctrl+Enter (or Ctrl+S) saves wherever the focus is, even where a picked person's search
    // box just disappeared from under it.
    let shortcut = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        let key = ev.key();
        if (ev.ctrl_key() || ev.meta_key()) && (key == "Enter" || key.eq_ignore_ascii_case("s")) {
            ev.prevent_default();
            submit();
        }
    });
    on_cleanup(move || shortcut.remove());
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let key = ev.key();
        // A plain Enter in a field would submit the form; a half-filled record must not be.
        if key == "Enter"
            && ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                .is_some()
        {
            ev.prevent_default();
        }
    };
    let on_pick = Callback::new(move |p: PersonSummary| state.add(person_ref(&p)));

    // Start where the work is: the function for a gathering, the person for a visit.
    focus_when_attached(
        match kind {
            FormKind::Gathering => "activity-function",
            FormKind::Individual => "activity-person-search",
        },
        30,
    );

    let copy_previous = move |_| {
        if let Some(p) = previous.get_untracked() {
            state.title.set(p.title.unwrap_or_default());
            state.start_time.set(p.start_time.unwrap_or_default());
            state.end_time.set(p.end_time.unwrap_or_default());
            state.staff_count.set(nonzero(p.staff_count));
            state.volunteer_count.set(nonzero(p.volunteer_count));
        }
    };
    let previous_button = move || {
        previous.get().filter(|_| is_new).map(|p| {
            let mut parts = vec![format!("{}月{}日", chrono::Datelike::month(&p.date), chrono::Datelike::day(&p.date))];
            parts.extend(p.title.clone());
            if let (Some(a), Some(b)) = (&p.start_time, &p.end_time) {
                parts.push(format!("{a}〜{b}"));
            }
            parts.push(format!("職員{}人", p.staff_count));
            view! {
                <button type="button" class="button button-small" data-testid="activity-copy-previous" on:click=copy_previous>
                    "前回と同じ名目・時間・人数を入れる"
                </button>
                <p class="field-hint">{format!("前回: {}", parts.join("　"))}</p>
            }
        })
    };

    let basics = view! {
        // The date first: it is usually today, and the function after it takes the focus, so
        // Tab moves on without stepping through the date's parts.
        <div class="af-row">
            <DateField form=FORM name="date" label="日付" value=state.date errors required=true />
            {match kind {
                FormKind::Gathering => view! {
                    <SelectField form=FORM name="function" label="機能" value=state.function options=function_options errors required=true placeholder="選択してください" />
                }.into_any(),
                FormKind::Individual => view! {
                    <RadioGroup form=FORM name="function" legend="記録する内容" options=function_options value=state.function errors required=true />
                }.into_any(),
            }}
        </div>
        <Show when=move || locked.with(Option::is_some)>
            <p class="alert alert-error" role="alert" data-testid="activity-locked">
                {move || locked.get().unwrap_or_default()}
            </p>
        </Show>
    };
    let site_field = has_sites.then(|| {
        let mut options = vec![(String::new(), "センター（本所）".to_owned())];
        options.extend(site_options);
        view! { <SelectField form=FORM name="site" label="場所" value=state.site options errors /> }
    });
    // Left column for a gathering, right (under the person's detail) for a visit.
    let mut details = Some(view! {
        {site_field}
        <TextField form=FORM name="title" label="名目（任意）" value=state.title errors max_length=100 hint="例: ふれあいサロン、いきいき百歳体操。個人の名前は書かないでください。" />
        <div class="af-row af-row-4">
            <TimeField form=FORM name="start_time" label="開始" value=state.start_time errors />
            <TimeField form=FORM name="end_time" label="終了" value=state.end_time errors />
            <TextField form=FORM name="staff_count" label="職員" value=state.staff_count errors max_length=4 input_mode="numeric" class="field-count" />
            <TextField form=FORM name="volunteer_count" label="ボランティア" value=state.volunteer_count errors max_length=4 input_mode="numeric" class="field-count" />
        </div>
    });

    let left = match kind {
        FormKind::Gathering => view! {
            <div class="af-main">
                {basics}
                {previous_button}
                {details.take()}
                <fieldset class="field unregistered-group" data-testid="activity-form-unregistered">
                    <legend>"登録していない参加者の人数"</legend>
                    <div class="af-row af-row-4">
                        <TextField form=FORM name="unregistered.elderly" label="高齢者" value=state.elderly errors max_length=4 input_mode="numeric" class="field-count" />
                        <TextField form=FORM name="unregistered.disabled" label="障害のある人" value=state.disabled errors max_length=4 input_mode="numeric" class="field-count" />
                        <TextField form=FORM name="unregistered.child" label="子ども" value=state.child errors max_length=4 input_mode="numeric" class="field-count" />
                        <TextField form=FORM name="unregistered.other" label="それ以外" value=state.other errors max_length=4 input_mode="numeric" class="field-count" />
                    </div>
                </fieldset>
                <TextAreaField form=FORM name="note" label="メモ（センター内のみ）" value=state.note errors rows=2 />
            </div>
        }
        .into_any(),
        FormKind::Individual => view! {
            <div class="af-main">
                {basics}
                <IndividualPerson state search_query search_results chosen_ids on_pick errors entries />
            </div>
        }
        .into_any(),
    };

    let right = match kind {
        FormKind::Gathering => {
            let select_previous = move |_| {
                if let Some(p) = previous.get_untracked() {
                    for person in &p.participants {
                        state.set_chosen(person, true);
                    }
                }
            };
            view! {
                <fieldset class="af-people" data-testid="activity-participants">
                    <legend>
                        "参加者（登録されている方）"
                        <span class="count-badge" data-testid="activity-chosen-count">
                            {move || format!("{}人を選択中", state.chosen.with(Vec::len))}
                        </span>
                    </legend>
                    <div class="af-people-tools">
                        <PersonPicker
                            id="activity-person-search"
                            label="ほかの方をさがして追加（Enterで追加）"
                            testid="activity-person-search"
                            query=search_query
                            results=search_results
                            chosen=chosen_ids
                            on_pick
                        />
                        {move || previous.get().filter(|p| !p.participants.is_empty()).map(|p| view! {
                            <button type="button" class="button button-small" data-testid="activity-select-previous" on:click=select_previous>
                                {format!("前回の{}人をすべて選ぶ", p.participants.len())}
                            </button>
                        })}
                    </div>
                    <p class="muted suggestions-line" data-testid="activity-suggestions">
                        {move || match suggestions.get() {
                            Suggestions::Loading => "最近の参加者を読み込み中…".to_owned(),
                            Suggestions::Failed(m) => m,
                            Suggestions::Ready(m) => m,
                        }}
                    </p>
                    <FieldError form=FORM name="participants" message=Signal::derive(move || errors.with(|e| e.get("participants"))) />
                    <ParticipantChecklist entries state errors />
                </fieldset>
            }
            .into_any()
        }
        FormKind::Individual => view! {
            <div class="af-people af-detail" data-testid="activity-participants">
                {move || {
                    let chosen = state.chosen.get();
                    if chosen.is_empty() {
                        view! { <p class="muted">"対象の方を選ぶと、ここに入力する内容が出ます。"</p> }.into_any()
                    } else {
                        let codes = codes.clone();
                        chosen
                            .into_iter()
                            .map(|c| view! { <ParticipantDetail state person=c.person codes=codes.clone() errors /> })
                            .collect_view()
                            .into_any()
                    }
                }}
                <div class="af-detail-more">
                    {details.take()}
                    <TextAreaField form=FORM name="note" label="メモ（センター内のみ）" value=state.note errors rows=2 />
                </div>
            </div>
        }
        .into_any(),
    };

    view! {
        <form class="activity-form" novalidate on:submit=on_form_submit on:keydown=on_keydown data-testid="activity-form">
            <ErrorSummary title=alert items=summary testid="activity-form-errors" />
            <div class="af-columns">
                {left}
                {right}
            </div>
            <div class="af-bar">
                <p class="af-total" data-testid="activity-headcount" aria-live="polite">
                    {move || {
                        let (registered, unregistered) = state.headcount();
                        if kind == FormKind::Gathering {
                            format!("登録者 {registered}人 ＋ 登録外 {unregistered}人 ＝ 延べ {}人", registered as i64 + unregistered)
                        } else {
                            format!("対象 {registered}人")
                        }
                    }}
                </p>
                <button
                    type="submit"
                    class="button button-primary"
                    data-testid="activity-save"
                    aria-keyshortcuts="Control+Enter"
                    disabled=move || pending.get() || locked.with(Option::is_some)
                >
                    {move || match (pending.get(), is_new) {
                        (true, _) => "保存中…",
                        (false, true) => "記録する",
                        (false, false) => "変更を保存",
                    }}
                </button>
                <span class="muted af-shortcut">"Ctrl+Enter でも保存できます"</span>
                <a class="button" href=cancel_href data-testid="activity-cancel" data-draft-discard="">"キャンセル"</a>
            </div>
        </form>
    }
}

/// Focuses the element `id` once it is in the document: after a client-side navigation the new
/// page is attached a few frames after it is built.
fn focus_when_attached(id: &'static str, frames: u32) {
    request_animation_frame(move || {
        let element = leptos::web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id));
        match element {
            Some(el) if el.is_connected() => focus_element(id),
            _ if frames > 0 => focus_when_attached(id, frames - 1),
            _ => {}
        }
    });
}

fn nonzero(n: i64) -> String {
    if n == 0 {
        String::new()
    } else {
        n.to_string()
    }
}
