//! Login throttling (decision 0024): failed logins are counted per client address, per
//! username and address, and per username; past a limit the caller waits (429 with
//! `Retry-After`) instead of the account being locked, so nobody can lock someone else out.
//!
//! The counters key on the username as typed (case-folded), never on whether it exists, so an
//! unknown name is throttled exactly like a real one. Kept in memory: a restart forgets them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits, from `[auth]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The window of the per-address and per-username-and-address counts.
    pub window: Duration,
    pub per_address: u32,
    pub per_account_and_address: u32,
    /// Failures for one username from everywhere within an hour.
    pub per_account_per_hour: u32,
}

impl Limits {
    pub fn from_settings(auth: &crate::config::AuthSettings) -> Limits {
        Limits {
            window: Duration::from_secs(u64::from(auth.login_window_minutes) * 60),
            per_address: auth.login_failures_per_address,
            per_account_and_address: auth.login_failures_per_account_and_address,
            per_account_per_hour: auth.login_failures_per_account_per_hour,
        }
    }
}

const HOUR: Duration = Duration::from_secs(3600);
/// How long an address that signed in to an account stays "known" for it.
const KNOWN_FOR: Duration = Duration::from_secs(90 * 24 * 3600);
/// Known addresses kept per account (the oldest goes first).
const KNOWN_MAX: usize = 20;
/// Keys kept before a full sweep of expired counters.
const SWEEP_AT: usize = 50_000;

/// An attempt let through: its provisional failure is already counted (so parallel attempts
/// cannot all pass the check before any of them fails); [`LoginThrottle::succeeded`] takes it back.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: String,
    address: String,
    at: Instant,
}

#[derive(Default)]
struct Counters {
    by_address: HashMap<String, VecDeque<Instant>>,
    by_pair: HashMap<(String, String), VecDeque<Instant>>,
    by_account: HashMap<String, VecDeque<Instant>>,
    /// Addresses that signed in to an account, and when last.
    known: HashMap<String, Vec<(String, Instant)>>,
    /// Keys held when the next sweep of expired counters is due: twice what the last sweep
    /// left (at least [`SWEEP_AT`]), so a flood of distinct names costs amortised O(1) a call.
    sweep_at: usize,
    /// When the last sweep ran: one is also due a window later, so a flood that has ended is
    /// forgotten.
    swept: Option<Instant>,
}

pub struct LoginThrottle {
    limits: Limits,
    counters: Mutex<Counters>,
}

/// The username as counted: trimmed and case-folded (usernames are case-insensitive).
pub fn account_key(username: &str) -> String {
    username.trim().to_lowercase()
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        q.pop_front();
    }
}

/// How long until the count in `q` drops below `limit` (none when it already is).
fn wait(q: Option<&VecDeque<Instant>>, limit: u32, now: Instant, window: Duration) -> Option<Duration> {
    let q = q?;
    let limit = limit as usize;
    if q.len() < limit {
        return None;
    }
    // The entry whose expiry brings the count below the limit.
    let t = q.get(q.len() - limit)?;
    Some(
        window
            .saturating_sub(now.saturating_duration_since(*t))
            .max(Duration::from_secs(1)),
    )
}

