//! The person registration / edit form. Driven by a [`PersonFormState`]; the page that shows it
//! does the saving and hands back the server's field errors.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::dto::duplicate_hint::DuplicateHintAnswer;
use shared::dto::master::MasterItem;
use shared::dto::person::DisabilityInput;

use crate::components::birth_date_input::BirthDateInput;
use crate::components::duplicate_hint::DuplicateHintNotice;
use crate::components::fields::{
    control_id, CheckboxGroup, DateField, FieldError, RadioGroup, RequiredMark, SelectField, TextAreaField,
    TextField,
};
use crate::components::messages::{focus_element, ErrorSummary, SummaryItem};
use crate::forms::{FormErrors, PersonFormState};
use crate::master::{choices, MasterData};

const FORM: &str = "person";

/// Labels of the request fields, for the error summary.
const FIELD_LABELS: [(&str, &str); 19] = [
    ("common_id", "共通利用者番号"),
    ("family_name", "姓"),
    ("given_name", "名"),
    ("family_kana", "セイ（フリガナ）"),
    ("given_kana", "メイ（フリガナ）"),
    ("birth_date", "生年月日"),
    ("sex", "性別"),
    ("categories", "対象区分"),
    ("care_level", "要介護度"),
    ("household", "世帯"),
    ("disabilities", "障害者手帳"),
    ("residence_municipality", "居住市町村"),
    ("postal_code", "郵便番号"),
    ("address", "住所"),
    ("phone", "電話番号"),
    ("emergency_contact", "緊急連絡先"),
    ("notes", "備考"),
    ("registered_on", "登録日"),
    ("body", "入力内容"),
];

/// The summary lines for a form's errors.
pub fn summary_items(errors: &FormErrors) -> Vec<SummaryItem> {
    let mut entries = errors.entries();
    // In the order the form shows its fields, unknown ones last.
    entries.sort_by_key(|(key, _)| {
        FIELD_LABELS
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or(FIELD_LABELS.len())
    });
    entries
        .into_iter()
        .map(|(key, message)| SummaryItem {
            label: FIELD_LABELS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or_else(|| key.clone(), |(_, l)| (*l).to_owned()),
            target_id: control_id(FORM, &key),
            message,
        })
        .collect()
}

