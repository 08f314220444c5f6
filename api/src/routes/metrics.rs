//! `/metrics`: the node's state for Prometheus (text format 0.0.4). Counts and times only — no
//! person, no name; like the probes it takes no token (keep it on the operations network).

use std::fmt::Write as _;

use actix_web::{web, HttpResponse};
use chrono::{Datelike, Utc};

use crate::domain::clock::today_jst;
use crate::error::ApiResult;
use crate::ops::http_metrics::HttpMetrics;
use crate::ops::lease::Leases;
use crate::ops::{backup, uptime};
use crate::startup::AppState;
use shared::dto::ops_log::SlaState;

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// The node's state for Prometheus: up, this month's 稼働率 (also without the maintenance
/// windows), open alerts by event, the operations log's open items and breaches, the sync
/// backlog (centre node), whether the node backs itself up and the age of the newest backup,
/// which leases this process holds, and HTTP requests and their latency by route template.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus のテキスト形式", content_type = "text/plain")))]
pub async fn metrics(
    state: web::Data<AppState>,
    leases: Option<web::Data<Leases>>,
    http: Option<web::Data<HttpMetrics>>,
) -> ApiResult<HttpResponse> {
    let settings = &state.settings;
    let store = state.store.as_ref();
    let now = Utc::now();
    let mut out = String::new();
    let node = settings.node_name();
    gauge(
        &mut out,
        "attaka_up",
        "1 while the node serves.",
        &[(
            format!("{{node=\"{node}\",version=\"{}\"}}", env!("CARGO_PKG_VERSION")),
            1.0,
        )],
    );
    let today = today_jst();
    let month = uptime::report(store, settings, today.with_day(1).unwrap_or(today), now).await?;
    gauge(
        &mut out,
        "attaka_uptime_ratio",
        "Share of this month (Japan time) the node was up (no sample before anything is recorded).",
        &month
            .ratio
            .map(|r| (format!("{{month=\"{}\"}}", month.month), r))
            .into_iter()
            .collect::<Vec<_>>(),
    );
    gauge(
        &mut out,
        "attaka_uptime_ratio_excluding_maintenance",
        "Share of this month the node was up outside scheduled maintenance (the contract's 稼働率).",
        &month
            .ratio_excluding_maintenance
            .map(|r| (format!("{{month=\"{}\"}}", month.month), r))
            .into_iter()
            .collect::<Vec<_>>(),
    );
    let due = crate::ops::sla::due_items(store, &settings.ops.sla(), now).await?;
    let mut open: Vec<(String, f64)> = Vec::new();
    for kind in ["inquiry", "incident"] {
        for (state_label, states) in [
            ("open", &[SlaState::Open][..]),
            ("due_soon", &[SlaState::DueSoon][..]),
            ("overdue", &[SlaState::Overdue][..]),
        ] {
            let n = due
                .iter()
                .filter(|d| d.kind == kind && states.contains(&d.sla.state))
                .count();
            open.push((format!("{{kind=\"{kind}\",sla=\"{state_label}\"}}"), n as f64));
        }
    }
    gauge(
        &mut out,
        "attaka_ops_open_items",
        "Inquiries without a first answer and incidents not triaged, by their service-level clock.",
        &open,
    );
    let mut by_event: Vec<(String, f64)> = Vec::new();
    for alert in store.alerts(true).await? {
        let labels = format!("{{event=\"{}\"}}", alert.event);
        match by_event.iter_mut().find(|(l, _)| *l == labels) {
            Some((_, n)) => *n += 1.0,
            None => by_event.push((labels, 1.0)),
        }
    }
    gauge(
        &mut out,
        "attaka_alerts_open",
        "Open alert events, by event.",
        &by_event,
    );
    // The outbox exists on a centre node only; a hub has none to report.
    let outbox = match state.node.center() {
        Some(center) => center.sync_outbox().await?,
        None => None,
    };
    if let Some(outbox) = outbox {
        gauge(
            &mut out,
            "attaka_sync_backlog",
            "Changes waiting to be delivered to the hub.",
            &[(String::new(), outbox.backlog as f64)],
        );
        let waiting = outbox
            .oldest_pending_at
            .map_or(0.0, |t| (now - t).num_seconds().max(0) as f64);
        gauge(
            &mut out,
            "attaka_sync_oldest_pending_seconds",
            "Age of the oldest change not yet delivered (0 when none).",
            &[(String::new(), waiting)],
        );
    }
    // 0 when the node makes no backups itself (e.g. a hub on SQL Server whose DBA backs the
    // database up): then no age of a newest backup is to be expected below.
    gauge(
        &mut out,
        "attaka_backup_enabled",
        "1 when the node makes its nightly backup itself ([backup] enabled), 0 when not.",
        &[(String::new(), if settings.backup.enabled { 1.0 } else { 0.0 })],
    );
    let dir = settings.backup_dir();
    let newest = tokio::task::spawn_blocking(move || backup::generations(&dir))
        .await
        .map_err(|e| anyhow::anyhow!("listing backups: {e}"))??
        .into_iter()
        .find_map(|g| g.manifest.ok());
    if let Some(m) = newest {
        gauge(
            &mut out,
            "attaka_backup_newest_age_seconds",
            "Age of the newest backup generation.",
            &[(String::new(), (now - m.created_at).num_seconds().max(0) as f64)],
        );
    }
    if let Some(leases) = leases {
        gauge(
            &mut out,
            "attaka_lease_held",
            "1 when this process holds the lease of a job (nightly jobs, watch, mailer): taken at its last try and not run out since.",
            &leases
                .snapshot()
                .into_iter()
                .map(|(name, held)| (format!("{{lease=\"{name}\"}}"), if held { 1.0 } else { 0.0 }))
                .collect::<Vec<_>>(),
        );
    }
    if let Some(http) = http {
        http.render(&mut out);
    }
    let cache = &state.stats_cache;
    let c = &cache.counters;
    for (name, help, value) in [
        (
            "attaka_stats_cache_hits_total",
            "/stats answers served from the result cache.",
            &c.hits,
        ),
        (
            "attaka_stats_cache_shared_total",
            "/stats answers shared with an identical request's computation.",
            &c.shared,
        ),
        (
            "attaka_stats_computations_total",
            "/stats computations run (cache misses).",
            &c.computations,
        ),
        (
            "attaka_stats_busy_total",
            "/stats requests refused with 503 because the pool and its queue were full.",
            &c.rejected,
        ),
        (
            "attaka_stats_cache_evictions_total",
            "/stats cache entries dropped for the entry or byte limit.",
            &c.evictions,
        ),
    ] {
        let v = value.load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
    }
    let (entries, bytes) = cache.size();
    gauge(
        &mut out,
        "attaka_stats_cache_entries",
        "/stats cache entries stored.",
        &[(String::new(), entries as f64)],
    );
    gauge(
        &mut out,
        "attaka_stats_cache_bytes",
        "Estimated bytes of the /stats cache entries.",
        &[(String::new(), bytes as f64)],
    );
    gauge(
        &mut out,
        "attaka_stats_pool_load",
        "/stats computations running or waiting for the pool.",
        &[(String::new(), cache.pool.load() as f64)],
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}
