//! Ingest without transactions: the domain's capture rules ([`apply_batch`]) over an in-memory
//! snapshot, written back through a per-batch journal.
//!
//! 1. **Read** what the batch touches ([`snapshot`]): its conversations (by chat key) and contacts
//!    (by owner and Telegram id) side by side, then its messages (by conversation and Telegram
//!    message id). A record held by another batch's journal is resolved first (rolled forward if
//!    committed, undone if abandoned), then the read starts again.
//! 2. **Apply** [`apply_batch`] to the snapshot, which implements the domain's `IngestTx`: reads
//!    see the batch's own writes; each written record keeps its final state.
//! 3. **Write back** through a [`journal`] holding every planned record write: journal written,
//!    conversations and contacts held (each guarded by the revision read; new ones inserted held,
//!    so the unique chat and contact keys decide between racing creators), journal committed,
//!    messages inserted and changed, held records replaced by their final versions, state values
//!    written, journal deleted. A conflict while holding (a hand edit or another instance's batch
//!    got there first) undoes the journal and runs the whole batch again on fresh reads.
//!
//! A crash at any point leaves either an uncommitted journal (undone by the next writer that finds
//! its holds, or at open: as if the batch never ran) or a committed one (rolled forward, every
//! step idempotent); the redelivered batch then finds its messages stored, as duplicates, and
//! writes its state values. So redelivery after a crash ends where a clean run ends.
//!
//! Round trips of a batch that writes, however many messages it holds: 4 reads (conversations,
//! contacts and the check for journals left by stopped writers side by side, then messages) and at
//! most 10 writes (journal, hold contacts, hold conversations, commit, insert messages, change
//! messages, final contacts, final conversations, state, delete journal): 14 commands, 12 waits.
//! On FerretDB a write command carries at most 16 statements, so more than 16 records of one kind
//! take more. A batch that writes no record (all duplicates) costs its reads and its state write.

mod journal;
mod snapshot;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use bson::{Document, doc};
use telegcrm_domain::StoreError;
use telegcrm_domain::event::{InboundEvent, IngestBatch, IngestReport};
use telegcrm_domain::ingest::apply_batch;
use telegcrm_domain::ports::IngestStore;

#[doc(hidden)]
pub use self::journal::CrashPoint;
use self::journal::Held;
use crate::MongoStore;
use crate::codec::ms;
use crate::collections::STATE;
use crate::state::kv_id;
use crate::write::{statement, update_many_statements};

/// How often a batch is run again after a conflict with another writer.
const RETRIES: usize = 30;
/// How often a batch's reads start again because another batch held some of its records.
const READ_ROUNDS: usize = 20;

#[async_trait]
impl IngestStore for MongoStore {
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        self.serialized(self.ingest_now(batch, None)).await
    }
}

/// The batch with its times cut to what BSON dates keep, so that comparisons of the rules agree
/// with what is stored.
fn at_store_precision(batch: &IngestBatch) -> IngestBatch {
    let mut b = batch.clone();
    b.received_at = ms(b.received_at);
    for p in &mut b.events {
        match &mut p.event {
            InboundEvent::Message(m) => m.sent_at = ms(m.sent_at),
            InboundEvent::Edit(e) => {
                e.edited_at = ms(e.edited_at);
                e.message.sent_at = ms(e.message.sent_at);
            }
            InboundEvent::History(h) => {
                h.message.sent_at = ms(h.message.sent_at);
                h.edited_at = h.edited_at.map(ms);
            }
            InboundEvent::Deletion(d) => d.deleted_at = ms(d.deleted_at),
            // Restored records are found by id and Telegram ids, not compared by time; the
            // codec cuts their times as it writes them.
            InboundEvent::Membership(m) => m.at = ms(m.at),
            InboundEvent::Migration(m) => m.message.sent_at = ms(m.message.sent_at),
            InboundEvent::BusinessConnection(_) | InboundEvent::Restore(_) | InboundEvent::Reaction(_) => {}
        }
    }
    b
}

impl MongoStore {
    /// Runs an ingest that stops at `at` as if the process had died there (crash tests only).
    #[doc(hidden)]
    pub async fn ingest_until_crash(&self, batch: &IngestBatch, at: CrashPoint) -> Result<(), StoreError> {
        self.serialized(self.ingest_now(batch, Some(at))).await.map(drop)
    }

