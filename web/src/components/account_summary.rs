//! Who an account is: name, role and the part of the prefecture it may see.

use leptos::prelude::*;
use shared::dto::auth::{AccountView, Scope};

#[component]
pub fn AccountSummary(account: AccountView) -> impl IntoView {
    let scope = scope_label(&account.scope);
    view! {
        <dl class="account-summary" data-testid="account-summary">
            <dt>"氏名"</dt>
            <dd data-testid="account-display-name">{account.display_name}</dd>
            <dt>"ユーザー名"</dt>
            <dd data-testid="account-username">{account.username}</dd>
            <dt>"権限"</dt>
            <dd data-testid="account-role">{account.role.label()}</dd>
            <dt>"利用範囲"</dt>
            <dd data-testid="account-scope">{scope}</dd>
        </dl>
    }
}

/// Japanese label for a scope, e.g. `センター C001`.
pub fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::Prefecture => "高知県全域".to_owned(),
        Scope::Municipality(code) => format!("市町村（団体コード {code}）"),
        Scope::Center(code) => format!("センター {code}"),
    }
}
