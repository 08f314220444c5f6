//! The `/stats` result cache and the bounded pool its computations run on (decision 0029).
//!
//! - **Key**: the caller's role and scope, and the store query after planning (the scope is a
//!   filter by then; filters and their codes sorted), with the totals flag. Output options
//!   (JSON/CSV, labels, encoding) are not in the key: the cache holds the store's rows, and
//!   ordering, suppression and rendering run per request.
//! - **Invalidation by generations**: one counter per (centre, fiscal year) of activity facts,
//!   one per centre for its people and sites (a whole-centre change), and one for master data.
//!   Writers bump them after their transaction commits ([`Generations::touch`]); an entry
//!   remembers the sum of the counters it depends on at the time its computation started, and
//!   is served only while that sum is unchanged. Counters only grow, so any bump in between
//!   shows.
//! - **Single flight**: concurrent identical requests wait for one computation.
//! - **Bounded**: at most `max_entries` entries and `max_bytes` estimated bytes (the least
//!   recently used go first), each at most `max_age_secs` old.
//! - **Pool**: at most `workers` computations run at once and at most `queue` wait; beyond that
//!   the request is refused at once (503 + `Retry-After`), never piled up.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::{OnceCell, Semaphore};

use super::plan::StatsRows;
use super::{Dimension, StatsQuery};
use crate::domain::stats_change::{StatsChange, KEPT_FOR};
use crate::store::{CommonStore, StoreResult};

/// What one computation answers: the rows and, when asked, the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub rows: StatsRows,
    pub totals: Option<Vec<u64>>,
}

impl Answer {
    /// Rough heap size, for the byte limit.
    fn bytes(&self) -> usize {
        let row = |(k, v): &(Vec<String>, Vec<u64>)| {
            48 + k.iter().map(|s| 24 + s.len()).sum::<usize>() + 8 * v.len()
        };
        64 + self.rows.iter().map(row).sum::<usize>() + self.totals.as_ref().map_or(0, |t| 8 * t.len())
    }
}

/// `[stats.cache]`: the result cache's limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Off: every request computes (the pool still bounds them).
    pub enabled: bool,
    pub max_entries: usize,
    /// Estimated bytes of all entries' rows.
    pub max_bytes: usize,
    /// An entry older than this is computed again even if nothing was written: the safety net
    /// for writes by another process (the CLI's bulk loads) that this node does not see.
    pub max_age_secs: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            enabled: true,
            max_entries: 2_000,
            max_bytes: 64 * 1024 * 1024,
            max_age_secs: 3_600,
        }
    }
}

/// `[stats.pool]`: how many computations run at once and how many may wait.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolSettings {
    /// Computations running at once (0: the number of CPUs).
    pub workers: usize,
    /// Computations waiting for a worker; one more is refused with 503.
    pub queue: usize,
    /// The `Retry-After` of that 503, in seconds.
    pub retry_after_secs: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            workers: 0,
            queue: 64,
            retry_after_secs: 2,
        }
    }
}

impl PoolSettings {
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

/// The counters writers bump. Sums over them are compared, so they only grow.
#[derive(Debug, Default)]
struct Counters {
    /// Master data (centres, sites, codes): every answer.
    global: u64,
    /// (centre, fiscal year) → activity facts changed.
    cell: HashMap<(String, i32), u64>,
    /// fiscal year → any centre's activity facts changed in it.
    year: HashMap<i32, u64>,
    /// centre → its people, sites or everything changed.
    center: HashMap<String, u64>,
    /// Any centre's people, sites or everything changed.
    any_center: u64,
    /// The last entry of the database's change log applied here (decision 0033); none before
    /// the first read.
    seen: Option<i64>,
    /// When the log was last read.
    read_at: Option<Instant>,
}

impl Counters {
    fn bump(&mut self, change: &StatsChange) {
        match change {
            StatsChange::All => self.global += 1,
            StatsChange::Center(center) => {
                *self.center.entry(center.clone()).or_default() += 1;
                self.any_center += 1;
            }
            StatsChange::Year(center, y) => {
                *self.cell.entry((center.clone(), *y)).or_default() += 1;
                *self.year.entry(*y).or_default() += 1;
            }
        }
    }
}

/// What an answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dependency {
    /// The centres the query is limited to; none: every centre.
    centers: Option<BTreeSet<String>>,
    /// The fiscal years its range overlaps.
    years: (i32, i32),
}

