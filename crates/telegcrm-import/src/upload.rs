//! Uploads: an export sent over HTTP (`POST /imports`, the dashboard's Settings page), spooled
//! to a temporary file, recognised by its content, and imported by a background job.
//!
//! - [`Spool`] writes the uploaded bytes to a temporary file as they arrive (never all in
//!   memory) and refuses more than the limit; dropping it removes the file.
//! - [`Spool::finish`] tells a zip (`PK\x03\x04`) from a JSON `result.json`; for a zip it finds
//!   `result.json` at the top or inside one top-level folder, and refuses an archive with an
//!   entry that would leave its folder (`../`, an absolute path). Media files are ignored.
//! - [`start`] records a queued [`ImportJob`] and runs it on a tokio task: the zip's
//!   `result.json` unpacked to a temporary file (a streamed copy), then
//!   [`crate::import_telegram_export`], with the job written at most every 500 ms. The
//!   temporary files are removed when the job ends, however it ends.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path};
use std::time::Duration;

use telegcrm_domain::{AvatarId, CrmError, CrmService};
use tempfile::{NamedTempFile, TempPath};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};

use crate::job::{HEARTBEAT, ImportJob, user_message};
use crate::{Options, Progress, Summary};

/// The default upload limit: 2 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A zip's `result.json` may unpack to at most this many times the upload limit (JSON packs
/// about 5 to 10 times; a bigger ratio is a zip bomb, not an export).
pub const MAX_UNPACK_RATIO: u64 = 10;

/// How often a running job is written at most.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Jobs importing at once in this process; more wait, queued (each already uses a parsing
/// thread and the store's writer).
static RUNNING: Semaphore = Semaphore::const_new(2);

/// The longest file name kept for a job.
const MAX_NAME_CHARS: usize = 200;

/// Why an upload is refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// More bytes than the limit.
    #[error("the export is larger than this server accepts ({limit} bytes)")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// No bytes at all.
    #[error("the uploaded file is empty")]
    Empty,
    /// Not a zip of an export, nor a `result.json`.
    #[error("{0}")]
    NotAnExport(String),
    /// A form field besides the file (`me`, `timezone`) holds a wrong value.
    #[error("{0}")]
    BadField(String),
    /// The temporary file could not be written (the details are logged, not shown).
    #[error("the server could not store the upload")]
    Io(#[source] std::io::Error),
}

fn io(e: std::io::Error) -> UploadError {
    tracing::warn!(error = %e, "spooling an upload failed");
    UploadError::Io(e)
}

/// An upload being written to a temporary file.
#[derive(Debug)]
pub struct Spool {
    file: tokio::fs::File,
    path: TempPath,
    written: u64,
    limit: u64,
    head: Vec<u8>,
}

/// How many leading bytes are kept to tell a zip from JSON.
const HEAD: usize = 1024;

impl Spool {
    /// A new temporary file (in the system's temporary folder, `TMPDIR`) for at most `limit` bytes.
    pub fn new(limit: u64) -> Result<Self, UploadError> {
        let temp = tempfile::Builder::new().prefix("telegcrm-upload-").tempfile().map_err(io)?;
        let (file, path) = temp.into_parts();
        Ok(Self { file: tokio::fs::File::from_std(file), path, written: 0, limit, head: Vec::with_capacity(HEAD) })
    }

    /// Appends a chunk; past the limit the upload is refused (and the file removed on drop).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        if self.written.saturating_add(chunk.len() as u64) > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.file.write_all(chunk).await.map_err(io)?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The complete upload, recognised: a `result.json`, or a zip holding one.
    pub async fn finish(mut self, file_name: &str) -> Result<Upload, UploadError> {
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        if self.written == 0 {
            return Err(UploadError::Empty);
        }
        let file_name = clean_name(file_name);
        if self.head.starts_with(b"PK\x03\x04") {
            let path = self.path;
            let limit = self.limit;
            let (path, entry) = tokio::task::spawn_blocking(move || find_result_json(&path, limit).map(|entry| (path, entry)))
                .await
                .map_err(|e| io(std::io::Error::other(e)))??;
            return Ok(Upload { path, kind: Kind::Zip(entry), file_name, json_bytes: entry.size, hints: Hints::default() });
        }
        let text = self.head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&self.head);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Ok(Upload { path: self.path, kind: Kind::Json, file_name, json_bytes: self.written, hints: Hints::default() }),
            _ => Err(UploadError::NotAnExport("the file is neither a zip archive nor a Telegram Desktop JSON export (result.json)".into())),
        }
    }
}

/// The name to show: the last part of what the client sent, without control characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    if clean.trim().is_empty() { "upload".to_owned() } else { clean }
}

/// The `result.json` entry of a zip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    index: usize,
    size: u64,
}

/// How the upload holds the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Json,
    Zip(ZipEntry),
}

/// A complete upload, recognised; dropping it removes the temporary file.
#[derive(Debug)]
pub struct Upload {
    path: TempPath,
    kind: Kind,
    file_name: String,
    json_bytes: u64,
    hints: Hints,
}

