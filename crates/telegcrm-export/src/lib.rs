//! The owner's data out, and back in: `telegcrm export`, `GET /export`, `telegcrm import
//! telegcrm-export` (docs/export.md).
//!
//! - [`walk`] reads every record of an owner through the service, page by page, in one fixed
//!   order (contacts; each conversation followed by its messages; follow-ups);
//! - [`ndjson`], [`holons`] and [`csv`] write them in a [`Format`];
//! - [`restore`] reads an NDJSON or holons export back and puts the records into a store through
//!   [`CrmService::restore`], where the rule of what is stored lives.
//!
//! Export → restore into an empty store → export gives the same bytes.

pub mod csv;
pub mod holons;
pub mod ndjson;
pub mod restore;
pub mod walk;

use std::fmt;

use async_trait::async_trait;
use telegcrm_domain::{AvatarId, CrmError, CrmService, Record};

pub use crate::restore::{RestoreError, RestoreOptions, RestoreProgress, RestoreSummary, restore};

/// The version of the NDJSON and holons formats this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes gathered before a chunk is handed to the [`Sink`].
const CHUNK: usize = 64 * 1024;

/// A spreadsheet of the `csv` format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per contact.
    Contacts,
    /// One row per conversation.
    Conversations,
}

impl Table {
    /// Its name in `--table` and `table=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Conversations => "conversations",
        }
    }
}

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line: a header, then one line per record. Restorable.
    Ndjson,
    /// A JSON array of OASIS holons, each carrying its record in `metaData`. Restorable.
    Holons,
    /// A spreadsheet of contacts or of conversations. Not restorable.
    Csv(Table),
}

/// A format or table name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not a format.
    #[error("format: {0:?} is not a format (expected ndjson, holons or csv)")]
    Format(String),
    /// Not a table.
    #[error("table: {0:?} is not a table (expected contacts or conversations)")]
    Table(String),
    /// CSV without a table.
    #[error("table: the csv format needs a table (contacts or conversations)")]
    TableMissing,
    /// A table without CSV.
    #[error("table: only the csv format has tables")]
    TableNotCsv,
}

impl Format {
    /// The format named `format` (and `table`, for csv), as `--format`/`--table` and
    /// `format=`/`table=` give them; names are case-insensitive.
    pub fn parse(format: &str, table: Option<&str>) -> Result<Self, FormatError> {
        let table = table.map(str::trim).filter(|t| !t.is_empty());
        match format.trim().to_ascii_lowercase().as_str() {
            "ndjson" | "holons" if table.is_some() => Err(FormatError::TableNotCsv),
            "ndjson" => Ok(Self::Ndjson),
            "holons" => Ok(Self::Holons),
            "csv" => match table.map(str::to_ascii_lowercase).as_deref() {
                Some("contacts") => Ok(Self::Csv(Table::Contacts)),
                Some("conversations") => Ok(Self::Csv(Table::Conversations)),
                Some(_) => Err(FormatError::Table(table.unwrap_or_default().to_owned())),
                None => Err(FormatError::TableMissing),
            },
            _ => Err(FormatError::Format(format.to_owned())),
        }
    }

    /// The media type of the bytes written.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Holons => "application/json",
            Self::Csv(_) => "text/csv; charset=utf-8",
        }
    }

    /// A file name for a download.
    pub fn file_name(self) -> String {
        match self {
            Self::Ndjson => "telegcrm-export.ndjson".to_owned(),
            Self::Holons => "telegcrm-holons.json".to_owned(),
            Self::Csv(t) => format!("telegcrm-{}.csv", t.as_str()),
        }
    }

    /// The headers of a download of this export: type, `attachment` with the file name, and no
    /// caching (it is private data).
    pub fn download_headers(self) -> [(&'static str, String); 3] {
        [
            ("Content-Type", self.content_type().to_owned()),
            ("Content-Disposition", format!("attachment; filename=\"{}\"", self.file_name())),
            ("Cache-Control", "no-store".to_owned()),
        ]
    }

    /// Which records the format writes.
    fn kinds(self) -> walk::Kinds {
        match self {
            Self::Ndjson | Self::Holons => walk::Kinds::ALL,
            Self::Csv(Table::Contacts) => walk::Kinds { contacts: true, ..walk::Kinds::NONE },
            Self::Csv(Table::Conversations) => walk::Kinds { conversations: true, ..walk::Kinds::NONE },
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ndjson => f.write_str("ndjson"),
            Self::Holons => f.write_str("holons"),
            Self::Csv(t) => write!(f, "csv ({})", t.as_str()),
        }
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error("reading the store: {0}")]
    Store(#[from] CrmError),
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
    /// The reader went away (a download cancelled).
    #[error("the reader went away")]
    Closed,
    /// A record could not be encoded.
    #[error("encoding a {kind}: {message}")]
    Encode {
        /// The record's kind.
        kind: &'static str,
        /// Why.
        message: String,
    },
}

/// Where an export's bytes go, chunk by chunk.
#[async_trait]
pub trait Sink: Send {
    /// Takes the next chunk.
    async fn write(&mut self, chunk: Vec<u8>) -> Result<(), ExportError>;
}

#[async_trait]
impl Sink for tokio::sync::mpsc::Sender<Vec<u8>> {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<(), ExportError> {
        self.send(chunk).await.map_err(|_| ExportError::Closed)
    }
}

/// A [`Sink`] over a blocking writer (a file, stdout), for commands.
#[derive(Debug)]
pub struct WriteSink<W>(pub W);

#[async_trait]
impl<W: std::io::Write + Send> Sink for WriteSink<W> {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<(), ExportError> {
        Ok(self.0.write_all(&chunk)?)
    }
}

/// Records counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Contacts.
    pub contacts: u64,
    /// Conversations.
    pub conversations: u64,
    /// Messages.
    pub messages: u64,
    /// Follow-ups.
    pub followups: u64,
}