impl Dependency {
    /// From the query: its centre filter (the scope of a centre's staff is one) and its range.
    pub fn of(q: &StatsQuery) -> Dependency {
        let centers = q
            .filters
            .iter()
            .find(|(d, _)| *d == Dimension::Center)
            .map(|(_, codes)| codes.iter().cloned().collect());
        Dependency {
            centers,
            years: (
                shared::dates::fiscal_year(q.from),
                shared::dates::fiscal_year(q.to),
            ),
        }
    }
}

/// Generations of the facts, bumped by every write that can change a figure.
#[derive(Debug, Default)]
pub struct Generations {
    counters: Mutex<Counters>,
}

impl Generations {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A write changed what `changes` say, in this process only. Writers go through
    /// [`Generations::record`], which tells every process on the database.
    pub fn touch(&self, changes: &[StatsChange]) {
        let mut c = self.lock();
        for change in changes {
            c.bump(change);
        }
    }

    /// Records what a committed write changed in the database's change log and applies the log
    /// here, so that every process serving the database (several hub processes, or the CLI's
    /// bulk loads beside a serving node) drops the answers it may have changed. When the log
    /// cannot be written, this process is still told, and the others find the answers stale at
    /// the latest after `max_age_secs`.
    pub async fn record(&self, store: &dyn CommonStore, changes: &[StatsChange]) {
        if changes.is_empty() {
            return;
        }
        let appended = store.append_stats_changes(changes, chrono::Utc::now()).await;
        let caught_up = match appended {
            Ok(_) => self.catch_up(store).await,
            Err(e) => Err(e),
        };
        if let Err(e) = caught_up {
            tracing::warn!(error = %e, "the stats change log could not be written or read; only this process drops its answers");
            self.touch(changes);
        }
    }

    /// Applies the database's change log since the last read: every process does before it
    /// looks an answer up. The first read only notes where the log stands (nothing is cached
    /// yet); after a long pause (the log may have been pruned under it) the whole cache goes.
    pub async fn catch_up(&self, store: &dyn CommonStore) -> StoreResult<()> {
        const PAGE: usize = 1_000;
        let (seen, fresh) = {
            let c = self.lock();
            let fresh = c
                .read_at
                .is_some_and(|t| t.elapsed() < KEPT_FOR.to_std().unwrap_or_default() / 2);
            (c.seen, fresh)
        };
        let seen = match (seen, fresh) {
            (Some(seen), true) => seen,
            (first_or_stale, _) => {
                let head = store.stats_changes_head().await?;
                let mut c = self.lock();
                if first_or_stale.is_some() {
                    c.global += 1;
                }
                c.seen = Some(c.seen.unwrap_or(head).max(head));
                c.read_at = Some(Instant::now());
                return Ok(());
            }
        };
        let mut from = seen;
        for _ in 0..10 {
            let page = store.stats_changes_since(from, PAGE).await?;
            let mut c = self.lock();
            for (seq, change) in &page {
                if c.seen.is_none_or(|s| *seq > s) {
                    c.bump(change);
                    c.seen = Some(*seq);
                }
            }
            c.read_at = Some(Instant::now());
            if page.len() < PAGE {
                return Ok(());
            }
            from = c.seen.unwrap_or(from);
        }
        // More than ten thousand entries behind: cheaper to start afresh.
        let head = store.stats_changes_head().await?;
        let mut c = self.lock();
        c.global += 1;
        c.seen = Some(c.seen.unwrap_or(head).max(head));
        Ok(())
    }

