//! Ingest without transactions. A batch costs a bounded number of round trips, however many
//! messages it holds: three reads (snapshot), then one command each for contacts, conversations,
//! messages, message changes, conversation counters, contact counters and state (plus a re-read
//! of new contacts and conversations, and rare retries when another writer raced us).
//!
//! Idempotence and concurrency rest on the unique indexes: a contact, conversation or message is
//! created by an upsert or insert that at most one writer wins; the others see a duplicate key
//! (code 11000) and treat the record as already there. Counters move only for messages this
//! writer inserted, by `$inc`/`$max`/conditional updates, so two instances ingesting overlapping
//! batches end with exact counts. What transactions would add and this cannot: a crash in the
//! middle of a batch can leave its messages stored without their counter updates.

mod ops;
mod plan;
mod snapshot;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use bson::{Document, doc};
use chrono::{DateTime, Utc};
use mongodb::error::ErrorKind;
use telegcrm_domain::event::{IngestBatch, IngestReport};
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::ports::IngestStore;
use telegcrm_domain::{Contact, Conversation, ConversationId, Message, StoreError};

use self::plan::{ContactKey, Delta, Modification, Plan};
use self::snapshot::{chat_filter, contact_filter};
use crate::MongoStore;
use crate::codec::{conversation_doc, edits, message_doc, message_from, ms, opt_date, opt_media, opt_str, search_terms, text};
use crate::collections::{CONTACTS, CONVERSATIONS, MESSAGES, STATE};
use crate::error::{DUPLICATE_KEY, ctx, store_error};
use crate::state::kv_id;
use crate::write::{statement, update_many_statements};

/// How often a message change is retried when another writer changed the message in between.
const RETRIES: usize = 20;

#[async_trait]
impl IngestStore for MongoStore {
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        self.serialized(self.ingest_now(batch)).await
    }
}

impl MongoStore {
    async fn ingest_now(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        let now = ms(batch.received_at);
        let snap = self.snapshot(batch).await?;
        let plan = plan::plan(batch, &snap)?;
        let contacts = self.write_contacts(&plan).await?;
        let mut conversations: HashMap<ChatKey, ConversationId> = snap.conversations.iter().map(|(k, c)| (k.clone(), c.id)).collect();
        conversations.extend(self.open_conversations(&plan, &contacts).await?);
        let lost = self.insert_messages(&plan, &conversations).await?;
        let applied_late = self.change_messages(&plan, &conversations, &lost).await?;
        self.write_deltas(&plan, &conversations, &contacts, &lost, &applied_late, now).await?;
        self.write_state(&plan.state, "storing a batch's state").await?;
        let mut report = plan.report;
        report.messages_stored -= lost.len() as u64;
        report.duplicates += lost.len() as u64;
        Ok(report)
    }
}

/// The profile fields a contact's Telegram user sets (what `Contact::refresh_profile` writes).
fn profile_fields(c: &Contact) -> Document {
    let mut set = Document::new();
    if !c.first_name.is_empty() {
        set.insert("firstName", &c.first_name);
    }
    for (name, value) in
        [("lastName", &c.last_name), ("username", &c.username), ("languageCode", &c.language_code), ("phoneNumber", &c.phone_number)]
    {
        if let Some(v) = value {
            set.insert(name, v);
        }
    }
    set
}

/// The contact fields a private conversation copies from its counterpart.
fn contact_link(c: &Contact) -> Document {
    doc! { "contactId": text(c.id), "contactName": c.display_name(), "contactUsername": opt_str(c.username.as_deref()) }
}

impl MongoStore {
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

    /// Creates and refreshes the batch's contacts; returns every contact it touches, as stored.
    async fn write_contacts(&self, plan: &Plan) -> Result<HashMap<ContactKey, Contact>, StoreError> {
        let statements: Vec<Document> = plan
            .contacts
            .iter()
            .filter(|c| c.is_new || c.refreshed)
            .map(|c| {
                let set = profile_fields(&c.contact);
                let mut insert = crate::codec::contact_doc(&c.contact);
                for key in set.keys() {
                    insert.remove(key);
                }
                let mut update = doc! { "$setOnInsert": insert };
                if !set.is_empty() {
                    update.insert("$set", set);
                }
                statement(contact_filter(&c.key), update, true)
            })
            .collect();
        if !statements.is_empty() {
            self.upsert_all(CONTACTS, statements, "storing a batch's contacts").await?;
        }
        let keys: Vec<ContactKey> = plan.contacts.iter().map(|c| c.key).collect();
        let stored = self.contacts_by_key(&keys).await?;
        Ok(stored.into_iter().map(|c| ((c.owner_avatar_id, c.telegram_id), c)).collect())
    }

