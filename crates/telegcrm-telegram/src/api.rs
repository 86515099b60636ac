//! The Bot API calls the CRM makes, through frankenstein's async client.
//!
//! Answers are decoded as JSON values and read with the crate's own lenient types, so a field or
//! update kind frankenstein does not know yet never fails a call. `getUpdates` answers are kept
//! as each update's JSON text, as sent.

use std::time::Duration;

use frankenstein::client_reqwest::Bot;
use frankenstein::input_file::{FileUpload, InputFile};
use frankenstein::methods::{
    DeleteBusinessMessagesParams, DeleteMessagesParams, DeleteWebhookParams, EditMessageTextParams, GetFileParams, GetUpdatesParams,
    ReadBusinessMessageParams, SendDocumentParams, SendMessageParams, SendPhotoParams, SetWebhookParams,
};
use frankenstein::response::MethodResponse;
use frankenstein::types::{AllowedUpdate, ReplyParameters};
use frankenstein::{AsyncTelegramApi, Error as BotError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use thiserror::Error;

use crate::wire;

/// The official Bot API server.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// How long a call other than a long poll may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long downloading one file may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// What a Bot API call failed with.
#[derive(Debug, Error)]
pub enum ApiError {
    /// Telegram answered `ok: false`.
    #[error("Telegram refused {method} ({code}): {description}")]
    Refused {
        /// The method called.
        method: &'static str,
        /// Telegram's `error_code` (an HTTP status).
        code: u64,
        /// Telegram's own words.
        description: String,
        /// Seconds to wait before retrying (429).
        retry_after: Option<u64>,
    },
    /// Telegram could not be reached, or did not answer in time.
    #[error("Telegram could not be reached for {method}: {reason}")]
    Network {
        /// The method called.
        method: &'static str,
        /// What happened.
        reason: String,
    },
    /// The answer was not a Bot API response (a proxy's error page, say).
    #[error("Telegram answered {method} with something that is not a Bot API response: {reason}")]
    BadResponse {
        /// The method called.
        method: &'static str,
        /// What was wrong, shortened.
        reason: String,
    },
}

impl ApiError {
    /// Whether retrying later may succeed: network trouble, 5xx, 429, odd answers.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Refused { code, .. } => *code == 429 || *code >= 500,
            Self::Network { .. } | Self::BadResponse { .. } => true,
        }
    }

    /// Telegram's error code, when it answered with one.
    pub fn code(&self) -> Option<u64> {
        match self {
            Self::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// How long Telegram asked us to wait (429).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Refused { retry_after: Some(s), .. } => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }

    fn from_bot(method: &'static str, e: BotError) -> Self {
        match e {
            BotError::Api(r) => Self::Refused {
                method,
                code: r.error_code,
                description: r.description,
                retry_after: r.parameters.and_then(|p| p.retry_after).map(u64::from),
            },
            BotError::HttpReqwest(e) => Self::Network { method, reason: e.to_string() },
            BotError::JsonDecode { source, input } => Self::BadResponse { method, reason: format!("{source}: {}", clip(&input)) },
            other => Self::BadResponse { method, reason: other.to_string() },
        }
    }
}

/// A Bot API client for one bot. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct TelegramApi {
    bot: Bot,
    bot_id: Option<i64>,
    /// `<api url>/file/bot<token>`: where `getFile` paths are downloaded from (holds the token).
    files_url: String,
    http: reqwest::Client,
}

/// A file Telegram holds, as `getFile` describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct FileInfo {
    /// The file id asked for.
    pub file_id: String,
    /// Its size, when known.
    #[serde(default)]
    pub file_size: Option<u64>,
    /// Where to download it from (valid for an hour); absent when Telegram cannot serve it.
    #[serde(default)]
    pub file_path: Option<String>,
}

/// Why a download failed.
#[derive(Debug, Error)]
pub enum DownloadError {
    /// The file is larger than the cap.
    #[error("the file is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// Telegram could not be reached, or answered with an error status.
    #[error("Telegram's file server: {0}")]
    Unavailable(String),
}

impl std::fmt::Debug for TelegramApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramApi").field("bot_id", &self.bot_id).finish_non_exhaustive()
    }
}

impl TelegramApi {
    /// A client for the bot with `token` on the Bot API server at `api_url` (no trailing `/bot`).
    pub fn new(api_url: &str, token: &str) -> Self {
        let base = api_url.trim_end_matches('/');
        let bot = Bot::new_url(format!("{base}/bot{token}"));
        let http = reqwest::Client::builder().timeout(DOWNLOAD_TIMEOUT).build().unwrap_or_default();
        Self { bot, bot_id: bot_id_from_token(token), files_url: format!("{base}/file/bot{token}"), http }
    }

