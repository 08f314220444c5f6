//! The concurrency run of `attaka bench --users 50,200`: simulated officers, each on a
//! keep-alive connection of its own, ask a weighted mix of the standard questions (varied over
//! fiscal years, centres and months, as many officers look at different tables) with think
//! time between questions. A 503 (the stats pool's queue is full) is counted and the same
//! request retried after its `Retry-After`; what the user waited, retries included, is the
//! latency. Anything else than 200 or 503, a lost connection or a request over the timeout is
//! an error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::http;

/// A question of the mix and how often it is asked relative to the others.
#[derive(Debug, Clone)]
pub struct Weighted {
    pub weight: u32,
    pub url: String,
}

/// The standard mix over fiscal years `first..=last`, centres `centers` (codes): the
/// prefecture's tables and trends most often, a centre's months, a month, a quarter, a half.
pub fn mix(first: i32, last: i32, centers: &[String]) -> Vec<Weighted> {
    let m = "measures=participations,unique_persons";
    let mut out = Vec::new();
    let mut add = |weight: u32, url: String| {
        out.push(Weighted {
            weight,
            url: format!("/api/v1/stats?{url}"),
        })
    };
    for fy in first..=last {
        add(
            6,
            format!("{m}&rows=municipality,function&period=FY{fy}&totals=true"),
        );
        add(3, format!("{m}&rows=age_band,category&period=FY{fy}&totals=true"));
        add(3, format!("{m}&rows=month&period=FY{fy}&totals=true"));
        for q in 1..=4 {
            add(1, format!("{m}&rows=center&period=FY{fy}Q{q}&totals=true"));
        }
        add(
            2,
            format!("{m}&rows=municipality&from={fy}-04-01&to={fy}-09-30&totals=true"),
        );
        for month in 0..12 {
            let (y, mo) = if month < 9 {
                (fy, month + 4)
            } else {
                (fy + 1, month - 8)
            };
            add(1, format!("{m}&rows=center,function&period={y}-{mo:02}"));
        }
        for c in centers {
            add(
                1,
                format!("{m},activities,open_days&rows=month&period=FY{fy}&filter=center:{c}&totals=true"),
            );
        }
    }
    add(
        3,
        format!("{m}&rows=fiscal_year&from={first}-04-01&to={}-03-31", last + 1),
    );
    add(
        1,
        format!("{m}&rows=month&from={first}-04-01&to={}-03-31", last + 1),
    );
    out
}

/// The question whose cumulative weight covers `r` (0 ≤ r < the total weight).
pub fn pick(mix: &[Weighted], mut r: u32) -> &str {
    for q in mix {
        if r < q.weight {
            return &q.url;
        }
        r -= q.weight;
    }
    mix.last().map_or("", |q| q.url.as_str())
}

#[derive(Debug, Clone, Default)]
pub struct LoadSettings {
    pub users: usize,
    pub duration: Duration,
    /// Think time between questions, uniform in this range.
    pub think: (Duration, Duration),
    pub timeout: Duration,
    /// Retries of one request answered 503 before it counts as an error.
    pub max_retries: u32,
}

/// What one level of the run saw.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    pub users: usize,
    pub elapsed: Duration,
    /// Of each answered request, retries after 503 included.
    pub latencies: Vec<Duration>,
    pub errors: u64,
    /// 503s answered (each retried).
    pub busy: u64,
    /// Requests given up after `max_retries` 503s (also counted in errors).
    pub lost: u64,
}

impl LoadResult {
    fn merge(&mut self, other: LoadResult) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.busy += other.busy;
        self.lost += other.lost;
    }

    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `settings.users` simulated users against the server at `addr` for the duration.
pub async fn run(addr: &str, token: &str, mix: Arc<Vec<Weighted>>, settings: &LoadSettings) -> LoadResult {
    let started = Instant::now();
    let until = started + settings.duration;
    let mut tasks = Vec::new();
    for user in 0..settings.users {
        let (addr, token, mix, s) = (addr.to_owned(), token.to_owned(), mix.clone(), settings.clone());
        tasks.push(tokio::spawn(async move {
            one_user(&addr, &token, &mix, &s, until, user as u64).await
        }));
    }
    let mut total = LoadResult {
        users: settings.users,
        ..LoadResult::default()
    };
    for t in tasks {
        match t.await {
            Ok(r) => total.merge(r),
            Err(_) => total.errors += 1,
        }
    }
    total.elapsed = started.elapsed();
    total
}

