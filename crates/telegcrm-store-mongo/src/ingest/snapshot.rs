//! What a batch touches, read in three round trips (its conversations and contacts side by side,
//! then its messages), held in memory as the domain's [`IngestTx`]: reads see the batch's own
//! writes, and each written record keeps only its final state, to be written back by the journal.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bson::{Bson, Document, doc};
use telegcrm_domain::event::{InboundEvent, IngestBatch, Restored};
use telegcrm_domain::ingest::IngestTx;
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::{AvatarId, Contact, ContactId, Conversation, ConversationId, Message, StoreError};

use super::journal::{DocWrite, Journal, MessageChange};
use crate::MongoStore;
use crate::codec::{contact_doc, contact_from, conversation_doc, conversation_from, message_doc, message_from, opt_str, text};
use crate::collections::{CONTACTS, CONVERSATIONS};
use crate::revision::{Revision, pending_journal};
use crate::write::find_all;

/// A contact's key: owner and Telegram user id.
pub(crate) type ContactKey = (AvatarId, i64);

/// The filter that finds a conversation by its key.
fn chat_filter(key: &ChatKey) -> Document {
    doc! {
        "ownerAvatarId": text(key.owner),
        "telegramChatId": key.chat_id,
        "businessConnectionId": opt_str(key.business_connection_id.as_deref()),
    }
}

/// A conversation or contact as read (or created), and whether the batch wrote it.
#[derive(Debug)]
struct Entry<T> {
    value: T,
    /// The revision read; `None` for a record this batch creates.
    read: Option<Revision>,
    written: bool,
}

/// A message as read (or created), and whether the batch wrote it.
#[derive(Debug)]
struct MessageEntry {
    value: Message,
    /// The document read; `None` for a message this batch stores.
    stored: Option<Document>,
    written: bool,
}

/// The records one batch touches, in memory.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    conversations: HashMap<ConversationId, Entry<Conversation>>,
    conversation_ids: HashMap<ChatKey, ConversationId>,
    contacts: HashMap<ContactId, Entry<Contact>>,
    contact_ids: HashMap<ContactKey, ContactId>,
    messages: HashMap<(ConversationId, i64), MessageEntry>,
    state: Vec<(String, String)>,
    /// Journals (of other writers) holding records read, with the records (collection, `_id`).
    pub(crate) pending: BTreeMap<String, Vec<(&'static str, String)>>,
}

/// What a batch reads.
#[derive(Default)]
struct Touched {
    chats: Vec<ChatKey>,
    contacts: Vec<ContactKey>,
    /// Messages by chat (live capture and history).
    messages: Vec<(ChatKey, i64)>,
    /// Messages by conversation (restored records, whose conversation id is known).
    restored_messages: Vec<(ConversationId, i64)>,
}

/// What a batch reads: chats, contacts, and messages by chat or by conversation.
fn touched(batch: &IngestBatch) -> Touched {
    let mut t = Touched::default();
    let Touched { chats, contacts, messages, restored_messages } = &mut t;
    for prepared in &batch.events {
        let m = match &prepared.event {
            InboundEvent::Message(m) => m,
            InboundEvent::Edit(e) => &e.message,
            InboundEvent::History(h) => &h.message,
            InboundEvent::Deletion(d) => {
                chats.push(d.chat.clone());
                chats.extend(d.chat.imported_personal());
                messages.extend(d.telegram_message_ids.iter().map(|id| (d.chat.clone(), *id)));
                continue;
            }
            InboundEvent::Reaction(r) => {
                chats.push(r.chat.clone());
                chats.extend(r.chat.imported_personal());
                messages.push((r.chat.clone(), r.telegram_message_id));
                continue;
            }
            InboundEvent::BusinessConnection(_) => continue,
            InboundEvent::Membership(m) => {
                chats.push(m.chat.key.clone());
                contacts.extend(m.chat.counterpart.as_ref().map(|u| (m.chat.key.owner, u.id)));
                continue;
            }
            InboundEvent::Migration(m) => {
                chats.push(m.from.clone());
                chats.push(m.to.key.clone());
                &m.message
            }
            InboundEvent::Restore(r) => {
                match r.as_ref() {
                    Restored::Contact(c) => contacts.push((c.owner_avatar_id, c.telegram_id)),
                    Restored::Conversation(c) => chats.push(c.key()),
                    Restored::Message { message: m, chat } => {
                        chats.push(chat.clone());
                        restored_messages.push((m.conversation_id, m.telegram_message_id));
                    }
                }
                continue;
            }
        };
        chats.push(m.chat.key.clone());
        // The rule may find a Business chat as it was imported (ChatKey::imported_personal).
        chats.extend(m.chat.key.imported_personal());
        messages.push((m.chat.key.clone(), m.telegram_message_id));
        let owner = m.chat.key.owner;
        contacts.extend(m.contact_user().map(|u| (owner, u.id)));
        contacts.extend(m.chat.counterpart.as_ref().map(|u| (owner, u.id)));
    }
    chats.sort_by(|a, b| (a.owner, a.chat_id, &a.business_connection_id).cmp(&(b.owner, b.chat_id, &b.business_connection_id)));
    chats.dedup();
    contacts.sort_unstable();
    contacts.dedup();
    t
}

