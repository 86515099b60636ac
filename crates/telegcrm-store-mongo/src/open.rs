//! Opening the store: the start-up steps (server check, schema version, indexes, schema marker),
//! each safe to run by any number of instances at once, retried with back-off while the failure is
//! one that waiting can cure.
//!
//! Why retry at all: instances of a deployment start together, and the first moment of a fresh
//! database is the one where they all create its collections and indexes. MongoDB answers a
//! concurrent creator with an error (`IndexKeySpecsConflict`, `NamespaceExists`, a duplicate key
//! on the schema marker); FerretDB 1.24 may instead drop the connection (see [`is_transient`]).
//! Either way the loser re-runs the steps: they re-read what exists and create only what is
//! missing, so the second attempt finds the winner's work and succeeds. The database server
//! starting later than Telegcrm (an orchestrator starting both) is waited out the same way.

use std::future::Future;
use std::time::{Duration, Instant};

use mongodb::error::{Error, ErrorKind, WriteFailure};
use telegcrm_domain::StoreError;

/// How long opening the store keeps retrying by default.
pub const DEFAULT_OPEN_TIMEOUT: Duration = Duration::from_secs(30);
/// The first pause between attempts; it doubles up to [`MAX_BACKOFF`], with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How to open the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// How long to keep retrying the start-up steps while the server is unreachable, drops the
    /// connection or reports a race with another instance. No new attempt starts after this.
    pub timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { timeout: DEFAULT_OPEN_TIMEOUT }
    }
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// A driver error while doing `context`: retried when [`is_transient`], else fatal.
    Driver {
        /// What was being done.
        context: String,
        /// The driver's error.
        error: Error,
    },
    /// Not worth retrying (an unknown schema version, a bad document).
    Fatal(StoreError),
}

impl AttemptError {
    /// A closure for `map_err` that names what was being done.
    pub(crate) fn ctx(context: impl Into<String>) -> impl FnOnce(Error) -> Self {
        move |error| Self::Driver { context: context.into(), error }
    }
}

/// MongoDB error codes that mean "another client is doing (or did) the same thing right now".
const RACE_CODES: [i32; 7] = [
    48,    // NamespaceExists: a concurrent createCollection won
    68,    // IndexAlreadyExists
    85,    // IndexOptionsConflict: the same index is being built under another request
    86,    // IndexKeySpecsConflict
    112,   // WriteConflict
    276,   // IndexBuildAborted
    11000, // DuplicateKey: a concurrent upsert of the schema marker won
];

/// MongoDB error codes for a server that is stepping down, starting or shutting down, as the
/// driver's retryable-reads list (error.rs `RETRYABLE_READ_CODES`) has them.
const TRANSIENT_CODES: [i32; 14] = [11600, 11602, 10107, 13435, 13436, 189, 91, 7, 6, 89, 9001, 134, 262, 12587];

/// Whether waiting may cure `e`: the connection was dropped or never made (FerretDB 1.24 closes
/// the connection when a command panics inside it — see [`crate::indexes::create_all`] — and the
/// driver reports `I/O error: unexpected end of file`), the server is not ready, or another
/// instance raced this one to the same schema change.
/// Whether `e` is another instance winning a race to the same schema change (expected on every
/// rolling start, so not worth a warning).
fn is_race(e: &Error) -> bool {
    match &*e.kind {
        ErrorKind::Command(c) => RACE_CODES.contains(&c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => RACE_CODES.contains(&w.code),
        _ => false,
    }
}

pub(crate) fn is_transient(e: &Error) -> bool {
    let retryable_label = ["RetryableWriteError", "RetryableError", "SystemOverloadedError", "TransientTransactionError"];
    if retryable_label.iter().any(|l| e.contains_label(l)) {
        return true;
    }
    let transient_code = |code: i32| RACE_CODES.contains(&code) || TRANSIENT_CODES.contains(&code);
    match &*e.kind {
        ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::InvalidResponse { .. }
        | ErrorKind::DnsResolve { .. } => true,
        ErrorKind::Command(c) => transient_code(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => transient_code(w.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => transient_code(w.code),
        _ => false,
    }
}

/// The pause before attempt `n + 1` (n ≥ 1): exponential, capped, with 50–100 % jitter so that
/// instances that failed together do not retry together.
fn backoff(n: u32) -> Duration {
    let base = FIRST_BACKOFF.saturating_mul(1u32 << n.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as u32; // 0..1000 ‰
    base / 2 + base / 2 * jitter / 1000
}

/// Runs `attempt` until it succeeds, fails for good, or `options.timeout` has passed.
pub(crate) async fn with_retry<T, F, Fut>(options: &OpenOptions, mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    let start = Instant::now();
    let mut n: u32 = 0;
    loop {
        n += 1;
        let (context, error) = match attempt().await {
            Ok(value) => return Ok(value),
            Err(AttemptError::Fatal(e)) => return Err(e),
            Err(AttemptError::Driver { context, error }) => (context, error),
        };
        let pause = backoff(n);
        if !is_transient(&error) {
            return Err(crate::error::store_error(&context, error));
        }
        if start.elapsed() + pause > options.timeout {
            return Err(StoreError::Unavailable(format!(
                "{context}: {error} (gave up after {n} attempts in {:.1} s; the limit is {} s)",
                start.elapsed().as_secs_f64(),
                options.timeout.as_secs()
            )));
        }
        if is_race(&error) {
            tracing::debug!(attempt = n, %error, context = %context, "another instance changed the schema at the same moment; checking again in {pause:?}");
        } else {
            tracing::warn!(attempt = n, %error, context = %context, "opening the Mongo store failed; retrying in {pause:?}");
        }
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for n in 1..40 {
            let b = backoff(n);
            assert!(b <= MAX_BACKOFF, "attempt {n}: {b:?}");
            assert!(b >= FIRST_BACKOFF / 2, "attempt {n}: {b:?}");
        }
        assert!(backoff(30) >= MAX_BACKOFF / 2);
    }

    #[test]
    fn races_and_dropped_connections_are_transient_bad_arguments_are_not() {
        let io = Error::from(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected end of file"));
        assert!(is_transient(&io));
        let bad = Error::custom("nope");
        assert!(!is_transient(&bad));
    }
}
