//! Appending audit rows for person-data access and logins.

use chrono::Utc;

use crate::auth::ClientInfo;
use crate::domain::account::Principal;
use crate::domain::audit::{AuditEntry, Outcome};
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

/// Writes an audit row for `principal` (or an anonymous `actor`, e.g. a failed login's name).
pub async fn record(
    store: &dyn CommonStore,
    principal: Option<&Principal>,
    actor: Option<&str>,
    client: &ClientInfo,
    event: Event<'_>,
) -> StoreResult<()> {
    let entry = AuditEntry {
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
    };
    store.append_audit(&entry).await
}
