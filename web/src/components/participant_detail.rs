//! The detail of one person's visit, consultation or referral — exactly the fields the chosen
//! function asks for: 訪問 its purpose, 相談 its topics (and where they were referred, if they
//! were), つなぎ where they were referred (and what about, if wanted).

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::dto::master::MasterItem;

use crate::activity_form::{participant_key, ActivityFormState, Chosen, PersonRef};
use crate::activity_master::ActivityCodes;
use crate::activity_rules::{detail_rule, Need};
use crate::components::fields::RequiredMark;
use crate::forms::FormErrors;
use crate::master::choices;

#[component]
pub fn ParticipantDetail(
    state: ActivityFormState,
    person: PersonRef,
    codes: Arc<ActivityCodes>,
    #[prop(into)] errors: Signal<FormErrors>,
) -> impl IntoView {
    let id = person.common_id.clone();
    let read = {
        let id = id.clone();
        move |pick: fn(&Chosen) -> Vec<String>| {
            state.chosen.with(|c| {
                c.iter()
                    .find(|c| c.person.common_id == id)
                    .map(pick)
                    .unwrap_or_default()
            })
        }
    };
    let purpose = {
        let read = read.clone();
        Signal::derive(move || read(|c| vec![c.visit_purpose.clone()]).concat())
    };
    let referral = {
        let read = read.clone();
        Signal::derive(move || read(|c| vec![c.referral_destination.clone()]).concat())
    };
    let topics = Signal::derive(move || read(|c| c.topics.clone()));
    let message = {
        let id = id.clone();
        move |detail: &'static str| {
            let key = participant_key(&id, Some(detail));
            Signal::derive(move || errors.with(|e| e.get(&key)))
        }
    };
    let set_purpose = {
        let id = id.clone();
        Callback::new(move |code: String| state.update_detail(&id, |c| c.visit_purpose = code))
    };
    let set_referral = {
        let id = id.clone();
        Callback::new(move |code: String| state.update_detail(&id, |c| c.referral_destination = code))
    };
    let toggle_topic = {
        let id = id.clone();
        Callback::new(move |(code, on): (String, bool)| {
            state.update_detail(&id, |c| {
                c.topics.retain(|t| *t != code);
                if on {
                    c.topics.push(code);
                }
            })
        })
    };
    let base = format!("activity-participant-{id}");
    let (m1, m2, m3) = (
        message("visit_purpose"),
        message("topics"),
        message("referral_destination"),
    );

    // Rebuilt when the function or the date changes: which fields show, and which codes are valid.
    let fields = move || {
        let rule = state.function.with(|f| detail_rule(f));
        let on = state.date_value().unwrap_or(NaiveDate::MIN);
        let offered = |items: &[MasterItem], chosen: Vec<String>| choices(items, on, &chosen);
        view! {
            {rule.visit_purpose.shown().then(|| view! {
                <RadioChoices
                    base=format!("{base}-visit_purpose")
                    legend="訪問の目的"
                    items=offered(&codes.visit_purposes, vec![purpose.get_untracked()])
                    value=purpose
                    need=rule.visit_purpose
                    on_change=set_purpose
                    message=m1
                />
            })}
            {rule.topics.shown().then(|| view! {
                <CheckChoices
                    base=format!("{base}-topics")
                    legend="相談の内容（複数選べます）"
                    items=offered(&codes.consultation_topics, topics.get_untracked())
                    selected=topics
                    need=rule.topics
                    on_toggle=toggle_topic
                    message=m2
                />
            })}
            {rule.referral_destination.shown().then(|| view! {
                <RadioChoices
                    base=format!("{base}-referral_destination")
                    legend="つなぎ先"
                    items=offered(&codes.referral_destinations, vec![referral.get_untracked()])
                    value=referral
                    need=rule.referral_destination
                    on_change=set_referral
                    message=m3
                />
            })}
        }
    };

    view! {
        <div class="participant-detail" data-testid=format!("activity-participant-{id}-detail")>
            {fields}
        </div>
    }
}

/// The frame both kinds of choices share: a fieldset `base` (id and `data-testid`) with its
/// legend and message (`field-error-{base without "activity-"}`); each option is `(id, code,
/// label)` and `input` makes its control.
fn detail_group(
    base: String,
    legend: &'static str,
    need: Need,
    message: Signal<Option<String>>,
    options: Vec<(String, String, String)>,
    input: impl Fn(String, String) -> AnyView,
) -> impl IntoView {
    let error_id = format!("{base}-error");
    let error_p = error_id.clone();
    let error_testid = format!("field-error-{}", base.trim_start_matches("activity-"));
    view! {
        <fieldset
            class="field choice-group detail-group"
            id=base.clone()
            tabindex="-1"
            data-testid=base.clone()
            aria-describedby=error_id
            aria-invalid=move || message.with(Option::is_some).then_some("true")
        >
            <legend>
                {legend}
                {(need == Need::Required).then(|| view! { <RequiredMark /> })}
            </legend>
            <div class="choices">
                {options
                    .into_iter()
                    .map(|(option_id, code, label)| {
                        let label_for = option_id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                {input(option_id, code)}
                                {label}
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <Show when=move || message.with(Option::is_some)>
                <p class="field-error" id=error_p.clone() data-testid=error_testid.clone()>
                    {move || message.get().unwrap_or_default()}
                </p>
            </Show>
        </fieldset>
    }
}

/// One of a few, as radio buttons (arrows move between them); an optional one offers `なし`.
#[component]
fn RadioChoices(
    /// Id and `data-testid` of the group; options get `{base}-{code}` (`{base}-none` for
    /// なし), the message `field-error-{base without "activity-"}`.
    base: String,
    legend: &'static str,
    items: Vec<MasterItem>,
    #[prop(into)] value: Signal<String>,
    need: Need,
    on_change: Callback<String>,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    let mut options: Vec<(String, String, String)> = items
        .into_iter()
        .map(|i| (format!("{base}-{}", i.code), i.code, i.label))
        .collect();
    if need == Need::Optional {
        options.push((format!("{base}-none"), String::new(), "なし".to_owned()));
    }
    let name = base.clone();
    detail_group(base, legend, need, message, options, move |option_id, code| {
        let for_checked = code.clone();
        view! {
            <input
                type="radio"
                id=option_id.clone()
                name=name.clone()
                data-testid=option_id
                prop:checked=move || value.with(|v| *v == for_checked)
                on:change=move |_| on_change.run(code.clone())
            />
        }
        .into_any()
    })
}

/// Any number of a list, as checkboxes.
#[component]
fn CheckChoices(
    base: String,
    legend: &'static str,
    items: Vec<MasterItem>,
    #[prop(into)] selected: Signal<Vec<String>>,
    need: Need,
    on_toggle: Callback<(String, bool)>,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    let options = items
        .into_iter()
        .map(|i| (format!("{base}-{}", i.code), i.code, i.label))
        .collect();
    detail_group(base, legend, need, message, options, move |option_id, code| {
        let for_checked = code.clone();
        view! {
            <input
                type="checkbox"
                id=option_id.clone()
                data-testid=option_id
                prop:checked=move || selected.with(|s| s.contains(&for_checked))
                on:change=move |ev| on_toggle.run((code.clone(), event_target_checked(&ev)))
            />
        }
        .into_any()
    })
}
