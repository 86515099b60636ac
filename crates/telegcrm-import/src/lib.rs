//! Telegram Desktop's "Export chat history" (JSON) into the CRM: `telegcrm import
//! telegram-export`. See docs/import.md.
//!
//! - [`reader`] repairs the exporter's invalid escapes and counts bytes;
//! - [`parse`] walks the document as a stream (one message in memory at a time);
//! - [`map`] turns chats and messages into the CRM's terms (Bot API ids, direction, text, media);
//! - [`import_telegram_export`] runs them on a blocking thread and stores batches of
//!   [`InboundEvent::History`] through [`CrmService::ingest`], where the domain's history rules
//!   apply (arrive read, no priority, no reopening, stored once);
//! - [`upload`] and [`job`]: an export uploaded over HTTP, imported by a background job whose
//!   state every instance can read.

pub mod job;
pub mod map;
pub mod parse;
pub mod reader;
pub mod upload;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono_tz::Tz;
use telegcrm_domain::event::{HistoricalMessage, InboundEvent};
use telegcrm_domain::{AvatarId, CrmError, CrmService};
use tokio::sync::mpsc;

use crate::map::{Chat, Dates, Skip};
use crate::parse::{Item, Me};

/// Events stored per ingest call: large enough to amortise a store transaction, small enough
/// that a killed import loses little and memory stays flat.
pub const BATCH: usize = 2_000;

/// What an import is told.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whose CRM the history goes into.
    pub owner: AvatarId,
    /// `--me`: the exporting account's Telegram user id (a single-chat export does not say it).
    pub me: Option<i64>,
    /// `--timezone`: the zone of dates written without one (exports before June 2022).
    pub timezone: Option<Tz>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Chats imported.
    pub chats: u64,
    /// Messages read from the export.
    pub messages_read: u64,
    /// Messages newly stored.
    pub stored: u64,
    /// Messages that were already stored (an earlier import, or live capture), left as they were.
    pub already_stored: u64,
    /// Different people the messages were exchanged with (contacts created or already known).
    pub contacts: u64,
    /// Chats and messages not imported, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Bytes of the export read.
    pub bytes: u64,
}

/// How far an import is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the export read so far.
    pub bytes_read: u64,
    /// The export's size.
    pub total_bytes: u64,
    /// Messages stored or found stored so far.
    pub messages: u64,
}

/// Why an import stopped. What was stored before stays stored; running the import again
/// continues where it stopped (messages already stored are skipped).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The export cannot be opened.
    #[error("cannot read {path}: {source}")]
    Open {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The export is not a Telegram Desktop JSON export, or a message needs an option.
    #[error("{path}: {message}")]
    Format {
        /// The file read.
        path: String,
        /// What is wrong, and where.
        message: String,
    },
    /// The store refused a batch.
    #[error("storing the history: {0}")]
    Store(#[from] CrmError),
}

/// `PATH` as given: a `result.json`, or the export's folder that holds one.
pub fn result_json(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("result.json") } else { path.to_owned() }
}

/// What the parsing thread hands over when it is done.
#[derive(Default)]
struct Totals {
    chats: u64,
    messages_read: u64,
    contacts: HashSet<i64>,
    skipped: BTreeMap<&'static str, u64>,
}

/// The parsing thread's state: the current chat, and the batch being filled.
struct Mapper {
    options: Options,
    me: Option<Me>,
    business_connection: Option<String>,
    chat: Option<Result<Chat, Skip>>,
    batch: Vec<InboundEvent>,
    out: mpsc::Sender<Vec<InboundEvent>>,
    totals: Totals,
}

impl Mapper {
    fn item(&mut self, item: Item) -> Result<(), String> {
        match item {
            Item::Me(found) => match self.options.me {
                Some(id) if id != found.user_id => {}
                _ => self.me = Some(found),
            },
            Item::Chat(header) => {
                let chat = map::chat(&header, self.options.owner, self.me.as_ref(), self.business_connection.as_deref());
                match &chat {
                    Ok(_) => self.totals.chats += 1,
                    Err(skip) => *self.totals.skipped.entry(skip.reason()).or_default() += 1,
                }
                self.chat = Some(chat);
            }
            Item::Message(v) => {
                self.totals.messages_read += 1;
                let Some(Ok(chat)) = &self.chat else { return Ok(()) };
                let dates = Dates { timezone: self.options.timezone };
                match map::message(&v, chat, self.me.as_ref(), dates).map_err(|e| e.to_string())? {
                    Ok(imported) => {
                        if let Some(user) = imported.message.contact_user() {
                            self.totals.contacts.insert(user.id);
                        }
                        self.batch
                            .push(InboundEvent::History(HistoricalMessage { message: imported.message, edited_at: imported.edited_at }));
                        if self.batch.len() >= BATCH {
                            self.send()?;
                        }
                    }
                    Err(skip) => *self.totals.skipped.entry(skip.reason()).or_default() += 1,
                }
            }
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        // The receiver is gone only when storing failed; that error is the one reported.
        self.out.blocking_send(batch).map_err(|_| "stopped: storing failed".to_owned())
    }
}

/// Imports the export at `path` (a `result.json` or its folder) into `service`'s store,
/// reporting progress after each stored batch.
pub async fn import_telegram_export(
    service: &CrmService,
    path: &Path,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Summary, ImportError> {
    let file_path = result_json(path);
    let shown = file_path.display().to_string();
    let file = File::open(&file_path).map_err(|source| ImportError::Open { path: shown.clone(), source })?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let me = options.me.map(|user_id| Me { user_id, ..Me::default() });
    let business_connection = service.business_connection_of(options.owner).await?;

    let bytes = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = mpsc::channel::<Vec<InboundEvent>>(2);
    let mut mapper = Mapper {
        options: options.clone(),
        me,
        business_connection,
        chat: None,
        batch: Vec::with_capacity(BATCH),
        out: tx,
        totals: Totals::default(),
    };
    let source = BufReader::with_capacity(256 * 1024, reader::ExportReader::new(file, bytes.clone()));
    let parsing = tokio::task::spawn_blocking(move || {
        let result = parse::read_export(source, &mut |item| mapper.item(item)).and_then(|()| mapper.send());
        (result, mapper.totals)
    });

    let mut summary = Summary::default();
    let mut store_error = None;
    while let Some(batch) = rx.recv().await {
        match service.ingest(batch, Vec::new()).await {
            Ok(report) => {
                summary.stored += report.messages_stored;
                summary.already_stored += report.duplicates;
            }
            Err(e) => {
                store_error = Some(e);
                break;
            }
        }
        progress(Progress { bytes_read: bytes.load(Ordering::Relaxed), total_bytes, messages: summary.stored + summary.already_stored });
    }
    drop(rx);
    let (parsed, totals) =
        parsing.await.map_err(|e| ImportError::Format { path: shown.clone(), message: format!("the parser stopped: {e}") })?;
    if let Some(e) = store_error {
        return Err(ImportError::Store(e));
    }
    parsed.map_err(|message| ImportError::Format { path: shown, message })?;
    summary.chats = totals.chats;
    summary.messages_read = totals.messages_read;
    summary.contacts = totals.contacts.len() as u64;
    summary.skipped = totals.skipped;
    summary.bytes = bytes.load(Ordering::Relaxed);
    Ok(summary)
}
