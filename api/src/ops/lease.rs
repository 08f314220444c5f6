//! Leases on the database, so that of several processes serving one database (hub processes
//! behind a load balancer) exactly one runs each job: the nightly jobs, the watch, the alert
//! mailer. A job takes or renews its lease before each round (`CommonStore::take_lease`: the
//! database decides by writing first) and skips the round when another process holds it; a
//! process that stops holds nothing once its lease expires, and another takes over.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{Duration, Utc};

use crate::store::CommonStore;

/// The nightly jobs (backup, audit retention and chain check).
pub const DAILY: &str = "daily";
/// The watch (disk, logins, service-level reminders).
pub const WATCH: &str = "watch";
/// The alert mailer.
pub const MAIL: &str = "mail";

/// This process's leases: who it is, and which it held at its last try (for `/metrics`).
#[derive(Debug)]
pub struct Leases {
    holder: String,
    held: Mutex<BTreeMap<&'static str, bool>>,
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

    /// Takes or renews lease `name` for `ttl`; true when this process may run the job now. A
    /// database error counts as not held (the round is skipped, not run twice).
    pub async fn take(&self, store: &dyn CommonStore, name: &'static str, ttl: Duration) -> bool {
        let held = match store.take_lease(name, &self.holder, Utc::now(), ttl).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(event = "lease_failed", lease = name, error = %e, "could not take or renew the lease; skipping this round");
                false
            }
        };
        let before = self.held.lock().map(|mut m| m.insert(name, held)).unwrap_or(None);
        if before != Some(held) {
            if held {
                tracing::info!(event = "lease_taken", lease = name, holder = %self.holder, "this process runs the job");
            } else {
                tracing::info!(event = "lease_elsewhere", lease = name, holder = %self.holder, "another process runs the job");
            }
        }
        held
    }

    /// The leases tried so far and whether each was held at the last try.
    pub fn snapshot(&self) -> Vec<(&'static str, bool)> {
        self.held
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
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
