//! Changing one's own password (パスワード変更), and the change an administrator's reset makes
//! compulsory before anything else.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::auth::PasswordChange;

use crate::api;
use crate::app::HOME_PATH;
use crate::components::messages::{ErrorAlert, FieldMessage, SuccessNotice};
use crate::session::Session;

/// The server's minimum (NIST SP 800-63B policy in `api::domain::password_policy`), checked
/// here only to answer before sending; the server's rules decide.
const MIN_CHARS: usize = 12;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = Session::expect();
    let forced = move || session.account().is_some_and(|a| a.must_change_password);

    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let form_error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let current_error = RwSignal::new(None::<String>);
    let new_error = RwSignal::new(None::<String>);
    let confirm_error = RwSignal::new(None::<String>);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        done.set(None);
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        current_error.set(
            change
                .current_password
                .is_empty()
                .then(|| "現在のパスワードを入力してください。".to_owned()),
        );
        new_error.set((change.new_password.chars().count() < MIN_CHARS).then(|| {
            format!(
                "新しいパスワードは{MIN_CHARS}文字以上にしてください。覚えやすい長めの語句がおすすめです。"
            )
        }));
        confirm_error.set(
            (confirm.get_untracked() != change.new_password)
                .then(|| "確認のため、同じパスワードをもう一度入力してください。".to_owned()),
        );
        if current_error.with_untracked(Option::is_some)
            || new_error.with_untracked(Option::is_some)
            || confirm_error.with_untracked(Option::is_some)
        {
            form_error.set(Some("入力内容を確認してください。".to_owned()));
            return;
        }
        form_error.set(None);
        pending.set(true);
        let was_forced = session.account().is_some_and(|a| a.must_change_password);
        spawn_local(async move {
            match api::change_password(session, &change).await {
                Ok(tokens) => {
                    session.replace_tokens(tokens);
                    current.set(String::new());
                    new.set(String::new());
                    confirm.set(String::new());
                    pending.set(false);
                    done.set(Some(
                        "パスワードを変更しました。ほかの端末のログインはすべて終了しました。".to_owned(),
                    ));
                    if was_forced {
                        // Until now the node answered nothing but this change, so what the
                        // app loaded meanwhile (node, master data) is refusals: start afresh.
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().set_href(HOME_PATH);
                        }
                    }
                }
                Err(err) => {
                    form_error.set(Some(err.user_message()));
                    current_error.set(err.field_message("current_password"));
                    new_error.set(err.field_message("new_password"));
                    pending.set(false);
                }
            }
        });
    };

    view! {
        <section class="page page-password" data-testid="page-password">
            <form class="card login-form" novalidate on:submit=on_submit aria-labelledby="password-title">
                <h1 id="password-title">"パスワード変更"</h1>
                <Show when=forced>
                    <p class="alert alert-info" role="status" data-testid="password-forced">
                        "管理者がパスワードを再設定しました。続けるには、新しいパスワードを決めてください。"
                    </p>
                </Show>
                <SuccessNotice message=done testid="password-done" />
                <ErrorAlert message=form_error testid="password-error" />
                <p class="field-hint" id="password-rules">
                    "12文字以上にしてください。記号や大文字を混ぜる必要はありません。"
                    "よく使われるパスワード、同じ文字や abcd・1234 のような並び、ユーザー名や「あったか」を含むものは使えません。"
                </p>
                <div class="field">
                    <label for="password-current">"現在のパスワード"</label>
                    <input
                        id="password-current"
                        name="current-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        data-testid="password-current"
                        aria-describedby="password-current-error"
                        aria-invalid=move || current_error.with(Option::is_some).then_some("true")
                        bind:value=current
                    />
                    <FieldMessage id="password-current-error" message=current_error />
                </div>
                <div class="field">
                    <label for="password-new">"新しいパスワード"</label>
                    <input
                        id="password-new"
                        name="new-password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength=MIN_CHARS.to_string()
                        data-testid="password-new"
                        aria-describedby="password-rules password-new-error"
                        aria-invalid=move || new_error.with(Option::is_some).then_some("true")
                        bind:value=new
                    />
                    <FieldMessage id="password-new-error" message=new_error />
                </div>
                <div class="field">
                    <label for="password-confirm">"新しいパスワード（確認）"</label>
                    <input
                        id="password-confirm"
                        name="confirm-password"
                        type="password"
                        autocomplete="new-password"
                        required
                        data-testid="password-confirm"
                        aria-describedby="password-confirm-error"
                        aria-invalid=move || confirm_error.with(Option::is_some).then_some("true")
                        bind:value=confirm
                    />
                    <FieldMessage id="password-confirm-error" message=confirm_error />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        data-testid="password-submit"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "変更中…" } else { "変更する" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
