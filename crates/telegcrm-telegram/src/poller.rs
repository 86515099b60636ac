//! Polling mode: `getUpdates` long polling with the offset kept in the store.
//!
//! The offset is written in the same commit as the batch it confirms, so it advances only when
//! the batch is durable: a crash replays the batch and idempotent ingest absorbs the replay.
//! When the store refuses an update, the service parks it with its raw JSON and the offset moves
//! past the batch (a poison update never stalls capture); when the store is unavailable, the
//! batch is fetched again after a back-off.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;

use crate::api::{ApiError, TelegramApi};
use crate::ingest::{IngestOutcome, TelegramIngest};
use crate::update::parse_raw_batch;

pub use telegcrm_domain::service::OFFSET_KEY;

/// Tuning of the poller.
#[derive(Clone, Debug)]
pub struct PollerConfig {
    /// How long Telegram holds a `getUpdates` call open when there is nothing new.
    pub long_poll: Duration,
    /// Updates per call (1..=100).
    pub limit: u32,
    /// First back-off after a failure.
    pub backoff_min: Duration,
    /// Longest back-off.
    pub backoff_max: Duration,
    /// How long to wait after a 409 (a webhook is set, or another poller runs).
    pub conflict_wait: Duration,
    /// The polling lease, when several instances may share the store: only its holder polls.
    pub lease: Option<PollLease>,
}

/// Who polls among instances that share a store.
#[derive(Clone, Debug)]
pub struct PollLease {
    /// This instance's name.
    pub holder: String,
    /// How long the lease lives unless renewed. The holder renews it before each `getUpdates`,
    /// whose long poll is cut to a third of this; a standby tries again every third of it, so it
    /// takes over within one `ttl` of the holder's death.
    pub ttl: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            long_poll: Duration::from_secs(50),
            limit: 100,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            conflict_wait: Duration::from_secs(30),
            lease: None,
        }
    }
}

/// What a poller did until it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Non-empty batches stored.
    pub batches: u64,
    /// What ingest did, summed.
    pub ingested: IngestOutcome,
    /// Updates of kinds the CRM does not handle, skipped.
    pub unsupported: u64,
    /// Updates that did not parse, skipped.
    pub invalid: u64,
    /// Stored batches in which the store refused some updates (parked or dropped).
    pub refused_batches: u64,
    /// Failed calls or ingests that were retried.
    pub retries: u64,
    /// The next offset when it stopped.
    pub offset: Option<i64>,
}

/// One stored batch, as an observer sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Updates of handled kinds in the batch.
    pub updates: u64,
    /// Updates skipped: kinds not handled, or bodies that do not parse.
    pub skipped: u64,
    /// What ingest did with them.
    pub outcome: IngestOutcome,
}

/// Told what each stored batch did (metrics, say).
pub type BatchObserver = Arc<dyn Fn(&BatchReport) + Send + Sync>;

/// Long-polls Telegram and ingests what arrives until told to stop.
pub struct Poller {
    api: TelegramApi,
    ingest: TelegramIngest,
    config: PollerConfig,
    observer: Option<BatchObserver>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").field("api", &self.api).field("config", &self.config).finish_non_exhaustive()
    }
}

/// Whether to go on after a wait.
enum Flow {
    Go,
    Stop,
}

impl Poller {
    /// A poller over `api` that stores through `ingest`.
    pub fn new(api: TelegramApi, ingest: TelegramIngest, config: PollerConfig) -> Self {
        Self { api, ingest, config, observer: None }
    }

