//! The per-batch journal: the batch's planned record writes, stored as one document in `state`
//! (`{_id: "journal:<uuid>", kind: "journal", committed, createdAt, contacts, conversations,
//! newMessages, changedMessages}`) before any of them is made, so that whoever finds it later can
//! finish (or undo) exactly what the batch meant.
//!
//! Life of a journal: written uncommitted → its conversations and contacts are held (guarded by
//! the revision read; new ones inserted held) → committed (one atomic update of the journal) →
//! rolled forward: messages inserted (duplicates ignored) and changed (guarded by their old field
//! values), then each held record replaced by its final version (guarded by the hold) → deleted.
//! An uncommitted journal is undone instead: deleted (only while still uncommitted: that delete
//! and the commit exclude each other), then its holds released and the records it created removed.
//! Every step is idempotent and guarded, so the owner, a helper and a late replay can all run
//! them in any interleaving and the result is the owner's clean run.

use bson::{Bson, Document, doc};
use chrono::{DateTime, Duration, Utc};
use mongodb::error::ErrorKind;
use telegcrm_domain::StoreError;

use crate::MongoStore;
use crate::codec::date;
use crate::collections::{CONTACTS, CONVERSATIONS, MESSAGES};
use crate::error::{DUPLICATE_KEY, ctx, store_error};
use crate::revision::{HELD_BY, HELD_NEW, Revision};
use crate::write::{find_all, statement, update_many_statements};

/// How old an uncommitted journal must be before another writer undoes it (MongoDB; on FerretDB
/// every writer holds the store's write lock, so any journal another writer finds is abandoned).
const STALE_AFTER_MS: i64 = 2_000;
/// How often a writer looks again at a journal that is still being written by its owner.
const RESOLVE_ROUNDS: usize = 400;

/// One conversation or contact write.
#[derive(Debug, Clone)]
pub(crate) struct DocWrite {
    /// `_id`.
    pub id: String,
    /// The revision read (`None`: the batch creates the record).
    pub read: Option<Revision>,
    /// The final document, at its new revision.
    pub new: Document,
}

/// A change of a stored message: the fields that change, guarded by their old values.
#[derive(Debug, Clone)]
pub(crate) struct MessageChange {
    pub filter: Document,
    pub set: Document,
}

impl MessageChange {
    /// What turns the stored document `old` into `new` (`None` when nothing differs).
    pub(crate) fn between(old: &Document, new: Document) -> Option<Self> {
        let mut filter = doc! { "_id": new.get("_id").cloned().unwrap_or(Bson::Null) };
        let mut set = Document::new();
        for (k, v) in new {
            if k == "_id" || old.get(&k) == Some(&v) {
                continue;
            }
            // The search terms follow the content; the guard is on what they follow.
            if k != "terms" {
                filter.insert(k.clone(), old.get(&k).cloned().unwrap_or(Bson::Null));
            }
            set.insert(k, v);
        }
        (!set.is_empty()).then_some(Self { filter, set })
    }
}

/// Where a crash test stops an ingest, as if the process had died there.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// The journal is written; nothing is held.
    AfterJournal,
    /// The batch's conversations and contacts are held; the journal is not committed.
    AfterHolds,
    /// The journal is committed; nothing is written.
    AfterCommit,
    /// The messages are written; the held records are not.
    AfterMessages,
    /// The contacts are written; the conversations are not.
    AfterContacts,
    /// Every record is written; the state values are not.
    AfterRecords,
    /// Everything is written; the journal is not deleted.
    AfterState,
}

/// One batch's planned record writes.
#[derive(Debug, Clone)]
pub(crate) struct Journal {
    pub id: String,
    pub committed: bool,
    pub created_at: DateTime<Utc>,
    pub contacts: Vec<DocWrite>,
    pub conversations: Vec<DocWrite>,
    pub new_messages: Vec<Document>,
    pub changed_messages: Vec<MessageChange>,
}

