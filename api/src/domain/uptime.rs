//! Availability from the uptime ledger: the runs of the server (start to last heartbeat) within
//! a period; what lies between them is an outage.

use chrono::{DateTime, Utc};

/// A run of the server: from its start to the last heartbeat it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Up time and outages within `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub up_seconds: i64,
    /// Up time to the microsecond (the ratio of a node started a moment ago needs it).
    pub up: chrono::Duration,
    pub outages: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Scheduled maintenance windows within the period, merged and in order.
    pub maintenance: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The part of the up time that lies within those windows.
    pub up_in_maintenance: chrono::Duration,
}

fn as_seconds(d: chrono::Duration) -> f64 {
    d.num_microseconds()
        .map_or(d.num_seconds() as f64, |us| us as f64 / 1e6)
}

impl Availability {
    pub fn period_seconds(&self) -> i64 {
        (self.to - self.from).num_seconds().max(0)
    }

    /// Whether anything of the period was recorded: false for a month before the node's
    /// first run (or with no run at all), which is no record rather than a met target.
    pub fn recorded(&self) -> bool {
        self.from < self.to
    }

    /// Up time over the period; none when nothing of it was recorded.
    pub fn ratio(&self) -> Option<f64> {
        self.recorded()
            .then(|| (as_seconds(self.up) / as_seconds(self.to - self.from)).clamp(0.0, 1.0))
    }

    /// Time within scheduled maintenance windows.
    pub fn maintenance_time(&self) -> chrono::Duration {
        self.maintenance
            .iter()
            .fold(chrono::Duration::zero(), |sum, (s, e)| sum + (*e - *s))
    }

    /// 稼働率 as the contract measures it: up time outside the maintenance windows over the
    /// measured time outside them. None when nothing was recorded or all of it was maintenance.
    pub fn ratio_excluding_maintenance(&self) -> Option<f64> {
        if !self.recorded() {
            return None;
        }
        let period = as_seconds(self.to - self.from) - as_seconds(self.maintenance_time());
        let up = as_seconds(self.up) - as_seconds(self.up_in_maintenance);
        if self.maintenance.is_empty() {
            return self.ratio();
        }
        (period > 0.0).then(|| (up / period).clamp(0.0, 1.0))
    }

    /// The part of `outage` within the maintenance windows.
    pub fn planned_part(&self, outage: (DateTime<Utc>, DateTime<Utc>)) -> chrono::Duration {
        overlap(&[outage], &self.maintenance)
    }

    /// Whether the recorded period met `target`, maintenance windows left out as the contract
    /// says; a period with no record did not.
    pub fn met(&self, target: f64) -> bool {
        self.ratio_excluding_maintenance().is_some_and(|r| r >= target)
    }
}

