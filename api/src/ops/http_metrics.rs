//! Request counts and latencies by route template for `/metrics`: a counter per method, route
//! template (`/api/v1/persons/{common_id}`, never the path itself, which may hold an ID) and
//! status, and a latency histogram per method and route. Kept in memory per process, as
//! Prometheus expects of counters (a restart starts them again).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The route label of a request no route matched (so unknown paths add one series, not one each).
pub const UNMATCHED: &str = "unmatched";

#[derive(Debug, Default, Clone)]
struct Latency {
    /// Requests at or under each bound of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Series {
    /// (method, route, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) → latency.
    latency: BTreeMap<(String, String), Latency>,
}

/// This process's request metrics.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    series: Mutex<Series>,
}

impl HttpMetrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut s) = self.series.lock() else { return };
        *s.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let l = s
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        for (bound, n) in BUCKETS.iter().zip(l.buckets.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
        l.count += 1;
        l.sum += seconds;
    }

    /// The counters and histograms in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let Ok(s) = self.series.lock() else { return };
        let _ = writeln!(
            out,
            "# HELP attaka_http_requests_total HTTP requests answered, by method, route template and status.\n# TYPE attaka_http_requests_total counter"
        );
        for ((method, route, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "attaka_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP attaka_http_request_duration_seconds Time to answer, by method and route template.\n# TYPE attaka_http_request_duration_seconds histogram"
        );
        for ((method, route), l) in &s.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (bound, n) in BUCKETS.iter().zip(l.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "attaka_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "attaka_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                l.count
            );
            let _ = writeln!(
                out,
                "attaka_http_request_duration_seconds_sum{{{labels}}} {}",
                l.sum
            );
            let _ = writeln!(
                out,
                "attaka_http_request_duration_seconds_count{{{labels}}} {}",
                l.count
            );
        }
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: times each request and counts it under its route template.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(res) => {
                let route = res
                    .request()
                    .match_pattern()
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| UNMATCHED.to_owned());
                metrics.observe(&method, &route, res.status().as_u16(), seconds);
            }
            Err(e) => {
                let status = e.as_response_error().status_code().as_u16();
                metrics.observe(&method, UNMATCHED, status, seconds);
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_once_and_falls_in_every_bucket_at_or_above_its_time() {
        let m = HttpMetrics::default();
        m.observe("GET", "/api/v1/persons/{common_id}", 200, 0.03);
        m.observe("GET", "/api/v1/persons/{common_id}", 404, 0.002);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "attaka_http_requests_total{method=\"GET\",route=\"/api/v1/persons/{common_id}\",status=\"200\"} 1"
        ));
        let bucket = |le: &str| {
            format!("attaka_http_request_duration_seconds_bucket{{method=\"GET\",route=\"/api/v1/persons/{{common_id}}\",le=\"{le}\"}}")
        };
        assert!(out.contains(&format!("{} 1", bucket("0.005"))), "{out}");
        assert!(out.contains(&format!("{} 1", bucket("0.025"))), "{out}");
        assert!(out.contains(&format!("{} 2", bucket("0.05"))), "{out}");
        assert!(out.contains(&format!("{} 2", bucket("+Inf"))), "{out}");
    }
}