/// What an upload may say besides the file, as the command's flags do: the exporting account's
/// Telegram user id (`me`, `--me`) and the time zone of the computer that made the export
/// (`timezone`, `--timezone`; needed only for exports before June 2022).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hints {
    /// The exporting account's Telegram user id.
    pub me: Option<i64>,
    /// The zone of dates written without one.
    pub timezone: Option<chrono_tz::Tz>,
}

impl Hints {
    /// The form's `me` and `timezone` values (blank means not given), or why one is wrong.
    pub fn parse(me: Option<&str>, timezone: Option<&str>) -> Result<Self, UploadError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let me =
            match given(me) {
                Some(v) => Some(v.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                    UploadError::BadField(format!("me: {:?} is not a Telegram user id (a positive whole number)", clip(&v)))
                })?),
                None => None,
            };
        let timezone = match given(timezone) {
            Some(v) => Some(v.parse::<chrono_tz::Tz>().map_err(|_| {
                UploadError::BadField(format!("timezone: {:?} is not a time zone (an IANA name such as Europe/Berlin, or UTC)", clip(&v)))
            })?),
            None => None,
        };
        Ok(Self { me, timezone })
    }
}

fn clip(v: &str) -> String {
    v.chars().take(64).collect()
}

impl Upload {
    /// Whether it is a zip archive.
    pub fn is_zip(&self) -> bool {
        matches!(self.kind, Kind::Zip(_))
    }

    /// The size of its `result.json` (unpacked, for a zip).
    pub fn json_bytes(&self) -> u64 {
        self.json_bytes
    }

    /// The upload with what the form said besides the file.
    #[must_use]
    pub fn with_hints(self, hints: Hints) -> Self {
        Self { hints, ..self }
    }
}

fn not_zip(e: zip::result::ZipError) -> UploadError {
    UploadError::NotAnExport(format!("the zip archive cannot be read: {e}"))
}

/// Finds `result.json` at the top of the archive or in one top-level folder (the shallowest
/// wins). Refuses an archive with any entry whose name leaves its folder.
fn find_result_json(path: &Path, limit: u64) -> Result<ZipEntry, UploadError> {
    let file = File::open(path).map_err(io)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(not_zip)?;
    let mut found: Option<(usize, ZipEntry)> = None;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(not_zip)?;
        let Some(name) = entry.enclosed_name() else {
            return Err(UploadError::NotAnExport(format!(
                "the zip archive has an entry that leaves its folder ({:?}); it is refused",
                String::from_utf8_lossy(entry.name_raw()).chars().take(MAX_NAME_CHARS).collect::<String>()
            )));
        };
        if entry.is_dir() || name.file_name().is_none_or(|n| n != "result.json") {
            continue;
        }
        let depth = name.components().filter(|c| matches!(c, Component::Normal(_))).count();
        if depth <= 2 && found.is_none_or(|(d, _)| depth < d) {
            found = Some((depth, ZipEntry { index, size: entry.size() }));
        }
    }
    let (_, entry) = found
        .ok_or_else(|| UploadError::NotAnExport("the zip archive has no result.json (at its top or in one top-level folder)".into()))?;
    let max = limit.saturating_mul(MAX_UNPACK_RATIO);
    if entry.size > max {
        return Err(UploadError::NotAnExport(format!("the archive's result.json unpacks to more than {max} bytes")));
    }
    Ok(entry)
}

/// Unpacks the archive's `result.json` to a temporary file (a streamed copy, at most its
/// declared size).
fn unpack(path: &Path, entry: ZipEntry) -> Result<TempPath, String> {
    let failed = |e: &dyn std::fmt::Display| format!("the archive's result.json cannot be unpacked: {e}");
    let file = File::open(path).map_err(|e| {
        tracing::warn!(error = %e, "reopening an upload failed");
        "the uploaded export could not be read".to_owned()
    })?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| failed(&e))?;
    let mut source = archive.by_index(entry.index).map_err(|e| failed(&e))?;
    let out = NamedTempFile::with_prefix("telegcrm-result-").map_err(|e| {
        tracing::warn!(error = %e, "creating a temporary file failed");
        "the server could not unpack the archive".to_owned()
    })?;
    let (mut file, out) = out.into_parts();
    std::io::copy(&mut (&mut source).take(entry.size), &mut file).map_err(|e| failed(&e))?;
    Ok(out)
}

/// Records a queued job for `upload` and starts it on a tokio task; returns the job as queued.
pub async fn start(service: &CrmService, owner: AvatarId, upload: Upload) -> Result<ImportJob, CrmError> {
    let job = ImportJob::queued(owner, upload.file_name.clone(), upload.json_bytes, service.now());
    job.save(service).await?;
    tokio::spawn(run(service.clone(), job.clone(), upload));
    Ok(job)
}

