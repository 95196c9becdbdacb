//! Prometheus metrics: request counts by method, route and status, and request
//! durations (integer microseconds: no floats anywhere near this service).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

const BUCKETS_MICROS: [u64; 10] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 5_000_000,
];

#[derive(Default)]
struct RouteStats {
    count: u64,
    sum_micros: u64,
    buckets: [u64; BUCKETS_MICROS.len()],
}

/// Renders more metrics (an adapter's own counters) into the exposition.
type Source = Box<dyn Fn(&mut String) + Send + Sync>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, RouteStats>>,
    sources: Mutex<Vec<Source>>,
}

/// One Prometheus counter with its help and type lines.
pub fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}");
}

impl Metrics {
    /// Adds metrics rendered by someone else (the composition root wires an
    /// adapter's counters here).
    pub fn add_source(&self, source: impl Fn(&mut String) + Send + Sync + 'static) {
        if let Ok(mut s) = self.sources.lock() {
            s.push(Box::new(source));
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, micros: u64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut d) = self.durations.lock() {
            let s = d.entry(route.to_owned()).or_default();
            s.count += 1;
            s.sum_micros = s.sum_micros.saturating_add(micros);
            for (slot, bound) in s.buckets.iter_mut().zip(BUCKETS_MICROS) {
                if micros <= bound {
                    *slot += 1;
                }
            }
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP wallet_ledger_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(out, "# TYPE wallet_ledger_http_requests_total counter");
        if let Ok(r) = self.requests.lock() {
            for ((method, route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "wallet_ledger_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP wallet_ledger_http_request_duration_microseconds Request durations."
        );
        let _ = writeln!(out, "# TYPE wallet_ledger_http_request_duration_microseconds histogram");
        if let Ok(d) = self.durations.lock() {
            for (route, s) in d.iter() {
                for (bound, n) in BUCKETS_MICROS.iter().zip(s.buckets) {
                    let _ = writeln!(
                        out,
                        "wallet_ledger_http_request_duration_microseconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "wallet_ledger_http_request_duration_microseconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    s.count
                );
                let _ = writeln!(
                    out,
                    "wallet_ledger_http_request_duration_microseconds_sum{{route=\"{route}\"}} {}",
                    s.sum_micros
                );
                let _ = writeln!(
                    out,
                    "wallet_ledger_http_request_duration_microseconds_count{{route=\"{route}\"}} {}",
                    s.count
                );
            }
        }
        if let Ok(sources) = self.sources.lock() {
            for source in sources.iter() {
                source(&mut out);
            }
        }
        out
    }
}

/// Middleware recording every request.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        metrics.observe(&method, &route, res.status().as_u16(), micros);
    }
    Ok(res)
}
