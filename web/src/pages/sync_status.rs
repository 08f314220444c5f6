//! 同期状況: how this node's synchronisation stands. On a centre node: what waits to be sent
//! to the prefecture hub, the last delivery, the last error, the hub's period locks. On the hub:
//! each centre in the caller's scope and when it last delivered.

use leptos::prelude::*;
use shared::dto::sync::{CenterSyncStatus, OutboxStatus, SyncStatus};
use shared::sync_health::{format_jst_long, health};

use crate::components::messages::{ErrorAlert, Loading};
use std::sync::Arc;

use crate::master::{Master, MasterData};
use crate::sync_state::{SyncState, POLL_SECONDS};

#[component]
pub fn SyncStatusPage() -> impl IntoView {
    let sync = SyncState::expect();
    let master = Master::expect();

    let body = move || match sync.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = e.full_message();
            view! { <ErrorAlert message=Signal::derive(move || Some(message.clone())) testid="sync-error" /> }
                .into_any()
        }
        Some(Ok(status)) => view! { <StatusView status master=master.data() /> }.into_any(),
    };

    view! {
        <section class="page page-sync" data-testid="page-sync" aria-labelledby="sync-title">
            <div class="page-head">
                <h1 id="sync-title">"同期状況"</h1>
            </div>
            <p class="muted">
                {format!(
                    "センターの記録は、個人を特定する情報を除いて県ハブへ送られます。この画面は {POLL_SECONDS} 秒ごとに更新されます。"
                )}
            </p>
            <div class="toolbar no-print">
                <button type="button" class="button" data-testid="sync-refresh" on:click=move |_| sync.refresh()>
                    "最新の状態に更新"
                </button>
            </div>
            {body}
        </section>
    }
}

/// The status as read from the node.
#[component]
fn StatusView(status: SyncStatus, master: Option<Arc<MasterData>>) -> impl IntoView {
    let h = health(&status);
    let summary = view! {
        <p class=format!("sync-summary sync-{}", h.level.as_str()) data-testid="sync-summary" data-level=h.level.as_str()>
            {h.summary}
        </p>
    };
    let detail = match (status.outbox, status.centers) {
        (Some(outbox), _) => view! { <OutboxView outbox /> }.into_any(),
        (None, centers) => view! { <CentersView centers master /> }.into_any(),
    };
    view! {
        {summary}
        {detail}
    }
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "—".to_owned(), format_jst_long)
}

/// A centre node's outbox.
#[component]
fn OutboxView(outbox: OutboxStatus) -> impl IntoView {
    if !outbox.configured {
        return view! {
            <p data-testid="sync-not-configured">
                "このセンターノードには県ハブの接続先が設定されていません。記録はこのノードにだけ保存されます。設定は運用保守担当者に依頼してください。"
            </p>
        }
        .into_any();
    }
    let rows: Vec<(&'static str, &'static str, String)> = vec![
        (
            "送信先（県ハブ）",
            "sync-hub-url",
            outbox.hub_url.clone().unwrap_or_else(|| "—".to_owned()),
        ),
        ("未送信の件数", "sync-backlog", format!("{}件", outbox.backlog)),
        (
            "最も古い未送信の記録",
            "sync-oldest",
            when(outbox.oldest_pending_at),
        ),
        (
            "最後に送信できた日時",
            "sync-last-success",
            when(outbox.last_success_at),
        ),
        (
            "最後に送信を試みた日時",
            "sync-last-attempt",
            when(outbox.last_attempt_at),
        ),
        (
            "最後のエラー",
            "sync-last-error",
            outbox.last_error.clone().unwrap_or_else(|| "なし".to_owned()),
        ),
        (
            "県ハブに届いた最後の番号",
            "sync-last-acked",
            outbox.last_acked_seq.to_string(),
        ),
        (
            "期間ロックを取得した日時",
            "sync-locks-pulled",
            when(outbox.locks_pulled_at),
        ),
        (
            "期間ロック取得のエラー",
            "sync-locks-error",
            outbox.locks_error.clone().unwrap_or_else(|| "なし".to_owned()),
        ),
    ];
    view! {
        {outbox
            .stuck
            .then(|| {
                view! {
                    <p class="alert alert-error" role="alert" data-testid="sync-stuck">
                        "未送信の記録が長く残っています。ネットワークと県ハブの状態を確認し、解決しない場合は運用保守担当者に連絡してください。"
                    </p>
                }
            })}
        <section class="card" aria-labelledby="sync-outbox-title">
            <h3 id="sync-outbox-title">"県ハブへの送信"</h3>
            <dl class="details-list" data-testid="sync-outbox">
                {rows
                    .into_iter()
                    .map(|(label, testid, value)| {
                        view! {
                            <dt>{label}</dt>
                            <dd class="long-text" data-testid=testid>{value}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
    }
    .into_any()
}

/// The hub: the centres in the caller's scope.
#[component]
fn CentersView(centers: Vec<CenterSyncStatus>, master: Option<Arc<MasterData>>) -> impl IntoView {
    if centers.is_empty() {
        return view! { <p data-testid="sync-no-centers">"見られる範囲のセンターから、まだ何も届いていません。"</p> }
            .into_any();
    }
    let name = move |code: &str| {
        master
            .as_ref()
            .and_then(|m| m.center_name(code).map(str::to_owned))
            .unwrap_or_else(|| code.to_owned())
    };
    view! {
        <div class="table-scroll">
            <table class="data-table sync-table" data-testid="sync-centers">
                <caption class="visually-hidden">"センターごとの受信状況"</caption>
                <thead>
                    <tr>
                        <th scope="col">"センター"</th>
                        <th scope="col">"最後に受信した日時"</th>
                        <th scope="col" class="num">"受信した最後の番号"</th>
                        <th scope="col" class="num">"有効な接続用資格情報"</th>
                    </tr>
                </thead>
                <tbody>
                    {centers
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr data-testid=format!("sync-center-{}", c.center)>
                                    <th scope="row" class="long-text">{name(&c.center)}" "<span class="muted">{c.center.clone()}</span></th>
                                    <td>{when(c.last_batch_at)}</td>
                                    <td class="num">{c.last_seq}</td>
                                    <td class="num">{c.active_credentials}</td>
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
