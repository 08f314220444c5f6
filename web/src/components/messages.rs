//! Messages: a form-level error, the error for one field, the summary of a form's errors,
//! a success notice, and the loading line.

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

/// A confirmation that something was saved.
#[component]
pub fn SuccessNotice(#[prop(into)] message: Signal<Option<String>>, testid: &'static str) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="alert alert-success" role="status" data-testid=testid>
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

/// One line of an [`ErrorSummary`]: the field's label, the message, and the id of the control
/// to move the focus to.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryItem {
    pub label: String,
    pub message: String,
    pub target_id: String,
}

/// The errors of a form, listed at its top after a failed save. It takes the focus when it
/// appears (so screen readers and keyboard users land on it); each line moves the focus to its
/// field.
#[component]
pub fn ErrorSummary(
    #[prop(into)] title: Signal<Option<String>>,
    #[prop(into)] items: Signal<Vec<SummaryItem>>,
    testid: &'static str,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if title.with(Option::is_some) {
            if let Some(el) = node.get() {
                let _ = el.focus();
            }
        }
    });
    view! {
        <Show when=move || title.with(Option::is_some)>
            <div class="alert alert-error error-summary" role="alert" tabindex="-1" node_ref=node data-testid=testid>
                <p class="error-summary-title">{move || title.get().unwrap_or_default()}</p>
                <ul>
                    {move || {
                        items
                            .get()
                            .into_iter()
                            .map(|item| {
                                let target = item.target_id.clone();
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="link-button"
                                            data-testid=format!("{testid}-item")
                                            on:click=move |_| focus_element(&target)
                                        >
                                            {item.label}
                                        </button>
                                        "：" {item.message}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
        </Show>
    }
}

/// "Loading" while data is on its way.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" role="status" data-testid="loading">
            "読み込み中…"
        </p>
    }
}

/// Moves the keyboard focus to the element with `id` (and scrolls it into view).
pub fn focus_element(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    let element = leptos::web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}
