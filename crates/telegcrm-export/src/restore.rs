//! `telegcrm import telegcrm-export FILE`: an NDJSON or holons export back into a store.
//!
//! The file is read as a stream on a blocking thread (one record in memory at a time) and
//! stored in batches through [`CrmService::restore`], which decides what is stored: a record
//! already there is left, so a restore killed half way and run again ends as one clean run.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use telegcrm_domain::service::RestoreReport;
use telegcrm_domain::{AvatarId, CrmError, CrmService, Record};
use tokio::sync::mpsc;

use crate::ndjson::Header;
use crate::{Counts, FORMAT_VERSION};

/// Records stored per restore call.
pub const BATCH: usize = 1_000;

/// The longest NDJSON line read (a record far larger than any the CRM writes).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What a restore is told.
#[derive(Clone, Copy, Debug, Default)]
pub struct RestoreOptions {
    /// Gives every record to this owner instead of the one it was exported for.
    pub owner: Option<AvatarId>,
}

/// How far a restore is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoreProgress {
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Records stored or found stored so far.
    pub records: u64,
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreSummary {
    /// `ndjson` or `holons`.
    pub format: &'static str,
    /// Records read, by kind.
    pub read: Counts,
    /// What was stored, left and refused.
    pub report: RestoreReport,
    /// Bytes read.
    pub bytes: u64,
}

/// Why a restore stopped. What was stored before stays stored; running it again continues.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {source}")]
    Open {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a Telegcrm export, or a record in it is malformed.
    #[error("{path}: {message}")]
    Format {
        /// The file read.
        path: String,
        /// What is wrong, and where.
        message: String,
    },
    /// The store refused a batch.
    #[error("storing the records: {0}")]
    Store(#[from] CrmError),
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The parsing thread's state.
struct Feed {
    owner: Option<AvatarId>,
    batch: Vec<Record>,
    out: mpsc::Sender<Vec<Record>>,
    read: Counts,
}

impl Feed {
    fn push(&mut self, mut record: Record) -> Result<(), String> {
        if let Some(owner) = self.owner {
            record.rehome(owner);
        }
        self.read.count(&record);
        self.batch.push(record);
        if self.batch.len() >= BATCH { self.send() } else { Ok(()) }
    }

    fn send(&mut self) -> Result<(), String> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        // The receiver is gone only when storing failed; that error is the one reported.
        self.out.blocking_send(batch).map_err(|_| "stopped: storing failed".to_owned())
    }
}

/// The first byte that is not white space, left unread.
fn first_byte(r: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

fn check_header(h: &Header) -> Result<(), String> {
    if h.kind != "export" || h.format != "telegcrm" {
        return Err("line 1: not a Telegcrm export header (expected {\"kind\":\"export\",\"format\":\"telegcrm\",...})".to_owned());
    }
    if h.version > FORMAT_VERSION {
        return Err(format!(
            "line 1: format version {} is newer than this telegcrm reads ({FORMAT_VERSION}); use a newer telegcrm",
            h.version
        ));
    }
    Ok(())
}

/// Reads NDJSON: the header, then one record per line (blank lines skipped).
fn read_ndjson(mut r: impl BufRead, each: &mut dyn FnMut(Record) -> Result<(), String>) -> Result<(), String> {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut header = false;
    loop {
        line.clear();
        let n = (&mut r).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line).map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.len() > MAX_LINE_BYTES {
            return Err(format!("line {number}: longer than {MAX_LINE_BYTES} bytes"));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !header {
            let h: Header = serde_json::from_slice(&line).map_err(|e| format!("line {number}: not a Telegcrm export header: {e}"))?;
            check_header(&h)?;
            header = true;
            continue;
        }
        let record: Record = serde_json::from_slice(&line).map_err(|e| format!("line {number}: {e}"))?;
        each(record)?;
    }
    if header { Ok(()) } else { Err("empty: not a Telegcrm export".to_owned()) }
}

/// What a restore reads of a holon: its record.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HolonIn {
    meta_data: Record,
}

/// Hands each holon's record to a callback as it is read.
struct EachHolon<'a>(&'a mut dyn FnMut(Record) -> Result<(), String>);

impl<'de> DeserializeSeed<'de> for EachHolon<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EachHolon<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of holons")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(h) = seq.next_element::<HolonIn>()? {
            (self.0)(h.meta_data).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

/// Reads a holons export: one JSON array.
fn read_holons(r: impl BufRead, each: &mut dyn FnMut(Record) -> Result<(), String>) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(r);
    EachHolon(each).deserialize(&mut de).map_err(|e| format!("holons: {e}"))?;
    de.end().map_err(|e| format!("after the holons: {e}"))
}

/// The format of an export, told by its first character (left unread): `ndjson` or `holons`.
pub fn detect(r: &mut impl BufRead) -> Result<&'static str, String> {
    match first_byte(r).map_err(|e| format!("reading: {e}"))? {
        Some(b'{') => Ok("ndjson"),
        Some(b'[') => Ok("holons"),
        _ => Err("not a Telegcrm export (expected an NDJSON export or a JSON array of holons)".to_owned()),
    }
}

/// Reads an export of `format` (from [`detect`]) as a stream, handing each record to `each` as it
/// is read; stops at the first malformed record, or when `each` fails.
pub fn read_records(r: impl BufRead, format: &str, each: &mut dyn FnMut(Record) -> Result<(), String>) -> Result<(), String> {
    if format == "holons" { read_holons(r, each) } else { read_ndjson(r, each) }
}

/// Reads `path` and restores its records into `service`'s store, reporting progress after each
/// stored batch.
pub async fn restore(
    service: &CrmService,
    path: &Path,
    options: RestoreOptions,
    progress: &mut (dyn FnMut(RestoreProgress) + Send),
) -> Result<RestoreSummary, RestoreError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|source| RestoreError::Open { path: shown.clone(), source })?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bytes = Arc::new(AtomicU64::new(0));
    let mut source = BufReader::with_capacity(256 * 1024, Counting { inner: file, count: bytes.clone() });
    let format = detect(&mut source).map_err(|message| RestoreError::Format { path: shown.clone(), message })?;

    let (tx, mut rx) = mpsc::channel::<Vec<Record>>(2);
    let mut feed = Feed { owner: options.owner, batch: Vec::with_capacity(BATCH), out: tx, read: Counts::default() };
    let parsing = tokio::task::spawn_blocking(move || {
        let read = read_records(source, format, &mut |record| feed.push(record));
        // What was read before a malformed line is stored too: running again continues after it.
        let sent = feed.send();
        (read.and(sent), feed.read)
    });

    let mut report = RestoreReport::default();
    let mut store_error = None;
    while let Some(batch) = rx.recv().await {
        match service.restore(batch).await {
            Ok(r) => report.add(&r),
            Err(e) => {
                store_error = Some(e);
                break;
            }
        }
        let records = report.restored + report.already_stored + report.conflicts;
        progress(RestoreProgress { bytes_read: bytes.load(Ordering::Relaxed), total_bytes, records });
    }
    drop(rx);
    let (parsed, read) =
        parsing.await.map_err(|e| RestoreError::Format { path: shown.clone(), message: format!("the reader stopped: {e}") })?;
    if let Some(e) = store_error {
        return Err(RestoreError::Store(e));
    }
    parsed.map_err(|message| RestoreError::Format { path: shown, message })?;
    Ok(RestoreSummary { format, read, report, bytes: bytes.load(Ordering::Relaxed) })
}
