//! Metrics through the `metrics` facade, exported in Prometheus text format by
//! `metrics-exporter-prometheus`: requests by method, route and status, a latency histogram by
//! route, Telegram updates stored and skipped, store errors.
//!
//! The server records with the facade's macros; [`global`] installs the Prometheus recorder once
//! per process (a host program that installed its own recorder gets the figures in its own) and
//! keeps its handle for `GET /metrics`. Label values are bounded where they are made (methods
//! outside the standard set are `other`, routes are patterns).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use metrics::{counter, describe_counter, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

const REQUESTS: &str = "telegcrm_http_requests_total";
const LATENCY: &str = "telegcrm_http_request_duration_seconds";
const INGESTED: &str = "telegcrm_ingested_updates_total";
const SKIPPED: &str = "telegcrm_skipped_updates_total";
const STORE_ERRORS: &str = "telegcrm_store_errors_total";
const PARKED: &str = "telegcrm_updates_parked_total";
const DROPPED: &str = "telegcrm_updates_dropped_total";

/// How often samples not yet scraped are folded into the histogram, so memory stays bounded
/// when nobody scrapes `/metrics`.
const UPKEEP: Duration = Duration::from_secs(5);

/// The process's metrics: the exporter's handle and the time of the last stored update.
pub struct Metrics {
    handle: Option<PrometheusHandle>,
    /// When the last update was stored, microseconds since the epoch (0: none yet).
    last_update_micros: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The metrics of this process; the first call installs the Prometheus recorder.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(install)
}

fn install() -> Metrics {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &BUCKETS)
        .and_then(PrometheusBuilder::install_recorder);
    let handle = match handle {
        Ok(handle) => {
            let upkeep = handle.clone();
            let started = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                }
            });
            if let Err(e) = started {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms fold at each scrape");
            }
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "another metrics recorder is installed; telegcrm's metrics go to it and GET /metrics is empty");
            None
        }
    };
    describe_counter!(REQUESTS, "HTTP requests by method, route and status.");
    describe_histogram!(LATENCY, metrics::Unit::Seconds, "HTTP request latency by route.");
    describe_counter!(INGESTED, "Telegram updates stored.");
    describe_counter!(SKIPPED, "Telegram updates skipped (kinds not handled).");
    describe_counter!(STORE_ERRORS, "Store operations that failed.");
    describe_counter!(PARKED, "Telegram updates the store refused and this process parked.");
    describe_counter!(DROPPED, "Telegram updates the store refused and this process dropped (parked updates at their cap).");
    // Counters appear from the start, at zero, so a dashboard can tell "none" from "not exported".
    for name in [INGESTED, SKIPPED, STORE_ERRORS, PARKED, DROPPED] {
        counter!(name).increment(0);
    }
    Metrics { handle, last_update_micros: AtomicI64::new(0) }
}

impl Metrics {
    /// Counts a finished request. `method` and `route` must come from bounded sets.
    pub fn request(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        counter!(REQUESTS, "method" => method, "route" => route.to_owned(), "status" => status.to_string()).increment(1);
        histogram!(LATENCY, "route" => route.to_owned()).record(elapsed.as_secs_f64());
    }

    /// Counts Telegram updates stored.
    pub fn ingested(&self, n: u64) {
        counter!(INGESTED).increment(n);
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
        counter!(SKIPPED).increment(n);
    }

    /// Counts Telegram updates the store refused: parked, and dropped (parked updates at their cap).
    pub fn refused(&self, parked: u64, dropped: u64) {
        counter!(PARKED).increment(parked);
        counter!(DROPPED).increment(dropped);
    }

    /// Counts a store failure.
    pub fn store_error(&self) {
        counter!(STORE_ERRORS).increment(1);
    }

    /// The Prometheus text exposition; `store` adds what the store holds (when it answered),
    /// read at each scrape because every instance shares it.
    pub fn render(&self, store: Option<&StoreGauges>) -> String {
        use std::fmt::Write;
        let mut out = self.handle.as_ref().map(PrometheusHandle::render).unwrap_or_default();
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
