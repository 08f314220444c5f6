//! Per-key request budgets (a look-up endpoint that must not serve enumeration), on `governor`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// At most `per_minute` calls per key in any minute, refilled evenly (a burst of the whole
/// minute's budget is allowed). Kept in memory: a restart starts every key afresh.
pub struct KeyedLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl KeyedLimit {
    pub fn per_minute(per_minute: u32) -> KeyedLimit {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        KeyedLimit {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one call from `key`'s budget, or says how long until the next one is allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_minutes_budget_and_then_a_wait_other_keys_are_untouched() {
        let limit = KeyedLimit::per_minute(3);
        for _ in 0..3 {
            assert_eq!(limit.check("C001"), Ok(()));
        }
        let wait = limit.check("C001").expect_err("the fourth call in a minute");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(limit.check("C002"), Ok(()));
    }
}
