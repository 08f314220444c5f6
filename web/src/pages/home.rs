//! The signed-in start page: who is signed in, and sign-out.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::auth::LogoutRequest;

use crate::api;
use crate::app::LOGIN_PATH;
use crate::components::account_summary::AccountSummary;
use crate::session::Session;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let signing_out = RwSignal::new(false);

    let on_logout = move |_| {
        if signing_out.get_untracked() {
            return;
        }
        signing_out.set(true);
        let tokens = session.tokens();
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Some((access_token, refresh_token)) = tokens {
                let request = LogoutRequest { refresh_token };
                if let Err(err) = api::logout(&access_token, &request).await {
                    // Signing out locally must not depend on the server: the access token
                    // expires on its own and the refresh token is gone from this browser.
                    leptos::logging::warn!("logout request failed: {err:?}");
                }
            }
            session.sign_out();
            navigate(LOGIN_PATH, Default::default());
        });
    };

    view! {
        <section class="page page-home" data-testid="page-home" aria-labelledby="home-title">
            <h2 id="home-title">"ホーム"</h2>
            <div class="card">
                {move || session.account().map(|account| view! { <AccountSummary account /> })}
                <div class="actions">
                    <button
                        type="button"
                        class="button"
                        data-testid="logout-button"
                        disabled=move || signing_out.get()
                        on:click=on_logout
                    >
                        {move || if signing_out.get() { "ログアウト中…" } else { "ログアウト" }}
                    </button>
                </div>
            </div>
        </section>
    }
}
