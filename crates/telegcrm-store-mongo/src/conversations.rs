//! Conversations and messages: lists, look-ups and hand changes.

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use telegcrm_domain::model::ConversationChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{Assignee, ConversationFilter, ConversationStore, MessageStore};
use telegcrm_domain::{AvatarId, Conversation, ConversationId, Message, Page, StoreError};

use crate::MongoStore;
use crate::codec::{conversation_doc, conversation_from, message_from, text};
use crate::collections::CONVERSATIONS;
use crate::error::ctx;
use crate::write::{after_desc, and, find_all, overfetch};

fn conversation_key(c: &Conversation) -> (DateTime<Utc>, uuid::Uuid) {
    (c.last_message_at, c.id.as_uuid())
}

fn message_key(m: &Message) -> (DateTime<Utc>, uuid::Uuid) {
    (m.sent_at, m.id.as_uuid())
}

#[async_trait]
impl ConversationStore for MongoStore {
    async fn get_conversation(&self, owner: AvatarId, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let found = self
            .conversations()
            .find_one(doc! { "_id": text(id), "ownerAvatarId": text(owner) })
            .await
            .map_err(ctx("reading a conversation"))?;
        found.as_ref().map(conversation_from).transpose()
    }

    async fn get_conversations(&self, owner: AvatarId, ids: &[ConversationId]) -> Result<Vec<Conversation>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Bson> = ids.iter().map(text).collect();
        let docs = find_all(
            &self.conversations(),
            doc! { "_id": { "$in": ids }, "ownerAvatarId": text(owner) },
            None,
            None,
            "reading conversations",
        )
        .await?;
        docs.iter().map(conversation_from).collect()
    }

    async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        let mut base = doc! { "ownerAvatarId": text(owner) };
        if let Some(s) = filter.status {
            base.insert("status", s.as_str());
        }
        if let Some(p) = filter.priority {
            base.insert("priority", p.as_str());
        }
        if let Some(t) = &filter.tag {
            base.insert("tagKeys", t.key());
        }
        if filter.unread_only {
            base.insert("unreadCount", doc! { "$gt": 0 });
        }
        if let Some(c) = filter.contact_id {
            base.insert("contactId", text(c));
        }
        match filter.assignee {
            // Null matches a missing field too: conversations stored before assignment existed.
            Some(Assignee::Nobody) => {
                base.insert("assigneeAvatarId", Bson::Null);
            }
            Some(Assignee::Member(a)) => {
                base.insert("assigneeAvatarId", text(a));
            }
            None => {}
        }
        let parts: Vec<Document> = std::iter::once(base).chain(after_desc("lastMessageAt", page)).collect();
        let docs = find_all(
            &self.conversations(),
            and(parts),
            Some(doc! { "lastMessageAt": -1, "_id": -1 }),
            Some(overfetch(page)),
            "listing conversations",
        )
        .await?;
        let items = docs.iter().map(conversation_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page.limit, conversation_key))
    }

    async fn update_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        self.serialized(self.change_conversation(owner, id, change, now)).await
    }

    async fn list_owners(&self) -> Result<Vec<AvatarId>, StoreError> {
        let mut owners = std::collections::HashSet::new();
        for values in [
            self.conversations().distinct("ownerAvatarId", doc! {}).await.map_err(ctx("listing owners"))?,
            self.contacts().distinct("ownerAvatarId", doc! {}).await.map_err(ctx("listing owners"))?,
        ] {
            for v in values {
                let owner = v.as_str().and_then(|s| s.parse::<AvatarId>().ok());
                owners.insert(owner.ok_or_else(|| StoreError::Corrupt(format!("ownerAvatarId {v} is not a UUID string")))?);
            }
        }
        Ok(owners.into_iter().collect())
    }
}

impl MongoStore {
    /// The domain's [`ConversationChange::apply`], written back guarded by the revision.
    async fn change_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        let filter = doc! { "_id": text(id), "ownerAvatarId": text(owner) };
        let changed = self.edit_guarded(CONVERSATIONS, filter, conversation_from, conversation_doc, |c| change.apply(c, now)).await?;
        if changed.is_some() && change.marks_read() {
            self.messages()
                .update_many(doc! { "conversationId": text(id), "isRead": false }, doc! { "$set": { "isRead": true } })
                .await
                .map_err(ctx("marking a conversation's messages read"))?;
        }
        Ok(changed)
    }
}

#[async_trait]
impl MessageStore for MongoStore {
    async fn list_messages(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let base = doc! { "conversationId": text(conversation_id), "ownerAvatarId": text(owner) };
        let parts: Vec<Document> = std::iter::once(base).chain(after_desc("sentAt", page)).collect();
        let docs =
            find_all(&self.messages(), and(parts), Some(doc! { "sentAt": -1, "_id": -1 }), Some(overfetch(page)), "listing messages")
                .await?;
        let items = docs.iter().map(message_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page.limit, message_key))
    }

    async fn find_message(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        telegram_message_id: i64,
    ) -> Result<Option<Message>, StoreError> {
        let found = self
            .messages()
            .find_one(doc! {
                "conversationId": text(conversation_id),
                "telegramMessageId": telegram_message_id,
                "ownerAvatarId": text(owner),
            })
            .await
            .map_err(ctx("reading a message"))?;
        found.as_ref().map(message_from).transpose()
    }
}
