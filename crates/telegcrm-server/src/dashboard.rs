//! The dashboard's view of the server: API keys and JWTs checked exactly as the API checks them,
//! Telegram links and bot status from the Telegram side.

use std::sync::Arc;

use async_trait::async_trait;
use telegcrm_dashboard::{BotStatus, Host, TelegramLink};
use telegcrm_domain::AvatarId;

use crate::app::TelegramIntegration;
use crate::auth::Auth;

/// Implements the dashboard's [`Host`] port.
pub struct DashboardHost {
    /// The API's credentials check.
    pub auth: Auth,
    /// The Telegram side, when configured.
    pub telegram: Option<Arc<dyn TelegramIntegration>>,
    /// `polling`, `webhook` or `off`: the configured mode's name ([`crate::config::value_name`]).
    pub mode: String,
}

impl std::fmt::Debug for DashboardHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardHost").field("mode", &self.mode).finish_non_exhaustive()
    }
}

#[async_trait]
impl Host for DashboardHost {
    fn api_key_avatar(&self, key: &str) -> Option<AvatarId> {
        self.auth.api_key(key.as_bytes())
    }

    fn jwt_avatar(&self, token: &str) -> Option<AvatarId> {
        self.auth.jwt(token).ok()
    }

    async fn create_telegram_link(&self, avatar: AvatarId) -> Result<TelegramLink, String> {
        let telegram = self.telegram.as_ref().ok_or_else(|| "Telegram is not configured on this server".to_owned())?;
        let code = telegram.create_link(avatar).await.map_err(|e| e.to_string())?;
        Ok(TelegramLink { deep_link: code.deep_link, expires_at: Some(code.expires_at) })
    }

    async fn bot_status(&self) -> BotStatus {
        BotStatus { mode: self.mode.clone(), last_update_at: crate::metrics::global().last_update_at() }
    }
}