    /// Calls `observer` with what each stored batch did.
    #[must_use]
    pub fn with_observer(mut self, observer: BatchObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Runs until `shutdown` turns `true` (or its sender is dropped). Calls `deleteWebhook` first,
    /// then resumes from the stored offset. Returns what it did; never fails: every error is
    /// logged and retried, except a token Telegram rejects (401/404), which stops it.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> PollSummary {
        let mut summary = PollSummary::default();
        let mut failures: u32 = 0;
        let mut webhook_deleted = false;
        let mut offset: Option<Option<i64>> = None;
        let mut standing_by = false;
        let long_poll = match &self.config.lease {
            Some(l) => self.config.long_poll.min(l.ttl / 3),
            None => self.config.long_poll,
        };
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Some(lease) = &self.config.lease {
                match self.ingest.service().hold_polling_lease(&lease.holder, lease.ttl).await {
                    Ok(true) if standing_by => {
                        tracing::info!(holder = %lease.holder, "took the polling lease; polling");
                        standing_by = false;
                        // The previous holder moved the offset on: read it again.
                        offset = None;
                    }
                    Ok(true) => {}
                    Ok(false) => {
                        if !standing_by {
                            tracing::info!(holder = %lease.holder, "another instance holds the polling lease; standing by");
                            standing_by = true;
                        }
                        offset = None;
                        tokio::select! {
                            _ = tokio::time::sleep(lease.ttl / 3) => continue,
                            _ = stopped(&mut shutdown) => break,
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot take the polling lease; retrying");
                        match self.back_off(&mut failures, &mut summary, &mut shutdown).await {
                            Flow::Go => continue,
                            Flow::Stop => break,
                        }
                    }
                }
            }
            if !webhook_deleted {
                match self.api.delete_webhook().await {
                    Ok(()) => webhook_deleted = true,
                    Err(e) => match self.after_api_error(&e, &mut failures, &mut summary, &mut shutdown).await {
                        Flow::Go => continue,
                        Flow::Stop => break,
                    },
                }
            }
            let current = match offset {
                Some(o) => o,
                None => match self.stored_offset().await {
                    Ok(o) => *offset.insert(o),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the Telegram polling offset; retrying");
                        match self.back_off(&mut failures, &mut summary, &mut shutdown).await {
                            Flow::Go => continue,
                            Flow::Stop => break,
                        }
                    }
                },
            };
            summary.offset = current;
            let answer = tokio::select! {
                a = self.api.get_updates(current, long_poll, self.config.limit) => a,
                _ = stopped(&mut shutdown) => break,
            };
            let values = match answer {
                Ok(values) => values,
                Err(e) => match self.after_api_error(&e, &mut failures, &mut summary, &mut shutdown).await {
                    Flow::Go => continue,
                    Flow::Stop => break,
                },
            };
            let batch = parse_raw_batch(values);
            let Some(next) = batch.next_offset() else {
                failures = 0;
                continue;
            };
            // Ingest is not raced against shutdown: a started commit finishes.
            match self.ingest.ingest(&batch.updates, vec![(OFFSET_KEY.to_owned(), next.to_string())]).await {
                Ok(outcome) => {
                    failures = 0;
                    offset = Some(Some(next));
                    summary.offset = Some(next);
                    summary.batches += 1;
                    summary.ingested.add(&outcome);
                    summary.unsupported += batch.unsupported;
                    summary.invalid += batch.invalid;
                    summary.refused_batches += u64::from(outcome.parked + outcome.dropped > 0);
                    if let Some(observe) = &self.observer {
                        observe(&BatchReport { updates: batch.updates.len() as u64, skipped: batch.unsupported + batch.invalid, outcome });
                    }
                    tracing::debug!(updates = batch.updates.len(), next_offset = next, parked = outcome.parked, "stored a Telegram batch");
                }
                Err(e) => {
                    tracing::error!(error = %e, "storing a Telegram batch failed; it will be fetched again");
                    if let Flow::Stop = self.back_off(&mut failures, &mut summary, &mut shutdown).await {
                        break;
                    }
                }
            }
        }
        if let Some(lease) = &self.config.lease
            && let Err(e) = self.ingest.service().release_polling_lease(&lease.holder).await
        {
            tracing::warn!(error = %e, "cannot release the polling lease; another instance takes over when it expires");
        }
        tracing::info!(offset = ?summary.offset, batches = summary.batches, "Telegram polling stopped");
        summary
    }

    async fn stored_offset(&self) -> Result<Option<i64>, telegcrm_domain::CrmError> {
        self.ingest.service().polling_offset().await
    }

    async fn after_api_error(
        &self,
        e: &ApiError,
        failures: &mut u32,
        summary: &mut PollSummary,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Flow {
        match e.code() {
            Some(429) => {
                summary.retries += 1;
                let wait = e.retry_after().unwrap_or(self.config.backoff_min);
                tracing::warn!(seconds = wait.as_secs(), "Telegram rate-limits polling; waiting as asked");
                sleep_or_stop(wait, shutdown).await
            }
            Some(409) => {
                summary.retries += 1;
                tracing::error!(
                    error = %e,
                    "Telegram refuses getUpdates: a webhook is set or another poller runs with this token. \
                     Stop the other instance, or set TELEGRAM_MODE=webhook; polling retries in {} s",
                    self.config.conflict_wait.as_secs()
                );
                sleep_or_stop(self.config.conflict_wait, shutdown).await
            }
            Some(401 | 404) => {
                tracing::error!(error = %e, "Telegram rejects the bot token (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL); polling stops");
                Flow::Stop
            }
            _ => {
                tracing::warn!(error = %e, "Telegram call failed; backing off");
                self.back_off(failures, summary, shutdown).await
            }
        }
    }

    async fn back_off(&self, failures: &mut u32, summary: &mut PollSummary, shutdown: &mut watch::Receiver<bool>) -> Flow {
        summary.retries += 1;
        let wait = backoff(*failures, self.config.backoff_min, self.config.backoff_max);
        *failures = failures.saturating_add(1);
        sleep_or_stop(wait, shutdown).await
    }
}

/// Exponential back-off with "equal jitter": between half and all of `min * 2^failures`, capped.
pub fn backoff(failures: u32, min: Duration, max: Duration) -> Duration {
    let full = min.saturating_mul(1u32 << failures.min(16)).min(max);
    let factor: f64 = rand::rng().random_range(0.5..=1.0);
    full.mul_f64(factor)
}

async fn sleep_or_stop(wait: Duration, shutdown: &mut watch::Receiver<bool>) -> Flow {
    tokio::select! {
        () = tokio::time::sleep(wait) => Flow::Go,
        _ = stopped(shutdown) => Flow::Stop,
    }
}

/// Resolves when the shutdown flag is set or its sender is gone.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // `wait_for` errs only when the sender is gone, which also means stop.
    let _ = shutdown.wait_for(|stop| *stop).await;
}
