//! The optional duplicate hint as a service: a centre node's synchronous look-up at the hub
//! (the match key only, with the centre's sync credential and a short timeout), and the hub's
//! clean-up when the prefecture has the hint off. Rules and key derivation live in
//! `domain::duplicate_hint`; the hub's SQL in `store::sqlite::duplicate_hints`.

use std::sync::OnceLock;
use std::time::Duration;

use shared::dto::duplicate_hint::{HubHintAnswer, HubHintQuery};
use shared::dto::meta::NodeRole;

use crate::config::Settings;

/// Why a look-up got no answer from the hub (logged; staff see "hub unreachable").
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    #[error("the hub did not answer: {0}")]
    Transport(String),
    #[error("the hub answered {0}")]
    Status(u16),
    #[error("the hub's answer could not be read: {0}")]
    Body(String),
}

/// One client for every look-up (connections are reused); the timeout is set per request.
fn client() -> Result<&'static reqwest::Client, LookupError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::Client::builder()
        .user_agent(concat!("attaka/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| LookupError::Client(e.to_string()))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// Whether this centre node takes part: it holds the prefecture's key and synchronises with a
/// hub (whose URL and credential the look-up uses).
pub fn centre_takes_part(settings: &Settings) -> bool {
    settings.node.role == NodeRole::Center
        && settings.duplicate_hint.keyer().is_some()
        && settings.sync.is_configured()
}

/// Asks the hub which registrations at other centres have `match_key`
/// (`POST /api/v1/sync/duplicate-hints`). Call only when [`centre_takes_part`].
pub async fn ask_hub(
    settings: &Settings,
    center: &str,
    match_key: &str,
) -> Result<HubHintAnswer, LookupError> {
    let (Some(url), Some(credential)) = (
        settings.sync.hub_url.as_deref(),
        crate::config::secret_text(&settings.sync.credential),
    ) else {
        return Err(LookupError::Client("sync is not configured".into()));
    };
    let timeout = Duration::from_millis(settings.duplicate_hint.timeout_ms);
    let query = HubHintQuery {
        center: center.to_owned(),
        match_key: match_key.to_owned(),
    };
    let res = client()?
        .post(format!(
            "{}/api/v1/sync/duplicate-hints",
            url.trim_end_matches('/')
        ))
        .bearer_auth(credential.trim())
        .timeout(timeout)
        .json(&query)
        .send()
        .await
        .map_err(|e| LookupError::Transport(e.to_string()))?;
    let status = res.status();
    if !status.is_success() {
        return Err(LookupError::Status(status.as_u16()));
    }
    res.json::<HubHintAnswer>()
        .await
        .map_err(|e| LookupError::Body(e.to_string()))
}

/// At start: a hub with the hint off keeps no match key (turning the hint off erases them).
pub async fn on_start(node: &crate::store::NodeStore, settings: &Settings) -> anyhow::Result<()> {
    if let (Some(store), false) = (node.hub(), settings.duplicate_hint.enabled) {
        let n = store.clear_duplicate_hints().await?;
        if n > 0 {
            tracing::info!(
                event = "duplicate_hints_cleared",
                n,
                "duplicate hint is off: stored match keys deleted"
            );
        }
    }
    Ok(())
}