    /// Opens the batch's new conversations; returns their ids as stored (another writer's, if it
    /// opened the same chat first).
    async fn open_conversations(
        &self,
        plan: &Plan,
        contacts: &HashMap<ContactKey, Contact>,
    ) -> Result<HashMap<ChatKey, ConversationId>, StoreError> {
        if plan.conversations.is_empty() {
            return Ok(HashMap::new());
        }
        let mut statements = Vec::new();
        for c in &plan.conversations {
            let counterpart = c.counterpart.and_then(|k| contacts.get(&k));
            let open = Conversation::open(&c.key, c.chat_type, c.title.clone(), counterpart, c.opened_at);
            statements.push(statement(chat_filter(&c.key), doc! { "$setOnInsert": conversation_doc(&open)? }, true));
        }
        self.upsert_all(CONVERSATIONS, statements, "opening a batch's conversations").await?;
        let keys: Vec<ChatKey> = plan.conversations.iter().map(|c| c.key.clone()).collect();
        Ok(self.conversations_by_key(&keys).await?.into_iter().map(|c| (c.key(), c.id)).collect())
    }

    /// Inserts the batch's new messages in one unordered command; returns the plan indexes of
    /// those another writer had stored already (duplicate key).
    async fn insert_messages(&self, plan: &Plan, conversations: &HashMap<ChatKey, ConversationId>) -> Result<HashSet<usize>, StoreError> {
        let mut docs = Vec::new();
        let mut origin = Vec::new();
        for (i, m) in plan.messages.iter().enumerate() {
            if m.stored.is_some() {
                continue;
            }
            let conv = conversations
                .get(&m.chat)
                .ok_or_else(|| StoreError::Unavailable(format!("conversation of chat {} vanished during ingest", m.chat.chat_id)))?;
            let mut msg = m.message.clone();
            msg.conversation_id = *conv;
            docs.push(message_doc(&msg));
            origin.push(i);
        }
        let mut lost = HashSet::new();
        if docs.is_empty() {
            return Ok(lost);
        }
        match self.messages().insert_many(docs).ordered(false).await {
            Ok(_) => Ok(lost),
            Err(e) => match &*e.kind {
                ErrorKind::InsertMany(m) if m.write_concern_error.is_none() => {
                    for w in m.write_errors.iter().flatten() {
                        if w.code != DUPLICATE_KEY {
                            return Err(store_error("storing a batch's messages", e.clone()));
                        }
                        lost.extend(origin.get(w.index).copied());
                    }
                    Ok(lost)
                }
                _ => Err(store_error("storing a batch's messages", e)),
            },
        }
    }

    /// Writes edits and deletions of messages that were stored before this batch (one guarded
    /// command), and of messages another writer stored first (re-read, re-applied). Returns the
    /// deltas of edits applied that way.
    async fn change_messages(
        &self,
        plan: &Plan,
        conversations: &HashMap<ChatKey, ConversationId>,
        lost: &HashSet<usize>,
    ) -> Result<HashSet<usize>, StoreError> {
        let mut applied_late = HashSet::new();
        let mut guarded = Vec::new();
        let mut guarded_plans = Vec::new();
        for (i, m) in plan.messages.iter().enumerate() {
            if let (Some(stored), false) = (&m.stored, m.modifications.is_empty()) {
                guarded.push(statement(guard(stored), doc! { "$set": changed_fields(&m.message) }, false));
                guarded_plans.push(i);
            }
        }
        let expected = guarded.len() as i64;
        if !guarded.is_empty() {
            let outcome = update_many_statements(
                self.database(),
                self.statements_per_command(),
                MESSAGES,
                guarded,
                false,
                "changing a batch's messages",
            )
            .await?;
            outcome.fail_on_other_errors("changing a batch's messages")?;
            if outcome.n < expected {
                // Another writer changed some of them in between: redo those not yet as planned.
                for &i in &guarded_plans {
                    self.reapply(plan, i, conversations, true, &mut applied_late).await?;
                }
            }
        }
        for &i in lost {
            if !plan.messages[i].modifications.is_empty() {
                self.reapply(plan, i, conversations, false, &mut applied_late).await?;
            }
        }
        Ok(applied_late)
    }

