//! Prometheus metrics in text format: requests by route and status, a latency histogram,
//! ingested, skipped and parked updates and store errors. Small and dependency-free.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum: f64,
}

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    ingested_updates: AtomicU64,
    skipped_updates: AtomicU64,
    store_errors: AtomicU64,
    parked_updates: AtomicU64,
    dropped_updates: AtomicU64,
    /// When the last update was stored, microseconds since the epoch (0: none yet).
    last_update_micros: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The metrics of this process.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

impl Metrics {
    /// Counts a finished request.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_owned()).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.total += 1;
            h.sum += secs;
        }
    }

    /// Counts Telegram updates stored.
    pub fn ingested(&self, n: u64) {
        self.ingested_updates.fetch_add(n, Ordering::Relaxed);
        self.last_update_micros.store(chrono::Utc::now().timestamp_micros(), Ordering::Relaxed);
    }

    /// When this process last stored a Telegram update.
    pub fn last_update_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self.last_update_micros.load(Ordering::Relaxed) {
            0 => None,
            m => chrono::DateTime::from_timestamp_micros(m),
        }
    }

    /// Counts Telegram updates skipped (unknown kinds).
    pub fn skipped(&self, n: u64) {
        self.skipped_updates.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts Telegram updates the store refused: parked, and dropped (parked updates at their cap).
    pub fn refused(&self, parked: u64, dropped: u64) {
        self.parked_updates.fetch_add(parked, Ordering::Relaxed);
        self.dropped_updates.fetch_add(dropped, Ordering::Relaxed);
    }

    /// Counts a store failure.
    pub fn store_error(&self) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition; `store` adds what the store holds (when it answered).
    pub fn render(&self, store: Option<&StoreGauges>) -> String {
        let mut out = String::new();
        out.push_str("# HELP telegcrm_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE telegcrm_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((method, route, status), n) in r.iter() {
                let _ = writeln!(out, "telegcrm_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP telegcrm_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE telegcrm_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (bound, count) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(out, "telegcrm_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}");
                }
                let _ = writeln!(out, "telegcrm_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.total);
                let _ = writeln!(out, "telegcrm_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "telegcrm_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.total);
            }
        }
        for (name, help, v) in [
            ("telegcrm_ingested_updates_total", "Telegram updates stored.", &self.ingested_updates),
            ("telegcrm_skipped_updates_total", "Telegram updates skipped (kinds not handled).", &self.skipped_updates),
            ("telegcrm_store_errors_total", "Store operations that failed.", &self.store_errors),
            ("telegcrm_updates_parked_total", "Telegram updates the store refused and this process parked.", &self.parked_updates),
            (
                "telegcrm_updates_dropped_total",
                "Telegram updates the store refused and this process dropped (parked updates at their cap).",
                &self.dropped_updates,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Ordering::Relaxed));
        }
        if let Some(g) = store {
            let _ = writeln!(
                out,
                "# HELP telegcrm_parked_updates Telegram updates the store refused that are parked now (in the store, every instance).\n\
                 # TYPE telegcrm_parked_updates gauge\ntelegcrm_parked_updates {}",
                g.parked
            );
            let _ = writeln!(
                out,
                "# HELP telegcrm_parked_dropped_total Refused Telegram updates not parked because the cap was reached (in the store, since it was made).\n\
                 # TYPE telegcrm_parked_dropped_total counter\ntelegcrm_parked_dropped_total {}",
                g.dropped
            );
        }
        out
    }
}

/// What the store holds, read when `/metrics` is scraped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Updates parked now.
    pub parked: u64,
    /// Refused updates dropped at the cap, ever.
    pub dropped: u64,
}
