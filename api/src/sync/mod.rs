//! Centre → hub synchronisation as a service: the centre node's sender (`worker`), the hub's
//! watch for having fallen behind its centres (`hub_watch`), and the state both nodes report. The rules live in `domain::sync`, the SQL in `store::sqlite`.

pub mod hint;
pub mod hub_watch;
pub mod worker;

use chrono::{Duration, Utc};
use shared::dto::sync::OutboxStatus;

use crate::config::SyncSettings;
use crate::store::{CenterStore, StoreResult};

/// A centre node's outbox as `/sync/status` shows it (zeros before synchronisation started).
pub async fn outbox_status(
    store: &dyn CenterStore,
    settings: &SyncSettings,
    center: &str,
) -> StoreResult<OutboxStatus> {
    let configured = settings.is_configured();
    let hub_url = settings.hub_url.clone();
    Ok(match store.sync_outbox().await? {
        Some(state) => {
            let stuck = state.is_stuck(Utc::now(), Duration::seconds(settings.alert_after_seconds));
            state.to_view(configured, hub_url, stuck)
        }
        None => OutboxStatus {
            center: center.to_owned(),
            configured,
            hub_url,
            backlog: 0,
            oldest_pending_at: None,
            last_acked_seq: 0,
            last_attempt_at: None,
            last_success_at: None,
            last_error: None,
            stuck: false,
            locks_pulled_at: None,
            locks_error: None,
        },
    })
}

/// `attaka sync …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SyncCommand {
    /// Hub: issue a credential for a centre and print it (shown this once; only its hash is kept).
    IssueCredential {
        #[arg(long)]
        center: String,
    },
    /// Centre: queue a full snapshot in a new stream, so the hub replaces everything it holds for
    /// this centre (after a restore from backup, a bulk import, or a new hub).
    Resnapshot,
    /// Centre: print the outbox state as JSON.
    Status,
}

/// Runs a `sync` command; returns what to print.
pub async fn run_command(command: SyncCommand, settings: &crate::config::Settings) -> anyhow::Result<String> {
    use anyhow::Context;
    let node = crate::store::open(settings).await?;
    node.common().migrate().await?;
    let center = || {
        settings
            .center_code()
            .map(|c| c.to_string())
            .context("node.center is required: this command is for a centre node")
    };
    match command {
        SyncCommand::IssueCredential { center } => {
            let store = node.hub().context("credentials are issued on the hub")?;
            let code = shared::common_id::CenterCode::parse(center.trim())
                .map_err(|e| anyhow::anyhow!("--center {center:?}: {e}"))?;
            store
                .center(code.as_str())
                .await
                .with_context(|| format!("centre {code} is not registered on the hub"))?;
            let credential = crate::auth::tokens::random_token(crate::auth::tokens::SYNC_CREDENTIAL_PREFIX)?;
            let prefix: String = credential.chars().take(12).collect();
            let row = crate::ops::audit::by_cli("sync.credential.create", Some(code.to_string()), None)
                .completed_by(|e, c: &crate::domain::sync::SyncCredential| {
                    e.set_detail(serde_json::json!({"via": "cli", "id": c.id}));
                });
            let stored = store
                .create_sync_credential(
                    code.as_str(),
                    &crate::auth::tokens::token_hash(&credential),
                    &prefix,
                    None,
                    row,
                )
                .await?;
            tracing::info!(center = %stored.center, id = stored.id, "sync credential issued");
            Ok(credential)
        }
        SyncCommand::Resnapshot => {
            let center = center()?;
            let store = node.center().context("a resnapshot is made on a centre node")?;
            let entries = store.sync_resnapshot(&center).await?;
            Ok(format!(
                "{center}: 全件スナップショット {entries} 件を新しい系列で送信待ちにしました。"
            ))
        }
        SyncCommand::Status => {
            let center = center()?;
            let store = node.center().context("the outbox exists on a centre node")?;
            let status = outbox_status(store.as_ref(), &settings.sync, &center).await?;
            Ok(serde_json::to_string_pretty(&status)?)
        }
    }
}
