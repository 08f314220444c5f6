//! Leases on the database, so that of several processes serving one database (hub processes
//! behind a load balancer) exactly one runs each job: the nightly jobs, the watch, the alert
//! mailer. A job takes or renews its lease before each round (`CommonStore::take_lease`: the
//! database decides by writing first) and skips the round when another process holds it; a
//! process that stops holds nothing once its lease expires, and another takes over.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::Duration;

use crate::store::CommonStore;

/// The nightly jobs (backup, audit retention and chain check).
pub const DAILY: &str = "daily";
/// The watch (disk, logins, service-level reminders).
pub const WATCH: &str = "watch";
/// The alert mailer.
pub const MAIL: &str = "mail";

/// This process's leases: who it is, and which it held at its last try and until when at the
/// earliest (for `/metrics`).
#[derive(Debug)]
pub struct Leases {
    holder: String,
    held: Mutex<BTreeMap<&'static str, Try>>,
}

/// The last try of one lease.
#[derive(Debug, Clone, Copy)]
struct Try {
    held: bool,
    /// When the lease taken then runs out at the earliest: the database counts `ttl` from its
    /// write, which comes after this process asked, so `asked + ttl` never overstates it.
    until: Instant,
}

impl Leases {
    /// A holder name unique to this run of this process: host, process ID and a random part
    /// (two servers in one process, as the tests run them, are two holders).
    pub fn new() -> Leases {
        let host = std::env::var("HOSTNAME")
            .or_else(|_| std::env::var("COMPUTERNAME"))
            .unwrap_or_else(|_| "node".into());
        let random = getrandom::u64().unwrap_or_default();
        Leases {
            holder: format!("{host}:{}:{:08x}", std::process::id(), random as u32),
            held: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews lease `name` for `ttl` (from the database's write, by its clock); true
    /// when this process may run the job now. A database error counts as not held (the round is
    /// skipped, not run twice), and so does an answer that took `ttl` or longer: the lease it
    /// reports may have run out before it arrived.
    pub async fn take(&self, store: &dyn CommonStore, name: &'static str, ttl: Duration) -> bool {
        let asked = Instant::now();
        let held = match store.take_lease(name, &self.holder, ttl).await {
            Ok(true) if Duration::from_std(asked.elapsed()).is_ok_and(|took| took >= ttl) => {
                tracing::warn!(
                    event = "lease_late",
                    lease = name,
                    took_ms = asked.elapsed().as_millis() as u64,
                    "the database answered after the lease's own length; skipping this round"
                );
                false
            }
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(event = "lease_failed", lease = name, error = %e, "could not take or renew the lease; skipping this round");
                false
            }
        };
        let until = asked + ttl.to_std().unwrap_or_default();
        let before = self
            .held
            .lock()
            .map(|mut m| m.insert(name, Try { held, until }))
            .unwrap_or(None)
            .map(|t| t.held);
        if before != Some(held) {
            if held {
                tracing::info!(event = "lease_taken", lease = name, holder = %self.holder, "this process runs the job");
            } else {
                tracing::info!(event = "lease_elsewhere", lease = name, holder = %self.holder, "another process runs the job");
            }
        }
        held
    }

    /// The leases tried so far and whether each is held now: taken at the last try, and not
    /// run out since (a holder whose next try is late — a slow round, a stalled database — no
    /// longer counts as holding a lease another process may have taken meanwhile).
    pub fn snapshot(&self) -> Vec<(&'static str, bool)> {
        let now = Instant::now();
        self.held
            .lock()
            .map(|m| m.iter().map(|(k, t)| (*k, t.held && now < t.until)).collect())
            .unwrap_or_default()
    }
}

impl Default for Leases {
    fn default() -> Self {
        Leases::new()
    }
}

/// A lease long enough to outlast `rounds` rounds of a job run every `every`.
pub fn ttl_for(every: std::time::Duration, rounds: u32) -> Duration {
    Duration::from_std(every * rounds).unwrap_or(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::{HubNode, SqliteStore};

    #[tokio::test]
    async fn a_lease_not_renewed_in_time_no_longer_counts_as_held_and_another_process_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite3");
        let store = SqliteStore::<HubNode>::open(path.to_str().unwrap(), 2)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let (first, second) = (Leases::new(), Leases::new());
        let ttl = Duration::milliseconds(300);
        assert!(first.take(&store, WATCH, ttl).await);
        assert!(!second.take(&store, WATCH, ttl).await);
        assert_eq!(first.snapshot(), [(WATCH, true)]);
        assert_eq!(second.snapshot(), [(WATCH, false)]);
        // The first does not come back in time: its lease runs out, and so does what /metrics
        // says of it, before the second takes it over.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(first.snapshot(), [(WATCH, false)]);
        assert!(second.take(&store, WATCH, ttl).await);
        assert_eq!(second.snapshot(), [(WATCH, true)]);
        assert!(!first.take(&store, WATCH, ttl).await);
    }
}