impl Counts {
    /// Counts one record.
    pub fn count(&mut self, r: &Record) {
        match r {
            Record::Contact(_) => self.contacts += 1,
            Record::Conversation(_) => self.conversations += 1,
            Record::Message(_) => self.messages += 1,
            Record::FollowUp(_) => self.followups += 1,
        }
    }

    /// Every record counted.
    pub const fn total(&self) -> u64 {
        self.contacts + self.conversations + self.messages + self.followups
    }
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written, by kind.
    pub records: Counts,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes records in one format into a buffer.
pub(crate) trait Encoder: Send {
    /// What comes before the first record.
    fn begin(&mut self, out: &mut Vec<u8>, owner: AvatarId) -> Result<(), ExportError>;
    /// One record.
    fn record(&mut self, out: &mut Vec<u8>, record: &Record) -> Result<(), ExportError>;
    /// What comes after the last record.
    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError>;
}

pub(crate) fn encode_error(kind: &'static str, e: impl fmt::Display) -> ExportError {
    ExportError::Encode { kind, message: e.to_string() }
}

/// Writes everything `owner` has in `format` into `sink`, in chunks of about 64 KiB.
pub async fn export(service: &CrmService, owner: AvatarId, format: Format, sink: &mut dyn Sink) -> Result<ExportSummary, ExportError> {
    let mut encoder: Box<dyn Encoder> = match format {
        Format::Ndjson => Box::new(ndjson::Ndjson),
        Format::Holons => Box::new(holons::Holons::default()),
        Format::Csv(table) => Box::new(csv::Csv::new(table)),
    };
    let mut summary = ExportSummary::default();
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    encoder.begin(&mut buf, owner)?;
    let mut walker = walk::Walker::new(service, owner, format.kinds());
    while let Some(records) = walker.next_page().await? {
        for record in records {
            let record = record.as_exported();
            encoder.record(&mut buf, &record)?;
            summary.records.count(&record);
            if buf.len() >= CHUNK {
                summary.bytes += buf.len() as u64;
                sink.write(std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 4096))).await?;
            }
        }
    }
    encoder.end(&mut buf)?;
    summary.bytes += buf.len() as u64;
    if !buf.is_empty() {
        sink.write(buf).await?;
    }
    Ok(summary)
}

/// Chunks in flight between a streamed export and its reader: the export waits for a slow one.
const IN_FLIGHT: usize = 4;

/// An export as a stream of chunks, for an HTTP body: it runs on its own task and reads the
/// store only as fast as the stream is consumed. A failure after the first chunk ends the stream
/// with an error, so the connection is cut and the client sees an incomplete download rather
/// than a file that looks whole; a reader that goes away stops the export.
pub fn stream(
    service: CrmService,
    owner: AvatarId,
    format: Format,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let (mut tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(IN_FLIGHT);
    let (failed, failure) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        match export(&service, owner, format, &mut tx).await {
            Ok(_) | Err(ExportError::Closed) => {}
            Err(e) => {
                tracing::warn!(error = %e, %owner, "export stopped");
                let _ = failed.send(e.to_string());
            }
        }
    });
    futures::stream::unfold((rx, Some(failure)), |(mut rx, failure)| async move {
        if let Some(chunk) = rx.recv().await {
            return Some((Ok(chunk), (rx, failure)));
        }
        match failure?.await {
            Ok(message) => Some((Err(std::io::Error::other(message)), (rx, None))),
            Err(_) => None,
        }
    })
}
