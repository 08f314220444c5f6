//! The benchmark's figures and their Markdown report: the machine, the data, latency
//! percentiles beside the floor, extraction throughput and memory, and a verdict per target.

use std::fmt::Write as _;
use std::time::Duration;

use rusqlite::Connection;

/// Targets (issue 4): p95 of a standard query, its ratio to the floor, extraction rows/s.
pub const P95_TARGET_MS: f64 = 150.0;
pub const FLOOR_RATIO_TARGET: f64 = 3.0;
pub const ROWS_PER_S_TARGET: f64 = 300_000.0;
/// Growth of anonymous (heap) memory during an extraction that still counts as flat.
pub const FLAT_MEMORY_BYTES: u64 = 64 << 20;

/// One standard query's timings.
pub struct Timed {
    pub name: String,
    pub query: String,
    pub http: Vec<Duration>,
    /// Plain SQL over the participation facts (the first four questions).
    pub floor: Option<Vec<Duration>>,
    /// Plain SQL over the year aggregates, for whole fiscal years.
    pub floor_years: Option<Vec<Duration>>,
    /// Rows of the answer (besides totals).
    pub rows: usize,
    /// Whether `/stats` and both floors gave the same figures (true without a floor).
    pub same: bool,
    /// Through HTTP against the hub on SQL Server, when the run has one.
    pub sql_server: Option<Vec<Duration>>,
    /// Whether the hub on SQL Server answered the same figures as the one on SQLite.
    pub sql_server_same: Option<bool>,
}

/// The SQL Server side of a run: which server, and how the facts got there.
#[derive(Debug, Clone)]
pub struct SqlServerInfo {
    /// `SELECT @@VERSION`, on one line.
    pub version: String,
    pub database: String,
    pub rows_copied: u64,
    pub tables: usize,
    /// `/stats` questions `migrate-hub` compared on both stores after the copy.
    pub questions_checked: usize,
    pub loaded: Duration,
}

pub struct Extraction {
    pub label: String,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    pub rss_before: u64,
    pub rss_peak: u64,
    pub anon_before: u64,
    pub anon_peak: u64,
}

/// The concurrency runs and how they were set up.
#[derive(Default)]
pub struct Load {
    pub questions: usize,
    pub settings: super::load::LoadSettings,
    pub pool: crate::stats::cache::PoolSettings,
    pub runs: Vec<super::load::LoadResult>,
}

pub struct Report {
    machine: Vec<(&'static str, String)>,
    data: Vec<(&'static str, String)>,
    fiscal_year: i32,
    runs: usize,
    /// Whether the `/stats` result cache was on.
    pub cache: bool,
    pub sql_server: Option<SqlServerInfo>,
    pub load: Load,
    pub queries: Vec<Timed>,
    pub extractions: Vec<Extraction>,
    /// Extractions the server refused as too large for their format (a workbook over one
    /// sheet's rows), with why: noted under the table instead of ending the run.
    pub skipped: Vec<String>,
}

/// Nearest-rank percentile `p` (0–100) in milliseconds.
pub fn percentile(times: &[Duration], p: f64) -> f64 {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * ms.len() as f64).ceil().max(1.0) as usize;
    ms[rank.min(ms.len()) - 1]
}

/// This process's resident memory now, in bytes: all of it (VmRSS, which includes the pages of
/// the database file mapped by SQLite) and its anonymous part (RssAnon: the heap, what would
/// grow if rows were held in memory).
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

/// The peak resident size (VmHWM) since start or the last reset, in bytes.
pub fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resets the peak (VmHWM) to the current resident size, so each extraction has its own peak.
pub fn reset_peak_memory() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        tracing::warn!(error = %e, "cannot reset the peak resident size; peaks are since start");
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
}

fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or("unknown".into(), |kb| format!("{:.1} GiB", kb as f64 / 1048576.0));
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    vec![
        (
            "date",
            crate::domain::clock::now_jst()
                .format("%Y-%m-%d %H:%M %:z")
                .to_string(),
        ),
        ("CPU", model),
        ("cores (nproc)", cores.to_string()),
        ("memory", total),
        ("SQLite", rusqlite::version().to_owned()),
        (
            "build",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
        ),
    ]
}

impl Report {
    pub fn new(
        path: &str,
        db: &Connection,
        fiscal_year: i32,
        runs: usize,
        migrations_applied: usize,
        migrated: Duration,
    ) -> anyhow::Result<Report> {
        let mut data = crate::store::sqlite::floor::sizes(db)?;
        let file = ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok())
            .map(|m| m.len())
            .sum::<u64>();
        data.push(("database file", format!("{} ({path})", mib(file))));
        if migrations_applied > 0 {
            data.push((
                "migrations applied before the run",
                format!("{migrations_applied} in {:.1} s", migrated.as_secs_f64()),
            ));
        }
        Ok(Report {
            machine: machine(),
            data,
            fiscal_year,
            runs,
            cache: false,
            sql_server: None,
            load: Load::default(),
            queries: Vec::new(),
            extractions: Vec::new(),
            skipped: Vec::new(),
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### Machine\n");
        for (k, v) in &self.machine {
            let _ = writeln!(out, "- {k}: {v}");
        }
        let _ = writeln!(out, "\n### Data\n");
        for (k, v) in &self.data {
            let _ = writeln!(out, "- {k}: {v}");
        }
        let _ = writeln!(
            out,
            "\n### Standard queries (FY{}, {} timed runs each after warm-up; ms)\n",
            self.fiscal_year, self.runs
        );
        let _ = writeln!(
            out,
            "| query | rows | HTTP p50 | HTTP p95 | floor: facts p50 / p95 | floor: year aggregates p50 / p95 | HTTP p95 / best floor p95 | same figures | p95 ≤ {P95_TARGET_MS:.0} ms | ≤ {FLOOR_RATIO_TARGET:.0}× floor |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|:-:|:-:|:-:|");
        for q in &self.queries {
            let (h50, h95) = (percentile(&q.http, 50.0), percentile(&q.http, 95.0));
            let mark = |ok: bool| if ok { "yes" } else { "**no**" };
            let Some(floor) = &q.floor else {
                let _ = writeln!(
                    out,
                    "| {} | {} | {h50:.1} | {h95:.1} | — | — | — | — | {} | — |",
                    q.name,
                    q.rows,
                    mark(h95 <= P95_TARGET_MS)
                );
                continue;
            };
            let (f50, f95) = (percentile(floor, 50.0), percentile(floor, 95.0));
            let years = q
                .floor_years
                .as_ref()
                .map(|t| (percentile(t, 50.0), percentile(t, 95.0)));
            let best = years.map_or(f95, |(_, y95)| y95.min(f95));
            let ratio = h95 / best.max(0.001);
            let _ = writeln!(
                out,
                "| {} | {} | {h50:.1} | {h95:.1} | {f50:.1} / {f95:.1} | {} | {ratio:.2} | {} | {} | {} |",
                q.name,
                q.rows,
                years.map_or("—".to_owned(), |(y50, y95)| format!("{y50:.1} / {y95:.1}")),
                mark(q.same),
                mark(h95 <= P95_TARGET_MS),
                mark(ratio <= FLOOR_RATIO_TARGET)
            );
        }
        let _ = writeln!(
            out,
            "\nThe `/stats` result cache was {} for the run.",
            if self.cache {
                "on (runs after the first answer from it)"
            } else {
                "off (every run computes)"
            }
        );
        if let Some(ms) = &self.sql_server {
            out.push_str(&self.sql_server_section(ms));
        }
        let _ = writeln!(out, "\nQuery strings (`GET /api/v1/stats?…`):\n");
        for q in &self.queries {
            let _ = writeln!(out, "- {}: `{}`", &q.name[..3], q.query);
        }
        if !self.load.runs.is_empty() {
            out.push_str(&self.load.to_markdown());
        }
        if self.extractions.is_empty() {
            return out;
        }
        let _ = writeln!(out, "\n### Extraction of participations (CSV through HTTP)\n");
        let _ = writeln!(
            out,
            "| extract | rows | MB | seconds | rows/s | heap (RssAnon) before → peak | RSS before → peak | ≥ {:.0}k rows/s | flat heap |",
            ROWS_PER_S_TARGET / 1000.0
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|:-:|:-:|");
        for e in &self.extractions {
            let secs = e.elapsed.as_secs_f64();
            let rate = e.rows as f64 / secs.max(1e-9);
            let growth = e.anon_peak.saturating_sub(e.anon_before);
            let mark = |ok: bool| if ok { "yes" } else { "**no**" };
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {secs:.2} | {rate:.0} | {} → {} | {} → {} | {} | {} |",
                e.label,
                e.rows,
                e.bytes as f64 / 1e6,
                mib(e.anon_before),
                mib(e.anon_peak),
                mib(e.rss_before),
                mib(e.rss_peak),
                mark(rate >= ROWS_PER_S_TARGET),
                mark(growth <= FLAT_MEMORY_BYTES)
            );
        }
        for why in &self.skipped {
            let _ = writeln!(out, "\nNot timed: {why}.");
        }
        out
    }
}

impl Report {
    /// The same questions through HTTP against the hub on SQLite and the hub on SQL Server.
    fn sql_server_section(&self, ms: &SqlServerInfo) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n### The same questions, hub on SQL Server beside hub on SQLite (ms)\n"
        );
        let _ = writeln!(out, "- server: `{}`", ms.version);
        let _ = writeln!(
            out,
            "- loaded by `migrate-hub` into `{}`: {} rows in {} tables in {:.1} s, {} `/stats` questions compared by its checks",
            ms.database,
            ms.rows_copied,
            ms.tables,
            ms.loaded.as_secs_f64(),
            ms.questions_checked
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| query | SQLite p50 | SQLite p95 | SQL Server p50 | SQL Server p95 | SQL Server p95 / SQLite p95 | same figures |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|:-:|");
        for q in &self.queries {
            let Some(times) = &q.sql_server else { continue };
            let (s50, s95) = (percentile(&q.http, 50.0), percentile(&q.http, 95.0));
            let (m50, m95) = (percentile(times, 50.0), percentile(times, 95.0));
            let same = match q.sql_server_same {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            };
            let _ = writeln!(
                out,
                "| {} | {s50:.1} | {s95:.1} | {m50:.1} | {m95:.1} | {:.1} | {same} |",
                q.name,
                m95 / s95.max(0.001)
            );
        }
        out
    }
}