fn take_back(q: Option<&mut VecDeque<Instant>>, at: Instant) {
    if let Some(q) = q {
        if let Some(i) = q.iter().position(|t| *t == at) {
            q.remove(i);
        }
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> LoginThrottle {
        LoginThrottle {
            limits,
            counters: Mutex::new(Counters::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // A panic while holding the lock leaves only counters behind: keep using them.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets an attempt for `username` from `address` through (counting it as a failure until
    /// it succeeds), or says how long the caller must wait.
    pub fn begin(&self, username: &str, address: &str, now: Instant) -> Result<Attempt, Duration> {
        let l = self.limits;
        let account = account_key(username);
        let address = address.to_owned();
        let pair = (account.clone(), address.clone());
        let mut guard = self.lock();
        let c = &mut *guard;
        let keys = c.by_address.len() + c.by_pair.len() + c.by_account.len();
        let stale = c
            .swept
            .is_none_or(|t| now.saturating_duration_since(t) > l.window);
        if keys > c.sweep_at.max(SWEEP_AT) || (stale && keys > 1_000) {
            sweep(c, now, l.window);
            c.sweep_at = 2 * (c.by_address.len() + c.by_pair.len() + c.by_account.len());
            c.swept = Some(now);
        }
        for q in [c.by_address.get_mut(&address), c.by_pair.get_mut(&pair)]
            .into_iter()
            .flatten()
        {
            prune(q, now, l.window);
        }
        if let Some(q) = c.by_account.get_mut(&account) {
            prune(q, now, HOUR);
        }
        let known = c.known.get(&account).is_some_and(|k| {
            k.iter()
                .any(|(a, t)| *a == address && now.saturating_duration_since(*t) < KNOWN_FOR)
        });
        let waits = [
            wait(c.by_address.get(&address), l.per_address, now, l.window),
            wait(c.by_pair.get(&pair), l.per_account_and_address, now, l.window),
            // The account's hourly budget spent: only addresses that signed in to it before
            // may still try (each within its own per-address limits).
            (!known)
                .then(|| wait(c.by_account.get(&account), l.per_account_per_hour, now, HOUR))
                .flatten(),
        ];
        if let Some(longest) = waits.into_iter().flatten().max() {
            return Err(longest);
        }
        c.by_address.entry(address.clone()).or_default().push_back(now);
        c.by_pair.entry(pair).or_default().push_back(now);
        c.by_account.entry(account.clone()).or_default().push_back(now);
        Ok(Attempt {
            account,
            address,
            at: now,
        })
    }

    /// The attempt was the right password: it is not a failure, the address's failures for
    /// this username are forgotten, and the address becomes known for the account. (The
    /// address's failures for other usernames stay: a valid login must not reset a spray.)
    pub fn succeeded(&self, attempt: &Attempt) {
        let mut c = self.lock();
        take_back(c.by_address.get_mut(&attempt.address), attempt.at);
        take_back(c.by_account.get_mut(&attempt.account), attempt.at);
        c.by_pair
            .remove(&(attempt.account.clone(), attempt.address.clone()));
        let known = c.known.entry(attempt.account.clone()).or_default();
        known.retain(|(a, _)| *a != attempt.address);
        known.push((attempt.address.clone(), attempt.at));
        if known.len() > KNOWN_MAX {
            known.remove(0);
        }
    }

    /// How long new addresses must wait before trying `username` again (its hourly budget of
    /// failures is spent), for administrators' account lists.
    pub fn account_wait(&self, username: &str, now: Instant) -> Option<Duration> {
        let mut c = self.lock();
        let q = c.by_account.get_mut(&account_key(username))?;
        prune(q, now, HOUR);
        wait(Some(q), self.limits.per_account_per_hour, now, HOUR)
    }

    /// An administrator cleared the account: its failures (from every address) are forgotten.
    pub fn clear_account(&self, username: &str) {
        let account = account_key(username);
        let mut c = self.lock();
        c.by_account.remove(&account);
        c.by_pair.retain(|(a, _), _| *a != account);
    }
}

fn sweep(c: &mut Counters, now: Instant, window: Duration) {
    c.by_address.retain(|_, q| {
        prune(q, now, window);
        !q.is_empty()
    });
    c.by_pair.retain(|_, q| {
        prune(q, now, window);
        !q.is_empty()
    });
    c.by_account.retain(|_, q| {
        prune(q, now, HOUR);
        !q.is_empty()
    });
    c.known.retain(|_, k| {
        k.retain(|(_, t)| now.saturating_duration_since(*t) < KNOWN_FOR);
        !k.is_empty()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(Limits {
            window: Duration::from_secs(900),
            per_address: 20,
            per_account_and_address: 5,
            per_account_per_hour: 100,
        })
    }

    #[test]
    fn five_failures_for_a_name_from_one_address_make_that_address_wait_and_no_other() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..5 {
            t.begin("pref", "10.0.0.1", now).expect("let through");
        }
        let wait = t.begin("PREF", "10.0.0.1", now).expect_err("the sixth waits");
        assert!(wait > Duration::from_secs(800), "{wait:?}");
        assert!(t.begin("pref", "10.0.0.2", now).is_ok());
        assert!(t.begin("staff", "10.0.0.1", now).is_ok());
        // After the window the address may try again.
        assert!(t
            .begin("pref", "10.0.0.1", now + Duration::from_secs(901))
            .is_ok());
    }

    #[test]
    fn an_address_spraying_many_names_waits_after_its_budget() {
        let t = throttle();
        let now = Instant::now();
        for i in 0..20 {
            t.begin(&format!("user{i}"), "10.0.0.1", now)
                .expect("let through");
        }
        assert!(t.begin("someone-else", "10.0.0.1", now).is_err());
        assert!(t.begin("someone-else", "10.0.0.9", now).is_ok());
    }

    #[test]
    fn a_spent_hourly_budget_stops_new_addresses_but_not_one_that_signed_in_before() {
        let t = throttle();
        let now = Instant::now();
        let own = t.begin("pref", "192.0.2.1", now).unwrap();
        t.succeeded(&own);
        for i in 0..100 {
            t.begin("pref", &format!("198.51.100.{i}"), now)
                .expect("let through");
        }
        assert!(t.begin("pref", "203.0.113.1", now).is_err());
        assert!(t.account_wait("pref", now).is_some());
        assert!(
            t.begin("pref", "192.0.2.1", now).is_ok(),
            "the owner's own address"
        );
        t.clear_account("pref");
        assert!(t.begin("pref", "203.0.113.1", now).is_ok());
    }

    #[test]
    fn a_success_is_not_counted_as_a_failure() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..10 {
            let a = t.begin("staff", "10.0.0.1", now).unwrap();
            t.succeeded(&a);
        }
        assert!(t.begin("staff", "10.0.0.1", now).is_ok());
    }

    #[test]
    fn a_flood_of_distinct_names_is_forgotten_once_it_has_expired() {
        let t = throttle();
        let now = Instant::now();
        for i in 0..60_000 {
            let _ = t.begin(
                &format!("user{i}"),
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                now,
            );
        }
        let later = now + Duration::from_secs(3601);
        t.begin("pref", "192.0.2.1", later).unwrap();
        let c = t.lock();
        assert!(c.by_pair.len() + c.by_address.len() + c.by_account.len() <= 3);
    }

    #[test]
    fn unknown_and_real_names_are_counted_alike() {
        let t = throttle();
        let now = Instant::now();
        let answers = |name: &str| -> Vec<bool> {
            (0..7)
                .map(|_| t.begin(name, &format!("addr-{name}"), now).is_ok())
                .collect()
        };
        assert_eq!(answers("pref"), answers("nobody-at-all"));
    }
}