#[component]
pub fn PersonForm(
    state: PersonFormState,
    master: Arc<MasterData>,
    #[prop(into)] errors: Signal<FormErrors>,
    /// The form-level message (e.g. "2件の項目を確認してください。"); the summary shows with it.
    #[prop(into)]
    alert: Signal<Option<String>>,
    /// New registration (offers "already has a common ID") or edit.
    is_new: bool,
    #[prop(into)] pending: Signal<bool>,
    on_submit: Callback<()>,
    /// Where "キャンセル" goes.
    cancel_href: String,
    today: NaiveDate,
    /// New registration: the optional duplicate hint's latest answer for the kana and birth date
    /// typed (the page asks the node; this form only shows it).
    #[prop(optional, into)]
    duplicate_hint: Option<Signal<Option<DuplicateHintAnswer>>>,
) -> impl IntoView {
    let options = |items: &[MasterItem], chosen: &[String]| -> Vec<(String, String)> {
        choices(items, today, chosen)
            .into_iter()
            .map(|i| (i.code, i.label))
            .collect()
    };
    let sex_options = options(&master.sex, &[state.sex.get_untracked()]);
    let category_options = options(&master.categories, &state.categories.get_untracked());
    let care_options = options(&master.care_levels, &[state.care_level.get_untracked()]);
    let household_options = options(&master.households, &[state.household.get_untracked()]);
    let kinds = master.disability_kinds.clone();
    let municipality_options: Vec<(String, String)> = master
        .municipalities
        .iter()
        .map(|m| (m.code.clone(), m.name.clone()))
        .collect();
    let summary = Signal::derive(move || errors.with(summary_items));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !pending.get_untracked() {
            on_submit.run(());
        }
    };

    view! {
        <form class="person-form" novalidate on:submit=submit data-testid="person-form">
            <ErrorSummary title=alert items=summary testid="person-form-errors" />

            {is_new.then(|| view! { <CommonIdOption state errors /> })}

            <fieldset class="form-section">
                <legend>"氏名"</legend>
                <div class="grid-2">
                    <TextField form=FORM name="family_name" label="姓" value=state.family_name errors required=true max_length=50 autocomplete="family-name" focus=true />
                    <TextField form=FORM name="given_name" label="名" value=state.given_name errors required=true max_length=50 autocomplete="given-name" />
                    <TextField form=FORM name="family_kana" label="セイ（フリガナ）" value=state.family_kana errors required=true max_length=50 hint="カタカナ・ひらがな・半角カナのどれでも入力できます" />
                    <TextField form=FORM name="given_kana" label="メイ（フリガナ）" value=state.given_kana errors required=true max_length=50 />
                </div>
            </fieldset>

            <fieldset class="form-section">
                <legend>"基本情報"</legend>
                <BirthDateInput form=FORM value=state.birth_date errors today />
                {duplicate_hint.map(|answer| view! { <DuplicateHint state answer /> })}
                <div class="grid-2">
                    <RadioGroup form=FORM name="sex" legend="性別" options=sex_options value=state.sex errors required=true />
                    <CheckboxGroup form=FORM name="categories" legend="対象区分（複数選べます）" options=category_options selected=state.categories errors required=true />
                    <SelectField form=FORM name="care_level" label="要介護度" value=state.care_level options=care_options errors required=true placeholder="選択してください" />
                    <SelectField form=FORM name="household" label="世帯" value=state.household options=household_options errors required=true placeholder="選択してください" />
                </div>
                <DisabilitiesInput kinds value=state.disabilities errors />
            </fieldset>

            <fieldset class="form-section">
                <legend>"住所・連絡先"</legend>
                <div class="grid-2">
                    <SelectField form=FORM name="residence_municipality" label="居住市町村" value=state.residence_municipality options=municipality_options errors required=true placeholder="選択してください" />
                    <TextField form=FORM name="postal_code" label="郵便番号" value=state.postal_code errors max_length=10 input_mode="numeric" autocomplete="postal-code" hint="例: 780-0850" />
                </div>
                <TextField form=FORM name="address" label="住所" value=state.address errors class="field-wide" autocomplete="street-address" />
                <div class="grid-2">
                    <TextField form=FORM name="phone" label="電話番号" value=state.phone errors max_length=20 input_mode="tel" autocomplete="tel" hint="例: 088-823-9999" />
                    <TextField form=FORM name="emergency_contact" label="緊急連絡先" value=state.emergency_contact errors hint="例: 長女 山本和子 090-1234-5678" />
                </div>
            </fieldset>

            <fieldset class="form-section">
                <legend>"その他"</legend>
                <TextAreaField form=FORM name="notes" label="備考" value=state.notes errors rows=3 />
                <DateField form=FORM name="registered_on" label="登録日" value=state.registered_on errors required=true />
            </fieldset>

            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="person-save" disabled=move || pending.get()>
                    {move || match (pending.get(), is_new) {
                        (true, _) => "保存中…",
                        (false, true) => "登録する",
                        (false, false) => "保存する",
                    }}
                </button>
                <a class="button" href=cancel_href data-testid="person-cancel" data-draft-discard="">"キャンセル"</a>
            </div>
        </form>
    }
}

/// The duplicate hint under the birth date; "この番号で登録する" fills in the common ID above and
/// moves the focus there, so staff see what will be sent.
#[component]
fn DuplicateHint(state: PersonFormState, answer: Signal<Option<DuplicateHintAnswer>>) -> impl IntoView {
    let chosen = Signal::derive(move || {
        state
            .has_common_id
            .get()
            .then(|| state.common_id.get().trim().to_owned())
    });
    let on_use = Callback::new(move |id: String| {
        state.has_common_id.set(true);
        state.common_id.set(id);
        // The ID input appears with the checkbox; focus it once it is in the page.
        request_animation_frame(|| focus_element("person-common_id"));
    });
    view! { <DuplicateHintNotice answer chosen on_use /> }
}

