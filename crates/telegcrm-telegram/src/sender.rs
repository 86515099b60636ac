//! Acting in Telegram: the domain's [`TelegramGateway`] over `sendMessage`, `editMessageText`,
//! `deleteMessages` / `deleteBusinessMessages`, `readBusinessMessage` and `getFile` with its
//! download.

use async_trait::async_trait;
use chrono::DateTime;
use telegcrm_domain::GatewayError;
use telegcrm_domain::ports::{OutgoingFile, OutgoingText, SentMessage, TelegramGateway};

use crate::api::{ApiError, DownloadError, TelegramApi};
use crate::content::content_of;
use crate::map::user_of;
use crate::wire;

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

/// What Telegram answered about a message it sent or edited; `text` when it does not say.
fn sent(m: wire::Message, text: &str) -> SentMessage {
    let content = content_of(&m);
    SentMessage {
        telegram_message_id: m.message_id,
        sent_at: DateTime::from_timestamp(m.edit_date.unwrap_or(m.date), 0).unwrap_or_default(),
        text: m.text.clone().or_else(|| m.caption.clone()).unwrap_or_else(|| text.to_owned()),
        sender: m.from.as_ref().map(user_of),
        message_type: content.message_type,
        media: content.media,
    }
}

#[async_trait]
impl TelegramGateway for TelegramSender {
    async fn send_text(&self, out: OutgoingText) -> Result<SentMessage, GatewayError> {
        let m = self
            .api
            .send_message(out.chat_id, out.business_connection_id, &out.text, out.reply_to_message_id)
            .await
            .map_err(gateway_error)?;
        Ok(sent(m, &out.text))
    }

    async fn send_file(&self, f: OutgoingFile) -> Result<SentMessage, GatewayError> {
        let m = self
            .api
            .send_file(f.chat_id, f.business_connection_id, &f.path, f.as_photo, f.caption.clone(), f.reply_to_message_id)
            .await
            .map_err(gateway_error)?;
        Ok(sent(m, f.caption.as_deref().unwrap_or("")))
    }

    async fn edit_text(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        message_id: i64,
        text: String,
    ) -> Result<SentMessage, GatewayError> {
        let m = self.api.edit_message_text(chat_id, business_connection_id, message_id, &text).await.map_err(gateway_error)?;
        Ok(sent(m, &text))
    }

    async fn delete_messages(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        message_ids: Vec<i64>,
    ) -> Result<(), GatewayError> {
        match business_connection_id {
            Some(c) => self.api.delete_business_messages(&c, &message_ids).await,
            None => self.api.delete_messages(chat_id, &message_ids).await,
        }
        .map_err(gateway_error)
    }

    async fn read_business_message(&self, business_connection_id: String, chat_id: i64, message_id: i64) -> Result<(), GatewayError> {
        self.api.read_business_message(&business_connection_id, chat_id, message_id).await.map_err(gateway_error)
    }

    async fn fetch_file(&self, file_id: String, max_bytes: u64) -> Result<Vec<u8>, GatewayError> {
        let info = self.api.get_file(&file_id).await.map_err(|e| match e {
            // Telegram's words for a file past what bots may download.
            ApiError::Refused { ref description, .. } if description.contains("file is too big") => {
                GatewayError::FileTooLarge { max_bytes }
            }
            other => gateway_error(other),
        })?;
        if info.file_size.is_some_and(|n| n > max_bytes) {
            return Err(GatewayError::FileTooLarge { max_bytes });
        }
        let path = info
            .file_path
            .ok_or_else(|| GatewayError::Refused { description: "Telegram gave no path to download the file from".into() })?;
        self.api.download(&path, max_bytes).await.map_err(|e| match e {
            DownloadError::TooLarge { .. } => GatewayError::FileTooLarge { max_bytes },
            DownloadError::Unavailable(why) => GatewayError::Unavailable(why),
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
