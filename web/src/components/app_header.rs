//! The page header: system name, what this node is, who is signed in, the navigation and
//! sign-out.

use leptos::prelude::*;
use shared::sync_health::SyncHealth;

/// What the header shows about the node and the signed-in account.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderInfo {
    /// `センター` or `県ハブ`; `None` while loading.
    pub node_role: Option<&'static str>,
    /// The centre this node belongs to, by name.
    pub center_name: Option<String>,
    pub user_name: String,
    pub role_label: &'static str,
    pub scope_label: String,
    /// Navigation entries the caller may use: `(path, label, testid)`.
    pub nav: Vec<(&'static str, &'static str, &'static str)>,
    /// Synchronisation in one line, linking to `sync_path`; `None` while loading or not allowed.
    pub sync: Option<SyncHealth>,
    pub sync_path: &'static str,
}

/// Shown on every page; the account part only when someone is signed in.
#[component]
pub fn AppHeader(
    #[prop(into)] info: Signal<Option<HeaderInfo>>,
    /// The current path, to mark the active navigation entry.
    #[prop(into)]
    current_path: Signal<String>,
    #[prop(into)] signing_out: Signal<bool>,
    on_logout: Callback<()>,
) -> impl IntoView {
    let is_current = move |path: &str| {
        current_path.with(|p| {
            if path == "/" {
                p == "/"
            } else {
                p == path || p.starts_with(&format!("{path}/"))
            }
        })
    };
    view! {
        <header class="app-header" data-testid="app-header">
            <div class="app-header-bar">
                <p class="app-title" data-testid="app-title">
                    "あったかふれあいセンター 利用者データ管理"
                </p>
                {move || {
                    info.get()
                        .map(|info| {
                            view! {
                                <p class="app-node">
                                    {info
                                        .node_role
                                        .map(|r| {
                                            view! {
                                                <span class="node-badge" data-testid="header-node-role">{r}</span>
                                            }
                                        })}
                                    {info
                                        .center_name
                                        .map(|c| {
                                            view! {
                                                <span class="app-center long-text" data-testid="header-center-name">{c}</span>
                                            }
                                        })}
                                    {info
                                        .sync
                                        .map(|h| {
                                            view! {
                                                <a
                                                    class=format!("sync-badge sync-{}", h.level.as_str())
                                                    href=info.sync_path
                                                    data-testid="header-sync"
                                                    data-level=h.level.as_str()
                                                    title="同期状況の詳細を見る"
                                                >
                                                    <span class="visually-hidden">"同期状況："</span>
                                                    {h.summary}
                                                </a>
                                            }
                                        })}
                                </p>
                            }
                        })
                }}
            </div>
            {move || {
                info.get()
                    .map(|info| {
                        view! {
                            <div class="app-nav">
                                <nav aria-label="メインメニュー" data-testid="app-nav">
                                    <ul>
                                        {info
                                            .nav
                                            .into_iter()
                                            .map(|(path, label, testid)| {
                                                view! {
                                                    <li>
                                                        <a
                                                            href=path
                                                            data-testid=testid
                                                            aria-current=move || is_current(path).then_some("page")
                                                        >
                                                            {label}
                                                        </a>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </nav>
                                <p class="app-account">
                                    <span class="app-user long-text" data-testid="header-user">{info.user_name}</span>
                                    <span class="app-role">
                                        "（"
                                        <span data-testid="header-role">{info.role_label}</span>
                                        "・"
                                        <span class="long-text" data-testid="header-scope">{info.scope_label}</span>
                                        "）"
                                    </span>
                                </p>
                                <button
                                    type="button"
                                    class="button button-on-dark"
                                    data-testid="logout-button"
                                    disabled=move || signing_out.get()
                                    on:click=move |_| on_logout.run(())
                                >
                                    {move || if signing_out.get() { "ログアウト中…" } else { "ログアウト" }}
                                </button>
                            </div>
                        }
                    })
            }}
        </header>
    }
}