/// "Register someone who already has a common ID": a checkbox that reveals the ID input.
#[component]
fn CommonIdOption(state: PersonFormState, #[prop(into)] errors: Signal<FormErrors>) -> impl IntoView {
    let error = Signal::derive(move || errors.with(|e| e.get("common_id")));
    view! {
        <fieldset class="form-section">
            <legend>"共通利用者番号"</legend>
            <label class="choice" for="person-has_common_id">
                <input
                    type="checkbox"
                    id="person-has_common_id"
                    data-testid="person-form-has_common_id"
                    prop:checked=move || state.has_common_id.get()
                    on:change=move |ev| state.has_common_id.set(event_target_checked(&ev))
                />
                "他のセンターで共通利用者番号を受け取っている方を登録する"
            </label>
            <Show
                when=move || state.has_common_id.get()
                fallback=|| view! { <p class="field-hint">"登録すると新しい共通利用者番号が発行されます。"</p> }
            >
                <div class="field">
                    <label for="person-common_id">"共通利用者番号" <RequiredMark /></label>
                    <p class="field-hint" id="person-common_id-hint">"例: C012-000123-8（ハイフンは省略できます）"</p>
                    <input
                        id="person-common_id"
                        type="text"
                        class="input-id"
                        maxlength="20"
                        autocomplete="off"
                        spellcheck="false"
                        data-testid="person-form-common_id"
                        aria-describedby="person-common_id-hint person-common_id-error"
                        aria-invalid=move || error.with(Option::is_some).then_some("true")
                        bind:value=state.common_id
                    />
                    <FieldError form=FORM name="common_id" message=error />
                </div>
            </Show>
        </fieldset>
    }
}

/// 障害者手帳: a checkbox per handbook kind, with its grade.
#[component]
fn DisabilitiesInput(
    kinds: Vec<MasterItem>,
    value: RwSignal<Vec<DisabilityInput>>,
    #[prop(into)] errors: Signal<FormErrors>,
) -> impl IntoView {
    let error = Signal::derive(move || errors.with(|e| e.get("disabilities")));
    view! {
        <fieldset
            class="field choice-group"
            id="person-disabilities"
            tabindex="-1"
            data-testid="person-form-disabilities"
            aria-describedby="person-disabilities-error"
        >
            <legend>"障害者手帳（持っている手帳すべて）"</legend>
            <div class="disability-rows">
                {kinds
                    .into_iter()
                    .map(|kind| {
                        let code = kind.code.clone();
                        let held = {
                            let code = code.clone();
                            Memo::new(move |_| value.with(|v| v.iter().any(|d| d.kind == code)))
                        };
                        let grade = {
                            let code = code.clone();
                            move || {
                                value.with(|v| {
                                    v.iter()
                                        .find(|d| d.kind == code)
                                        .and_then(|d| d.grade.clone())
                                        .unwrap_or_default()
                                })
                            }
                        };
                        let toggle = {
                            let code = code.clone();
                            move |on: bool| {
                                value.update(|v| {
                                    v.retain(|d| d.kind != code);
                                    if on {
                                        v.push(DisabilityInput { kind: code.clone(), grade: None });
                                    }
                                })
                            }
                        };
                        let set_grade = {
                            let code = code.clone();
                            move |g: String| {
                                value.update(|v| {
                                    if let Some(d) = v.iter_mut().find(|d| d.kind == code) {
                                        d.grade = Some(g);
                                    }
                                })
                            }
                        };
                        let check_id = format!("person-disabilities-{code}");
                        let grade_id = format!("person-disabilities-{code}-grade");
                        let check_for = check_id.clone();
                        let grade_for = grade_id.clone();
                        view! {
                            <div class="disability-row">
                                <label class="choice" for=check_for>
                                    <input
                                        type="checkbox"
                                        id=check_id
                                        data-testid=format!("person-form-disabilities-{code}")
                                        prop:checked=move || held.get()
                                        on:change=move |ev| toggle(event_target_checked(&ev))
                                    />
                                    {kind.label.clone()}
                                </label>
                                <label class="grade-label" for=grade_for>"等級"</label>
                                <input
                                    id=grade_id
                                    type="text"
                                    class="grade"
                                    maxlength="10"
                                    autocomplete="off"
                                    placeholder="例: 2、A、B1"
                                    data-testid=format!("person-form-disabilities-{code}-grade")
                                    disabled=move || !held.get()
                                    prop:value=grade
                                    on:input=move |ev| set_grade(event_target_value(&ev))
                                />
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
            <FieldError form=FORM name="disabilities" message=error />
        </fieldset>
    }
}
