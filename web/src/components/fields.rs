//! Labelled form controls with their error message. Each control of form `f` for request field
//! `name` has the id `f-name`, `data-testid="f-form-name"`, and its message
//! `data-testid="field-error-name"` (the API's field name, so tests can match the two).

use leptos::prelude::*;

use crate::forms::FormErrors;

/// The element id of a form's control, as the error summary targets it.
pub fn control_id(form: &str, name: &str) -> String {
    format!("{form}-{name}")
}

fn testid(form: &str, name: &str) -> String {
    format!("{form}-form-{name}")
}

fn error_id(form: &str, name: &str) -> String {
    format!("{form}-{name}-error")
}

/// The message for `name`, derived from the form's errors.
fn error_of(errors: Signal<FormErrors>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.get(name)))
}

/// `必須` after a label.
#[component]
pub fn RequiredMark() -> impl IntoView {
    view! { <span class="required-mark">"必須"</span> }
}

/// The error line under a control (or a group of controls).
#[component]
pub fn FieldError(
    form: &'static str,
    name: &'static str,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="field-error" id=error_id(form, name) data-testid=format!("field-error-{name}")>
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}

/// A one-line text input.
#[component]
pub fn TextField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] input_mode: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(default = 200)] max_length: u32,
    /// Take the focus when shown (the `autofocus` attribute only works on a page's first load).
    #[prop(optional)]
    focus: bool,
) -> impl IntoView {
    let error = error_of(errors, name);
    let hint_id = hint.map(|_| format!("{form}-{name}-hint"));
    let input = NodeRef::<leptos::html::Input>::new();
    if focus {
        focus_when_mounted(input);
    }
    let described_by = describe(&hint_id, error_id(form, name));
    view! {
        <div class=format!("field {}", class.unwrap_or_default())>
            <label for=control_id(form, name)>
                {label} {required.then(|| view! { <RequiredMark /> })}
            </label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=control_id(form, name)
                name=name
                type="text"
                maxlength=max_length
                autocomplete=autocomplete.unwrap_or("off")
                inputmode=input_mode
                node_ref=input
                data-testid=testid(form, name)
                aria-describedby=described_by
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-required=required.then_some("true")
                bind:value=value
            />
            <FieldError form name message=error />
        </div>
    }
}

/// A multi-line text input.
#[component]
pub fn TextAreaField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(default = 3)] rows: u32,
    #[prop(default = 2000)] max_length: u32,
) -> impl IntoView {
    let error = error_of(errors, name);
    view! {
        <div class="field field-wide">
            <label for=control_id(form, name)>{label}</label>
            <textarea
                id=control_id(form, name)
                name=name
                rows=rows
                maxlength=max_length
                data-testid=testid(form, name)
                aria-describedby=error_id(form, name)
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <FieldError form name message=error />
        </div>
    }
}

