//! Reading what a batch touches, in three round trips: its conversations, its contacts, its messages.

use std::collections::{BTreeMap, BTreeSet};

use bson::{Bson, Document, doc};
use telegcrm_domain::event::{InboundEvent, IngestBatch};
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::{AvatarId, Contact, Conversation, StoreError};

use super::plan::{ContactKey, KnownConversation, Snapshot};
use crate::MongoStore;
use crate::codec::{contact_from, conversation_from, message_from, opt_str, text};
use crate::write::find_all;

/// The filter that finds a conversation by its key.
pub(crate) fn chat_filter(key: &ChatKey) -> Document {
    doc! {
        "ownerAvatarId": text(key.owner),
        "telegramChatId": key.chat_id,
        "businessConnectionId": opt_str(key.business_connection_id.as_deref()),
    }
}

/// The filter that finds a contact by its key.
pub(crate) fn contact_filter(key: &ContactKey) -> Document {
    doc! { "ownerAvatarId": text(key.0), "telegramId": key.1 }
}

impl MongoStore {
    /// Conversations by key.
    pub(crate) async fn conversations_by_key(&self, keys: &[ChatKey]) -> Result<Vec<Conversation>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let or: Vec<Document> = keys.iter().map(chat_filter).collect();
        let docs = find_all(&self.conversations(), doc! { "$or": or }, None, None, "reading a batch's conversations").await?;
        docs.iter().map(conversation_from).collect()
    }

    /// Contacts by key.
    pub(crate) async fn contacts_by_key(&self, keys: &[ContactKey]) -> Result<Vec<Contact>, StoreError> {
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
        let docs = find_all(&self.contacts(), doc! { "$or": or }, None, None, "reading a batch's contacts").await?;
        docs.iter().map(contact_from).collect()
    }

    /// What is stored of everything the batch touches.
    pub(crate) async fn snapshot(&self, batch: &IngestBatch) -> Result<Snapshot, StoreError> {
        let mut chats: Vec<ChatKey> = Vec::new();
        let mut contact_keys: Vec<ContactKey> = Vec::new();
        let mut message_ids: Vec<(ChatKey, i64)> = Vec::new();
        for prepared in &batch.events {
            let m = match &prepared.event {
                InboundEvent::Message(m) => m,
                InboundEvent::Edit(e) => &e.message,
                InboundEvent::Deletion(d) => {
                    chats.push(d.chat.clone());
                    message_ids.extend(d.telegram_message_ids.iter().map(|id| (d.chat.clone(), *id)));
                    continue;
                }
                InboundEvent::BusinessConnection(_) => continue,
            };
            chats.push(m.chat.key.clone());
            message_ids.push((m.chat.key.clone(), m.telegram_message_id));
            let owner = m.chat.key.owner;
            contact_keys.extend(m.contact_user().map(|u| (owner, u.id)));
            contact_keys.extend(m.chat.counterpart.as_ref().map(|u| (owner, u.id)));
        }
        chats.sort_by(|a, b| (a.owner, a.chat_id, &a.business_connection_id).cmp(&(b.owner, b.chat_id, &b.business_connection_id)));
        chats.dedup();
        contact_keys.sort_unstable();
        contact_keys.dedup();

        let mut snap = Snapshot::default();
        for c in self.conversations_by_key(&chats).await? {
            snap.conversations.insert(c.key(), KnownConversation { id: c.id, chat_type: c.chat_type, last_read_at: c.last_read_at });
        }
        for c in self.contacts_by_key(&contact_keys).await? {
            snap.contacts.insert((c.owner_avatar_id, c.telegram_id), c);
        }
        let mut by_conversation: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        for (chat, id) in &message_ids {
            if let Some(c) = snap.conversations.get(chat) {
                by_conversation.entry(c.id.to_string()).or_default().insert(*id);
            }
        }
        if !by_conversation.is_empty() {
            let or: Vec<Document> = by_conversation
                .into_iter()
                .map(|(conv, ids)| doc! { "conversationId": Bson::String(conv), "telegramMessageId": { "$in": ids.into_iter().collect::<Vec<i64>>() } })
                .collect();
            let docs = find_all(&self.messages(), doc! { "$or": or }, None, None, "reading a batch's messages").await?;
            for d in &docs {
                let m = message_from(d)?;
                snap.messages.insert((m.conversation_id, m.telegram_message_id), m);
            }
        }
        Ok(snap)
    }
}
