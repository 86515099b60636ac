//! # telegcrm-dashboard
//!
//! The web interface served at `/`: server-rendered pages from compile-time-checked templates
//! (askama), htmx for partial updates, server-sent events for live updates. Every read and write
//! goes through [`CrmService`]; what only the server knows (API keys, JWT verification, the
//! Telegram bot) comes through the [`Host`] port, so dependencies point inward.
//! Routes, sessions, CSRF and the live-update design: docs/dashboard.md.

pub mod assets;
mod events;
pub mod form;
pub mod media;
mod pages;
pub mod session;
pub mod throttle;
mod web;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use telegcrm_domain::{AvatarId, CrmService};
use telegcrm_oasis::OasisClient;

use crate::session::{MemorySessions, SessionStore};
use crate::throttle::Throttle;

/// A Telegram deep link that links the avatar's Telegram account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelegramLink {
    /// `https://t.me/<bot>?start=<code>`.
    pub deep_link: String,
    /// When the code stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Whether the bot is connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotStatus {
    /// `polling`, `webhook` or `off`.
    pub mode: String,
    /// When the last update arrived, if known.
    pub last_update_at: Option<DateTime<Utc>>,
}

/// What the dashboard needs from the server it is mounted in.
#[async_trait]
pub trait Host: Send + Sync {
    /// The avatar an API key stands for (compared in constant time), as the API's `X-API-Key`.
    fn api_key_avatar(&self, key: &str) -> Option<AvatarId>;
    /// The avatar an OASIS JWT stands for, verified exactly as the API verifies `Bearer` tokens.
    fn jwt_avatar(&self, token: &str) -> Option<AvatarId>;
    /// A new single-use Telegram link for `avatar`; `Err` with a message fit to show.
    async fn create_telegram_link(&self, avatar: AvatarId) -> Result<TelegramLink, String>;
    /// The bot's state.
    async fn bot_status(&self) -> BotStatus;
}

/// Everything the dashboard's handlers share.
pub struct Dashboard {
    service: CrmService,
    host: Arc<dyn Host>,
    oasis: Option<Arc<OasisClient>>,
    sessions: Arc<dyn SessionStore>,
    throttle: Throttle,
    cookie_secure: bool,
    live_interval: std::time::Duration,
    import_limit: u64,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("oasis", &self.oasis.is_some())
            .field("cookie_secure", &self.cookie_secure)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard over `service`, with in-memory sessions.
    pub fn new(service: CrmService, host: Arc<dyn Host>) -> Self {
        Self {
            service,
            host,
            oasis: None,
            sessions: Arc::new(MemorySessions::default()),
            throttle: Throttle::default(),
            cookie_secure: false,
            live_interval: std::time::Duration::from_secs(1),
            import_limit: telegcrm_import::upload::DEFAULT_MAX_BYTES,
        }
    }

    /// Enables sign-in by OASIS username and password.
    #[must_use]
    pub fn with_oasis(mut self, oasis: Arc<OasisClient>) -> Self {
        self.oasis = Some(oasis);
        self
    }

    /// Marks the session cookie `Secure` (when the server is reached over https).
    #[must_use]
    pub fn with_secure_cookie(mut self, secure: bool) -> Self {
        self.cookie_secure = secure;
        self
    }

    /// Uses another session store.
    #[must_use]
    pub fn with_sessions(mut self, sessions: Arc<dyn SessionStore>) -> Self {
        self.sessions = sessions;
        self
    }

    /// The largest export the Settings page accepts, in bytes (default 2 GiB).
    #[must_use]
    pub fn with_import_limit(mut self, max_bytes: u64) -> Self {
        self.import_limit = max_bytes;
        self
    }

    /// How often live updates look for changes (default 1 s).
    #[must_use]
    pub fn with_live_interval(mut self, every: std::time::Duration) -> Self {
        self.live_interval = every;
        self
    }
}

/// Registers the dashboard's routes (needs `web::Data<Dashboard>` in the app data).
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    pages::configure(cfg);
}
