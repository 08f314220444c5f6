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

/// The hash of a row: SHA-256 (hex) of the previous row's hash, a newline, and the row's
/// fields as a JSON array in column order, `at` as RFC 3339 UTC with microseconds (the form the
/// SQLite store keeps; every store keeps `at` to the microsecond, so the hash reads back the same).
pub fn row_hash(prev: &str, e: &AuditEntry) -> String {
    use sha2::{Digest, Sha256};
    let fields = serde_json::json!([
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
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

/// The hash the next row links to: the newest row's, else the last purge's, else the genesis.
/// `newest` is the newest row's hash (none when it has none or there is no row), `purged` the
/// last purge's `last_hash` (outer none: no purge).
pub fn chain_head(newest: Option<String>, purged: Option<Option<String>>) -> String {
    newest.or(purged.flatten()).unwrap_or_else(|| GENESIS.to_owned())
}

/// A walk of the chain from its first hashed row to the newest, fed one row at a time in `id`
/// order: each row must link to the one before and hash to what it says. The first row must
/// link to the last purge's hash or, with no purge, to the genesis (or to nothing, when older
/// unhashed rows precede it).
#[derive(Debug)]
pub struct ChainWalk {
    expected_prev: Option<String>,
    report: ChainReport,
}

impl ChainWalk {
    /// `purged`: the last purge's `last_hash` (outer none: no purge); `unhashed_before`: rows
    /// from before the chain exist.
    pub fn new(purged: Option<Option<String>>, unhashed_before: bool) -> ChainWalk {
        let expected_prev = match purged {
            Some(last) => last,
            None if unhashed_before => None,
            None => Some(GENESIS.to_owned()),
        };
        ChainWalk {
            expected_prev,
            report: ChainReport::default(),
        }
    }

    /// Checks the next row; false once the chain is broken (stop feeding rows then).
    pub fn next(&mut self, id: i64, prev: &str, hash: &str, entry: &AuditEntry) -> bool {
        if self.expected_prev.as_ref().is_some_and(|p| p != prev) {
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

    pub fn report(self) -> ChainReport {
        self.report
    }
}

/// The outcome stored as text, read back (an unknown word reads as `Failed`).
pub fn outcome_from(s: &str) -> Outcome {
    match s {
        "ok" => Outcome::Ok,
        "denied" => Outcome::Denied,
        "invalid" => Outcome::Invalid,
        "not_found" => Outcome::NotFound,
        _ => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 1, 1, 0, 0, 0).unwrap(),
            actor: Some("a".into()),
            account_id: None,
            role: None,
            scope: None,
            action: action.into(),
            target: None,
            outcome: Outcome::Ok,
            client: None,
            request_id: None,
            detail: None,
        }
    }

    #[test]
    fn the_chain_walk_finds_a_changed_and_a_removed_row() {
        let (a, b, c) = (entry("x.a"), entry("x.b"), entry("x.c"));
        let ha = row_hash(GENESIS, &a);
        let hb = row_hash(&ha, &b);
        let hc = row_hash(&hb, &c);
        let mut walk = ChainWalk::new(None, false);
        assert!(walk.next(1, GENESIS, &ha, &a) && walk.next(2, &ha, &hb, &b) && walk.next(3, &hb, &hc, &c));
        assert_eq!(walk.report().rows, 3);
        let mut changed = ChainWalk::new(None, false);
        assert!(changed.next(1, GENESIS, &ha, &a));
        assert!(!changed.next(2, &ha, &hb, &entry("x.changed")));
        assert_eq!(changed.report().broken_at.map(|b| b.0), Some(2));
        let mut removed = ChainWalk::new(None, false);
        assert!(removed.next(1, GENESIS, &ha, &a));
        assert!(!removed.next(3, &hb, &hc, &c));
        // After a purge the chain starts from the purge's hash.
        let mut purged = ChainWalk::new(Some(Some(hb.clone())), false);
        assert!(purged.next(3, &hb, &hc, &c));
        assert_eq!(chain_head(None, Some(Some(hc.clone()))), hc);
        assert_eq!(chain_head(None, None), GENESIS);
    }
}
