//! Sending through Telegram: the domain's [`TelegramGateway`] over `sendMessage`.

use async_trait::async_trait;
use chrono::DateTime;
use telegcrm_domain::GatewayError;
use telegcrm_domain::ports::{SentMessage, TelegramGateway};

use crate::api::{ApiError, TelegramApi};
use crate::map::user_of;

/// Sends texts as our bot, or on a business account's behalf.
#[derive(Clone, Debug)]
pub struct TelegramSender {
    api: TelegramApi,
}

impl TelegramSender {
    /// A sender over `api`.
    pub fn new(api: TelegramApi) -> Self {
        Self { api }
    }
}

#[async_trait]
impl TelegramGateway for TelegramSender {
    async fn send_text(&self, chat_id: i64, business_connection_id: Option<String>, text: &str) -> Result<SentMessage, GatewayError> {
        let m = self.api.send_message(chat_id, business_connection_id, text).await.map_err(gateway_error)?;
        Ok(SentMessage {
            telegram_message_id: m.message_id,
            sent_at: DateTime::from_timestamp(m.date, 0).unwrap_or_default(),
            text: m.text.unwrap_or_else(|| text.to_owned()),
            sender: m.from.as_ref().map(user_of),
        })
    }
}

/// Telegram's refusals keep its description; outages and rate limits are `Unavailable`.
pub fn gateway_error(e: ApiError) -> GatewayError {
    match e {
        ApiError::Refused { description, code, .. } if code != 429 && code < 500 => GatewayError::Refused { description },
        other => GatewayError::Unavailable(other.to_string()),
    }
}