    /// The sum of the counters `dep` depends on.
    pub fn stamp(&self, dep: &Dependency) -> u64 {
        let c = self.lock();
        let (first, last) = dep.years;
        let years = first..=last.max(first);
        match &dep.centers {
            None => {
                c.global + c.any_center + years.map(|y| c.year.get(&y).copied().unwrap_or(0)).sum::<u64>()
            }
            Some(centers) => {
                c.global
                    + centers
                        .iter()
                        .map(|center| {
                            c.center.get(center).copied().unwrap_or(0)
                                + years
                                    .clone()
                                    .map(|y| c.cell.get(&(center.clone(), y)).copied().unwrap_or(0))
                                    .sum::<u64>()
                        })
                        .sum::<u64>()
            }
        }
    }
}

/// The cache key: who asks (role and scope) and what, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    role: String,
    scope: String,
    query: String,
}

impl Key {
    /// `query` after planning: filters sorted by dimension, codes sorted and unique, so that
    /// `filter=a:1;2&filter=b:3` and `filter=b:3&filter=a:2;1` share an entry.
    pub fn new(role: &str, scope: &str, query: &StatsQuery, totals: bool) -> Key {
        let mut filters: Vec<(Dimension, Vec<String>)> = query
            .filters
            .iter()
            .map(|(d, codes)| {
                let mut codes = codes.clone();
                codes.sort();
                codes.dedup();
                (*d, codes)
            })
            .collect();
        filters.sort();
        let code = |ds: &[Dimension]| ds.iter().map(|d| d.code()).collect::<Vec<_>>().join(",");
        let text = format!(
            "m={}|r={}|{}..{}|f={}|t={totals}",
            query
                .measures
                .iter()
                .map(|m| m.code())
                .collect::<Vec<_>>()
                .join(","),
            code(&query.dims),
            query.from,
            query.to,
            filters
                .iter()
                .map(|(d, c)| format!("{}:{}", d.code(), c.join(";")))
                .collect::<Vec<_>>()
                .join("&"),
        );
        Key {
            role: role.to_owned(),
            scope: scope.to_owned(),
            query: text,
        }
    }
}

struct Entry {
    answer: Arc<Answer>,
    dep: Dependency,
    stamp: u64,
    bytes: usize,
    made: Instant,
    used: u64,
}

/// How a request was answered (the `X-Attaka-Cache` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// From a stored entry.
    Hit,
    /// By waiting for an identical request's computation.
    Shared,
    /// Computed for this request.
    Miss,
}

impl Served {
    pub fn as_str(self) -> &'static str {
        match self {
            Served::Hit => "hit",
            Served::Shared => "shared",
            Served::Miss => "miss",
        }
    }
}

/// Why no answer: the pool was full, or the computation failed.
#[derive(Debug)]
pub enum Refused<E> {
    Busy { retry_after_secs: u64 },
    Failed(E),
}

/// Counts for `/metrics`.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub shared: AtomicU64,
    pub computations: AtomicU64,
    pub rejected: AtomicU64,
    pub evictions: AtomicU64,
}

type Flight = Arc<OnceCell<Arc<Answer>>>;

/// The bounded pool: `workers` permits and a cap on how many may wait for one.
#[derive(Debug)]
pub struct Pool {
    permits: Semaphore,
    waiting_or_running: AtomicUsize,
    capacity: usize,
    retry_after_secs: u64,
}

impl Pool {
    pub fn new(settings: &PoolSettings) -> Pool {
        let workers = settings.worker_count().max(1);
        Pool {
            permits: Semaphore::new(workers),
            waiting_or_running: AtomicUsize::new(0),
            capacity: workers + settings.queue,
            retry_after_secs: settings.retry_after_secs.max(1),
        }
    }