/// 50 users: p95 ≤ 1 s; 200 users: p95 ≤ 3 s (issue 15); none lost at either.
pub fn load_p95_target_ms(users: usize) -> f64 {
    if users <= 50 {
        1000.0
    } else {
        3000.0
    }
}

impl Load {
    fn to_markdown(&self) -> String {
        let mut out = String::new();
        let s = &self.settings;
        let _ = writeln!(
            out,
            "\n### Concurrency (hub on SQLite, result cache on; ms)\n\n\
             Each simulated user keeps one connection and asks one of {} questions (weighted: \
             prefecture tables and trends most, centres' months, months, quarters, halves, every \
             fiscal year of the data), thinking {:.1}–{:.1} s between them, for {} s; a 503 is \
             retried after its `Retry-After` (the wait counts in the latency). Stats pool: {} \
             workers, queue {}.\n",
            self.questions,
            s.think.0.as_secs_f64(),
            s.think.1.as_secs_f64(),
            s.duration.as_secs(),
            self.pool.worker_count(),
            self.pool.queue
        );
        let _ = writeln!(
            out,
            "| users | answered | per second | p50 | p95 | p99 | max | errors | 503s retried | lost | p95 target |"
        );
        let _ = writeln!(out, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|");
        for r in &self.runs {
            let l = &r.latencies;
            let p95 = percentile(l, 95.0);
            let target = load_p95_target_ms(r.users);
            let ok = p95 <= target && r.errors == 0;
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | {p95:.1} | {:.1} | {:.1} | {} | {} | {} | ≤ {target:.0} ms, 0 errors: {} |",
                r.users,
                l.len(),
                r.per_second(),
                percentile(l, 50.0),
                percentile(l, 99.0),
                percentile(l, 100.0),
                r.errors,
                r.busy,
                r.lost,
                if ok { "yes" } else { "**no**" }
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let times: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 50.0), 10.0);
        assert_eq!(percentile(&times, 95.0), 19.0);
        assert_eq!(percentile(&times[..1], 95.0), 1.0);
    }