    async fn ingest_now(&self, batch: &IngestBatch, stop: Option<CrashPoint>) -> Result<IngestReport, StoreError> {
        let batch = at_store_precision(batch);
        for attempt in 0..RETRIES {
            let mut snap = self.settled_snapshot(&batch).await?;
            let report = apply_batch(&mut snap, &batch, batch.received_at)?;
            let (mut journal, state) = snap.into_writes()?;
            if journal.is_empty() {
                self.write_state(&state, "storing a batch's state").await?;
                return Ok(report);
            }
            self.write_journal(&journal).await?;
            if stop == Some(CrashPoint::AfterJournal) {
                return Ok(report);
            }
            match self.hold_and_commit(&mut journal, stop).await? {
                None => return Ok(report),
                Some(Held::Conflict) => {
                    tracing::debug!(attempt, "a batch met a concurrent writer; running it again");
                    tokio::time::sleep(std::time::Duration::from_millis(1 + (uuid::Uuid::new_v4().as_u128() % 20) as u64)).await;
                    continue;
                }
                Some(Held::Committed) => {}
            }
            if stop == Some(CrashPoint::AfterCommit) || !self.roll_forward(&journal, stop).await? || stop == Some(CrashPoint::AfterRecords)
            {
                return Ok(report);
            }
            self.write_state(&state, "storing a batch's state").await?;
            if stop == Some(CrashPoint::AfterState) {
                return Ok(report);
            }
            self.delete_journal(&journal.id).await?;
            return Ok(report);
        }
        Err(StoreError::Unavailable(format!("a batch kept meeting concurrent writers ({RETRIES} attempts); retry it")))
    }

    /// A snapshot no other batch's journal holds any part of. The first read also looks for
    /// journals left by writers that stopped (alongside, so it costs no time) and finishes them.
    async fn settled_snapshot(&self, batch: &IngestBatch) -> Result<snapshot::Snapshot, StoreError> {
        let (mut snap, mut left) = tokio::try_join!(self.snapshot(batch), self.journals())?;
        for _ in 0..READ_ROUNDS {
            let finished = self.finish_all(&left).await?;
            for (journal, holders) in &snap.pending {
                self.resolve(journal, holders).await?;
            }
            if snap.pending.is_empty() && finished == 0 {
                return Ok(snap);
            }
            left = Vec::new();
            snap = self.snapshot(batch).await?;
        }
        Err(StoreError::Unavailable("a batch's records stayed held by other batches; retry it".into()))
    }

    /// Runs upsert statements; a duplicate key (two writers inserting the same record at once)
    /// is retried once, when the record exists and the statement updates it.
    async fn upsert_all(&self, collection: &str, statements: Vec<Document>, context: &str) -> Result<(), StoreError> {
        let outcome =
            update_many_statements(self.database(), self.statements_per_command(), collection, statements.clone(), false, context).await?;
        outcome.fail_on_other_errors(context)?;
        let retry: Vec<Document> = outcome.errors.iter().filter_map(|e| statements.get(e.index).cloned()).collect();
        if !retry.is_empty() {
            let again = update_many_statements(self.database(), self.statements_per_command(), collection, retry, false, context).await?;
            if let Some(e) = again.errors.first() {
                return Err(StoreError::Unavailable(format!("{context}: code {}: {}", e.code, e.message)));
            }
        }
        Ok(())
    }

    /// Key/value writes, in order (one command).
    pub(crate) async fn write_state(&self, state: &[(String, String)], context: &str) -> Result<(), StoreError> {
        if state.is_empty() {
            return Ok(());
        }
        // Later writes of a key win, so only the last value of each key is sent.
        let mut last: Vec<(&str, &str)> = Vec::new();
        for (k, v) in state {
            last.retain(|(key, _)| *key != k.as_str());
            last.push((k, v));
        }
        let statements =
            last.into_iter().map(|(k, v)| statement(doc! { "_id": kv_id(k) }, doc! { "$set": { "value": v } }, true)).collect();
        self.upsert_all(STATE, statements, context).await
    }

    /// Finishes the journals left by writers that stopped, under the write lock (at open).
    pub(crate) async fn recover(&self) -> Result<(), StoreError> {
        self.serialized(self.recover_journals()).await
    }

    /// Resolves the journal holding a record read by a hand edit (`doc`, of `collection`).
    pub(crate) async fn resolve_holder(&self, collection: &'static str, d: &Document) -> Result<bool, StoreError> {
        let Some(journal) = crate::revision::pending_journal(d) else { return Ok(false) };
        let id = d.get_str("_id").unwrap_or_default().to_owned();
        self.resolve(&journal, &[(collection, id)]).await?;
        Ok(true)
    }
}
