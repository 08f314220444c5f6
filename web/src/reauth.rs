//! Signing in again without leaving the page (decision 0028). When the server refuses the
//! session's refresh token (expired or ended), the requests under way wait while a sign-in dialog
//! covers the page; once the same account signs in, they go out again with the new token, so a
//! 記録する pressed after the session expired still saves. Choosing ログイン画面へ ends the session
//! as before (the drafts stay for the next sign-in in this tab).

use std::cell::RefCell;

use futures::channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::auth::LoginRequest;

use crate::api::{self, ApiError};
use crate::session::Session;

thread_local! {
    static WAITING: RefCell<Vec<oneshot::Sender<bool>>> = const { RefCell::new(Vec::new()) };
}

/// Waits for the sign-in dialog: `true` once the account signed in again (the session holds
/// new tokens), `false` when the user gave up or nobody was signed in.
pub async fn wait(session: Session) -> bool {
    if session.account_untracked().is_none() {
        return false;
    }
    let (tx, rx) = oneshot::channel();
    WAITING.with(|w| w.borrow_mut().push(tx));
    session.set_reauth_wanted(true);
    rx.await.unwrap_or(false)
}

fn finish(session: Session, signed_in: bool) {
    session.set_reauth_wanted(false);
    let waiting: Vec<_> = WAITING.with(|w| w.borrow_mut().drain(..).collect());
    for tx in waiting {
        let _ = tx.send(signed_in);
    }
}

/// The dialog over the page; shown while [`wait`] waits.
#[component]
pub fn ReauthDialog() -> impl IntoView {
    let session = Session::expect();
    view! {
        <Show when=move || session.reauth_wanted()>
            <ReauthForm session />
        </Show>
    }
}

#[component]
fn ReauthForm(session: Session) -> impl IntoView {
    let account = session.account_untracked();
    let username = account.as_ref().map(|a| a.username.clone()).unwrap_or_default();
    let account_id = account.as_ref().map(|a| a.id);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });
    let shown_name = username.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let request = LoginRequest {
            username: username.clone(),
            password: password.get_untracked(),
        };
        if request.password.is_empty() {
            error.set(Some("パスワードを入力してください。".to_owned()));
            return;
        }
        pending.set(true);
        spawn_local(async move {
            match api::login(&request).await {
                Ok(tokens) if Some(tokens.account.id) == account_id => {
                    session.replace_tokens(tokens);
                    pending.set(false);
                    finish(session, true);
                }
                Ok(_) => {
                    error.set(Some("別のアカウントではログインできません。".to_owned()));
                    pending.set(false);
                }
                Err(e) => {
                    error.set(Some(match e {
                        ApiError::Problem(_) => e.user_message(),
                        other => other.user_message(),
                    }));
                    password.set(String::new());
                    pending.set(false);
                }
            }
        });
    };
    let give_up = move |_| {
        finish(session, false);
        session.expire(ApiError::SignedOut.user_message());
    };
    view! {
        <div class="modal-backdrop" data-testid="reauth-dialog">
            <form
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="reauth-title"
                aria-describedby="reauth-text"
                novalidate
                on:submit=submit
            >
                <h2 id="reauth-title">"もう一度ログインしてください"</h2>
                <p id="reauth-text">
                    "ログインの有効期限が切れました。入力中の内容はそのままです。パスワードを入力すると、続きから処理します。"
                </p>
                <p class="modal-account">"ユーザー名: " <strong data-testid="reauth-username">{shown_name.clone()}</strong></p>
                // For password managers: which account this password is for.
                <input type="text" name="username" autocomplete="username" value=shown_name hidden readonly />
                <div class="field">
                    <label for="reauth-password">"パスワード"</label>
                    <input
                        id="reauth-password"
                        type="password"
                        autocomplete="current-password"
                        data-testid="reauth-password"
                        node_ref=input_ref
                        bind:value=password
                    />
                </div>
                <p class="field-error" role="alert" data-testid="reauth-error">{move || error.get()}</p>
                <div class="actions">
                    <button type="submit" class="button button-primary" data-testid="reauth-submit" disabled=move || pending.get()>
                        {move || if pending.get() { "確認中…" } else { "ログインして続ける" }}
                    </button>
                    <button type="button" class="button" data-testid="reauth-cancel" on:click=give_up>
                        "ログイン画面へ"
                    </button>
                </div>
            </form>
        </div>
    }
}