impl MongoStore {
    /// Reads everything `batch` touches (three round trips).
    pub(crate) async fn snapshot(&self, batch: &IngestBatch) -> Result<Snapshot, StoreError> {
        let Touched { chats, contacts: contact_keys, messages: message_keys, restored_messages } = touched(batch);
        let (conversations, contacts) = tokio::try_join!(self.conversation_docs(&chats), self.contact_docs(&contact_keys))?;
        let mut snap = Snapshot::default();
        for d in &conversations {
            let c = conversation_from(d)?;
            if let Some(j) = pending_journal(d) {
                snap.pending.entry(j).or_default().push((CONVERSATIONS, c.id.to_string()));
            }
            snap.conversation_ids.insert(c.key(), c.id);
            snap.conversations.insert(c.id, Entry { value: c, read: Some(Revision::of(d)), written: false });
        }
        for d in &contacts {
            let c = contact_from(d)?;
            if let Some(j) = pending_journal(d) {
                snap.pending.entry(j).or_default().push((CONTACTS, c.id.to_string()));
            }
            snap.contact_ids.insert((c.owner_avatar_id, c.telegram_id), c.id);
            snap.contacts.insert(c.id, Entry { value: c, read: Some(Revision::of(d)), written: false });
        }
        let mut by_conversation: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        for (chat, id) in &message_keys {
            let own = snap.conversation_ids.get(chat);
            let imported = || chat.imported_personal().and_then(|k| snap.conversation_ids.get(&k));
            if let Some(c) = own.or_else(imported) {
                by_conversation.entry(c.to_string()).or_default().insert(*id);
            }
        }
        for (c, id) in &restored_messages {
            by_conversation.entry(c.to_string()).or_default().insert(*id);
        }
        if !by_conversation.is_empty() {
            let or: Vec<Document> = by_conversation
                .into_iter()
                .map(|(conv, ids)| doc! { "conversationId": Bson::String(conv), "telegramMessageId": { "$in": ids.into_iter().collect::<Vec<i64>>() } })
                .collect();
            for d in find_all(&self.messages(), doc! { "$or": or }, None, None, "reading a batch's messages").await? {
                let m = message_from(&d)?;
                snap.messages
                    .insert((m.conversation_id, m.telegram_message_id), MessageEntry { value: m, stored: Some(d), written: false });
            }
        }
        Ok(snap)
    }

    async fn conversation_docs(&self, keys: &[ChatKey]) -> Result<Vec<Document>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let or: Vec<Document> = keys.iter().map(chat_filter).collect();
        find_all(&self.conversations(), doc! { "$or": or }, None, None, "reading a batch's conversations").await
    }

    async fn contact_docs(&self, keys: &[ContactKey]) -> Result<Vec<Document>, StoreError> {
        let mut by_owner: BTreeMap<AvatarId, BTreeSet<i64>> = BTreeMap::new();
        for (owner, id) in keys {
            by_owner.entry(*owner).or_default().insert(*id);
        }
        if by_owner.is_empty() {
            return Ok(Vec::new());
        }
        let or: Vec<Document> = by_owner
            .into_iter()
            .map(|(owner, ids)| doc! { "ownerAvatarId": text(owner), "telegramId": { "$in": ids.into_iter().collect::<Vec<i64>>() } })
            .collect();
        find_all(&self.contacts(), doc! { "$or": or }, None, None, "reading a batch's contacts").await
    }
}

