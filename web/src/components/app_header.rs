//! The page header: system name, and who is signed in.

use leptos::prelude::*;

/// Shown on every page. `user_name` is the signed-in account's display name, if any.
#[component]
pub fn AppHeader(#[prop(into)] user_name: Signal<Option<String>>) -> impl IntoView {
    view! {
        <header class="app-header" data-testid="app-header">
            <h1 class="app-title" data-testid="app-title">
                "あったかふれあいセンター 利用者データ管理（Attaka）"
            </h1>
            <Show when=move || user_name.with(Option::is_some)>
                <p class="app-user" data-testid="header-user">
                    {move || user_name.get().unwrap_or_default()}
                    " さん"
                </p>
            </Show>
        </header>
    }
}