/// Runs a job to its end; the upload's temporary files go when it returns.
async fn run(service: CrmService, mut job: ImportJob, upload: Upload) {
    // Waiting for a turn is alive too: the heartbeat keeps the queued job from reading as lost.
    let waiting = RUNNING.acquire();
    tokio::pin!(waiting);
    let _permit = loop {
        tokio::select! {
            permit = &mut waiting => break permit,
            _ = tokio::time::sleep(HEARTBEAT) => {
                job.touch(service.now());
                save(&service, &job).await;
            }
        }
    };
    job.start(service.now());
    save(&service, &job).await;
    match import(&service, &mut job, &upload).await {
        Ok(summary) => job.finish(&summary, service.now()),
        Err(message) => job.fail(message, service.now()),
    }
    // The end must be written: a few tries, since the store may be passing through a failure.
    for attempt in 0..5 {
        match job.save(&service).await {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(job = %job.id, attempt, error = %e, "writing the import job's end failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    tracing::info!(job = %job.id, owner = %job.owner, status = job.status.as_str(), stored = job.stored, "import job ended");
}

/// Writes a job's progress; a failure is logged (the next write may pass).
async fn save(service: &CrmService, job: &ImportJob) {
    if let Err(e) = job.save(service).await {
        tracing::warn!(job = %job.id, error = %e, "writing the import job failed");
    }
}

async fn import(service: &CrmService, job: &mut ImportJob, upload: &Upload) -> Result<Summary, String> {
    let unpacked = match upload.kind {
        Kind::Json => None,
        Kind::Zip(entry) => {
            let path = upload.path.to_path_buf();
            Some(tokio::task::spawn_blocking(move || unpack(&path, entry)).await.map_err(|e| format!("unpacking stopped: {e}"))??)
        }
    };
    let json: &Path = unpacked.as_deref().unwrap_or(&upload.path);
    let options = Options { owner: job.owner, me: upload.hints.me, timezone: upload.hints.timezone };
    let (tx, mut rx) = watch::channel(Progress::default());
    let mut report = move |p: Progress| {
        let _ = tx.send(p);
    };
    let importing = crate::import_telegram_export(service, json, &options, &mut report);
    tokio::pin!(importing);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_write = tokio::time::Instant::now();
    loop {
        tokio::select! {
            result = &mut importing => {
                return result.map_err(|e| {
                    tracing::warn!(job = %job.id, error = %e, "import job failed");
                    user_message(&e)
                });
            }
            _ = tick.tick() => {
                let p = *rx.borrow_and_update();
                if job.advance(p, service.now()) || last_write.elapsed() >= HEARTBEAT {
                    save(service, job).await;
                    last_write = tokio::time::Instant::now();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, body) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap();
        out.into_inner()
    }

    async fn upload(bytes: &[u8], limit: u64) -> Result<Upload, UploadError> {
        let mut spool = Spool::new(limit)?;
        for chunk in bytes.chunks(7) {
            spool.write(chunk).await?;
        }
        spool.finish("C:\\Users\\ann\\Downloads\\export.zip").await
    }

    #[tokio::test]
    async fn json_and_zips_are_told_apart_by_their_content() {
        let json = upload(b"\xEF\xBB\xBF  {\"name\": \"x\", \"messages\": []}", 1000).await.unwrap();
        assert!(!json.is_zip());
        assert_eq!(json.file_name, "export.zip");
        let zip = zip_of(&[("ChatExport_2026-12-01/photos/a.jpg", b"\xFF\xD8"), ("ChatExport_2026-12-01/result.json", b"{}")]);
        let zip = upload(&zip, 10_000).await.unwrap();
        assert!(zip.is_zip());
        assert_eq!(zip.json_bytes(), 2);
    }

    #[tokio::test]
    async fn garbage_empty_and_oversized_uploads_are_refused() {
        assert!(matches!(upload(b"hello", 1000).await, Err(UploadError::NotAnExport(_))));
        assert!(matches!(upload(b"", 1000).await, Err(UploadError::Empty)));
        assert!(matches!(upload(&[b' '; 2000], 1000).await, Err(UploadError::TooLarge { limit: 1000 })));
        assert!(matches!(upload(b"PK\x03\x04 not really", 1000).await, Err(UploadError::NotAnExport(_))));
    }

    #[tokio::test]
    async fn a_zip_without_result_json_or_with_a_way_out_is_refused() {
        let none = zip_of(&[("a/b/c/result.json", b"{}"), ("photo.jpg", b"x")]);
        let err = upload(&none, 10_000).await.unwrap_err().to_string();
        assert!(err.contains("no result.json"), "{err}");
        let out = zip_of(&[("../../etc/evil", b"x"), ("result.json", b"{}")]);
        let err = upload(&out, 10_000).await.unwrap_err().to_string();
        assert!(err.contains("leaves its folder"), "{err}");
    }

    #[test]
    fn unpacking_copies_the_entry() {
        let bytes = zip_of(&[("x/result.json", b"{\"a\": 1}")]);
        let mut f = NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        let entry = find_result_json(f.path(), 1000).unwrap();
        let out = unpack(f.path(), entry).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"{\"a\": 1}");
    }
}
