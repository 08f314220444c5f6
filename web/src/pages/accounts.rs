//! アカウント管理: the accounts an administrator (the prefecture, a centre's manager) looks after,
//! and the reset of a forgotten password to a temporary one the account must change at its next
//! login.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::auth::{AccountView, PasswordReset};

use crate::api;
use crate::components::messages::{ErrorAlert, FieldMessage, Loading, SuccessNotice};
use crate::format::scope_label;
use crate::master::Master;
use crate::session::Session;

/// How an account stands, in words.
fn state(a: &AccountView) -> &'static str {
    if a.disabled {
        "無効"
    } else if a.must_change_password {
        "パスワード変更待ち"
    } else if a.locked_until.is_some() {
        "ログイン試行の制限中"
    } else {
        "利用中"
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let session = Session::expect();
    let master = Master::expect();
    let reload = RwSignal::new(0u32);
    let accounts = LocalResource::new(move || {
        reload.track();
        api::accounts(session)
    });
    // The account whose password is being reset.
    let resetting = RwSignal::new(None::<AccountView>);
    let notice = RwSignal::new(None::<String>);
    let me = move || session.account().map(|a| a.id);

    let rows = move || match accounts.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="accounts-error" /> }
                .into_any()
        }
        Some(Ok(list)) => {
            let data = master.data();
            view! {
                <div class="table-scroll">
                    <table class="data-table" data-testid="accounts-table">
                        <thead>
                            <tr>
                                <th scope="col">"ユーザー名"</th>
                                <th scope="col">"表示名"</th>
                                <th scope="col">"役割"</th>
                                <th scope="col">"範囲"</th>
                                <th scope="col">"状態"</th>
                                <th scope="col"><span class="visually-hidden">"操作"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {list
                                .into_iter()
                                .map(|a| {
                                    let own = me() == Some(a.id);
                                    let target = a.clone();
                                    let testid = format!("account-reset-{}", a.username);
                                    view! {
                                        <tr data-testid=format!("account-{}", a.username)>
                                            <td class="long-text">{a.username.clone()}</td>
                                            <td class="long-text">{a.display_name.clone()}</td>
                                            <td>{a.role.label()}</td>
                                            <td class="long-text">{scope_label(&a.scope, data.as_deref())}</td>
                                            <td>{state(&a)}</td>
                                            <td>
                                                {(!own)
                                                    .then(|| {
                                                        view! {
                                                            <button
                                                                type="button"
                                                                class="button"
                                                                data-testid=testid
                                                                on:click=move |_| {
                                                                    notice.set(None);
                                                                    resetting.set(Some(target.clone()));
                                                                }
                                                            >
                                                                "パスワード再設定"
                                                            </button>
                                                        }
                                                    })}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    };

    let on_done = Callback::new(move |username: String| {
        resetting.set(None);
        notice.set(Some(format!(
            "{username} に仮のパスワードを設定しました。ログイン中の端末はすべてログアウトされ、次回のログインでパスワードの変更が必要です。仮のパスワードは本人に直接伝えてください。"
        )));
        reload.update(|n| *n += 1);
    });

    view! {
        <section class="page page-accounts" data-testid="page-accounts" aria-labelledby="accounts-title">
            <div class="page-head">
                <h1 id="accounts-title">"アカウント管理"</h1>
            </div>
            <SuccessNotice message=notice testid="accounts-notice" />
            {move || {
                resetting
                    .get()
                    .map(|account| {
                        view! { <ResetForm account on_done on_cancel=Callback::new(move |()| resetting.set(None)) /> }
                    })
            }}
            {rows}
        </section>
    }
}

/// The temporary password for one account.
#[component]
fn ResetForm(account: AccountView, on_done: Callback<String>, on_cancel: Callback<()>) -> impl IntoView {
    let session = Session::expect();
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let form_error = RwSignal::new(None::<String>);
    let field_error = RwSignal::new(None::<String>);
    let (id, username) = (account.id, account.username.clone());
    let title = format!("{} のパスワード再設定", account.display_name);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let reset = PasswordReset {
            new_password: password.get_untracked(),
        };
        pending.set(true);
        let username = username.clone();
        spawn_local(async move {
            match api::reset_password(session, id, &reset).await {
                Ok(_) => on_done.run(username),
                Err(err) => {
                    form_error.set(Some(err.user_message()));
                    field_error.set(err.field_message("new_password"));
                    pending.set(false);
                }
            }
        });
    };

    view! {
        <form class="card" novalidate on:submit=on_submit data-testid="account-reset-form">
            <h2>{title}</h2>
            <p class="field-hint" id="reset-rules">
                "仮のパスワードを決めてください（12文字以上。よく使われるもの、ユーザー名や「あったか」を含むものは使えません）。本人は次回のログインで自分のパスワードに変更します。"
            </p>
            <ErrorAlert message=form_error testid="account-reset-error" />
            <div class="field">
                <label for="reset-password">"仮のパスワード"</label>
                <input
                    id="reset-password"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    required
                    data-testid="account-reset-password"
                    aria-describedby="reset-rules reset-password-error"
                    aria-invalid=move || field_error.with(Option::is_some).then_some("true")
                    bind:value=password
                />
                <FieldMessage id="reset-password-error" message=field_error />
            </div>
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="account-reset-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "設定中…" } else { "設定する" }}
                </button>
                <button type="button" class="button" data-testid="account-reset-cancel" on:click=move |_| on_cancel.run(())>
                    "やめる"
                </button>
            </div>
        </form>
    }
}