async fn one_user(
    addr: &str,
    token: &str,
    mix: &[Weighted],
    s: &LoadSettings,
    until: Instant,
    seed: u64,
) -> LoadResult {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_0000 + seed);
    let total_weight: u32 = mix.iter().map(|q| q.weight).sum();
    let mut client = http::Client::new(addr);
    let mut out = LoadResult::default();
    let (lo, hi) = (s.think.0.as_millis() as u64, s.think.1.as_millis() as u64);
    loop {
        // Think first: users arrive spread over the first think time, not all at once.
        tokio::time::sleep(Duration::from_millis(rng.random_range(lo..=hi.max(lo)))).await;
        if Instant::now() >= until {
            return out;
        }
        let url = pick(mix, rng.random_range(0..total_weight.max(1)));
        let asked = Instant::now();
        let mut retries = 0;
        loop {
            match tokio::time::timeout(s.timeout, client.get(url, token)).await {
                Ok(Ok((200, _))) => {
                    out.latencies.push(asked.elapsed());
                    break;
                }
                Ok(Ok((503, _))) if retries < s.max_retries => {
                    out.busy += 1;
                    retries += 1;
                    let wait = client.retry_after.unwrap_or(1).clamp(1, 30);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                Ok(Ok((503, _))) => {
                    out.busy += 1;
                    out.lost += 1;
                    out.errors += 1;
                    break;
                }
                Ok(Ok((status, _))) => {
                    tracing::warn!(status, url, "load run: unexpected status");
                    out.errors += 1;
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), url, "load run: request failed");
                    out.errors += 1;
                    client = http::Client::new(addr);
                    break;
                }
                Err(_) => {
                    tracing::warn!(url, "load run: request timed out");
                    out.errors += 1;
                    // The answer may still arrive on that connection: start a new one.
                    client = http::Client::new(addr);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(weight: u32, url: &str) -> Weighted {
        Weighted {
            weight,
            url: url.into(),
        }
    }

    #[test]
    fn a_question_is_picked_in_proportion_to_its_weight() {
        let mix = [w(3, "a"), w(1, "b"), w(2, "c")];
        let picked: Vec<&str> = (0..6).map(|r| pick(&mix, r)).collect();
        assert_eq!(picked, ["a", "a", "a", "b", "c", "c"]);
    }

    #[test]
    fn the_mix_covers_every_year_centre_and_month_and_its_urls_are_stats_queries() {
        let centers = vec!["C001".to_owned(), "C002".to_owned()];
        let mix = mix(2024, 2025, &centers);
        let urls: Vec<&str> = mix.iter().map(|q| q.url.as_str()).collect();
        assert!(urls.iter().all(|u| u.starts_with("/api/v1/stats?measures=")));
        assert!(urls
            .iter()
            .any(|u| u.contains("filter=center:C002") && u.contains("FY2024")));
        assert!(
            urls.iter().any(|u| u.ends_with("period=2026-03")),
            "March of FY2025"
        );
        assert!(
            urls.iter().any(|u| u.ends_with("period=2024-04")),
            "April of FY2024"
        );
        assert!(urls.iter().any(|u| u.contains("from=2024-04-01&to=2026-03-31")));
        let distinct: std::collections::BTreeSet<&str> = urls.iter().copied().collect();
        assert_eq!(distinct.len(), urls.len(), "no question twice");
    }

    #[test]
    fn results_of_users_add_up_and_rate_is_per_second_of_the_run() {
        let mut total = LoadResult {
            users: 2,
            elapsed: Duration::from_secs(2),
            ..LoadResult::default()
        };
        for busy in [1, 2] {
            total.merge(LoadResult {
                latencies: vec![Duration::from_millis(5); 3],
                errors: 1,
                busy,
                lost: 0,
                ..LoadResult::default()
            });
        }
        assert_eq!((total.latencies.len(), total.errors, total.busy), (6, 2, 3));
        assert_eq!(total.per_second(), 3.0);
    }
}
