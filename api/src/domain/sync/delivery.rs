//! The state of deliveries: a centre node's outbox and next batch, what the hub knows of each
//! centre, and the centres' credentials on the hub.

use chrono::{DateTime, Utc};
use shared::dto::sync::{CenterSyncStatus, OutboxStatus, SyncCredentialView};
use uuid::Uuid;

/// What the hub did with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedBatch {
    pub last_seq: u64,
    pub applied: u64,
    pub skipped: u64,
    /// Which of the centre's figures the applied entries can have changed (the `/stats`
    /// cache's invalidation, decision 0029); filled in by the store as it applies them.
    pub touched: FactsTouched,
}

/// The fiscal years whose facts a write changed, for one centre, or the whole centre.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactsTouched {
    /// Fiscal years of activities added, changed (before and after) or removed.
    pub fiscal_years: std::collections::BTreeSet<i32>,
    /// People, sites or the whole centre changed: every figure of the centre may differ.
    pub whole_center: bool,
}

impl FactsTouched {
    pub fn year(&mut self, fiscal_year: i32) {
        self.fiscal_years.insert(fiscal_year);
    }

    pub fn is_empty(&self) -> bool {
        self.fiscal_years.is_empty() && !self.whole_center
    }
}

/// A centre node's outbox and the state of its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxState {
    pub center: String,
    pub stream: Uuid,
    pub backlog: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub last_acked_seq: u64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The last failed delivery and when, kept after later successes (for the alert's cause).
    pub last_failure: Option<(DateTime<Utc>, String)>,
    /// The stream of the last acknowledgement (the current stream once the hub acknowledged
    /// something of it).
    pub acked_stream: Option<Uuid>,
    /// The last successful pull of the hub's period locks, and the last failure since.
    pub locks_pulled_at: Option<DateTime<Utc>>,
    pub locks_error: Option<String>,
}

impl OutboxState {
    /// Whether the oldest waiting entry has waited longer than `limit`.
    pub fn is_stuck(&self, now: DateTime<Utc>, limit: chrono::Duration) -> bool {
        self.oldest_pending_at.is_some_and(|t| now - t > limit)
    }

    /// What the hub acknowledged of the current stream (`position::acknowledged`).
    pub fn acknowledged(&self) -> Option<super::StreamPosition> {
        super::position::acknowledged(self.stream, self.acked_stream, self.last_acked_seq)
    }

    /// The message of the stuck-backlog alert: how much waits since when, and why — the
    /// failure now, or else the last failure since the oldest entry began to wait (a success
    /// in between clears the first, not the cause of the wait), or that deliveries succeed but
    /// do not catch up.
    pub fn stuck_message(&self) -> String {
        let since = self
            .oldest_pending_at
            .map(|t| {
                t.with_timezone(&crate::domain::clock::jst())
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        let during_wait = self
            .last_failure
            .as_ref()
            .filter(|(at, _)| self.oldest_pending_at.is_some_and(|o| *at >= o))
            .map(|(_, e)| e.clone());
        let reason = match (self.last_error.clone(), during_wait) {
            (Some(now), _) => format!("最後のエラー: {now}"),
            (None, Some(earlier)) => {
                format!("最後のエラー: {earlier}（その後の送信は成功していますが、まだ追いついていません）")
            }
            (None, None) => {
                "送信の失敗は記録されていません。送信は続いていますが追いついていません".to_owned()
            }
        };
        format!(
            "県ハブへの送信待ちが{}件、{since}（日本時間）から滞留しています（{reason}）。",
            self.backlog
        )
    }

    pub fn to_view(&self, configured: bool, hub_url: Option<String>, stuck: bool) -> OutboxStatus {
        OutboxStatus {
            center: self.center.clone(),
            configured,
            hub_url,
            backlog: self.backlog,
            oldest_pending_at: self.oldest_pending_at,
            last_acked_seq: self.last_acked_seq,
            last_attempt_at: self.last_attempt_at,
            last_success_at: self.last_success_at,
            last_error: self.last_error.clone(),
            stuck,
            locks_pulled_at: self.locks_pulled_at,
            locks_error: self.locks_error.clone(),
        }
    }
}

/// The next batch to send: entries in order, each the JSON of a `SyncOp`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingBatch {
    pub stream: Uuid,
    pub batch_seq: u64,
    pub entries: Vec<(u64, String)>,
    /// Sent before without an acknowledgement (so the hub may already have all of it).
    pub resent: bool,
}

impl OutgoingBatch {
    pub fn last_seq(&self) -> u64 {
        self.entries.last().map_or(0, |(s, _)| *s)
    }

    /// Whether the hub's acknowledgement shows it holds entries of this stream that this
    /// centre does not (it was restored from an older backup, or the hub from a newer one):
    /// the hub must end where the batch ends, and may have had the batch before only if it was
    /// sent before, and then all of it (a batch is applied whole or not at all).
    pub fn diverges(&self, ack_last_seq: u64, applied: u64, skipped: u64) -> bool {
        let len = self.entries.len() as u64;
        ack_last_seq != self.last_seq()
            || (skipped > 0 && !self.resent)
            || (skipped > 0 && skipped != len)
            || applied + skipped != len
    }
}

/// What the hub knows of one centre's deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterSyncState {
    pub center: String,
    pub last_batch_at: Option<DateTime<Utc>>,
    pub last_batch_seq: Option<u64>,
    pub last_seq: u64,
    pub active_credentials: u64,
}

impl CenterSyncState {
    pub fn to_view(&self) -> CenterSyncStatus {
        CenterSyncStatus {
            center: self.center.clone(),
            last_batch_at: self.last_batch_at,
            last_batch_seq: self.last_batch_seq,
            last_seq: self.last_seq,
            active_credentials: self.active_credentials,
        }
    }
}

/// A centre's credential on the hub (the secret itself is stored only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncCredential {
    pub id: i64,
    pub center: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SyncCredential {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    pub fn to_view(&self) -> SyncCredentialView {
        SyncCredentialView {
            id: self.id,
            center: self.center.clone(),
            prefix: self.prefix.clone(),
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        }
    }
}
