use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::conversation::PREVIEW_CHARS;
use super::details::{MessageDetails, TextEntity};
use crate::event::CapturedMessage;
use crate::ids::{AvatarId, ConversationId, MessageId};
use crate::values::{Direction, MessageType};

/// File metadata of a media message (Telegram's file ids; the bytes stay on Telegram).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// Telegram file id (for downloading through the bot).
    pub file_id: String,
    /// Stable file id across bots.
    pub file_unique_id: String,
    /// MIME type, when Telegram gives one.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub file_size: Option<u64>,
    /// Original file name.
    pub file_name: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Duration in seconds.
    pub duration: Option<u32>,
}

/// An earlier text of an edited message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessageEdit {
    /// The text before the edit.
    pub content: String,
    /// When it was replaced.
    pub edited_at: DateTime<Utc>,
    /// How many versions between the previous kept one and this one were dropped by the
    /// history cap ([`MAX_KEPT_EDITS`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_before: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How many earlier versions a message keeps: the first (the text as sent) and the latest ones.
/// Versions in between are dropped and counted on the next kept one (`omitted_before`), so a
/// message edited in a loop cannot grow without end.
pub const MAX_KEPT_EDITS: usize = 20;

/// How long after sending Telegram lets a message be edited (and a bot's message be deleted).
pub const EDIT_DELETE_HOURS: i64 = 48;

/// One stored Telegram message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Identifier.
    pub id: MessageId,
    /// The owner (messages are scoped like their conversation).
    pub owner_avatar_id: AvatarId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Telegram's message id (unique within the chat).
    pub telegram_message_id: i64,
    /// Seen from the owner.
    pub direction: Direction,
    /// The sender's Telegram user id.
    pub from_telegram_id: Option<i64>,
    /// The sender's name.
    pub from_name: Option<String>,
    /// Text, or the caption of a media message.
    pub content: String,
    /// What it carries.
    pub message_type: MessageType,
    /// File metadata.
    pub media: Option<Media>,
    /// The message this one answers.
    pub reply_to_telegram_message_id: Option<i64>,
    /// When Telegram says it was sent.
    pub sent_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Earlier texts, oldest first.
    pub edits: Vec<MessageEdit>,
    /// When it was deleted (the content is kept).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Whether the owner has read it.
    pub is_read: bool,
    /// Forward origin, quote, formatting, album, topic, reactions, Business flags.
    #[serde(flatten)]
    pub details: MessageDetails,
}

impl Message {
    /// The stored form of a captured message in conversation `conversation_id`.
    pub fn from_captured(m: &CapturedMessage, conversation_id: ConversationId) -> Self {
        Self {
            id: MessageId::new(),
            owner_avatar_id: m.chat.key.owner,
            conversation_id,
            telegram_message_id: m.telegram_message_id,
            direction: m.direction,
            from_telegram_id: m.sender.as_ref().map(|u| u.id),
            from_name: m.sender_name(),
            content: m.text.clone(),
            message_type: m.message_type,
            media: m.media.clone(),
            reply_to_telegram_message_id: m.reply_to_telegram_message_id,
            sent_at: m.sent_at,
            edited_at: None,
            edits: Vec::new(),
            deleted_at: None,
            is_read: m.direction == Direction::Outgoing,
            details: m.details.clone(),
        }
    }

    /// Applies an edit: the new text, its formatting and (when the edit carries one) its media.
    /// The earlier text goes to `edits`. A replayed or older edit, or one that changes nothing, is
    /// ignored; returns whether anything changed.
    pub fn apply_edit(&mut self, text: &str, entities: &[TextEntity], media: Option<&Media>, edited_at: DateTime<Utc>) -> bool {
        if self.edited_at.is_some_and(|prev| edited_at <= prev) {
            return false;
        }
        let media_changed = media.is_some() && media != self.media.as_ref();
        let entities_changed = entities != self.details.entities.as_slice();
        if text == self.content && !media_changed && !entities_changed {
            return false;
        }
        if text != self.content {
            self.edits.push(MessageEdit { content: std::mem::replace(&mut self.content, text.to_owned()), edited_at, omitted_before: 0 });
            if self.edits.len() > MAX_KEPT_EDITS {
                // Keep the text as sent (the first) and the latest; count what goes.
                let dropped = self.edits.remove(1);
                self.edits[1].omitted_before += 1 + dropped.omitted_before;
            }
        }
        if media_changed {
            self.media = media.cloned();
        }
        if entities_changed {
            self.details.entities = entities.to_vec();
        }
        self.edited_at = Some(edited_at);
        true
    }

    /// How many times the text was edited, including versions the history cap dropped.
    pub fn edit_count(&self) -> u64 {
        self.edits.iter().map(|e| 1 + u64::from(e.omitted_before)).sum()
    }

    /// Why this message cannot be edited from the CRM at `now`, or `None` when it can: only
    /// the owner's own text messages, not deleted, and (Telegram's rule) within 48 hours of
    /// sending unless our bot sent it through a Business connection.
    pub fn refusal_to_edit(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.direction == Direction::Incoming {
            Some("only your own messages can be edited")
        } else if self.deleted_at.is_some() {
            Some("the message was deleted")
        } else if self.message_type != MessageType::Text {
            Some("only text messages can be edited here")
        } else if !self.details.sent_by_business_bot && now - self.sent_at > chrono::Duration::hours(EDIT_DELETE_HOURS) {
            Some("Telegram lets messages be edited only within 48 hours of sending")
        } else {
            None
        }
    }

    /// Why this message cannot be deleted from the CRM at `now`, or `None` when it can: only
    /// the owner's own messages, not deleted yet; in the bot's own chats (Telegram's rule)
    /// within 48 hours of sending. A Business connection's rights decide the rest
    /// ([`crate::event::BusinessConnection::refusal_to_delete`]).
    pub fn refusal_to_delete(&self, business: bool, now: DateTime<Utc>) -> Option<&'static str> {
        if self.direction == Direction::Incoming {
            Some("only your own messages can be deleted")
        } else if self.deleted_at.is_some() {
            Some("the message was deleted already")
        } else if !business && now - self.sent_at > chrono::Duration::hours(EDIT_DELETE_HOURS) {
            Some("Telegram lets a bot delete its messages only within 48 hours of sending")
        } else {
            None
        }
    }

    /// Marks the message deleted, keeping its content; returns whether it changed.
    pub fn mark_deleted(&mut self, at: DateTime<Utc>) -> bool {
        if self.deleted_at.is_some() {
            return false;
        }
        self.deleted_at = Some(at);
        true
    }

    /// A short preview for conversation lists: the start of the text, or the kind of media.
    pub fn preview(&self) -> String {
        let text = self.content.trim();
        if text.is_empty() {
            return format!("[{}]", self.message_type);
        }
        let mut out: String = text.chars().take(PREVIEW_CHARS).collect();
        if text.chars().nth(PREVIEW_CHARS).is_some() {
            out.push('…');
        }
        out
    }
}