    fn report() -> Report {
        Report {
            machine: Vec::new(),
            data: Vec::new(),
            fiscal_year: 2025,
            runs: 2,
            cache: false,
            sql_server: None,
            load: Load::default(),
            queries: Vec::new(),
            extractions: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn a_skipped_extraction_is_noted_under_the_extraction_table() {
        let mut r = report();
        r.extractions.push(Extraction {
            label: "FY2025 only, labels=code".into(),
            rows: 300_000,
            bytes: 1_000_000,
            elapsed: Duration::from_secs(1),
            rss_before: 0,
            rss_peak: 0,
            anon_before: 0,
            anon_peak: 0,
        });
        r.skipped
            .push("FY2020–FY2025, xlsx: 1,100,000 rows do not fit one sheet (413)".into());
        let md = r.to_markdown();
        assert!(md.contains("| FY2025 only, labels=code | 300000 |"), "{md}");
        assert!(
            md.contains("Not timed: FY2020–FY2025, xlsx: 1,100,000 rows do not fit one sheet (413)."),
            "{md}"
        );
    }

    #[test]
    fn a_question_without_a_floor_reports_its_http_times_and_dashes() {
        let mut r = report();
        r.queries.push(Timed {
            name: "(e) FY by month".into(),
            query: "rows=month".into(),
            http: ms(&[10, 20]),
            floor: None,
            floor_years: None,
            rows: 12,
            same: true,
            sql_server: None,
            sql_server_same: None,
        });
        let md = r.to_markdown();
        assert!(
            md.contains("| (e) FY by month | 12 | 10.0 | 20.0 | — | — | — | — | yes | — |"),
            "{md}"
        );
        assert!(md.contains("cache was off"), "{md}");
        assert!(!md.contains("hub on SQL Server"), "{md}");
    }

    #[test]
    fn the_sql_server_table_sets_each_question_beside_sqlite_and_flags_different_figures() {
        let mut r = report();
        r.sql_server = Some(SqlServerInfo {
            version: "Babelfish for PostgreSQL 4.2.0".into(),
            database: "attaka_test".into(),
            rows_copied: 1000,
            tables: 30,
            questions_checked: 8,
            loaded: Duration::from_secs(90),
        });
        for (name, same) in [("(a) one", true), ("(b) two", false)] {
            r.queries.push(Timed {
                name: name.into(),
                query: String::new(),
                http: ms(&[10, 20]),
                floor: Some(ms(&[5, 10])),
                floor_years: None,
                rows: 1,
                same: true,
                sql_server: Some(ms(&[40, 80])),
                sql_server_same: Some(same),
            });
        }
        let md = r.to_markdown();
        assert!(md.contains("server: `Babelfish for PostgreSQL 4.2.0`"), "{md}");
        assert!(
            md.contains("1000 rows in 30 tables in 90.0 s, 8 `/stats` questions"),
            "{md}"
        );
        assert!(
            md.contains("| (a) one | 10.0 | 20.0 | 40.0 | 80.0 | 4.0 | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| (b) two | 10.0 | 20.0 | 40.0 | 80.0 | 4.0 | **no** |"),
            "{md}"
        );
    }
}
