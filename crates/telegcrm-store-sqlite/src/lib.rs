//! # telegcrm-store-sqlite
//!
//! Telegcrm's embedded store: every store port over one SQLite file, with FTS5 full-text search.
//! Nothing to install; `TELEGCRM_DATA_DIR/telegcrm.sqlite3` holds everything.
//!
//! - One writer thread owns the write connection; ingest batches that queue up are committed
//!   together (group commit). Readers use a small pool of their own connections on the blocking
//!   thread pool, so the async runtime never waits on the disk.
//! - A checkpoint thread with its own connection copies the WAL back into the database after
//!   commits, so commits do not wait for it; the writer restarts the WAL past ~40 MiB.
//! - WAL journal with `synchronous = NORMAL`: once `ingest` returns, the commit is in the
//!   operating system's hands and survives the process being killed (SIGKILL, a crash); a power
//!   loss may take back the last moments of commits. Use [`Durability::PowerLoss`] to fsync every
//!   commit instead.
//! - Message rowids follow `sentAt` (see [`codec::message_key`]), so "newest matching messages"
//!   is a rowid-descending walk of the FTS5 index that stops after `max` hits, however common the
//!   word.

pub mod codec;
mod parked;
mod ports;
mod rows;
pub mod schema;
pub mod search;
mod tx;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use telegcrm_domain::StoreError;
use tokio::sync::oneshot;

use crate::codec::db;
use crate::writer::Job;

/// The database file's name inside the data directory.
pub const FILE_NAME: &str = "telegcrm.sqlite3";

/// Read connections kept open between reads.
const READERS: usize = 4;

/// Writes and batches that may wait for the writer thread; more wait for room (back-pressure).
const WRITE_QUEUE: usize = 1024;

/// What a returned commit survives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// The process being killed (WAL, `synchronous = NORMAL`). The default.
    #[default]
    ProcessCrash,
    /// A power loss too (`synchronous = FULL`: an fsync per commit).
    PowerLoss,
}

/// The SQLite store. Share it behind an `Arc`; dropping the last handle closes the file.
pub struct SqliteStore {
    file: PathBuf,
    jobs: Option<tokio::sync::mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    /// Ends when the writer does (it holds the nudging end of the channel).
    checkpointer: Option<JoinHandle<()>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// Dropped after the connections are closed (a temporary directory, say).
    guard: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("file", &self.file).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store. `path` is a data directory (created when missing; the database is
    /// `<dir>/telegcrm.sqlite3`) or an existing database file. Blocking (it may migrate the
    /// schema): call it at start-up, or through `spawn_blocking`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, Durability::default())
    }

