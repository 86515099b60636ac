//! Conversations and messages: lists, look-ups and hand changes.

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use mongodb::options::ReturnDocument;
use telegcrm_domain::model::ConversationChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{ConversationFilter, ConversationStore, MessageStore};
use telegcrm_domain::tag::{Tag, add_tag, dedup_tags, remove_tag};
use telegcrm_domain::{AvatarId, Conversation, ConversationId, Message, Page, StoreError};

use crate::MongoStore;
use crate::codec::{conversation_from, custom_fields, date, message_from, opt_str, tag_keys, tags, text};
use crate::error::ctx;
use crate::write::{after_desc, and, find_all, overfetch};

/// How often a tag change is retried when another writer changed the tags in between.
const TAG_RETRIES: usize = 20;

fn conversation_key(c: &Conversation) -> (DateTime<Utc>, uuid::Uuid) {
    (c.last_message_at, c.id.as_uuid())
}

fn message_key(m: &Message) -> (DateTime<Utc>, uuid::Uuid) {
    (m.sent_at, m.id.as_uuid())
}

impl MongoStore {
    /// Applies the tag part of a change with a compare-and-set on the tag list's revision
    /// (`tagsRev`), so concurrent tag edits never lose one another. `false` when the conversation is not there.
    async fn change_tags(&self, owner: AvatarId, id: ConversationId, change: &ConversationChange) -> Result<bool, StoreError> {
        for _ in 0..TAG_RETRIES {
            let filter = doc! { "_id": text(id), "ownerAvatarId": text(owner) };
            let Some(current) = self.conversations().find_one(filter.clone()).await.map_err(ctx("reading a conversation's tags"))? else {
                return Ok(false);
            };
            let old: Vec<Tag> = crate::codec::Reader::new(&current, "conversation").tags("tags")?;
            let revision = current.get("tagsRev").cloned().unwrap_or(Bson::Null);
            let mut new = old.clone();
            if let Some(all) = &change.tags {
                new = dedup_tags(all.clone());
            }
            if let Some(t) = &change.add_tag {
                add_tag(&mut new, t.clone());
            }
            if let Some(t) = &change.remove_tag {
                remove_tag(&mut new, t);
            }
            let same_spelling = new.len() == old.len() && new.iter().zip(&old).all(|(a, b)| a.as_str() == b.as_str());
            if same_spelling {
                return Ok(true);
            }
            let mut guarded = filter;
            guarded.insert("tagsRev", revision);
            let update = doc! { "$set": { "tags": tags(&new), "tagKeys": tag_keys(&new) }, "$inc": { "tagsRev": 1_i64 } };
            let result = self.conversations().update_one(guarded, update).await.map_err(ctx("changing a conversation's tags"))?;
            if result.matched_count == 1 {
                return Ok(true);
            }
        }
        Err(StoreError::Unavailable(format!("conversation {id}: tags kept changing under concurrent edits; try again")))
    }
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
}

impl MongoStore {
    async fn change_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        if (change.tags.is_some() || change.add_tag.is_some() || change.remove_tag.is_some())
            && !self.change_tags(owner, id, change).await?
        {
            return Ok(None);
        }
        let mut set = doc! { "updatedAt": date(now) };
        if let Some(p) = change.priority {
            set.insert("priority", p.as_str());
            set.insert("priorityManual", true);
        }
        if let Some(s) = change.status {
            set.insert("status", s.as_str());
        }
        if let Some(summary) = &change.summary {
            set.insert("summary", opt_str(summary.as_deref()));
        }
        if let Some(fields) = &change.custom_fields {
            set.insert("customFields", custom_fields(fields)?);
        }
        let mut update = doc! {};
        if let Some(at) = change.read_at {
            set.insert("unreadCount", 0_i64);
            update.insert("$max", doc! { "lastReadAt": date(at) });
        }
        update.insert("$set", set);
        let updated = self
            .conversations()
            .find_one_and_update(doc! { "_id": text(id), "ownerAvatarId": text(owner) }, update)
            .return_document(ReturnDocument::After)
            .await
            .map_err(ctx("updating a conversation"))?;
        let Some(updated) = updated else { return Ok(None) };
        if change.marks_read() {
            self.messages()
                .update_many(doc! { "conversationId": text(id), "isRead": false }, doc! { "$set": { "isRead": true } })
                .await
                .map_err(ctx("marking a conversation's messages read"))?;
        }
        conversation_from(&updated).map(Some)
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
