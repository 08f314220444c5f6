//! Sign-in with username and password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::dto::auth::LoginRequest;

use crate::api;
use crate::components::messages::{ErrorAlert, FieldMessage};
use crate::session::Session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let form_error = RwSignal::new(None::<String>);
    let username_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let request = LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        username_error.set(missing(&request.username, "ユーザー名を入力してください。"));
        password_error.set(missing(&request.password, "パスワードを入力してください。"));
        if request.username.is_empty() || request.password.is_empty() {
            form_error.set(Some("入力内容を確認してください。".to_owned()));
            return;
        }
        form_error.set(None);
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::login(&request).await {
                Ok(tokens) => {
                    // A regional office lands on its region's overview; everyone else at home.
                    let landing = crate::app::landing_path(Some(tokens.account.role));
                    session.sign_in(tokens);
                    // Back where the session ended (its draft is restored there); otherwise the
                    // role's landing page.
                    let to = session.take_return_to().unwrap_or_else(|| landing.to_owned());
                    navigate(&to, Default::default());
                }
                Err(err) => {
                    form_error.set(Some(err.user_message()));
                    username_error.set(err.field_message("username"));
                    password_error.set(err.field_message("password"));
                    password.set(String::new());
                    pending.set(false);
                }
            }
        });
    };

    view! {
        <section class="page page-login" data-testid="page-login">
            <form class="card login-form" novalidate on:submit=on_submit aria-labelledby="login-title">
                <h1 id="login-title">"ログイン"</h1>
                <Show when=move || session.notice().is_some() && form_error.with(Option::is_none)>
                    <p class="alert alert-info" role="status" data-testid="login-notice">
                        {move || session.notice().unwrap_or_default()}
                    </p>
                </Show>
                <ErrorAlert message=form_error testid="login-error" />
                <div class="field">
                    <label for="login-username">"ユーザー名"</label>
                    <input
                        id="login-username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="off"
                        spellcheck="false"
                        required
                        autofocus
                        data-testid="login-username"
                        aria-describedby="login-username-error"
                        aria-invalid=move || username_error.with(Option::is_some).then_some("true")
                        bind:value=username
                    />
                    <FieldMessage id="login-username-error" message=username_error />
                </div>
                <div class="field">
                    <label for="login-password">"パスワード"</label>
                    <input
                        id="login-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        data-testid="login-password"
                        aria-describedby="login-password-error"
                        aria-invalid=move || password_error.with(Option::is_some).then_some("true")
                        bind:value=password
                    />
                    <FieldMessage id="login-password-error" message=password_error />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        data-testid="login-submit"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "ログイン中…" } else { "ログイン" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// The message for a required field left empty.
fn missing(value: &str, message: &str) -> Option<String> {
    value.is_empty().then(|| message.to_owned())
}
