use crate::error::{CrmError, Entity, GatewayError};
use crate::event::{CapturedMessage, ChatInfo, InboundEvent};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{Conversation, ConversationChange, CustomFields, Message, MessageDetails};
use crate::page::{Page, PageRequest};
use crate::ports::ConversationFilter;
use crate::tag::{MAX_TAGS, Tag};
use crate::values::{ConversationStatus, Direction, MessageType, Priority};

use super::{CrmService, text_field};

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

/// The longest summary, in characters.
const MAX_SUMMARY: usize = 10_000;
/// The largest custom fields object, serialised.
const MAX_CUSTOM_FIELDS_BYTES: usize = 16 * 1024;
/// Telegram's limit for one text message.
pub const MAX_TELEGRAM_TEXT: usize = 4096;

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
    pub async fn update_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        update: ConversationUpdate,
    ) -> Result<Conversation, CrmError> {
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
        let change = ConversationChange {
            priority: update.priority,
            status: update.status,
            tags: update.tags,
            summary,
            custom_fields: update.custom_fields,
            ..ConversationChange::default()
        };
        self.change_conversation(owner, id, change).await
    }

    /// Sets the priority by hand; detection no longer changes it.
    pub async fn set_priority(&self, owner: AvatarId, id: ConversationId, priority: Priority) -> Result<Conversation, CrmError> {
        self.change_conversation(owner, id, ConversationChange { priority: Some(priority), ..Default::default() }).await
    }

    /// Sets the status.
    pub async fn set_status(&self, owner: AvatarId, id: ConversationId, status: ConversationStatus) -> Result<Conversation, CrmError> {
        self.change_conversation(owner, id, ConversationChange { status: Some(status), ..Default::default() }).await
    }

    /// Adds a tag (no duplicate, ignoring case).
    pub async fn add_tag(&self, owner: AvatarId, id: ConversationId, tag: Tag) -> Result<Conversation, CrmError> {
        let current = self.conversation(owner, id).await?;
        let full = || CrmError::invalid("tag", format!("a conversation has at most {MAX_TAGS} tags"));
        if current.tags.len() >= MAX_TAGS && !current.tags.contains(&tag) {
            return Err(full());
        }
        let changed = self.change_conversation(owner, id, ConversationChange { add_tag: Some(tag.clone()), ..Default::default() }).await?;
        // Another add may have filled the last place in between: the rule then added nothing.
        if changed.tags.contains(&tag) { Ok(changed) } else { Err(full()) }
    }

    /// Removes a tag (ignoring case); removing a tag that is not there is fine.
    pub async fn remove_tag(&self, owner: AvatarId, id: ConversationId, tag: Tag) -> Result<Conversation, CrmError> {
        self.change_conversation(owner, id, ConversationChange { remove_tag: Some(tag), ..Default::default() }).await
    }

    /// Marks the conversation and all its messages read.
    pub async fn mark_read(&self, owner: AvatarId, id: ConversationId) -> Result<Conversation, CrmError> {
        let now = self.clock.now();
        self.change_conversation(owner, id, ConversationChange { read_at: Some(now), ..Default::default() }).await
    }

    async fn change_conversation(&self, owner: AvatarId, id: ConversationId, change: ConversationChange) -> Result<Conversation, CrmError> {
        let now = self.clock.now();
        self.store.update_conversation(owner, id, &change, now).await?.ok_or_else(|| CrmError::not_found(Entity::Conversation, id))
    }

    /// A page of a conversation's messages, newest first.
    pub async fn messages(&self, owner: AvatarId, id: ConversationId, page: &PageRequest) -> Result<Page<Message>, CrmError> {
        self.conversation(owner, id).await?;
        Ok(self.store.list_messages(owner, id, page).await?)
    }

    /// Sends a text through Telegram (through the business connection when the chat came through
    /// one) and stores what Telegram accepted as an outgoing message.
    pub async fn send_message(&self, owner: AvatarId, id: ConversationId, text: &str) -> Result<Message, CrmError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CrmError::invalid("text", "must not be empty"));
        }
        if text.chars().count() > MAX_TELEGRAM_TEXT {
            return Err(CrmError::invalid("text", format!("at most {MAX_TELEGRAM_TEXT} characters (Telegram's limit)")));
        }
        let conv = self.conversation(owner, id).await?;
        // The bot removed or blocked, or the group moved: Telegram would refuse.
        if let Some(why) = conv.refusal_to_send() {
            return Err(CrmError::invalid("conversation", why));
        }
        let gateway = self.gateway.as_ref().ok_or(GatewayError::NotConfigured)?;
        // A personal chat imported before the Business connection was known is answered through
        // the owner's connection now; without one the bot would write from its own account.
        let connection = if conv.key().is_imported_personal() {
            Some(self.business_connection_of(owner).await?.ok_or_else(|| {
                CrmError::invalid(
                    "conversation",
                    "this chat came from your Telegram export; connect the bot to your account with Telegram Business to reply here",
                )
            })?)
        } else {
            conv.business_connection_id.clone()
        };
        if let Some(c) = connection.as_deref() {
            // Telegram refuses a disabled connection or one without the right to reply; an
            // unknown connection is left for Telegram to judge.
            if let Some(why) = self.business_connection(c).await?.and_then(|c| c.refusal_to_send()) {
                return Err(CrmError::invalid("conversation", why));
            }
        }
        let by_business_bot = connection.is_some();
        let sent = gateway.send_text(conv.telegram_chat_id, connection, text).await?;
        let captured = CapturedMessage {
            chat: ChatInfo { key: conv.key(), chat_type: conv.chat_type, title: conv.title.clone(), counterpart: None },
            telegram_message_id: sent.telegram_message_id,
            direction: Direction::Outgoing,
            sender: sent.sender,
            text: sent.text,
            message_type: MessageType::Text,
            media: None,
            reply_to_telegram_message_id: None,
            sent_at: sent.sent_at,
            details: MessageDetails { sent_by_business_bot: by_business_bot, ..MessageDetails::default() },
        };
        self.ingest(vec![InboundEvent::Message(captured)], Vec::new()).await?;
        self.store
            .find_message(owner, id, sent.telegram_message_id)
            .await?
            .ok_or_else(|| CrmError::not_found(Entity::Message, sent.telegram_message_id))
    }
}
