//! Audit rows for person-data access, logins and writes: written on their own, or drafted for
//! the store to append in the transaction of the write they record.

use chrono::Utc;

use crate::auth::ClientInfo;
use crate::domain::account::Principal;
use crate::domain::audit::{AuditDraft, AuditEntry, Outcome};
use crate::error::ApiError;
use crate::store::{CommonStore, StoreResult};

/// Outcome of a handler's result, for the audit row.
pub fn outcome_of<T>(result: &Result<T, ApiError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Ok,
        Err(
            ApiError::Forbidden
            | ApiError::Unauthenticated(_)
            | ApiError::Locked
            | ApiError::TooManyRequests { .. },
        ) => Outcome::Denied,
        Err(ApiError::Validation(_) | ApiError::BadRequest(_) | ApiError::Conflict { .. }) => {
            Outcome::Invalid
        }
        Err(ApiError::NotFound) => Outcome::NotFound,
        Err(_) => Outcome::Failed,
    }
}

/// One audit event, built up then written.
pub struct Event<'a> {
    pub action: &'a str,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<serde_json::Value>,
}

/// The row of `event` for `principal` (or an anonymous `actor`, e.g. a failed login's name).
fn entry(
    principal: Option<&Principal>,
    actor: Option<&str>,
    client: &ClientInfo,
    event: Event<'_>,
) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        actor: principal
            .map(|p| p.name.clone())
            .or_else(|| actor.map(str::to_owned)),
        account_id: principal.and_then(|p| p.account_id),
        role: principal.map(|p| p.role.as_str().to_owned()),
        scope: principal.map(Principal::scope_label),
        action: event.action.to_owned(),
        target: event.target,
        outcome: event.outcome,
        client: client.address.clone(),
        request_id: client.request_id.clone(),
        detail: event.detail.map(|d| d.to_string()),
    }
}

/// Writes an audit row, in a transaction of its own: for reads (before they answer) and for
/// writes that were refused or failed (there is nothing to roll back with the row).
pub async fn record(
    store: &dyn CommonStore,
    principal: Option<&Principal>,
    actor: Option<&str>,
    client: &ClientInfo,
    event: Event<'_>,
) -> StoreResult<()> {
    store.append_audit(&entry(principal, actor, client, event)).await
}

/// The row of a write that succeeds (outcome ok), for the store to append in the write's own
/// transaction.
pub fn draft<T>(
    principal: Option<&Principal>,
    actor: Option<&str>,
    client: &ClientInfo,
    action: &str,
    target: Option<String>,
    detail: Option<serde_json::Value>,
) -> AuditDraft<T> {
    let event = Event {
        action,
        target,
        outcome: Outcome::Ok,
        detail,
    };
    AuditDraft::new(entry(principal, actor, client, event))
}

/// The row of a write made from the command line (actor `cli`).
pub fn by_cli<T>(action: &str, target: Option<String>, detail: Option<serde_json::Value>) -> AuditDraft<T> {
    draft(None, Some("cli"), &ClientInfo::default(), action, target, detail)
}
