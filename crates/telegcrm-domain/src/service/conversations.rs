use crate::error::{CrmError, Entity};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{Conversation, ConversationChange, CustomFields, Message};
use crate::page::{Page, PageRequest};
use crate::ports::ConversationFilter;
use crate::tag::{MAX_TAGS, Tag};
use crate::values::{ActivityKind, ConversationStatus, Priority};

use super::activity::{About, fields_given};
use super::{CrmService, text_field};
use crate::model::{Access, Action};

/// A person's change to a conversation (PATCH). Every `Some` field is applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConversationUpdate {
    /// New priority (pins it).
    pub priority: Option<Priority>,
    /// New status.
    pub status: Option<ConversationStatus>,
    /// Replaces the tags.
    pub tags: Option<Vec<Tag>>,
    /// New summary; `Some(None)` clears it.
    pub summary: Option<Option<String>>,
    /// Replaces the custom fields.
    pub custom_fields: Option<CustomFields>,
}

/// How many pages of a conversation's messages one page of a topic reads at most.
pub const TOPIC_SCAN_PAGES: usize = 10;

/// The longest summary, in characters.
const MAX_SUMMARY: usize = 10_000;
/// The largest custom fields object, serialised.
const MAX_CUSTOM_FIELDS_BYTES: usize = 16 * 1024;

impl CrmService {
    /// A page of the caller's conversations, newest activity first.
    pub async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, CrmError> {
        Ok(self.store.list_conversations(owner, filter, page).await?)
    }

    /// One conversation.
    pub async fn conversation(&self, owner: AvatarId, id: ConversationId) -> Result<Conversation, CrmError> {
        self.store.get_conversation(owner, id).await?.ok_or_else(|| CrmError::not_found(Entity::Conversation, id))
    }

