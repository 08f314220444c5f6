//! Error messages: one for a whole form, one under a single field.

use leptos::prelude::*;

/// A form-level error, announced to screen readers when it appears.
#[component]
pub fn ErrorAlert(
    #[prop(into)] message: Signal<Option<String>>,
    /// `data-testid` of the message element.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="alert alert-error" role="alert" data-testid=testid>
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}

/// The error for one input; `id` is what the input's `aria-describedby` names.
#[component]
pub fn FieldMessage(id: &'static str, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="field-error" id=id data-testid=id>
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}
