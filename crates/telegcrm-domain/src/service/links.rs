//! Telegram account linking and the Telegram state the adapters keep, as service operations.
//!
//! An avatar proves it owns a Telegram account by having that account send `/start <code>` to the
//! bot, with a single-use code that expires after [`LINK_CODE_TTL`]. Linking the same Telegram
//! account to another avatar moves the link: the previous avatar loses it.
//!
//! State keys: `telegram_link:code:<code>` → the pending code; `telegram_link:user:<telegram id>`
//! → the linked avatar id; `telegram_link:avatar:<avatar id>` → the linked Telegram user (JSON);
//! `business_connection:<id>` → a Business connection (JSON); `telegram:offset` → the next
//! `getUpdates` offset.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{CrmService, corrupt};
use crate::error::CrmError;
use crate::event::{BusinessConnection, TelegramUser};
use crate::ids::AvatarId;

/// How long a link code stays valid.
pub const LINK_CODE_TTL: Duration = Duration::minutes(10);

/// The longest code Telegram can carry after `start=` (64 characters of `A-Za-z0-9_-`).
const MAX_CODE_LEN: usize = 64;

/// The state key of the polling offset (the next `getUpdates` offset), written with each batch.
pub const OFFSET_KEY: &str = "telegram:offset";

/// The lease an instance holds while it polls Telegram (`getUpdates` allows one poller).
pub const POLLING_LEASE: &str = "telegram-polling";

/// The state key of a pending link code.
pub fn code_key(code: &str) -> String {
    format!("telegram_link:code:{code}")
}

/// The state key that links a Telegram user to an avatar.
pub fn user_link_key(telegram_user_id: i64) -> String {
    format!("telegram_link:user:{telegram_user_id}")
}

/// The state key that records which Telegram user an avatar linked.
pub fn avatar_link_key(avatar: AvatarId) -> String {
    format!("telegram_link:avatar:{avatar}")
}

/// A fresh link code and the deep link that sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LinkCode {
    /// The single-use code.
    pub code: String,
    /// `https://t.me/<bot>?start=<code>`.
    pub deep_link: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PendingCode {
    avatar_id: AvatarId,
    expires_at: DateTime<Utc>,
}

impl CrmService {
    /// Creates a single-use code for `avatar`, valid for [`LINK_CODE_TTL`] from now, and the deep
    /// link to `bot_username` that sends it. The code is 32 random hexadecimal characters.
    pub async fn create_link_code(&self, avatar: AvatarId, bot_username: &str) -> Result<LinkCode, CrmError> {
        let code = uuid::Uuid::new_v4().simple().to_string();
        let expires_at = self.now() + LINK_CODE_TTL;
        let pending = serde_json::to_string(&PendingCode { avatar_id: avatar, expires_at }).map_err(|e| corrupt("link code", e))?;
        self.store.put_state(&code_key(&code), &pending).await?;
        let deep_link = format!("https://t.me/{}?start={code}", bot_username.trim_start_matches('@'));
        Ok(LinkCode { code, deep_link, expires_at })
    }

    /// Redeems `code` for the Telegram `user` who sent it: when the code exists and has not
    /// expired, links the user to the code's avatar and returns that avatar. The code is used up
    /// either way; a user linked to another avatar before moves to this one.
    pub async fn redeem_link_code(&self, code: &str, user: &TelegramUser) -> Result<Option<AvatarId>, CrmError> {
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Ok(None);
        }
        let Some(pending) = self.store.take_state(&code_key(code)).await? else {
            return Ok(None);
        };
        // A code that does not parse is treated as unknown (and is used up).
        let Ok(pending) = serde_json::from_str::<PendingCode>(&pending) else {
            return Ok(None);
        };
        if pending.expires_at <= self.now() {
            return Ok(None);
        }
        let avatar = pending.avatar_id;
        if let Some(previous) = self.linked_avatar(user.id).await?
            && previous != avatar
        {
            self.store.take_state(&avatar_link_key(previous)).await?;
        }
        let user_json = serde_json::to_string(user).map_err(|e| corrupt("telegram user", e))?;
        self.store.put_state(&user_link_key(user.id), &avatar.to_string()).await?;
        self.store.put_state(&avatar_link_key(avatar), &user_json).await?;
        Ok(Some(avatar))
    }

    /// The Telegram user an avatar has linked, if any.
    pub async fn linked_telegram_user(&self, avatar: AvatarId) -> Result<Option<TelegramUser>, CrmError> {
        Ok(self.store.get_state(&avatar_link_key(avatar)).await?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The avatar a Telegram user linked, if any (a stored link that does not parse counts as none).
    pub async fn linked_avatar(&self, telegram_user_id: i64) -> Result<Option<AvatarId>, CrmError> {
        Ok(self.store.get_state(&user_link_key(telegram_user_id)).await?.and_then(|v| v.parse().ok()))
    }

    /// A stored Business connection. One that does not parse is reported as `Err(Corrupt)`.
    pub async fn business_connection(&self, id: &str) -> Result<Option<BusinessConnection>, CrmError> {
        match self.store.get_state(&BusinessConnection::state_key(id)).await? {
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| corrupt("business connection", e)),
            None => Ok(None),
        }
    }

    /// The stored polling offset (the next `getUpdates` offset), if any.
    pub async fn polling_offset(&self) -> Result<Option<i64>, CrmError> {
        Ok(self.store.get_state(OFFSET_KEY).await?.and_then(|v| v.parse().ok()))
    }

    /// Takes or renews the polling lease as `holder` for `ttl`; `false` while another instance
    /// holds it (that instance must poll, this one stands by).
    pub async fn hold_polling_lease(&self, holder: &str, ttl: std::time::Duration) -> Result<bool, CrmError> {
        let ttl = Duration::from_std(ttl).map_err(|e| CrmError::invalid("ttl", e.to_string()))?;
        Ok(self.store.acquire_lease(POLLING_LEASE, holder, self.now(), ttl).await?)
    }

    /// Gives the polling lease up (when `holder` holds it), so a standby takes over at once.
    pub async fn release_polling_lease(&self, holder: &str) -> Result<(), CrmError> {
        Ok(self.store.release_lease(POLLING_LEASE, holder).await?)
    }

    /// Checks that the store answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), CrmError> {
        Ok(self.store.ping().await?)
    }
}