    /// Runs `work` when a worker is free; refused at once when `workers + queue` are taken.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, Refused<E>>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        let taken = self.waiting_or_running.fetch_add(1, Ordering::SeqCst);
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _leave = Leave(&self.waiting_or_running);
        if taken >= self.capacity {
            return Err(Refused::Busy {
                retry_after_secs: self.retry_after_secs,
            });
        }
        let _permit = self.permits.acquire().await.map_err(|_| Refused::Busy {
            retry_after_secs: self.retry_after_secs,
        })?;
        work.await.map_err(Refused::Failed)
    }

    /// Computations running or waiting now.
    pub fn load(&self) -> usize {
        self.waiting_or_running.load(Ordering::SeqCst)
    }
}

/// The cache, its generations, the in-flight computations and the pool.
pub struct StatsCache {
    settings: CacheSettings,
    pub generations: Arc<Generations>,
    pub pool: Pool,
    pub counters: CacheCounters,
    entries: Mutex<HashMap<Key, Entry>>,
    flights: Mutex<HashMap<Key, Flight>>,
    clock: AtomicU64,
}

impl StatsCache {
    pub fn new(cache: &CacheSettings, pool: &PoolSettings) -> StatsCache {
        StatsCache {
            settings: cache.clone(),
            generations: Arc::new(Generations::default()),
            pool: Pool::new(pool),
            counters: CacheCounters::default(),
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<Key, Flight>> {
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries stored now and their estimated bytes.
    pub fn size(&self) -> (usize, usize) {
        let e = self.entries();
        (e.len(), e.values().map(|x| x.bytes).sum())
    }

    /// A stored entry still valid for `key`, if any (a stale one is dropped).
    fn lookup(&self, key: &Key) -> Option<Arc<Answer>> {
        let mut entries = self.entries();
        let entry = entries.get_mut(key)?;
        let fresh = entry.made.elapsed() < Duration::from_secs(self.settings.max_age_secs)
            && self.generations.stamp(&entry.dep) == entry.stamp;
        if fresh {
            entry.used = self.clock.fetch_add(1, Ordering::Relaxed);
            Some(entry.answer.clone())
        } else {
            entries.remove(key);
            None
        }
    }

    fn store(&self, key: Key, answer: Arc<Answer>, dep: Dependency, stamp: u64) {
        let bytes = answer.bytes();
        if bytes > self.settings.max_bytes || self.settings.max_entries == 0 {
            return;
        }
        let mut entries = self.entries();
        entries.insert(
            key,
            Entry {
                answer,
                dep,
                stamp,
                bytes,
                made: Instant::now(),
                used: self.clock.fetch_add(1, Ordering::Relaxed),
            },
        );
        let mut total: usize = entries.values().map(|e| e.bytes).sum();
        while entries.len() > self.settings.max_entries || total > self.settings.max_bytes {
            let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(e) = entries.remove(&oldest) {
                total -= e.bytes;
                self.counters.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The answer for `key`: stored, shared with an identical computation under way, or
    /// computed by `compute` on the pool (and stored when nothing it depends on changed).
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        key: Key,
        dep: Dependency,
        compute: F,
    ) -> Result<(Arc<Answer>, Served), Refused<E>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Answer, E>>,
    {
        if !self.settings.enabled {
            self.counters.computations.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .pool
                .run(compute())
                .await
                .inspect_err(|e| self.count_refusal(e))?;
            return Ok((Arc::new(answer), Served::Miss));
        }
        if let Some(answer) = self.lookup(&key) {
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((answer, Served::Hit));
        }
        let flight = self.flights().entry(key.clone()).or_default().clone();
        let mut ran = false;
        let result = flight
            .get_or_try_init(|| async {
                ran = true;
                // Taken before reading: a write committed after this shows as a changed stamp.
                let stamp = self.generations.stamp(&dep);
                self.counters.computations.fetch_add(1, Ordering::Relaxed);
                let answer = Arc::new(self.pool.run(compute()).await?);
                self.store(key.clone(), answer.clone(), dep.clone(), stamp);
                Ok::<_, Refused<E>>(answer)
            })
            .await
            .cloned();
        {
            let mut flights = self.flights();
            if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) && (flight.initialized() || ran) {
                flights.remove(&key);
            }
        }
        match result {
            Ok(answer) if ran => Ok((answer, Served::Miss)),
            Ok(answer) => {
                self.counters.shared.fetch_add(1, Ordering::Relaxed);
                Ok((answer, Served::Shared))
            }
            Err(e) => {
                self.count_refusal(&e);
                Err(e)
            }
        }
    }

    fn count_refusal<E>(&self, e: &Refused<E>) {
        if matches!(e, Refused::Busy { .. }) {
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Measure;
    use chrono::NaiveDate;

    fn query(center: Option<&str>, from: &str, to: &str) -> StatsQuery {
        StatsQuery {
            measures: vec![Measure::Participations],
            dims: vec![],
            from: from.parse::<NaiveDate>().unwrap(),
            to: to.parse::<NaiveDate>().unwrap(),
            filters: center
                .map(|c| vec![(Dimension::Center, vec![c.to_owned()])])
                .unwrap_or_default(),
        }
    }

    fn years(ys: &[i32]) -> Vec<StatsChange> {
        ys.iter().map(|y| StatsChange::Year("C001".into(), *y)).collect()
    }

    #[test]
    fn a_write_changes_the_stamp_of_exactly_the_answers_touching_its_centre_and_year() {
        let g = Generations::default();
        let c1_2024 = Dependency::of(&query(Some("C001"), "2024-04-01", "2025-03-31"));
        let c1_2023 = Dependency::of(&query(Some("C001"), "2023-04-01", "2024-03-31"));
        let c2_2024 = Dependency::of(&query(Some("C002"), "2024-04-01", "2025-03-31"));
        let all_2024 = Dependency::of(&query(None, "2024-06-01", "2024-06-30"));
        let all_2023 = Dependency::of(&query(None, "2023-04-01", "2024-03-31"));
        let deps = [&c1_2024, &c1_2023, &c2_2024, &all_2024, &all_2023];
        let before: Vec<u64> = deps.iter().map(|d| g.stamp(d)).collect();
        g.touch(&years(&[2024]));
        let changed: Vec<bool> = deps.iter().zip(&before).map(|(d, b)| g.stamp(d) != *b).collect();
        assert_eq!(changed, [true, false, false, true, false]);
        let before: Vec<u64> = deps.iter().map(|d| g.stamp(d)).collect();
        g.touch(&[StatsChange::Center("C002".into())]);
        let changed: Vec<bool> = deps.iter().zip(&before).map(|(d, b)| g.stamp(d) != *b).collect();
        assert_eq!(changed, [false, false, true, true, true]);
        let before: Vec<u64> = deps.iter().map(|d| g.stamp(d)).collect();
        g.touch(&[StatsChange::All]);
        assert!(deps.iter().zip(&before).all(|(d, b)| g.stamp(d) != *b));
    }

    #[test]
    fn equivalent_filters_share_a_key_and_the_scope_is_part_of_it() {
        let mut a = query(None, "2024-04-01", "2025-03-31");
        a.filters = vec![
            (Dimension::Function, vec!["tsudoi".into(), "houmon".into()]),
            (Dimension::Center, vec!["C001".into()]),
        ];
        let mut b = a.clone();
        b.filters = vec![
            (Dimension::Center, vec!["C001".into()]),
            (Dimension::Function, vec!["houmon".into(), "tsudoi".into()]),
        ];
        assert_eq!(
            Key::new("prefecture", "", &a, true),
            Key::new("prefecture", "", &b, true)
        );
        assert_ne!(
            Key::new("prefecture", "", &a, true),
            Key::new("prefecture", "", &a, false)
        );
        assert_ne!(
            Key::new("prefecture", "", &a, true),
            Key::new("center_staff", "C001", &a, true)
        );
    }

    fn answer(n: usize) -> Answer {
        Answer {
            rows: (0..n).map(|i| (vec![format!("k{i}")], vec![i as u64])).collect(),
            totals: None,
        }
    }

    fn cache(max_entries: usize, workers: usize, queue: usize) -> StatsCache {
        StatsCache::new(
            &CacheSettings {
                max_entries,
                ..Default::default()
            },
            &PoolSettings {
                workers,
                queue,
                retry_after_secs: 3,
            },
        )
    }

    #[tokio::test]
    async fn the_least_recently_used_entry_goes_when_the_cache_is_full() {
        let c = cache(2, 1, 0);
        let q = query(None, "2024-04-01", "2025-03-31");
        for i in 0..3 {
            let key = Key::new("prefecture", &i.to_string(), &q, false);
            c.get_or_compute(key, Dependency::of(&q), || async { Ok::<_, ()>(answer(i)) })
                .await
                .unwrap();
        }
        assert_eq!(c.size().0, 2);
        assert_eq!(c.counters.evictions.load(Ordering::Relaxed), 1);
        let first = Key::new("prefecture", "0", &q, false);
        assert!(c.lookup(&first).is_none());
    }

    #[tokio::test]
    async fn identical_requests_at_once_compute_once() {
        let c = Arc::new(cache(10, 4, 10));
        let q = query(None, "2024-04-01", "2025-03-31");
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (c, runs, gate, q) = (c.clone(), runs.clone(), gate.clone(), q.clone());
            tasks.push(tokio::spawn(async move {
                let key = Key::new("prefecture", "", &q, false);
                c.get_or_compute(key, Dependency::of(&q), || async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.acquire().await;
                    Ok::<_, ()>(answer(3))
                })
                .await
                .map(|(a, s)| (a.rows.len(), s))
                .ok()
            }));
        }
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        gate.add_permits(1);
        let mut served = Vec::new();
        for t in tasks {
            served.push(t.await.unwrap().unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(served.iter().filter(|(_, s)| *s == Served::Miss).count(), 1);
        assert!(served.iter().all(|(n, _)| *n == 3));
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_with_its_retry_after() {
        let pool = Arc::new(Pool::new(&PoolSettings {
            workers: 1,
            queue: 1,
            retry_after_secs: 7,
        }));
        let gate = Arc::new(Semaphore::new(0));
        let mut held = Vec::new();
        for _ in 0..2 {
            let (pool, gate) = (pool.clone(), gate.clone());
            held.push(tokio::spawn(async move {
                pool.run(async move {
                    let _ = gate.acquire().await;
                    Ok::<_, ()>(())
                })
                .await
                .is_ok()
            }));
        }
        while pool.load() < 2 {
            tokio::task::yield_now().await;
        }
        let third = pool.run(async { Ok::<_, ()>(()) }).await;
        assert!(matches!(third, Err(Refused::Busy { retry_after_secs: 7 })));
        gate.add_permits(2);
        for h in held {
            assert!(h.await.unwrap());
        }
        assert_eq!(pool.load(), 0);
    }

    #[test]
    fn a_stale_entry_is_not_served() {
        let c = cache(10, 1, 0);
        let q = query(Some("C001"), "2024-04-01", "2025-03-31");
        let key = Key::new("prefecture", "", &q, false);
        let dep = Dependency::of(&q);
        c.store(
            key.clone(),
            Arc::new(answer(1)),
            dep.clone(),
            c.generations.stamp(&dep),
        );
        assert!(c.lookup(&key).is_some());
        c.generations.touch(&years(&[2024]));
        assert!(c.lookup(&key).is_none());
    }
}