/// Merges spans that touch or overlap, in order.
fn merge(mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    spans.retain(|(s, e)| s < e);
    spans.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Total overlap of two sets of spans, each without overlaps of its own.
fn overlap(a: &[(DateTime<Utc>, DateTime<Utc>)], b: &[(DateTime<Utc>, DateTime<Utc>)]) -> chrono::Duration {
    let mut sum = chrono::Duration::zero();
    for (s1, e1) in a {
        for (s2, e2) in b {
            let (s, e) = ((*s1).max(*s2), (*e1).min(*e2));
            if s < e {
                sum += e - s;
            }
        }
    }
    sum
}

/// The availability within `[from, to)`, measured from `first_ever` (the ledger's first run)
/// when that is later than `from`. `runs` may overlap and come in any order; a run still
/// going counts up to `to` when its last heartbeat is within `slack` of `to`.
pub fn availability(
    runs: &[Run],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    first_ever: Option<DateTime<Utc>>,
    slack: chrono::Duration,
) -> Availability {
    with_maintenance(runs, from, to, first_ever, slack, &[])
}

/// [`availability`], with the scheduled maintenance `windows` (in any order, overlapping or
/// not) noted so the contract's 稼働率 can leave them out.
pub fn with_maintenance(
    runs: &[Run],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    first_ever: Option<DateTime<Utc>>,
    slack: chrono::Duration,
    windows: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Availability {
    let from = first_ever.map_or(to, |f| f.max(from)).min(to);
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = runs
        .iter()
        .map(|r| {
            let end = if to - r.last_seen_at <= slack && r.last_seen_at <= to {
                to
            } else {
                r.last_seen_at
            };
            (r.started_at.max(from), end.min(to))
        })
        .filter(|(s, e)| s < e)
        .collect();
    let merged = merge(spans);
    let up_seconds = merged.iter().map(|(s, e)| (*e - *s).num_seconds()).sum();
    let up = merged
        .iter()
        .fold(chrono::Duration::zero(), |sum, (s, e)| sum + (*e - *s));
    let mut outages = Vec::new();
    let mut cursor = from;
    for (s, e) in &merged {
        if *s > cursor {
            outages.push((cursor, *s));
        }
        cursor = cursor.max(*e);
    }
    if cursor < to {
        outages.push((cursor, to));
    }
    let maintenance = merge(
        windows
            .iter()
            .map(|(s, e)| ((*s).max(from), (*e).min(to)))
            .collect(),
    );
    let up_in_maintenance = overlap(&merged, &maintenance);
    Availability {
        from,
        to,
        up_seconds,
        up,
        outages,
        maintenance,
        up_in_maintenance,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn run(a: &str, b: &str) -> Run {
        Run {
            started_at: t(a),
            last_seen_at: t(b),
        }
    }

    const SLACK: i64 = 120;

    #[test]
    fn a_restart_gap_is_an_outage_and_the_rest_is_up() {
        // A day; down 01:00–01:30 and 12:00–12:06.
        let runs = [
            run("2025-05-01T00:00:00Z", "2025-05-01T01:00:00Z"),
            run("2025-05-01T01:30:00Z", "2025-05-01T12:00:00Z"),
            run("2025-05-01T12:06:00Z", "2025-05-02T00:00:00Z"),
        ];
        let a = availability(
            &runs,
            t("2025-05-01T00:00:00Z"),
            t("2025-05-02T00:00:00Z"),
            Some(t("2025-04-01T00:00:00Z")),
            Duration::seconds(SLACK),
        );
        assert_eq!(a.period_seconds(), 86_400);
        assert_eq!(a.up_seconds, 86_400 - 1_800 - 360);
        assert_eq!(
            a.outages,
            [
                (t("2025-05-01T01:00:00Z"), t("2025-05-01T01:30:00Z")),
                (t("2025-05-01T12:00:00Z"), t("2025-05-01T12:06:00Z")),
            ]
        );
        assert!((a.ratio().unwrap() - 84_240.0 / 86_400.0).abs() < 1e-9);
    }

    #[test]
    fn runs_are_clipped_to_the_period_and_overlaps_count_once() {
        let runs = [
            run("2025-04-30T20:00:00Z", "2025-05-01T06:00:00Z"),
            run("2025-05-01T05:00:00Z", "2025-05-01T08:00:00Z"),
            run("2025-05-01T23:00:00Z", "2025-05-02T03:00:00Z"),
        ];
        let a = availability(
            &runs,
            t("2025-05-01T00:00:00Z"),
            t("2025-05-02T00:00:00Z"),
            Some(t("2025-01-01T00:00:00Z")),
            Duration::seconds(SLACK),
        );
        assert_eq!(a.up_seconds, 8 * 3600 + 3600);
        assert_eq!(
            a.outages,
            [(t("2025-05-01T08:00:00Z"), t("2025-05-01T23:00:00Z"))]
        );
    }

    #[test]
    fn a_run_still_going_counts_up_to_now_and_a_node_is_measured_from_its_first_run() {
        // Installed on 10 May; now is 20 May 12:00, the last heartbeat a minute ago.
        let runs = [run("2025-05-10T00:00:00Z", "2025-05-20T11:59:00Z")];
        let a = availability(
            &runs,
            t("2025-05-01T00:00:00Z"),
            t("2025-05-20T12:00:00Z"),
            Some(t("2025-05-10T00:00:00Z")),
            Duration::seconds(SLACK),
        );
        assert_eq!(a.from, t("2025-05-10T00:00:00Z"));
        assert_eq!(a.up_seconds, a.period_seconds());
        assert!(a.outages.is_empty());
        assert_eq!(a.ratio(), Some(1.0));
        assert!(a.met(0.95));
    }

    #[test]
    fn a_node_that_stopped_answering_is_down_from_its_last_heartbeat() {
        let runs = [run("2025-05-01T00:00:00Z", "2025-05-01T10:00:00Z")];
        let a = availability(
            &runs,
            t("2025-05-01T00:00:00Z"),
            t("2025-05-01T12:00:00Z"),
            Some(t("2025-05-01T00:00:00Z")),
            Duration::seconds(SLACK),
        );
        assert_eq!(a.up_seconds, 10 * 3600);
        assert_eq!(
            a.outages,
            [(t("2025-05-01T10:00:00Z"), t("2025-05-01T12:00:00Z"))]
        );
    }

    #[test]
    fn nothing_measured_yet_is_not_an_outage() {
        let a = availability(
            &[],
            t("2025-05-01T00:00:00Z"),
            t("2025-06-01T00:00:00Z"),
            None,
            Duration::seconds(SLACK),
        );
        assert_eq!(a.period_seconds(), 0);
        assert!(a.outages.is_empty());
        assert!(!a.recorded());
        assert_eq!(a.ratio(), None);
        assert!(!a.met(0.95));
    }

    #[test]
    fn a_node_started_a_moment_ago_has_a_record() {
        let started = t("2026-12-06T00:00:00Z");
        let now = started + Duration::milliseconds(300);
        let runs = [Run {
            started_at: started,
            last_seen_at: started,
        }];
        let a = availability(
            &runs,
            t("2026-11-30T15:00:00Z"),
            now,
            Some(started),
            Duration::seconds(SLACK),
        );
        assert!(a.recorded());
        assert_eq!(a.period_seconds(), 0);
        assert_eq!(a.ratio(), Some(1.0));
    }

    #[test]
    fn a_maintenance_window_is_left_out_of_the_contracts_ratio_but_not_of_the_plain_one() {
        // A 30-day month, down 10 hours: 6 within an announced window, 4 outside it.
        let runs = [
            run("2025-06-01T00:00:00Z", "2025-06-10T00:00:00Z"),
            run("2025-06-10T10:00:00Z", "2025-07-01T00:00:00Z"),
        ];
        let window = (t("2025-06-09T22:00:00Z"), t("2025-06-10T06:00:00Z"));
        let a = with_maintenance(
            &runs,
            t("2025-06-01T00:00:00Z"),
            t("2025-07-01T00:00:00Z"),
            Some(t("2025-01-01T00:00:00Z")),
            Duration::seconds(SLACK),
            &[window, window],
        );
        let month = 30.0 * 86_400.0;
        assert!((a.ratio().unwrap() - (month - 36_000.0) / month).abs() < 1e-12);
        // Window 8 h, 2 h of it up: outside it 4 h down over 30 days − 8 h.
        assert_eq!(a.maintenance_time(), Duration::hours(8));
        assert_eq!(a.up_in_maintenance, Duration::hours(2));
        let outside = month - 8.0 * 3600.0;
        assert!(
            (a.ratio_excluding_maintenance().unwrap() - (outside - 4.0 * 3600.0) / outside).abs() < 1e-12
        );
        assert_eq!(a.planned_part(a.outages[0]), Duration::hours(6));
    }

    #[test]
    fn a_month_before_the_first_run_has_no_record_and_no_rate() {
        // Installed on 1 December; November is asked about.
        let runs = [run("2026-11-30T15:00:00Z", "2026-12-06T00:00:00Z")];
        let a = availability(
            &runs,
            t("2026-10-31T15:00:00Z"),
            t("2026-11-30T15:00:00Z"),
            Some(t("2026-11-30T15:00:00Z")),
            Duration::seconds(SLACK),
        );
        assert!(!a.recorded());
        assert_eq!(a.up_seconds, 0);
        assert!(a.outages.is_empty());
        assert_eq!(a.ratio(), None);
        assert_eq!(a.ratio_excluding_maintenance(), None);
        assert!(!a.met(0.0), "no record meets no target, however low");
    }
}
