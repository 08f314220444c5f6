//! The audit row of each audited call, written before its answer: the one wrapper for calls by
//! an account or API token and the one for calls by a centre node's sync credential.

use crate::auth::{Caller, CenterCredential};
use crate::error::ApiResult;
use crate::ops::audit::{self, Event};
use crate::startup::AppState;

/// Records the audit row of an account's call (person data and other audited actions), then
/// returns the call's result. When the audit row cannot be written the call fails: person data
/// is never served unaudited.
pub(crate) async fn audited<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: Option<String>,
    detail: Option<serde_json::Value>,
    result: ApiResult<T>,
) -> ApiResult<T> {
    let event = Event {
        action,
        target,
        outcome: audit::outcome_of(&result),
        detail,
    };
    audit::record(
        state.store.as_ref(),
        Some(&caller.principal),
        None,
        &caller.client,
        event,
    )
    .await?;
    result
}

/// Appends the audit row of a call a centre node made with its sync credential (actor
/// `sync:<centre>:<credential prefix>`, target the centre), then hands the result back.
pub(crate) async fn audited_sender<T>(
    state: &AppState,
    sender: &CenterCredential,
    action: &str,
    detail: serde_json::Value,
    result: ApiResult<T>,
) -> ApiResult<T> {
    let event = Event {
        action,
        target: Some(sender.center.clone()),
        outcome: audit::outcome_of(&result),
        detail: Some(detail),
    };
    let actor = format!("sync:{}:{}", sender.center, sender.credential.prefix);
    audit::record(state.store.as_ref(), None, Some(&actor), &sender.client, event).await?;
    result
}