    /// Our bot's user id, read from the token (`<id>:<secret>`).
    pub fn bot_id(&self) -> Option<i64> {
        self.bot_id
    }

    /// `getMe`: the bot itself.
    pub async fn get_me(&self) -> Result<wire::User, ApiError> {
        self.call("getMe", None::<()>, CALL_TIMEOUT).await
    }

    /// `getUpdates` long poll: each update's JSON text as Telegram sent it, to be parsed one by one.
    pub async fn get_updates(&self, offset: Option<i64>, timeout: Duration, limit: u32) -> Result<Vec<Box<RawValue>>, ApiError> {
        let params = GetUpdatesParams::builder()
            .maybe_offset(offset)
            .timeout(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
            .limit(limit)
            .allowed_updates(allowed_updates())
            .build();
        // Telegram holds the call up to `timeout`; past that plus slack, the connection is dead.
        let timeout = timeout + Duration::from_secs(15);
        let request = self.bot.request::<_, MethodResponse<Vec<Box<RawValue>>>>("getUpdates", Some(params));
        let answer = tokio::time::timeout(timeout, request)
            .await
            .map_err(|_| ApiError::Network { method: "getUpdates", reason: format!("no answer within {} s", timeout.as_secs()) })?
            .map_err(|e| ApiError::from_bot("getUpdates", e))?;
        Ok(answer.result)
    }

    /// `deleteWebhook`, keeping pending updates (polling picks them up).
    pub async fn delete_webhook(&self) -> Result<(), ApiError> {
        let _: Value =
            self.call("deleteWebhook", Some(DeleteWebhookParams::builder().drop_pending_updates(false).build()), CALL_TIMEOUT).await?;
        Ok(())
    }

    /// `setWebhook` with the secret Telegram will send in `X-Telegram-Bot-Api-Secret-Token`.
    pub async fn set_webhook(&self, url: &str, secret: &str, allowed: &[AllowedUpdate]) -> Result<(), ApiError> {
        let params = SetWebhookParams::builder().url(url).secret_token(secret).allowed_updates(allowed.to_vec()).build();
        let _: Value = self.call("setWebhook", Some(params), CALL_TIMEOUT).await?;
        Ok(())
    }

    /// `sendMessage`, through the business connection when one is given, answering `reply_to`
    /// when given (`reply_parameters`).
    pub async fn send_message(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        text: &str,
        reply_to: Option<i64>,
    ) -> Result<wire::Message, ApiError> {
        let reply = reply_to.and_then(|id| i32::try_from(id).ok()).map(|id| ReplyParameters::builder().message_id(id).build());
        let params = SendMessageParams::builder()
            .chat_id(chat_id)
            .text(text)
            .maybe_business_connection_id(business_connection_id)
            .maybe_reply_parameters(reply)
            .build();
        self.call("sendMessage", Some(params), CALL_TIMEOUT).await
    }

    /// `sendPhoto` or `sendDocument` of the file at `path` (multipart/form-data; Telegram shows
    /// the path's file name), through the business connection when one is given.
    pub async fn send_file(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        path: &std::path::Path,
        as_photo: bool,
        caption: Option<String>,
        reply_to: Option<i64>,
    ) -> Result<wire::Message, ApiError> {
        let reply = reply_to.and_then(|id| i32::try_from(id).ok()).map(|id| ReplyParameters::builder().message_id(id).build());
        let upload = FileUpload::InputFile(InputFile { path: path.to_owned() });
        let (method, field) = if as_photo { ("sendPhoto", "photo") } else { ("sendDocument", "document") };
        let request = if as_photo {
            let params = SendPhotoParams::builder()
                .chat_id(chat_id)
                .photo(upload)
                .maybe_caption(caption)
                .maybe_business_connection_id(business_connection_id)
                .maybe_reply_parameters(reply)
                .build();
            self.bot.request_with_form_data::<_, MethodResponse<Value>>(method, params, vec![(field, path.to_owned())]).await
        } else {
            let params = SendDocumentParams::builder()
                .chat_id(chat_id)
                .document(upload)
                .maybe_caption(caption)
                .maybe_business_connection_id(business_connection_id)
                .maybe_reply_parameters(reply)
                .build();
            self.bot.request_with_form_data::<_, MethodResponse<Value>>(method, params, vec![(field, path.to_owned())]).await
        };
        let answer = request.map_err(|e| ApiError::from_bot(method, e))?;
        serde_json::from_value(answer.result).map_err(|e| ApiError::BadResponse { method, reason: e.to_string() })
    }

    /// `editMessageText` of a message in a chat, on the business account's behalf when a
    /// connection is given.
    pub async fn edit_message_text(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        message_id: i64,
        text: &str,
    ) -> Result<wire::Message, ApiError> {
        let params = EditMessageTextParams::builder()
            .chat_id(chat_id)
            .message_id(message_id_of(message_id, "editMessageText")?)
            .text(text)
            .maybe_business_connection_id(business_connection_id)
            .build();
        self.call("editMessageText", Some(params), CALL_TIMEOUT).await
    }

    /// `deleteMessages`: messages of a chat the bot may delete.
    pub async fn delete_messages(&self, chat_id: i64, message_ids: &[i64]) -> Result<(), ApiError> {
        let ids = message_ids.iter().map(|id| message_id_of(*id, "deleteMessages")).collect::<Result<Vec<i32>, _>>()?;
        let _: Value = self
            .call("deleteMessages", Some(DeleteMessagesParams::builder().chat_id(chat_id).message_ids(ids).build()), CALL_TIMEOUT)
            .await?;
        Ok(())
    }

    /// `deleteBusinessMessages`: messages of a business account's chats, on its behalf.
    pub async fn delete_business_messages(&self, business_connection_id: &str, message_ids: &[i64]) -> Result<(), ApiError> {
        let ids = message_ids.iter().map(|id| message_id_of(*id, "deleteBusinessMessages")).collect::<Result<Vec<i32>, _>>()?;
        let params = DeleteBusinessMessagesParams::builder().business_connection_id(business_connection_id).message_ids(ids).build();
        let _: Value = self.call("deleteBusinessMessages", Some(params), CALL_TIMEOUT).await?;
        Ok(())
    }

    /// `readBusinessMessage`: marks an incoming message read on the business account's behalf.
    pub async fn read_business_message(&self, business_connection_id: &str, chat_id: i64, message_id: i64) -> Result<(), ApiError> {
        let params = ReadBusinessMessageParams::builder()
            .business_connection_id(business_connection_id)
            .chat_id(chat_id)
            .message_id(message_id_of(message_id, "readBusinessMessage")?)
            .build();
        let _: Value = self.call("readBusinessMessage", Some(params), CALL_TIMEOUT).await?;
        Ok(())
    }

    /// `getFile`: where a file can be downloaded from.
    pub async fn get_file(&self, file_id: &str) -> Result<FileInfo, ApiError> {
        self.call("getFile", Some(GetFileParams::builder().file_id(file_id).build()), CALL_TIMEOUT).await
    }

    /// Downloads a file by the path `getFile` gave, refusing more than `max` bytes (counted as
    /// it arrives, whatever the server announced).
    pub async fn download(&self, file_path: &str, max: u64) -> Result<Vec<u8>, DownloadError> {
        let url = format!("{}/{}", self.files_url, file_path.trim_start_matches('/'));
        let mut res = self.http.get(&url).send().await.map_err(|e| DownloadError::Unavailable(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(DownloadError::Unavailable(format!("answered {}", res.status())));
        }
        if res.content_length().is_some_and(|n| n > max) {
            return Err(DownloadError::TooLarge { max });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| DownloadError::Unavailable(e.without_url().to_string()))? {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(DownloadError::TooLarge { max });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    async fn call<P, T>(&self, method: &'static str, params: Option<P>, timeout: Duration) -> Result<T, ApiError>
    where
        P: Serialize + std::fmt::Debug + Send,
        T: DeserializeOwned,
    {
        let request = self.bot.request::<P, MethodResponse<Value>>(method, params);
        let answer = tokio::time::timeout(timeout, request)
            .await
            .map_err(|_| ApiError::Network { method, reason: format!("no answer within {} s", timeout.as_secs()) })?
            .map_err(|e| ApiError::from_bot(method, e))?;
        serde_json::from_value(answer.result).map_err(|e| ApiError::BadResponse { method, reason: e.to_string() })
    }
}

/// The update kinds the CRM handles ([`crate::ALLOWED_UPDATES`], the one list), as frankenstein
/// names them: each name is read through frankenstein's own serde names, so the two cannot drift.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    crate::ALLOWED_UPDATES.iter().filter_map(|k| serde_json::from_value(serde_json::Value::from(*k)).ok()).collect()
}

/// A Telegram message id as the Bot API types it (32 bits); a larger one cannot name a message.
fn message_id_of(id: i64, method: &'static str) -> Result<i32, ApiError> {
    i32::try_from(id).map_err(|_| ApiError::Refused {
        method,
        code: 400,
        description: format!("Bad Request: message id {id} is out of range"),
        retry_after: None,
    })
}

/// The bot's user id: the part of the token before `:`.
pub fn bot_id_from_token(token: &str) -> Option<i64> {
    token.split_once(':').and_then(|(id, _)| id.parse().ok())
}

fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX { s.to_owned() } else { s.chars().take(MAX).chain(std::iter::once('…')).collect() }
}
