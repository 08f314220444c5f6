//! A time of day, typed as `10`, `930` or `10:30` (either width) and shown as `HH:MM` once the
//! field is left.

use leptos::prelude::*;

use crate::activity_rules::normalize_time;
use crate::components::fields::{control_id, FieldError};
use crate::forms::FormErrors;

/// A time of day, typed as `10`, `930` or `10:30` and shown as `HH:MM` once the field is left.
#[component]
pub fn TimeField(
    /// Form id prefix (`activity`): the input is `{form}-{name}`.
    form: &'static str,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<FormErrors>,
) -> impl IntoView {
    let error = Signal::derive(move || errors.with(|e| e.get(name)));
    let id = control_id(form, name);
    view! {
        <div class="field field-time">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                inputmode="numeric"
                maxlength="5"
                autocomplete="off"
                placeholder="10:00"
                data-testid=format!("{form}-form-{name}")
                aria-describedby=format!("{form}-{name}-error")
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                bind:value=value
                on:blur=move |_| {
                    if let Ok(Some(t)) = normalize_time(&value.get_untracked()) {
                        value.set(t);
                    }
                }
            />
            <FieldError form=form name=name message=error />
        </div>
    }
}
