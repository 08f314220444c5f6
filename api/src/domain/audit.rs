//! Audit entries: who did what to which record, from where, with what result; and the hash
//! chain that links each stored entry to the one before (docs/decisions/0014).

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Invalid,
    NotFound,
    Failed,
}

impl Outcome {
    /// The outcome as stored (`as_str`); anything unknown reads as `Failed`.
    pub fn from_stored(s: &str) -> Outcome {
        match s {
            "ok" => Outcome::Ok,
            "denied" => Outcome::Denied,
            "invalid" => Outcome::Invalid,
            "not_found" => Outcome::NotFound,
            _ => Outcome::Failed,
        }
    }

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

/// What the chain starts from when no earlier row has a hash.
pub const GENESIS: &str = "attaka-audit-genesis";

/// The hash of an entry stored after the row hashed `prev`: SHA-256 (hex) of `prev`, a newline,
/// and the entry's fields as a JSON array in column order, `at` as RFC 3339 UTC with
/// microseconds (`2025-06-01T09:00:00.000000Z`) whatever a dialect stores it as.
pub fn row_hash(prev: &str, e: &AuditEntry) -> String {
    let fields = serde_json::json!([
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.actor,
        e.account_id,
        e.role,
        e.scope,
        e.action,
        e.target,
        e.outcome.as_str(),
        e.client,
        e.request_id,
        e.detail,
    ]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(fields.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The hash the next row links to: the newest row's (`newest`: none when there is no row, or
/// the newest is older than the chain and has no hash), else the hash of the last row the last
/// purge removed, else the genesis.
pub fn chain_head(newest: Option<&str>, last_purge: Option<&str>) -> String {
    newest.or(last_purge).unwrap_or(GENESIS).to_owned()
}

/// The audit row a purge writes (by `system`, in the purge's transaction): the cut-off, how many
/// rows went, and the last ID removed.
pub fn purge_entry(at: DateTime<Utc>, before: DateTime<Utc>, rows: u64, up_to_id: i64) -> AuditEntry {
    let before = before.to_rfc3339_opts(SecondsFormat::Micros, true);
    AuditEntry {
        at,
        actor: Some("system".into()),
        account_id: None,
        role: None,
        scope: None,
        action: "audit.purge".into(),
        target: None,
        outcome: Outcome::Ok,
        client: None,
        request_id: None,
        detail: Some(serde_json::json!({"before": before, "rows": rows, "up_to_id": up_to_id}).to_string()),
    }
}

/// The check of the chain, fed the hashed rows oldest first: each row must link to the one
/// before and hash to what it says.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    /// What the next row must link to; none: anything (the first row after unhashed rows).
    expected_prev: Option<String>,
    report: ChainReport,
}

impl ChainWalk {
    /// Starts a walk. The first hashed row must link to the last purge's hash (`last_purge`:
    /// `Some(hash)` when there was a purge, whose hash is none when it removed only unhashed
    /// rows) or, with no purge, to the genesis, or to anything when rows older than the chain
    /// (`unhashed_rows`) precede it.
    pub fn start(last_purge: Option<Option<String>>, unhashed_rows: bool) -> ChainWalk {
        let expected_prev = match last_purge {
            Some(last) => last,
            None if unhashed_rows => None,
            None => Some(GENESIS.to_owned()),
        };
        ChainWalk {
            expected_prev,
            report: ChainReport::default(),
        }
    }

    /// Checks the next row (`id`, its stored `prev` and `hash`, its fields); false when it
    /// breaks the chain, which ends the walk (the report names it).
    pub fn step(&mut self, id: i64, prev: &str, hash: &str, entry: &AuditEntry) -> bool {
        if self.expected_prev.as_deref().is_some_and(|p| p != prev) {
            self.report.broken_at = Some((
                id,
                "links to a row that is not the one before it (a row was removed or reordered)".into(),
            ));
            return false;
        }
        if row_hash(prev, entry) != hash {
            self.report.broken_at = Some((
                id,
                "its content does not match its hash (the row was changed)".into(),
            ));
            return false;
        }
        self.report.rows += 1;
        self.report.head = Some((id, hash.to_owned()));
        self.expected_prev = Some(hash.to_owned());
        true
    }

    pub fn finish(self) -> ChainReport {
        self.report
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0).unwrap(),
            actor: Some("admin".into()),
            account_id: Some(1),
            role: Some("operator".into()),
            scope: Some("prefecture".into()),
            action: action.into(),
            target: None,
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: None,
        }
    }

    #[test]
    fn the_row_hash_is_sha256_of_the_previous_hash_and_the_fields_in_column_order() {
        let e = entry("auth.login");
        let text = format!(
            "{GENESIS}\n{}",
            r#"["2025-06-01T09:00:00.000000Z","admin",1,"operator","prefecture","auth.login",null,"ok",null,null,null]"#
        );
        assert_eq!(
            row_hash(GENESIS, &e),
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        assert_ne!(row_hash("other", &e), row_hash(GENESIS, &e));
    }

    #[test]
    fn a_purge_is_audited_by_the_system_with_its_cut_off_and_count() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap();
        let e = purge_entry(at, at - chrono::Duration::days(400), 12, 34);
        assert_eq!(
            (e.action.as_str(), e.actor.as_deref()),
            ("audit.purge", Some("system"))
        );
        assert_eq!(
            e.detail.as_deref(),
            Some(r#"{"before":"2024-11-28T03:00:00.000000Z","rows":12,"up_to_id":34}"#)
        );
    }

    #[test]
    fn the_chain_head_is_the_newest_rows_hash() {
        assert_eq!(chain_head(Some("abc"), Some("def")), "abc");
    }

    #[test]
    fn the_chain_head_after_a_purge_is_the_purge_hash() {
        assert_eq!(chain_head(None, Some("def")), "def");
    }

    #[test]
    fn the_chain_head_of_an_empty_log_is_the_genesis() {
        assert_eq!(chain_head(None, None), GENESIS);
    }

    /// Rows chained from `first_prev`: (id, prev, hash, entry).
    fn chain(first_prev: &str, actions: &[&str]) -> Vec<(i64, String, String, AuditEntry)> {
        let mut prev = first_prev.to_owned();
        let mut rows = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let e = entry(a);
            let hash = row_hash(&prev, &e);
            rows.push((i as i64 + 1, prev.clone(), hash.clone(), e));
            prev = hash;
        }
        rows
    }

    fn walk(mut w: ChainWalk, rows: &[(i64, String, String, AuditEntry)]) -> ChainReport {
        for (id, prev, hash, e) in rows {
            if !w.step(*id, prev, hash, e) {
                break;
            }
        }
        w.finish()
    }

    #[test]
    fn an_intact_chain_reports_its_rows_and_head() {
        let rows = chain(GENESIS, &["a", "b", "c"]);
        let report = walk(ChainWalk::start(None, false), &rows);
        assert_eq!(report.rows, 3);
        assert_eq!(report.head, Some((3, rows[2].2.clone())));
        assert_eq!(report.broken_at, None);
    }

    #[test]
    fn a_changed_row_breaks_the_chain_at_that_row() {
        let mut rows = chain(GENESIS, &["a", "b", "c"]);
        rows[1].3.action = "b.changed".into();
        let report = walk(ChainWalk::start(None, false), &rows);
        assert_eq!(report.rows, 1);
        assert_eq!(report.broken_at.map(|(id, _)| id), Some(2));
    }

    #[test]
    fn a_removed_row_breaks_the_chain_at_the_next_one() {
        let mut rows = chain(GENESIS, &["a", "b", "c"]);
        rows.remove(1);
        let report = walk(ChainWalk::start(None, false), &rows);
        assert_eq!(report.broken_at.map(|(id, _)| id), Some(3));
    }

    #[test]
    fn after_a_purge_the_first_row_must_link_to_the_purge_hash() {
        let rows = chain("purged-head", &["a", "b"]);
        let ok = walk(ChainWalk::start(Some(Some("purged-head".into())), false), &rows);
        assert_eq!((ok.rows, ok.broken_at), (2, None));
        let other = walk(ChainWalk::start(Some(Some("another".into())), false), &rows);
        assert_eq!(other.broken_at.map(|(id, _)| id), Some(1));
        let genesis = walk(ChainWalk::start(None, false), &rows);
        assert_eq!(genesis.broken_at.map(|(id, _)| id), Some(1));
    }

    #[test]
    fn after_rows_older_than_the_chain_the_first_row_may_link_to_anything() {
        let rows = chain("whatever", &["a", "b"]);
        let report = walk(ChainWalk::start(None, true), &rows);
        assert_eq!((report.rows, report.broken_at), (2, None));
    }

    fn draft_entry() -> AuditEntry {
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
        let e = AuditDraft::<u32>::new(draft_entry()).entry_for(&7);
        assert_eq!(e.action, "person.register");
        assert_eq!(e.target, None);
    }

    #[test]
    fn a_draft_takes_what_only_the_result_tells() {
        let draft = AuditDraft::new(draft_entry()).completed_by(|e, id: &String| {
            e.target = Some(id.clone());
            e.set_detail(serde_json::json!({"issued": true}));
        });
        let e = draft.entry_for(&"C001-000001-3".to_owned());
        assert_eq!(e.target.as_deref(), Some("C001-000001-3"));
        assert_eq!(e.detail.as_deref(), Some(r#"{"issued":true}"#));
        assert_eq!(e.outcome, Outcome::Ok);
    }
}
