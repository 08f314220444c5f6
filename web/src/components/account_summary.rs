//! Who an account is: name, role and the part of the prefecture it may see.

use leptos::prelude::*;
use shared::dto::auth::AccountView;

#[component]
pub fn AccountSummary(
    account: AccountView,
    /// The scope written out (e.g. the centre's name), see `crate::format::scope_label`.
    scope_label: String,
) -> impl IntoView {
    view! {
        <dl class="account-summary" data-testid="account-summary">
            <dt>"氏名"</dt>
            <dd data-testid="account-display-name">{account.display_name}</dd>
            <dt>"ユーザー名"</dt>
            <dd data-testid="account-username">{account.username}</dd>
            <dt>"権限"</dt>
            <dd data-testid="account-role">{account.role.label()}</dd>
            <dt>"利用範囲"</dt>
            <dd data-testid="account-scope">{scope_label}</dd>
        </dl>
    }
}
