//! # telegcrm-telegram
//!
//! Telegcrm's Telegram adapter. Updates are parsed one by one from raw JSON ([`update`]) into
//! lenient types ([`wire`]), mapped by pure functions ([`map`]) to the domain's inbound events,
//! and stored through [`TelegramIngest`], whether they came by long polling ([`Poller`]) or by
//! webhook ([`handle_webhook_body`]). [`TelegramSender`] sends, edits, deletes and reads in Telegram and
//! fetches its files, which [`DiskFileCache`] keeps; [`link`] reads the
//! `/start <code>` deep link by which an avatar proves it owns a Telegram account (the service
//! redeems it).
//!
//! Start polling: `Poller::new(TelegramApi::new(url, token), TelegramIngest::new(service, owner,
//! api.bot_id()), PollerConfig::default()).run(shutdown)`.

pub mod api;
pub mod content;
pub mod details;
pub mod files;
pub mod ingest;
pub mod link;
pub mod map;
pub mod ownership;
pub mod poller;
pub mod sender;
pub mod service;
pub mod update;
pub mod webhook;
pub mod wire;

pub use api::{ApiError, DEFAULT_API_URL, TelegramApi};
pub use files::DiskFileCache;
pub use ingest::{IngestOutcome, RetrySummary, TelegramIngest};
pub use link::start_code;
pub use map::MapContext;
pub use poller::{BatchObserver, BatchReport, OFFSET_KEY, PollLease, PollSummary, Poller, PollerConfig};
pub use sender::TelegramSender;
pub use update::{ALLOWED_UPDATES, Update, UpdateError, UpdateKind, parse_update, parse_update_bytes, parse_update_str};
pub use webhook::{WebhookError, handle_webhook_body, parse_webhook_body, register_webhook};