    /// Applies a person's change.
    pub async fn update_conversation(&self, by: &Access, id: ConversationId, update: ConversationUpdate) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        if update.tags.as_ref().is_some_and(|t| t.len() > MAX_TAGS) {
            return Err(CrmError::invalid("tags", format!("at most {MAX_TAGS} tags")));
        }
        let summary = match update.summary {
            Some(s) => Some(text_field("summary", s, MAX_SUMMARY)?),
            None => None,
        };
        if let Some(fields) = &update.custom_fields {
            let size = serde_json::to_string(fields).map_or(usize::MAX, |s| s.len());
            if size > MAX_CUSTOM_FIELDS_BYTES {
                return Err(CrmError::invalid("customFields", format!("at most {MAX_CUSTOM_FIELDS_BYTES} bytes of JSON")));
            }
        }
        let fields = fields_given(&[
            (update.priority.is_some(), "priority"),
            (update.status.is_some(), "status"),
            (update.tags.is_some(), "tags"),
            (summary.is_some(), "summary"),
            (update.custom_fields.is_some(), "custom fields"),
        ]);
        let change = ConversationChange {
            priority: update.priority,
            status: update.status,
            tags: update.tags,
            summary,
            custom_fields: update.custom_fields,
            ..ConversationChange::default()
        };
        let changed = self.change_conversation(owner, id, change).await?;
        if let Some(fields) = fields {
            self.record(by, ActivityKind::ConversationEdited, About::conversation(id), fields).await;
        }
        Ok(changed)
    }

    /// Sets the priority by hand; detection no longer changes it.
    pub async fn set_priority(&self, by: &Access, id: ConversationId, priority: Priority) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        let changed = self.change_conversation(owner, id, ConversationChange { priority: Some(priority), ..Default::default() }).await?;
        self.record(by, ActivityKind::Priority, About::conversation(id), priority.as_str()).await;
        Ok(changed)
    }

    /// Sets the status.
    pub async fn set_status(&self, by: &Access, id: ConversationId, status: ConversationStatus) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        let changed = self.change_conversation(owner, id, ConversationChange { status: Some(status), ..Default::default() }).await?;
        self.record(by, ActivityKind::Status, About::conversation(id), status.as_str()).await;
        Ok(changed)
    }

    /// Adds a tag (no duplicate, ignoring case).
    pub async fn add_tag(&self, by: &Access, id: ConversationId, tag: Tag) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        let current = self.conversation(owner, id).await?;
        let full = || CrmError::invalid("tag", format!("a conversation has at most {MAX_TAGS} tags"));
        if current.tags.len() >= MAX_TAGS && !current.tags.contains(&tag) {
            return Err(full());
        }
        let changed = self.change_conversation(owner, id, ConversationChange { add_tag: Some(tag.clone()), ..Default::default() }).await?;
        // Another add may have filled the last place in between: the rule then added nothing.
        if !changed.tags.contains(&tag) {
            return Err(full());
        }
        if !current.tags.contains(&tag) {
            self.record(by, ActivityKind::TagAdded, About::conversation(id), tag.as_str()).await;
        }
        Ok(changed)
    }

    /// Removes a tag (ignoring case); removing a tag that is not there is fine.
    pub async fn remove_tag(&self, by: &Access, id: ConversationId, tag: Tag) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        let before = self.conversation(owner, id).await?;
        let changed =
            self.change_conversation(owner, id, ConversationChange { remove_tag: Some(tag.clone()), ..Default::default() }).await?;
        if before.tags.contains(&tag) {
            self.record(by, ActivityKind::TagRemoved, About::conversation(id), tag.as_str()).await;
        }
        Ok(changed)
    }

    /// Marks the conversation and all its messages read; in a Business chat whose connection
    /// allows it, the newest incoming message is marked read in the owner's Telegram too
    /// ([`CrmService::sync_read`]).
    pub async fn mark_read(&self, by: &Access, id: ConversationId) -> Result<Conversation, CrmError> {
        let owner = by.require(Action::Work)?;
        let now = self.clock.now();
        let conv = self.change_conversation(owner, id, ConversationChange { read_at: Some(now), ..Default::default() }).await?;
        self.sync_read(&conv).await;
        Ok(conv)
    }

    async fn change_conversation(&self, owner: AvatarId, id: ConversationId, change: ConversationChange) -> Result<Conversation, CrmError> {
        let now = self.clock.now();
        self.store.update_conversation(owner, id, &change, now).await?.ok_or_else(|| CrmError::not_found(Entity::Conversation, id))
    }

    /// A page of the messages of one forum topic of a conversation, newest first. Stores list
    /// a conversation's messages; this reads at most [`TOPIC_SCAN_PAGES`] of their pages for one
    /// page of a topic, each no larger than what is still missing, so the store's cursor always
    /// follows the last message read: a page may hold fewer messages than asked (a quiet topic),
    /// and `nextCursor` carries on from there.
    pub async fn topic_messages(
        &self,
        owner: AvatarId,
        id: ConversationId,
        topic: i64,
        page: &PageRequest,
    ) -> Result<Page<Message>, CrmError> {
        self.conversation(owner, id).await?;
        let want = page.limit.get();
        let mut items = Vec::with_capacity(want);
        let mut cursor = page.cursor;
        for _ in 0..TOPIC_SCAN_PAGES {
            let missing = u32::try_from(want - items.len()).unwrap_or(1);
            let req = PageRequest { limit: crate::page::Limit::new(missing)?, cursor: cursor.take() };
            let got = self.store.list_messages(owner, id, &req).await?;
            items.extend(got.items.into_iter().filter(|m| m.details.topic_id == Some(topic)));
            cursor = got.next_cursor;
            if cursor.is_none() || items.len() >= want {
                break;
            }
        }
        Ok(Page { items, next_cursor: cursor })
    }

    /// A page of a conversation's messages, newest first.
    pub async fn messages(&self, owner: AvatarId, id: ConversationId, page: &PageRequest) -> Result<Page<Message>, CrmError> {
        self.conversation(owner, id).await?;
        Ok(self.store.list_messages(owner, id, page).await?)
    }
}
