//! Deep-link ownership: an avatar proves it owns a Telegram account by having that account send
//! `/start <code>` to the bot, with a single-use code that expires in 10 minutes.
//!
//! State keys: `telegram_link:code:<code>` → the pending code; `telegram_link:user:<telegram id>`
//! → the linked avatar id; `telegram_link:avatar:<avatar id>` → the linked Telegram user (JSON).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use telegcrm_domain::event::TelegramUser;
use telegcrm_domain::ports::StateStore;
use telegcrm_domain::{AvatarId, StoreError};

/// How long a link code stays valid.
pub const LINK_CODE_TTL: Duration = Duration::minutes(10);

/// Length of a link code (Telegram allows up to 64 characters of `A-Za-z0-9_-` after `start=`).
const CODE_LEN: usize = 24;

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

/// Creates a single-use code for `avatar`, valid for [`LINK_CODE_TTL`] from `now`.
pub async fn create_link_code(
    store: &dyn StateStore,
    avatar: AvatarId,
    bot_username: &str,
    now: DateTime<Utc>,
) -> Result<LinkCode, StoreError> {
    let code: String = rand::rng().sample_iter(&Alphanumeric).take(CODE_LEN).map(char::from).collect();
    let expires_at = now + LINK_CODE_TTL;
    let pending = serde_json::to_string(&PendingCode { avatar_id: avatar, expires_at }).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put_state(&code_key(&code), &pending).await?;
    let deep_link = format!("https://t.me/{}?start={code}", bot_username.trim_start_matches('@'));
    Ok(LinkCode { code, deep_link, expires_at })
}

/// Redeems `code` for the Telegram `user` who sent it: when the code exists and has not expired,
/// links the user to the code's avatar and returns that avatar. The code is used up either way.
pub async fn redeem(store: &dyn StateStore, code: &str, user: &TelegramUser, now: DateTime<Utc>) -> Result<Option<AvatarId>, StoreError> {
    if code.is_empty() || code.len() > 64 {
        return Ok(None);
    }
    let Some(pending) = store.take_state(&code_key(code)).await? else {
        return Ok(None);
    };
    let Ok(pending) = serde_json::from_str::<PendingCode>(&pending) else {
        tracing::warn!("a stored link code does not parse; ignoring it");
        return Ok(None);
    };
    if pending.expires_at <= now {
        return Ok(None);
    }
    let avatar = pending.avatar_id;
    // A user who linked another avatar before moves to this one; the old avatar loses the link.
    if let Some(previous) = store.get_state(&user_link_key(user.id)).await?.and_then(|v| v.parse::<AvatarId>().ok())
        && previous != avatar
    {
        store.take_state(&avatar_link_key(previous)).await?;
    }
    let user_json = serde_json::to_string(user).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put_state(&user_link_key(user.id), &avatar.to_string()).await?;
    store.put_state(&avatar_link_key(avatar), &user_json).await?;
    tracing::info!(telegram_user_id = user.id, %avatar, "linked a Telegram account to an avatar");
    Ok(Some(avatar))
}

/// The Telegram user an avatar has linked, if any (for `GET /me`).
pub async fn linked_telegram_user(store: &dyn StateStore, avatar: AvatarId) -> Result<Option<TelegramUser>, StoreError> {
    Ok(store.get_state(&avatar_link_key(avatar)).await?.and_then(|json| serde_json::from_str(&json).ok()))
}

/// The code of a `/start <code>` (or `/start@bot <code>`) command, if the text is one.
pub fn start_code(text: &str) -> Option<&str> {
    let rest = text.trim().strip_prefix("/start")?;
    let rest = match rest.strip_prefix('@') {
        Some(with_bot) => with_bot.split_once(char::is_whitespace).map_or("", |(_, r)| r),
        None if rest.starts_with(char::is_whitespace) => rest,
        None => return None,
    };
    let code = rest.trim();
    (!code.is_empty() && !code.contains(char::is_whitespace)).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_code_reads_the_deep_link_payload() {
        assert_eq!(start_code("/start abc123"), Some("abc123"));
        assert_eq!(start_code("/start@telegcrm_bot abc123"), Some("abc123"));
        assert_eq!(start_code("/start"), None);
        assert_eq!(start_code("/started abc"), None);
        assert_eq!(start_code("hello /start abc"), None);
        assert_eq!(start_code("/start a b"), None);
    }
}