fn doc_write<T>(id: String, e: &Entry<T>, document: Document) -> DocWrite {
    DocWrite { id, read: e.read, new: e.read.unwrap_or_default().next().stamp(document) }
}

impl Snapshot {
    /// The batch's writes: the journal of its records, and its state values.
    pub(crate) fn into_writes(mut self) -> Result<(Journal, Vec<(String, String)>), StoreError> {
        // A conversation whose messages change is written too (unchanged, one revision on), so
        // that it is held while they are.
        let touched: BTreeSet<ConversationId> = self.messages.iter().filter(|(_, m)| m.written).map(|((c, _), _)| *c).collect();
        for id in touched {
            if let Some(c) = self.conversations.get_mut(&id) {
                c.written = true;
            }
        }
        let mut journal = Journal::new();
        for e in self.contacts.values().filter(|e| e.written) {
            journal.contacts.push(doc_write(e.value.id.to_string(), e, contact_doc(&e.value)));
        }
        for e in self.conversations.values().filter(|e| e.written) {
            journal.conversations.push(doc_write(e.value.id.to_string(), e, conversation_doc(&e.value)?));
        }
        for m in self.messages.values().filter(|m| m.written) {
            let new = message_doc(&m.value);
            match &m.stored {
                None => journal.new_messages.push(new),
                Some(old) => journal.changed_messages.extend(MessageChange::between(old, new)),
            }
        }
        Ok((journal, self.state))
    }
}

fn not_prefetched(what: &str) -> StoreError {
    StoreError::Corrupt(format!("ingest asked for a {what} the batch did not name"))
}

impl IngestTx for Snapshot {
    fn find_conversation(&mut self, key: &ChatKey) -> Result<Option<Conversation>, StoreError> {
        Ok(self.conversation_ids.get(key).and_then(|id| self.conversations.get(id)).map(|e| e.value.clone()))
    }

    fn insert_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        self.conversation_ids.insert(c.key(), c.id);
        self.conversations.insert(c.id, Entry { value: c.clone(), read: None, written: true });
        Ok(())
    }

    fn update_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        let e = self.conversations.get_mut(&c.id).ok_or_else(|| not_prefetched("conversation"))?;
        e.value = c.clone();
        e.written = true;
        Ok(())
    }

    fn find_contact(&mut self, owner: AvatarId, telegram_id: i64) -> Result<Option<Contact>, StoreError> {
        Ok(self.contact_ids.get(&(owner, telegram_id)).and_then(|id| self.contacts.get(id)).map(|e| e.value.clone()))
    }

    fn insert_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        self.contact_ids.insert((c.owner_avatar_id, c.telegram_id), c.id);
        self.contacts.insert(c.id, Entry { value: c.clone(), read: None, written: true });
        Ok(())
    }

    fn update_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        let e = self.contacts.get_mut(&c.id).ok_or_else(|| not_prefetched("contact"))?;
        e.value = c.clone();
        e.written = true;
        Ok(())
    }

    fn find_message(&mut self, conversation: ConversationId, telegram_message_id: i64) -> Result<Option<Message>, StoreError> {
        Ok(self.messages.get(&(conversation, telegram_message_id)).map(|m| m.value.clone()))
    }

    fn insert_message(&mut self, m: &Message) -> Result<(), StoreError> {
        self.messages.insert((m.conversation_id, m.telegram_message_id), MessageEntry { value: m.clone(), stored: None, written: true });
        Ok(())
    }

    fn update_message(&mut self, m: &Message, _old: &Message) -> Result<(), StoreError> {
        let e = self.messages.get_mut(&(m.conversation_id, m.telegram_message_id)).ok_or_else(|| not_prefetched("message"))?;
        e.value = m.clone();
        e.written = true;
        Ok(())
    }

    fn put_state(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.state.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
}
