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
    /// Plain SQL over the participation facts.
    pub floor: Vec<Duration>,
    /// Plain SQL over the year aggregates, for whole fiscal years.
    pub floor_years: Option<Vec<Duration>>,
    /// Rows of the answer (besides totals).
    pub rows: usize,
    /// Whether `/stats` and both floors gave the same figures.
    pub same: bool,
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

pub struct Report {
    machine: Vec<(&'static str, String)>,
    data: Vec<(&'static str, String)>,
    fiscal_year: i32,
    runs: usize,
    pub queries: Vec<Timed>,
    pub extractions: Vec<Extraction>,
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
            queries: Vec::new(),
            extractions: Vec::new(),
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
            let (f50, f95) = (percentile(&q.floor, 50.0), percentile(&q.floor, 95.0));
            let years = q
                .floor_years
                .as_ref()
                .map(|t| (percentile(t, 50.0), percentile(t, 95.0)));
            let best = years.map_or(f95, |(_, y95)| y95.min(f95));
            let ratio = h95 / best.max(0.001);
            let mark = |ok: bool| if ok { "yes" } else { "**no**" };
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
        let _ = writeln!(out, "\nQuery strings (`GET /api/v1/stats?…`):\n");
        for q in &self.queries {
            let _ = writeln!(out, "- {}: `{}`", &q.name[..3], q.query);
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
}