    /// Opens the store with a chosen durability.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let file = resolve(path)?;
        let conn = schema::open_writer(&file)?;
        if durability == Durability::PowerLoss {
            conn.pragma_update(None, "synchronous", "FULL").map_err(|e| schema::open_error(&file, e))?;
        }
        let first_reader = schema::open_reader(&file)?;
        let checkpoint_conn = schema::open_checkpointer(&file)?;
        let (nudge, nudges) = mpsc::sync_channel(1);
        let wal_frames = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let running = Arc::new(Mutex::new(()));
        let checkpoints = writer::Checkpoints { nudge, wal_frames: Arc::clone(&wal_frames), running: Arc::clone(&running) };
        let checkpointer = std::thread::Builder::new()
            .name("telegcrm-sqlite-checkpoint".into())
            .spawn(move || writer::checkpointer(checkpoint_conn, nudges, wal_frames, running))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite checkpoint thread: {e}")))?;
        // Bounded: when the writer falls behind, callers wait for room (back-pressure) instead of
        // queueing without end.
        let (jobs, rx) = tokio::sync::mpsc::channel(WRITE_QUEUE);
        let writer = std::thread::Builder::new()
            .name("telegcrm-sqlite-writer".into())
            .spawn(move || writer::run(conn, rx, checkpoints))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite writer thread: {e}")))?;
        Ok(Self {
            file,
            jobs: Some(jobs),
            writer: Some(writer),
            checkpointer: Some(checkpointer),
            readers: Arc::new(Mutex::new(vec![first_reader])),
            guard: None,
        })
    }

    /// Keeps `guard` alive until the store is closed, then drops it (a temporary directory the
    /// database lives in, for example).
    #[must_use]
    pub fn keep_alive(mut self, guard: impl std::any::Any + Send + Sync) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }

    /// The database file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Runs `f` on a read connection, inside a read transaction (one consistent snapshot), on the
    /// blocking thread pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || {
            let taken = pool.lock().map_err(|_| poisoned())?.pop();
            let mut conn = match taken {
                Some(c) => c,
                None => schema::open_reader(&file)?,
            };
            let result = conn.transaction().map_err(db("starting a read")).and_then(|tx| f(&tx));
            let mut pool = pool.lock().map_err(|_| poisoned())?;
            if pool.len() < READERS {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("a read task failed: {e}")))?
    }

    /// Runs `f` in an immediate write transaction on the writer thread; commits when it succeeds.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write(Box::new(move |conn: &mut Connection| {
            let result = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("starting a write")).and_then(|tx| {
                let value = f(&tx)?;
                tx.commit().map_err(db("committing a write"))?;
                Ok(value)
            });
            let _ = reply.send(result);
        }));
        self.send(job).await?;
        answer.await.map_err(|_| writer_gone())?
    }

    /// Queues a job for the writer, waiting while the queue is full.
    pub(crate) async fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs.as_ref().ok_or_else(writer_gone)?.send(job).await.map_err(|_| writer_gone())
    }

    /// Whether the writer thread still runs (a writer that died turns readiness red).
    pub(crate) fn writer_alive(&self) -> bool {
        self.writer.as_ref().is_some_and(|w| !w.is_finished())
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel ends the writer after the jobs already queued; waiting for it
        // means the file is closed (and the WAL checkpointed) when the store is gone.
        self.jobs.take();
        if let Some(w) = self.writer.take()
            && w.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
        if let Some(c) = self.checkpointer.take()
            && c.join().is_err()
        {
            tracing::error!("the SQLite checkpoint thread panicked");
        }
        if let Ok(mut pool) = self.readers.lock() {
            pool.clear();
        }
        self.guard.take();
    }
}

/// The database file for a data directory or a file path; creates the directory.
fn resolve(path: &Path) -> Result<PathBuf, StoreError> {
    let is_file = path.is_file() || (!path.exists() && path.extension().is_some_and(|e| e == "sqlite3" || e == "db" || e == "sqlite"));
    let dir = if is_file { path.parent().map(Path::to_path_buf).unwrap_or_default() } else { path.to_path_buf() };
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::Unavailable(format!("cannot create the data directory {}: {e}", dir.display())))?;
    }
    let file = if is_file { path.to_path_buf() } else { dir.join(FILE_NAME) };
    if !file.exists() {
        // Fail with the directory's name, not SQLite's "unable to open database file".
        let probe = dir.join(".telegcrm-write-probe");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| StoreError::Unavailable(format!("the data directory {} is not writable: {e}", dir.display())))?;
    }
    Ok(file)
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("the SQLite reader pool lock was poisoned by a panic".into())
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use telegcrm_domain::ports::Store;

    use super::*;

    #[tokio::test]
    async fn a_writer_thread_that_died_makes_the_store_unready() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.ping().await.unwrap();
        // A bug in a write job takes the writer thread down.
        let failed = store.write(|_tx| -> Result<(), StoreError> { panic!("a bug in a write job") }).await;
        assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
        for _ in 0..200 {
            if !store.writer_alive() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let ping = store.ping().await;
        assert!(matches!(&ping, Err(StoreError::Unavailable(m)) if m.contains("writer")), "{ping:?}");
        // And a write says so instead of hanging.
        let write = store.write(|_tx| Ok(())).await;
        assert!(matches!(write, Err(StoreError::Unavailable(_))), "{write:?}");
    }
}
