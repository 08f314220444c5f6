//! The audit row of each audited call, by an account or API token or by a centre node's sync
//! credential. A read's row is written before its answer. A write's row, when the write
//! succeeds, goes to the store with the write ([`CallAudit::draft`]) and commits with it; a
//! refused or failed write is audited after the fact, in a transaction of its own.

use crate::auth::{Caller, CenterCredential, ClientInfo};
use crate::domain::account::Principal;
use crate::domain::audit::AuditDraft;
use crate::error::ApiResult;
use crate::ops::audit::{self, Event};
use crate::startup::AppState;

/// Who made the call.
enum By<'a> {
    Caller(&'a Caller),
    /// A centre node (actor `sync:<centre>:<credential prefix>`, target the centre).
    Sender(&'a CenterCredential, String),
}

/// The audit of one call: its action and who made it from where.
pub(crate) struct CallAudit<'a> {
    state: &'a AppState,
    by: By<'a>,
    action: &'static str,
}

impl<'a> CallAudit<'a> {
    /// A call by an account or API token.
    pub(crate) fn by(state: &'a AppState, caller: &'a Caller, action: &'static str) -> CallAudit<'a> {
        CallAudit {
            state,
            by: By::Caller(caller),
            action,
        }
    }

    /// A call a centre node made with its sync credential; the target is always the centre.
    pub(crate) fn by_sender(
        state: &'a AppState,
        sender: &'a CenterCredential,
        action: &'static str,
    ) -> CallAudit<'a> {
        let actor = format!("sync:{}:{}", sender.center, sender.credential.prefix);
        CallAudit {
            state,
            by: By::Sender(sender, actor),
            action,
        }
    }

    fn who(&self) -> (Option<&Principal>, Option<&str>, &ClientInfo) {
        match &self.by {
            By::Caller(c) => (Some(&c.principal), None, &c.client),
            By::Sender(s, actor) => (None, Some(actor.as_str()), &s.client),
        }
    }

    fn target(&self, target: Option<String>) -> Option<String> {
        match &self.by {
            By::Caller(_) => target,
            By::Sender(s, _) => Some(s.center.clone()),
        }
    }

    /// The row of the write when it succeeds, for the store to append in the write's own
    /// transaction; `completed_by` adds what only the result tells.
    pub(crate) fn draft<T>(
        &self,
        target: Option<String>,
        detail: Option<serde_json::Value>,
    ) -> AuditDraft<T> {
        let (principal, actor, client) = self.who();
        audit::draft(principal, actor, client, self.action, self.target(target), detail)
    }

    async fn record<T>(
        &self,
        target: Option<String>,
        detail: Option<serde_json::Value>,
        result: &ApiResult<T>,
    ) -> ApiResult<()> {
        let event = Event {
            action: self.action,
            target: self.target(target),
            outcome: audit::outcome_of(result),
            detail,
        };
        let (principal, actor, client) = self.who();
        audit::record(self.state.store.as_ref(), principal, actor, client, event).await?;
        Ok(())
    }

    /// A read (or a refused call that changes nothing): writes the row, whatever the outcome,
    /// then returns the result. When the row cannot be written the call fails: person data is
    /// never served unaudited.
    pub(crate) async fn read<T>(
        &self,
        target: Option<String>,
        detail: Option<serde_json::Value>,
        result: ApiResult<T>,
    ) -> ApiResult<T> {
        self.record(target, detail, &result).await?;
        result
    }

    /// A write whose success the store audited with it (from [`CallAudit::draft`]): only a
    /// refusal or failure is recorded here, on its own, since nothing was written to roll back.
    pub(crate) async fn write<T>(
        &self,
        target: Option<String>,
        detail: Option<serde_json::Value>,
        result: ApiResult<T>,
    ) -> ApiResult<T> {
        if result.is_err() {
            self.record(target, detail, &result).await?;
        }
        result
    }
}
