//! Audit entries: who did what to which record, from where, with what result.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Invalid,
    NotFound,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Invalid => "invalid",
            Outcome::NotFound => "not_found",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Username (or `token:<prefix>`); for a failed login, the name that was tried.
    pub actor: Option<String>,
    pub account_id: Option<i64>,
    pub role: Option<String>,
    /// `prefecture`, `municipality:392014`, `center:C001`.
    pub scope: Option<String>,
    /// Dotted verb, e.g. `person.read`, `auth.login`.
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub client: Option<String>,
    pub request_id: Option<String>,
    /// Small structured detail (JSON), never personal data.
    pub detail: Option<String>,
}

/// The audit row of a write, handed to the store with the write so that both commit in one
/// transaction or neither does: a write is never left unaudited, and a row never claims a write
/// that did not happen. What only the write's result tells (the common ID it issued, the lock's
/// ID, how many entries a batch applied) is filled in by [`AuditDraft::completed_by`], which
/// the store runs on the result inside the transaction.
pub struct AuditDraft<T> {
    entry: AuditEntry,
    complete: Option<Completion<T>>,
}

/// Fills in a draft's row from the write's result.
type Completion<T> = Box<dyn FnOnce(&mut AuditEntry, &T) + Send>;

impl<T> AuditDraft<T> {
    pub fn new(entry: AuditEntry) -> AuditDraft<T> {
        AuditDraft {
            entry,
            complete: None,
        }
    }

    /// Adds what the write's result tells to the row (its target, its detail).
    pub fn completed_by(
        mut self,
        complete: impl FnOnce(&mut AuditEntry, &T) + Send + 'static,
    ) -> AuditDraft<T> {
        self.complete = Some(Box::new(complete));
        self
    }

    /// The row to append for the write that produced `result`.
    pub fn entry_for(self, result: &T) -> AuditEntry {
        let mut entry = self.entry;
        if let Some(complete) = self.complete {
            complete(&mut entry, result);
        }
        entry
    }
}

impl<T> std::fmt::Debug for AuditDraft<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditDraft")
            .field("action", &self.entry.action)
            .field("target", &self.entry.target)
            .finish_non_exhaustive()
    }
}

impl AuditEntry {
    /// Sets the row's detail (small structured JSON, never personal data).
    pub fn set_detail(&mut self, detail: serde_json::Value) {
        self.detail = Some(detail.to_string());
    }
}

/// What a walk of the audit chain found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: u64,
    /// The newest row checked and its hash: note it outside the database (the daily log does)
    /// to tell later whether rows were rewritten from there on.
    pub head: Option<(i64, String)>,
    /// The first row that breaks the chain, and how.
    pub broken_at: Option<(i64, String)>,
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            at: Utc::now(),
            actor: Some("staff".into()),
            account_id: Some(1),
            role: None,
            scope: None,
            action: "person.register".into(),
            target: None,
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: None,
        }
    }

    #[test]
    fn a_draft_without_completion_is_the_row_it_was_given() {
        let e = AuditDraft::<u32>::new(entry()).entry_for(&7);
        assert_eq!(e.action, "person.register");
        assert_eq!(e.target, None);
    }

    #[test]
    fn a_draft_takes_what_only_the_result_tells() {
        let draft = AuditDraft::new(entry()).completed_by(|e, id: &String| {
            e.target = Some(id.clone());
            e.set_detail(serde_json::json!({"issued": true}));
        });
        let e = draft.entry_for(&"C001-000001-3".to_owned());
        assert_eq!(e.target.as_deref(), Some("C001-000001-3"));
        assert_eq!(e.detail.as_deref(), Some(r#"{"issued":true}"#));
        assert_eq!(e.outcome, Outcome::Ok);
    }
}
