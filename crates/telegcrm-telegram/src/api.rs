//! The Bot API calls the CRM makes, through frankenstein's async client.
//!
//! Answers are decoded as JSON values and read with the crate's own lenient types, so a field or
//! update kind frankenstein does not know yet never fails a call. `getUpdates` answers are kept
//! as each update's JSON text, as sent.

use std::time::Duration;

use frankenstein::client_reqwest::Bot;
use frankenstein::methods::{DeleteWebhookParams, GetUpdatesParams, SendMessageParams, SetWebhookParams};
use frankenstein::response::MethodResponse;
use frankenstein::types::AllowedUpdate;
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
}

impl std::fmt::Debug for TelegramApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramApi").field("bot_id", &self.bot_id).finish_non_exhaustive()
    }
}

impl TelegramApi {
    /// A client for the bot with `token` on the Bot API server at `api_url` (no trailing `/bot`).
    pub fn new(api_url: &str, token: &str) -> Self {
        let bot = Bot::new_url(format!("{}/bot{token}", api_url.trim_end_matches('/')));
        Self { bot, bot_id: bot_id_from_token(token) }
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

    /// `sendMessage`, through the business connection when one is given.
    pub async fn send_message(&self, chat_id: i64, business_connection_id: Option<String>, text: &str) -> Result<wire::Message, ApiError> {
        let params = SendMessageParams::builder().chat_id(chat_id).text(text).maybe_business_connection_id(business_connection_id).build();
        self.call("sendMessage", Some(params), CALL_TIMEOUT).await
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

/// The bot's user id: the part of the token before `:`.
pub fn bot_id_from_token(token: &str) -> Option<i64> {
    token.split_once(':').and_then(|(id, _)| id.parse().ok())
}

fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX { s.to_owned() } else { s.chars().take(MAX).chain(std::iter::once('…')).collect() }
}