    /// Applies a message plan's modifications to the stored message, compare-and-set.
    async fn reapply(
        &self,
        plan: &Plan,
        i: usize,
        conversations: &HashMap<ChatKey, ConversationId>,
        keep_planned_deltas: bool,
        applied_late: &mut HashSet<usize>,
    ) -> Result<(), StoreError> {
        let m = &plan.messages[i];
        let Some(conv) = conversations.get(&m.chat) else { return Ok(()) };
        let filter = doc! { "conversationId": text(conv), "telegramMessageId": m.message.telegram_message_id };
        for _ in 0..RETRIES {
            let Some(d) = self.messages().find_one(filter.clone()).await.map_err(ctx("re-reading a message"))? else { return Ok(()) };
            let stored = message_from(&d)?;
            if keep_planned_deltas && same_change_state(&stored, &m.message) {
                return Ok(());
            }
            let mut next = stored.clone();
            let mut deltas = Vec::new();
            for modification in &m.modifications {
                match modification {
                    Modification::Edit { text, media, at, delta } => {
                        if next.apply_edit(text, media.as_ref(), *at) {
                            deltas.push(*delta);
                        }
                    }
                    Modification::Delete { at } => {
                        next.mark_deleted(*at);
                    }
                }
            }
            if same_change_state(&stored, &next) {
                return Ok(());
            }
            let result = self
                .messages()
                .update_one(guard(&stored), doc! { "$set": changed_fields(&next) })
                .await
                .map_err(ctx("changing a message"))?;
            if result.matched_count == 1 {
                if !keep_planned_deltas {
                    applied_late.extend(deltas);
                }
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(format!(
            "message {} kept changing under concurrent writers; retry the batch",
            m.message.telegram_message_id
        )))
    }

    /// The conversation and contact counters of every message this writer stored and every edit
    /// it applied, in batch order (two ordered commands).
    async fn write_deltas(
        &self,
        plan: &Plan,
        conversations: &HashMap<ChatKey, ConversationId>,
        contacts: &HashMap<ContactKey, Contact>,
        lost: &HashSet<usize>,
        applied_late: &HashSet<usize>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conv_statements = Vec::new();
        let mut contact_statements = Vec::new();
        for (index, delta) in plan.deltas.iter().enumerate() {
            let message = delta.message();
            if lost.contains(&message) && !applied_late.contains(&index) {
                continue;
            }
            let Some(conv) = conversations.get(&plan.messages[message].chat) else { continue };
            let conv = text(conv);
            match delta {
                Delta::Recorded { direction, sent_at, preview, detected, contact, counterpart, .. } => {
                    let link = counterpart.and_then(|k| contacts.get(&k)).map(contact_link);
                    conv_statements.extend(ops::conversation_recorded(&conv, *direction, *sent_at, preview, *detected, now, link));
                    if let Some(c) = contact.and_then(|k| contacts.get(&k)) {
                        contact_statements.extend(ops::contact_recorded(&text(c.id), *direction, *sent_at, now));
                    }
                }
                Delta::Edited { sent_at, preview, detected, .. } => {
                    conv_statements.extend(ops::conversation_edited(&conv, *sent_at, preview, *detected, now));
                }
            }
        }
        for (collection, statements, context) in [
            (CONVERSATIONS, conv_statements, "updating a batch's conversations"),
            (CONTACTS, contact_statements, "updating a batch's contacts"),
        ] {
            if !statements.is_empty() {
                let outcome =
                    update_many_statements(self.database(), self.statements_per_command(), collection, statements, true, context).await?;
                if let Some(e) = outcome.errors.first() {
                    return Err(StoreError::Unavailable(format!("{context}: code {}: {}", e.code, e.message)));
                }
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
}

/// The filter that matches a message only as it was read (compare-and-set).
fn guard(stored: &Message) -> Document {
    doc! {
        "_id": text(stored.id),
        "content": &stored.content,
        "editedAt": opt_date(stored.edited_at),
        "deletedAt": opt_date(stored.deleted_at),
        "edits": edits(&stored.edits),
    }
}

/// The fields edits and deletions change.
fn changed_fields(m: &Message) -> Document {
    doc! {
        "content": &m.content,
        "terms": search_terms(&m.content),
        "media": opt_media(m.media.as_ref()),
        "editedAt": opt_date(m.edited_at),
        "edits": edits(&m.edits),
        "deletedAt": opt_date(m.deleted_at),
    }
}

/// Whether two versions of a message agree on what edits and deletions change.
fn same_change_state(a: &Message, b: &Message) -> bool {
    a.content == b.content && a.edited_at == b.edited_at && a.deleted_at == b.deleted_at && a.media == b.media && a.edits == b.edits
}
