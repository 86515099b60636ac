//! The CRM service: every operation the REST API and library users need, over the ports.
//!
//! Every operation takes the caller's [`AvatarId`]; another owner's record answers
//! [`CrmError::NotFound`], exactly like a record that does not exist.

mod activity;
mod canned;
mod check;
mod contacts;
mod conversations;
mod followups;
mod imports;
mod links;
mod notes;
mod outgoing;
mod parked;
mod reminders;
mod restore;
mod search;
mod team;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use self::canned::{CannedChange, FilledReply, canned_key};
pub use self::check::{CHECK_LISTS_PARKED, CheckReport, Difference};
pub use self::contacts::ContactUpdate;
pub use self::conversations::{ConversationUpdate, TOPIC_SCAN_PAGES};
pub use self::followups::{FollowUpUpdate, NewFollowUp};
pub use self::imports::{RECENT_IMPORT_JOBS, import_job_key};
pub use self::links::{LINK_CODE_TTL, LinkCode, OFFSET_KEY, POLLING_LEASE, avatar_link_key, code_key, user_link_key};
pub use self::outgoing::{
    FileToSend, MAX_BOT_DOWNLOAD_BYTES, MAX_BOT_UPLOAD_BYTES, MAX_CAPTION, MAX_PHOTO_BYTES, MAX_TELEGRAM_TEXT, MessageFile,
};
pub use self::parked::{MAX_PARKED, MAX_PARKED_PAGE, ReceivedUpdate, Replay, UpdatesReport};
pub use self::reminders::{REMINDER_CLAIM_TTL, ROUND_LIMIT, ReminderRound, reminder_text};
pub use self::restore::RestoreReport;
pub use self::search::{ConversationHit, HitRef, MessageHit};
pub use self::team::{MAX_MEMBERS, member_of_key, members_key};
use crate::error::CrmError;
use crate::event::{InboundEvent, IngestBatch, IngestReport};
use crate::ports::{AvatarDirectory, Clock, FileCache, Store, SystemClock, TelegramGateway};
use crate::priority::PriorityRules;

/// Tuning of the service.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Keywords that raise priority.
    pub priority_rules: PriorityRules,
    /// How many of the newest matching messages search ranks by relevance. Bounds the work of a
    /// query over a common word; older matches beyond it are not returned.
    pub search_candidates: usize,
    /// How many refused updates are kept parked; one refused beyond that is dropped and counted.
    pub max_parked: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self { priority_rules: PriorityRules::default(), search_candidates: 250, max_parked: parked::MAX_PARKED }
    }
}

/// The CRM: rules and operations over a store and optional OASIS and Telegram adapters.
#[derive(Clone)]
pub struct CrmService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    directory: Option<Arc<dyn AvatarDirectory>>,
    gateway: Option<Arc<dyn TelegramGateway>>,
    files: Option<Arc<dyn FileCache>>,
    settings: Settings,
}

impl std::fmt::Debug for CrmService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmService")
            .field("directory", &self.directory.is_some())
            .field("gateway", &self.gateway.is_some())
            .field("files", &self.files.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl CrmService {
    /// A service over `store` with the system clock, default settings, no OASIS and no Telegram.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, clock: Arc::new(SystemClock), directory: None, gateway: None, files: None, settings: Settings::default() }
    }

    /// Uses this clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Resolves avatars through this directory.
    #[must_use]
    pub fn with_directory(mut self, directory: Arc<dyn AvatarDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// Sends through this gateway.
    #[must_use]
    pub fn with_gateway(mut self, gateway: Arc<dyn TelegramGateway>) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// Keeps files fetched from Telegram in this cache.
    #[must_use]
    pub fn with_file_cache(mut self, files: Arc<dyn FileCache>) -> Self {
        self.files = Some(files);
        self
    }

    /// Uses these settings.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Applies inbound events by the capture rules, with state written in the same commit.
    /// Returns once the store holds them durably.
    pub async fn ingest(&self, events: Vec<InboundEvent>, state: Vec<(String, String)>) -> Result<IngestReport, CrmError> {
        let batch = IngestBatch::prepare(self.clock.now(), events, state, &self.settings.priority_rules);
        Ok(self.store.ingest(&batch).await?)
    }

    /// The owner's latest enabled Telegram Business connection, if any: an import keys the
    /// owner's personal chats with it, as live Business capture does, so both land in one
    /// conversation.
    pub async fn business_connection_of(&self, owner: crate::ids::AvatarId) -> Result<Option<String>, CrmError> {
        Ok(self.store.get_state(&crate::event::BusinessConnection::owner_state_key(owner)).await?)
    }
}

/// Checks a free-text field's length; returns it trimmed, `None` when empty.
pub(crate) fn text_field(field: &'static str, value: Option<String>, max_chars: usize) -> Result<Option<String>, CrmError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.chars().count() > max_chars => Err(CrmError::invalid(field, format!("at most {max_chars} characters"))),
        Some(v) if v.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// A stored value the service cannot read or write as JSON.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> CrmError {
    CrmError::Store(crate::error::StoreError::Corrupt(format!("{what}: {e}")))
}
