//! Webhook mode: registering the webhook, and handling the body of one webhook call.

use telegcrm_domain::CrmError;
use thiserror::Error;

use crate::api::{ApiError, TelegramApi, allowed_updates};
use crate::ingest::{IngestOutcome, TelegramIngest};
use crate::update::{Update, UpdateError, parse_update_bytes};

/// What handling a webhook call failed with.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// The body is not a Telegram update (answer 400).
    #[error(transparent)]
    BadBody(UpdateError),
    /// Storing failed for a passing reason, the store being unavailable (answer 5xx, so Telegram
    /// retries). An update the store refuses is not an error: it is parked.
    #[error(transparent)]
    Ingest(#[from] CrmError),
}

/// Parses a webhook body. A kind the CRM does not handle, or a handled kind whose body does not
/// parse, is `Ok(None)` (answer 200 and skip, or Telegram retries it forever); bytes that are not
/// a JSON update are an error.
pub fn parse_webhook_body(bytes: &[u8]) -> Result<Option<Update>, UpdateError> {
    match parse_update_bytes(bytes) {
        Ok(update) => Ok(Some(update)),
        Err(e @ (UpdateError::Unsupported { .. } | UpdateError::Invalid { .. })) => {
            tracing::debug!(error = %e, "skipping a webhook update");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Handles one webhook body: parse, map and store. Returns once the update is durably stored, or
/// durably parked with its raw body when the store refuses it (`parked` = 1: answer 200, or
/// Telegram would redeliver it forever); `None` when it was skipped.
pub async fn handle_webhook_body(ingest: &TelegramIngest, bytes: &[u8]) -> Result<Option<IngestOutcome>, WebhookError> {
    match parse_webhook_body(bytes).map_err(WebhookError::BadBody)? {
        Some(update) => Ok(Some(ingest.ingest(std::slice::from_ref(&update), Vec::new()).await?)),
        None => Ok(None),
    }
}

/// Registers `url` as the bot's webhook with the secret Telegram will send in
/// `X-Telegram-Bot-Api-Secret-Token`, asking for every update kind the CRM handles.
pub async fn register_webhook(api: &TelegramApi, url: &str, secret: &str) -> Result<(), ApiError> {
    api.set_webhook(url, secret, &allowed_updates()).await?;
    tracing::info!(url, "registered the Telegram webhook");
    Ok(())
}
