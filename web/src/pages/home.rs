//! The signed-in start page: who is signed in on which node, and shortcuts to the screens the
//! account may use.

use leptos::prelude::*;

use crate::app::{accounts_allowed, ACCOUNTS_PATH, FIGURES_PATH, OVERVIEW_PATH, PASSWORD_PATH, PERSONS_PATH};
use crate::components::account_summary::AccountSummary;
use crate::components::messages::ErrorAlert;
use crate::components::ops_due::OpsDueCard;
use crate::figures::figures_allowed;
use crate::format::scope_label;
use crate::master::Master;
use crate::node::{node_role_label, persons_allowed, Node};
use crate::session::Session;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = Session::expect();
    let node = Node::expect();
    let master = Master::expect();

    let summary = move || {
        session.account().map(|account| {
            let scope = scope_label(&account.scope, master.data().as_deref());
            view! { <AccountSummary account scope_label=scope /> }
        })
    };
    let node_line = move || {
        node.meta().map(|meta| {
            let center = meta
                .center
                .as_deref()
                .map(|code| {
                    master
                        .data()
                        .and_then(|d| d.center_name(code).map(str::to_owned))
                        .unwrap_or_else(|| code.to_owned())
                })
                .unwrap_or_default();
            format!(
                "{}ノード {center}（バージョン {}）",
                node_role_label(meta.node_role),
                meta.version
            )
        })
    };
    let shortcuts = move || {
        node.meta().filter(persons_allowed).map(|_| {
            view! {
                <section class="card" aria-labelledby="home-activities-title">
                    <h3 id="home-activities-title">"活動記録"</h3>
                    <p>"集い・訪問・相談などの記録と、月ごとのカレンダーです。"</p>
                    <div class="actions">
                        <a class="button button-primary" href=format!("{}/new", crate::app::ACTIVITIES_PATH) data-testid="home-activity-new-link">
                            "今日の集いを記録"
                        </a>
                        <a class="button" href=crate::app::ACTIVITIES_PATH data-testid="home-activities-link">
                            "カレンダーを見る"
                        </a>
                    </div>
                </section>
                <section class="card" aria-labelledby="home-persons-title">
                    <h3 id="home-persons-title">"利用者"</h3>
                    <p>"利用者の検索・登録・編集、利用者カードの印刷ができます。"</p>
                    <div class="actions">
                        <a class="button button-primary" href=PERSONS_PATH data-testid="home-persons-link">
                            "利用者を探す"
                        </a>
                        <a class="button" href=format!("{PERSONS_PATH}/new") data-testid="home-person-new-link">
                            "新しく登録する"
                        </a>
                    </div>
                </section>
            }
        })
    };

    let figures = move || {
        node.meta().filter(figures_allowed).map(|_| {
            view! {
                <section class="card" aria-labelledby="home-figures-title">
                    <h3 id="home-figures-title">"集計"</h3>
                    <p>"利用範囲の実利用者数・延べ利用者数などを、年度・月・期間ごとに表とグラフで確認し、CSV に保存・印刷できます。"</p>
                    <div class="actions">
                        <a class="button button-primary" href=OVERVIEW_PATH data-testid="home-overview-link">
                            "概況を見る"
                        </a>
                        <a class="button" href=FIGURES_PATH data-testid="home-figures-link">
                            "集計する"
                        </a>
                    </div>
                </section>
            }
        })
    };

    // The operator's (and the prefecture's) open items with their service-level clocks.
    let due = LocalResource::new(move || async move {
        match session.account() {
            Some(a) if crate::ops::ops_allowed(a.role) => Some(crate::api::ops_due(session).await),
            _ => None,
        }
    });
    let ops = move || match due.get() {
        Some(Some(Ok(d))) => Some(view! { <OpsDueCard due=d /> }.into_any()),
        Some(Some(Err(e))) => {
            let message = e.full_message();
            Some(view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="home-ops-error" /> }.into_any())
        }
        _ => None,
    };

    view! {
        <section class="page page-home" data-testid="page-home" aria-labelledby="home-title">
            <h1 id="home-title">"ホーム"</h1>
            <DeniedNotice />
            <div class="home-grid">
                {ops}
                {shortcuts}
                {figures}
                <section class="card" aria-labelledby="home-account-title">
                    <h3 id="home-account-title">"ログイン中のアカウント"</h3>
                    {summary}
                    <p class="muted" data-testid="home-node">{node_line}</p>
                    <div class="actions">
                        <a class="button" href=PASSWORD_PATH data-testid="home-password-link">
                            "パスワード変更"
                        </a>
                        {move || {
                            session
                                .account()
                                .filter(|a| accounts_allowed(a.role))
                                .map(|_| {
                                    view! {
                                        <a class="button" href=ACCOUNTS_PATH data-testid="home-accounts-link">
                                            "アカウント管理"
                                        </a>
                                    }
                                })
                        }}
                    </div>
                </section>
            </div>
        </section>
    }
}

/// Why a page asked for by its address (a bookmark, a link in a mail) was not shown: the route
/// sends accounts that may not use it here with `?denied=<path>`.
#[component]
fn DeniedNotice() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let session = Session::expect();
    move || {
        let path = query.with(|q| q.get("denied"))?;
        let role = session.account().map(|a| a.role.label()).unwrap_or_default();
        let (page, reason) = denied_reason(&path);
        Some(view! {
            <div class="alert alert-error" role="alert" data-testid="home-denied">
                <p>{format!("「{page}」（{path}）は、このアカウント（{role}）では開けないため、ホームを表示しています。")}</p>
                <p>{reason}</p>
            </div>
        })
    }
}

/// The page's name and who may use it.
pub fn denied_reason(path: &str) -> (&'static str, &'static str) {
    let first = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    match first {
        "figures" => (
            "集計",
            "集計は、センター・市町村・県のアカウントが見る画面です。運用保守担当と連携用のアカウントには実績の数値を見る権限がありません。",
        ),
        "overview" => (
            "概況",
            "概況は、センター・市町村・県のアカウントが見る画面です。運用保守担当と連携用のアカウントには実績の数値を見る権限がありません。",
        ),
        "persons" => (
            "利用者",
            "利用者の情報は、センターのノードでそのセンターのアカウントだけが扱えます。",
        ),
        "activities" => (
            "活動記録",
            "活動記録は、センターのノードでそのセンターのアカウントだけが扱えます。",
        ),
        "extracts" => (
            "抽出",
            "抽出は、センター・市町村・県のアカウントが使う画面です。運用保守担当と連携用のアカウントには記録を取り出す権限がありません。",
        ),
        "period-locks" => ("期間ロック", "期間ロックは、県と市町村のアカウントが使う画面です。"),
        "accounts" => ("アカウント管理", "アカウント管理は、県とセンター管理者のアカウントが使う画面です。"),
        _ => ("この画面", "この画面を使う権限がありません。"),
    }
}
