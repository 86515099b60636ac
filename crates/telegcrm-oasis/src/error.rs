//! What talking to OASIS can fail with.

use std::time::Duration;

use thiserror::Error;

/// An OASIS call failed.
#[derive(Debug, Error)]
pub enum OasisError {
    /// OASIS did not answer in time.
    #[error("OASIS did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// OASIS could not be reached.
    #[error("OASIS could not be reached: {0}")]
    Network(String),
    /// OASIS answered with an error (`isError: true`, or an error status).
    #[error("OASIS answered with an error (HTTP {status}): {message}")]
    Upstream {
        /// HTTP status.
        status: u16,
        /// OASIS's message.
        message: String,
    },
    /// OASIS refused the username and password.
    #[error("OASIS refused the credentials: {0}")]
    Rejected(String),
    /// The answer could not be read.
    #[error("OASIS answered something unreadable: {0}")]
    BadResponse(String),
    /// The base URL or a path built from it is not a valid URL.
    #[error("invalid OASIS URL: {0}")]
    InvalidUrl(String),
}

impl OasisError {
    pub(crate) fn from_reqwest(e: &reqwest::Error, timeout: Duration) -> Self {
        if e.is_timeout() { Self::Timeout(timeout) } else { Self::Network(e.to_string()) }
    }
}