impl Journal {
    pub(crate) fn new() -> Self {
        Self {
            id: format!("journal:{}", uuid::Uuid::new_v4()),
            committed: false,
            created_at: crate::codec::ms(Utc::now()),
            contacts: Vec::new(),
            conversations: Vec::new(),
            new_messages: Vec::new(),
            changed_messages: Vec::new(),
        }
    }

    /// Whether the batch writes no record at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.contacts.is_empty() && self.conversations.is_empty() && self.new_messages.is_empty() && self.changed_messages.is_empty()
    }

    fn to_doc(&self) -> Document {
        let writes = |w: &[DocWrite]| -> Vec<Document> {
            w.iter().map(|w| doc! { "id": &w.id, "read": w.read.map_or(Bson::Null, |r| Bson::Int64(r.0)), "new": w.new.clone() }).collect()
        };
        doc! {
            "_id": &self.id,
            "kind": "journal",
            "committed": self.committed,
            "createdAt": date(self.created_at),
            "contacts": writes(&self.contacts),
            "conversations": writes(&self.conversations),
            "newMessages": self.new_messages.clone(),
            "changedMessages": self.changed_messages.iter().map(|c| doc! { "filter": c.filter.clone(), "set": c.set.clone() }).collect::<Vec<_>>(),
        }
    }

    fn from_doc(d: &Document) -> Result<Self, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("ingest journal {:?}: {what}", d.get("_id")));
        let docs = |field: &str| -> Result<Vec<Document>, StoreError> {
            d.get_array(field).map_err(|_| bad(field))?.iter().map(|b| b.as_document().cloned().ok_or_else(|| bad(field))).collect()
        };
        let writes = |field: &str| -> Result<Vec<DocWrite>, StoreError> {
            docs(field)?
                .into_iter()
                .map(|w| {
                    let id = w.get_str("id").map_err(|_| bad(field))?.to_owned();
                    let read = match w.get("read") {
                        Some(Bson::Null) | None => None,
                        other => Some(Revision(crate::error::number(other))),
                    };
                    let new = w.get_document("new").map_err(|_| bad(field))?.clone();
                    Ok(DocWrite { id, read, new })
                })
                .collect()
        };
        let changed = docs("changedMessages")?
            .into_iter()
            .map(|c| {
                Ok(MessageChange {
                    filter: c.get_document("filter").map_err(|_| bad("changedMessages"))?.clone(),
                    set: c.get_document("set").map_err(|_| bad("changedMessages"))?.clone(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Self {
            id: d.get_str("_id").map_err(|_| bad("_id"))?.to_owned(),
            committed: d.get_bool("committed").unwrap_or(false),
            created_at: d.get_datetime("createdAt").map(|t| t.to_chrono()).unwrap_or_default(),
            contacts: writes("contacts")?,
            conversations: writes("conversations")?,
            new_messages: docs("newMessages")?,
            changed_messages: changed,
        })
    }

    fn records(&self) -> [(&'static str, &[DocWrite]); 2] {
        [(CONTACTS, &self.contacts), (CONVERSATIONS, &self.conversations)]
    }
}

/// How taking the holds went.
pub(crate) enum Held {
    /// Every record is held, the journal committed.
    Committed,
    /// Another writer changed or holds a record; the journal is undone.
    Conflict,
}

impl MongoStore {
    /// Writes the journal (one round trip).
    pub(crate) async fn write_journal(&self, j: &Journal) -> Result<(), StoreError> {
        self.state().insert_one(j.to_doc()).await.map(drop).map_err(ctx("writing an ingest journal"))
    }

    /// Holds the journal's records (one command per collection).
    pub(crate) async fn hold(&self, j: &Journal) -> Result<bool, StoreError> {
        for (collection, writes) in j.records() {
            if writes.is_empty() {
                continue;
            }
            let statements: Vec<Document> = writes
                .iter()
                .map(|w| match w.read {
                    Some(read) => {
                        statement(crate::revision::guarded(doc! { "_id": &w.id }, read), doc! { "$set": { HELD_BY: &j.id } }, false)
                    }
                    None => {
                        let mut placeholder = w.new.clone();
                        placeholder.insert(HELD_BY, &j.id);
                        placeholder.insert(HELD_NEW, true);
                        statement(doc! { "_id": &w.id }, placeholder, true)
                    }
                })
                .collect();
            let expected = statements.len() as i64;
            let context = "holding a batch's records";
            let outcome =
                update_many_statements(self.database(), self.statements_per_command(), collection, statements, false, context).await?;
            outcome.fail_on_other_errors(context)?;
            if !outcome.errors.is_empty() || outcome.n < expected {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Commits the journal: from here on it is rolled forward, never undone. `false` when another
    /// writer undid it first.
    pub(crate) async fn commit(&self, j: &mut Journal) -> Result<bool, StoreError> {
        let result = self
            .state()
            .update_one(doc! { "_id": &j.id, "committed": false }, doc! { "$set": { "committed": true } })
            .await
            .map_err(ctx("committing an ingest journal"))?;
        j.committed = result.matched_count == 1;
        Ok(j.committed)
    }

    /// Holds and commits, or undoes the journal on a conflict.
    pub(crate) async fn hold_and_commit(&self, j: &mut Journal, stop: Option<CrashPoint>) -> Result<Option<Held>, StoreError> {
        if !self.hold(j).await? {
            self.undo(j).await?;
            return Ok(Some(Held::Conflict));
        }
        if stop == Some(CrashPoint::AfterHolds) {
            return Ok(None);
        }
        if !self.commit(j).await? {
            self.release(j).await?;
            return Ok(Some(Held::Conflict));
        }
        Ok(Some(Held::Committed))
    }

    /// Makes a committed journal's writes (idempotent). `false` when a crash test stopped it.
    pub(crate) async fn roll_forward(&self, j: &Journal, stop: Option<CrashPoint>) -> Result<bool, StoreError> {
        if !j.new_messages.is_empty() {
            match self.messages().insert_many(j.new_messages.clone()).ordered(false).await {
                Ok(_) => {}
                // Stored by an earlier run of this journal.
                Err(e)
                    if matches!(&*e.kind, ErrorKind::InsertMany(m) if m.write_concern_error.is_none()
                    && m.write_errors.iter().flatten().all(|w| w.code == DUPLICATE_KEY)) => {}
                Err(e) => return Err(store_error("storing a batch's messages", e)),
            }
        }
        if !j.changed_messages.is_empty() {
            let statements =
                j.changed_messages.iter().map(|c| statement(c.filter.clone(), doc! { "$set": c.set.clone() }, false)).collect();
            let context = "changing a batch's messages";
            update_many_statements(self.database(), self.statements_per_command(), MESSAGES, statements, false, context)
                .await?
                .fail_on_other_errors(context)?;
        }
        if stop == Some(CrashPoint::AfterMessages) {
            return Ok(false);
        }
        for (collection, writes) in j.records() {
            if !writes.is_empty() {
                let statements = writes.iter().map(|w| statement(doc! { "_id": &w.id, HELD_BY: &j.id }, w.new.clone(), false)).collect();
                let context = "writing a batch's records";
                update_many_statements(self.database(), self.statements_per_command(), collection, statements, false, context)
                    .await?
                    .fail_on_other_errors(context)?;
            }
            if collection == CONTACTS && stop == Some(CrashPoint::AfterContacts) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Deletes a finished journal.
    pub(crate) async fn delete_journal(&self, id: &str) -> Result<(), StoreError> {
        self.state().delete_one(doc! { "_id": id }).await.map(drop).map_err(ctx("deleting an ingest journal"))
    }

    /// Undoes an uncommitted journal: `false` when it was committed meanwhile (then it must be
    /// rolled forward instead).
    async fn undo(&self, j: &Journal) -> Result<bool, StoreError> {
        let deleted = self
            .state()
            .delete_one(doc! { "_id": &j.id, "committed": false })
            .await
            .map_err(ctx("undoing an ingest journal"))?
            .deleted_count;
        if deleted == 0 && self.state().find_one(doc! { "_id": &j.id }).await.map_err(ctx("reading an ingest journal"))?.is_some() {
            return Ok(false);
        }
        self.release(j).await?;
        Ok(true)
    }

    /// Releases the holds of a journal that will not be rolled forward.
    async fn release(&self, j: &Journal) -> Result<(), StoreError> {
        for (collection, writes) in j.records() {
            let ids = |new: bool| writes.iter().filter(|w| w.read.is_none() == new).map(|w| Bson::String(w.id.clone())).collect();
            self.release_ids(collection, &j.id, ids(true), ids(false)).await?;
        }
        Ok(())
    }

    /// Deletes the records `journal` created and was holding, and releases the others.
    async fn release_ids(&self, collection: &str, journal: &str, created: Vec<Bson>, held: Vec<Bson>) -> Result<(), StoreError> {
        let coll = self.database().collection::<Document>(collection);
        if !created.is_empty() {
            coll.delete_many(doc! { "_id": { "$in": created }, HELD_BY: journal })
                .await
                .map_err(ctx("removing the records of an undone journal"))?;
        }
        if !held.is_empty() {
            coll.update_many(doc! { "_id": { "$in": held }, HELD_BY: journal }, doc! { "$unset": { HELD_BY: "", HELD_NEW: "" } })
                .await
                .map_err(ctx("releasing the records of an undone journal"))?;
        }
        Ok(())
    }

    /// Brings the journal `id`, found holding `holders` (collection, `_id`), to an end: rolls it
    /// forward when committed, undoes it when abandoned, or waits for its owner.
    pub(crate) async fn resolve(&self, id: &str, holders: &[(&'static str, String)]) -> Result<(), StoreError> {
        for _ in 0..RESOLVE_ROUNDS {
            let Some(d) = self.state().find_one(doc! { "_id": id }).await.map_err(ctx("reading an ingest journal"))? else {
                // Undone (or finished) without releasing these: release them now.
                for (collection, record) in holders {
                    let coll = self.database().collection::<Document>(collection);
                    coll.delete_one(doc! { "_id": record, HELD_BY: id, HELD_NEW: true }).await.map_err(ctx("removing an orphan record"))?;
                    coll.update_one(doc! { "_id": record, HELD_BY: id }, doc! { "$unset": { HELD_BY: "", HELD_NEW: "" } })
                        .await
                        .map_err(ctx("releasing an orphan hold"))?;
                }
                return Ok(());
            };
            let j = Journal::from_doc(&d)?;
            if self.finish(&j).await? {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        Err(StoreError::Unavailable(format!("ingest journal {id} is still being written by another instance; try again")))
    }

    /// Rolls a committed journal forward, or undoes an abandoned one. `false` when its owner may
    /// still be writing it.
    async fn finish(&self, j: &Journal) -> Result<bool, StoreError> {
        if !j.committed {
            let abandoned = self.serializes_writes() || Utc::now() - j.created_at > Duration::milliseconds(STALE_AFTER_MS);
            if !abandoned {
                return Ok(false);
            }
            if self.undo(j).await? {
                tracing::warn!(journal = %j.id, "undid an abandoned ingest journal (its writer stopped before committing)");
                return Ok(true);
            }
        }
        self.roll_forward(j, None).await?;
        self.delete_journal(&j.id).await?;
        tracing::warn!(journal = %j.id, "finished an ingest journal its writer left (it stopped after committing)");
        Ok(true)
    }

    /// Every journal stored (one round trip).
    pub(crate) async fn journals(&self) -> Result<Vec<Document>, StoreError> {
        find_all(&self.state(), doc! { "kind": "journal" }, None, None, "reading ingest journals").await
    }

    /// Finishes the journals `found` whose writers stopped (one its owner may still be writing is
    /// left to it); how many it finished.
    pub(crate) async fn finish_all(&self, found: &[Document]) -> Result<usize, StoreError> {
        let mut finished = 0;
        for d in found {
            finished += usize::from(self.finish(&Journal::from_doc(d)?).await?);
        }
        Ok(finished)
    }

    /// Finishes every journal left by a writer that stopped (at open).
    pub(crate) async fn recover_journals(&self) -> Result<(), StoreError> {
        let found = self.journals().await?;
        self.finish_all(&found).await.map(drop)
    }
}
