//! The one writer: a thread that owns the write connection and applies jobs in arrival order.
//! Ingest batches that queue up while it works are committed together (group commit), each in
//! its own savepoint so that one failing batch does not take the others down.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::Receiver as JobQueue;
use tokio::sync::mpsc::error::TryRecvError;

use rusqlite::{Connection, TransactionBehavior};
use telegcrm_domain::StoreError;
use telegcrm_domain::event::{IngestBatch, IngestReport};
use telegcrm_domain::ingest::apply_batch;
use tokio::sync::oneshot;

use crate::codec::db;
use crate::tx::SqliteTx;

/// Most ingest batches merged into one commit.
const MAX_GROUP: usize = 32;

/// Work for the writer.
pub enum Job {
    /// Apply an ingest batch and answer once it is committed.
    Ingest(Box<IngestBatch>, Reply),
    /// Any other write; the closure answers its caller itself.
    Write(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// WAL frames (pages) past which the writer itself finishes the checkpoint and restarts the WAL
/// (about 40 MiB with 4 KiB pages).
const WAL_LIMIT: i64 = 10_000;

/// The background checkpoint: its nudges, and the WAL's length in frames it last saw.
pub struct Checkpoints {
    /// Wakes the checkpointer; holds at most one nudge.
    pub nudge: SyncSender<()>,
    /// Frames in the WAL at the last background checkpoint.
    pub wal_frames: Arc<AtomicI64>,
    /// Held by whoever checkpoints: SQLite does not wait for a checkpoint that is running, it
    /// fails with "busy", so the writer waits here for the background pass to end instead.
    pub running: Arc<Mutex<()>>,
}

/// Runs jobs until every sender is gone, then closes the connection (checkpointing the WAL).
/// After each write it nudges the background checkpointer (see [`checkpointer`]); once the WAL
/// passes [`WAL_LIMIT`] frames it checkpoints what is left itself, so that the WAL starts over.
pub fn run(mut conn: Connection, mut jobs: JobQueue<Job>, checkpoints: Checkpoints) {
    let mut next = jobs.blocking_recv();
    while let Some(job) = next.take() {
        match job {
            Job::Write(f) => f(&mut conn),
            Job::Ingest(batch, reply) => {
                let mut group = vec![(batch, reply)];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(Job::Ingest(b, r)) => group.push((b, r)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                    }
                }
                commit_group(&mut conn, group);
            }
        }
        if checkpoints.wal_frames.load(Ordering::Relaxed) >= WAL_LIMIT {
            // The checkpointer has copied all but the last few commits: this is quick, and the
            // next commit writes the WAL from its start again.
            let _running = checkpoints.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)) {
                Ok(0) => checkpoints.wal_frames.store(0, Ordering::Relaxed),
                Ok(_) => tracing::debug!("the WAL could not restart yet (a reader is still on it)"),
                Err(e) => tracing::warn!(error = %e, "restarting the WAL"),
            }
        }
        // Full: a checkpoint is already due; it will see this commit too.
        let _ = checkpoints.nudge.try_send(());
        if next.is_none() {
            next = jobs.blocking_recv();
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the database");
    }
}

/// Applies one batch inside the open transaction `conn`, full-text index changes last.
fn apply(conn: &Connection, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
    let mut tx = SqliteTx::new(conn);
    let report = apply_batch(&mut tx, batch, batch.received_at)?;
    tx.finish()?;
    Ok(report)
}

/// Copies committed WAL frames into the database file on its own connection and thread, after
/// every nudge, so that the writer's commits do not wait for it (nor for its fsyncs). The
/// writer's own checkpoint (at [`WAL_LIMIT`] frames) then finds little left to copy. A checkpoint never
/// changes what a commit guarantees: a committed transaction is in the WAL either way.
pub fn checkpointer(conn: Connection, nudges: Receiver<()>, wal_frames: Arc<AtomicI64>, running: Arc<Mutex<()>>) {
    while nudges.recv().is_ok() {
        let _running = running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
            Ok(frames) => wal_frames.store(frames, Ordering::Relaxed),
            Err(e) => tracing::debug!(error = %e, "background checkpoint"),
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the checkpoint connection");
    }
}

type Reply = oneshot::Sender<Result<IngestReport, StoreError>>;
type Pending = (Box<IngestBatch>, Reply);

fn commit_group(conn: &mut Connection, group: Vec<Pending>) {
    let mut results: Vec<(Reply, Result<IngestReport, StoreError>)> = Vec::new();
    let outcome = (|| -> Result<(), StoreError> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("starting an ingest transaction"))?;
        if group.len() == 1 {
            // The usual case: one batch, no savepoint (whose sub-journal costs page copies).
            for (batch, reply) in group {
                let result = apply(&tx, &batch);
                if let Err(e) = result {
                    let _ = reply.send(Err(e));
                    return Ok(());
                }
                results.push((reply, result));
            }
        } else {
            for (batch, reply) in group {
                let mut sp = tx.savepoint().map_err(db("starting an ingest savepoint"))?;
                let result = apply(&sp, &batch);
                if result.is_ok() {
                    sp.commit().map_err(db("releasing an ingest savepoint"))?;
                } else {
                    sp.rollback().map_err(db("rolling back a failed batch"))?;
                }
                results.push((reply, result));
            }
        }
        tx.commit().map_err(db("committing ingested batches"))
    })();
    match outcome {
        Ok(()) => {
            for (reply, result) in results {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            // Nothing of the group is stored: every caller learns it, the first failure named.
            tracing::error!(error = %e, "ingest commit failed");
            for (reply, _) in results {
                let _ = reply.send(Err(StoreError::Unavailable(format!("ingest not committed: {e}"))));
            }
        }
    }
}