/// A drop-down list; `options` are `(code, label)`. With a `placeholder`, nothing is chosen
/// until the user picks (so a default is never recorded by accident).
#[component]
pub fn SelectField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(String, String)>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let error = error_of(errors, name);
    view! {
        <div class="field">
            <label for=control_id(form, name)>
                {label} {required.then(|| view! { <RequiredMark /> })}
            </label>
            <select
                id=control_id(form, name)
                name=name
                data-testid=testid(form, name)
                aria-describedby=error_id(form, name)
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-required=required.then_some("true")
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {placeholder
                    .map(|p| {
                        view! {
                            <option value="" prop:selected=move || value.with(String::is_empty)>
                                {p}
                            </option>
                        }
                    })}
                {options
                    .into_iter()
                    .map(|(code, text)| {
                        let selected_code = code.clone();
                        view! {
                            <option value=code prop:selected=move || value.with(|v| *v == selected_code)>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <FieldError form name message=error />
        </div>
    }
}

/// A date as `<input type="date">` (keyboard: type the digits, arrows change a part), with the
/// chosen date written in 和暦 beside it.
#[component]
pub fn DateField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = error_of(errors, name);
    let wareki = move || {
        value.with(|v| {
            shared::dates::parse_date_input(v)
                .ok()
                .map(shared::dates::format_wareki)
        })
    };
    view! {
        <div class="field">
            <label for=control_id(form, name)>
                {label} {required.then(|| view! { <RequiredMark /> })}
            </label>
            <div class="date-row">
                <input
                    id=control_id(form, name)
                    name=name
                    type="date"
                    min="1900-01-01"
                    max="2999-12-31"
                    data-testid=testid(form, name)
                    aria-describedby=format!("{} {}", error_id(form, name), format!("{form}-{name}-wareki"))
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    aria-required=required.then_some("true")
                    bind:value=value
                />
                <span
                    class="date-wareki"
                    id=format!("{form}-{name}-wareki")
                    data-testid=format!("{}-wareki", testid(form, name))
                >
                    {wareki}
                </span>
            </div>
            <FieldError form name message=error />
        </div>
    }
}

/// The frame of a group of choices: a fieldset with its legend and error, focusable as one
/// control (the error summary links to it); `choices` makes each option's input.
fn choice_group(
    form: &'static str,
    name: &'static str,
    legend: &'static str,
    required: bool,
    error: Signal<Option<String>>,
    options: Vec<(String, String)>,
    choice: impl Fn(String, String) -> AnyView,
) -> impl IntoView {
    view! {
        <fieldset
            class="field choice-group"
            id=control_id(form, name)
            tabindex="-1"
            data-testid=testid(form, name)
            aria-describedby=error_id(form, name)
            aria-invalid=move || error.with(Option::is_some).then_some("true")
        >
            <legend>{legend} {required.then(|| view! { <RequiredMark /> })}</legend>
            <div class="choices">
                {options
                    .into_iter()
                    .map(|(code, text)| {
                        let id = format!("{form}-{name}-{code}");
                        let label_for = id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                {choice(id, code)}
                                {text}
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <FieldError form name message=error />
        </fieldset>
    }
}

/// Several checkboxes, any number of which may be ticked; `options` are `(code, label)`.
#[component]
pub fn CheckboxGroup(
    form: &'static str,
    name: &'static str,
    legend: &'static str,
    options: Vec<(String, String)>,
    selected: RwSignal<Vec<String>>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = error_of(errors, name);
    choice_group(form, name, legend, required, error, options, move |id, code| {
        let for_checked = code.clone();
        let for_change = code.clone();
        view! {
            <input
                type="checkbox"
                id=id
                name=name
                value=code.clone()
                data-testid=format!("{}-{code}", testid(form, name))
                prop:checked=move || selected.with(|s| s.contains(&for_checked))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    selected
                        .update(|s| {
                            s.retain(|c| *c != for_change);
                            if on {
                                s.push(for_change.clone());
                            }
                        });
                }
            />
        }
        .into_any()
    })
}

/// One choice out of a few, as radio buttons (arrow keys move between them).
#[component]
pub fn RadioGroup(
    form: &'static str,
    name: &'static str,
    legend: &'static str,
    options: Vec<(String, String)>,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = error_of(errors, name);
    choice_group(form, name, legend, required, error, options, move |id, code| {
        let for_checked = code.clone();
        let for_change = code.clone();
        view! {
            <input
                type="radio"
                id=id
                name=format!("{form}-{name}")
                value=code.clone()
                data-testid=format!("{}-{code}", testid(form, name))
                prop:checked=move || value.with(|v| *v == for_checked)
                on:change=move |_| value.set(for_change.clone())
            />
        }
        .into_any()
    })
}

/// Focuses `input` once it is in the page.
pub fn focus_when_mounted(input: NodeRef<leptos::html::Input>) {
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        match input.get() {
            Some(el) => {
                let _ = el.focus();
                true
            }
            None => false,
        }
    });
}

fn describe(hint_id: &Option<String>, error_id: String) -> String {
    match hint_id {
        Some(h) => format!("{h} {error_id}"),
        None => error_id,
    }
}
