use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ChatState, Contact, ConversationCounts, Message};
use crate::ids::{AvatarId, ContactId, ConversationId};
use crate::tag::{MAX_TAGS, Tag, add_tag, remove_tag};
use crate::values::{ChatType, ConversationStatus, Direction, Priority};

/// Free-form fields a user attaches to a conversation.
pub type CustomFields = serde_json::Map<String, serde_json::Value>;

/// What identifies one conversation: the owner, the Telegram chat and, for Telegram Business chats,
/// the business connection (a business chat is distinct from the bot's own chat with the same id).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatKey {
    /// Who owns the conversation.
    pub owner: AvatarId,
    /// Telegram's chat id.
    pub chat_id: i64,
    /// The business connection the chat came through, if any.
    pub business_connection_id: Option<String>,
}

impl ChatKey {
    /// The business connection id of a personal chat imported from the owner's Telegram export
    /// before any Business connection was known: it is the owner's own chat, not the bot's chat
    /// with that person, and live Business capture of the same chat joins it (see
    /// [`ChatKey::imported_personal`]).
    pub const IMPORTED_PERSONAL: &'static str = "telegram-export";

    /// Whether this is a personal chat imported before any Business connection was known.
    pub fn is_imported_personal(&self) -> bool {
        self.business_connection_id.as_deref() == Some(Self::IMPORTED_PERSONAL)
    }

    /// For a live Business chat with a person, the key the same chat has when it was imported
    /// before the connection: a message that finds no conversation under its own key goes into
    /// that one. `None` for other chats.
    pub fn imported_personal(&self) -> Option<Self> {
        match &self.business_connection_id {
            // Private chats have positive ids; groups and channels negative ones.
            Some(id) if id != Self::IMPORTED_PERSONAL && self.chat_id > 0 => {
                Some(Self { business_connection_id: Some(Self::IMPORTED_PERSONAL.to_owned()), ..self.clone() })
            }
            _ => None,
        }
    }
}

/// One Telegram chat of one owner, with its CRM state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Identifier.
    pub id: ConversationId,
    /// The avatar that owns it.
    pub owner_avatar_id: AvatarId,
    /// Telegram's chat id.
    pub telegram_chat_id: i64,
    /// The Telegram Business connection, for the owner's personal chats.
    pub business_connection_id: Option<String>,
    /// Kind of chat.
    pub chat_type: ChatType,
    /// The chat's title (groups, channels) or the other person's name.
    pub title: Option<String>,
    /// The other person of a private chat.
    pub contact_id: Option<ContactId>,
    /// The other person's display name.
    pub contact_name: Option<String>,
    /// The other person's @username.
    pub contact_username: Option<String>,
    /// How much it matters.
    pub priority: Priority,
    /// Whether a person set the priority (detection then leaves it alone).
    pub priority_manual: bool,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Where it stands.
    pub status: ConversationStatus,
    /// Incoming messages since the owner last read or answered.
    pub unread_count: u32,
    /// Messages stored.
    pub message_count: u64,
    /// When the newest message was sent.
    pub last_message_at: DateTime<Utc>,
    /// The start of the newest message.
    pub last_message_preview: Option<String>,
    /// When the owner last read or answered.
    pub last_read_at: Option<DateTime<Utc>>,
    /// A summary the owner wrote.
    pub summary: Option<String>,
    /// Free-form fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_fields: CustomFields,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The member who answers this conversation, if anyone does (docs/teams.md "Assignment").
    #[serde(default)]
    pub assignee_avatar_id: Option<AvatarId>,
    /// The bot's standing in the chat, and a group's move to a supergroup.
    #[serde(flatten)]
    pub chat_state: ChatState,
}

/// How many characters of a message the preview keeps.
pub const PREVIEW_CHARS: usize = 120;

impl Conversation {
    /// A new conversation for a chat seen for the first time.
    pub fn open(key: &ChatKey, chat_type: ChatType, title: Option<String>, contact: Option<&Contact>, at: DateTime<Utc>) -> Self {
        let mut c = Self {
            id: ConversationId::new(),
            owner_avatar_id: key.owner,
            telegram_chat_id: key.chat_id,
            business_connection_id: key.business_connection_id.clone(),
            chat_type,
            title,
            contact_id: None,
            contact_name: None,
            contact_username: None,
            priority: Priority::default(),
            priority_manual: false,
            tags: Vec::new(),
            status: ConversationStatus::Active,
            unread_count: 0,
            message_count: 0,
            last_message_at: at,
            last_message_preview: None,
            last_read_at: None,
            summary: None,
            custom_fields: CustomFields::new(),
            created_at: at,
            updated_at: at,
            assignee_avatar_id: None,
            chat_state: ChatState::default(),
        };
        if let Some(contact) = contact {
            c.set_contact(contact);
        }
        c
    }

    /// The key that identifies this conversation.
    pub fn key(&self) -> ChatKey {
        ChatKey { owner: self.owner_avatar_id, chat_id: self.telegram_chat_id, business_connection_id: self.business_connection_id.clone() }
    }

    /// Links the conversation to its contact and copies the contact's name.
    pub fn set_contact(&mut self, contact: &Contact) {
        self.contact_id = Some(contact.id);
        self.contact_name = Some(contact.display_name());
        self.contact_username = contact.username.clone();
    }

    /// Applies the capture rules for a newly stored message.
    ///
    /// Incoming: one more unread (unless older than the last read point), archived or waiting
    /// becomes active. Outgoing: read up to it, unread zero, status waiting. Only a message not
    /// older than the newest one moves the status and the preview.
    pub fn record_message(&mut self, message: &Message, detected: Option<Priority>, now: DateTime<Utc>) {
        let newest = self.message_count == 0 || message.sent_at >= self.last_message_at;
        self.message_count += 1;
        if newest {
            self.last_message_at = message.sent_at;
            self.last_message_preview = Some(message.preview());
        }
        match message.direction {
            Direction::Incoming => {
                let after_read = self.last_read_at.is_none_or(|read| message.sent_at > read);
                if after_read {
                    self.unread_count = self.unread_count.saturating_add(1);
                }
                if newest && self.status != ConversationStatus::Active {
                    self.status = ConversationStatus::Active;
                }
            }
            Direction::Outgoing => {
                self.unread_count = 0;
                self.last_read_at = Some(self.last_read_at.map_or(message.sent_at, |r| r.max(message.sent_at)));
                if newest {
                    self.status = ConversationStatus::Waiting;
                }
            }
        }
        self.raise_priority(detected);
        self.updated_at = now;
    }

    /// Counts a message from the owner's history (an import). History does not make a
    /// conversation look new: the message arrives read, detects no priority and leaves the
    /// status alone, unless it is newer than everything stored; then it moves the preview and the
    /// status as a live one would (an incoming message reopens, an outgoing one waits).
    pub fn record_history(&mut self, message: &Message, now: DateTime<Utc>) {
        let newest = self.message_count == 0 || message.sent_at > self.last_message_at;
        self.message_count += 1;
        if newest {
            self.last_message_at = message.sent_at;
            self.last_message_preview = Some(message.preview());
            self.status = match message.direction {
                Direction::Incoming => ConversationStatus::Active,
                Direction::Outgoing => ConversationStatus::Waiting,
            };
        }
        // The owner has seen their history: a live message older than it arrives read too.
        self.last_read_at = Some(self.last_read_at.map_or(message.sent_at, |r| r.max(message.sent_at)));
        self.updated_at = now;
    }

    /// Raises the priority to `detected` unless a person pinned it; never lowers it.
    pub fn raise_priority(&mut self, detected: Option<Priority>) -> bool {
        match detected {
            Some(p) if !self.priority_manual && p > self.priority => {
                self.priority = p;
                true
            }
            _ => false,
        }
    }

    /// Refreshes the preview after the newest message was edited or deleted.
    pub fn refresh_preview(&mut self, message: &Message) {
        if message.sent_at == self.last_message_at {
            self.last_message_preview = Some(message.preview());
        }
    }
}

/// A change a person asks for. Every `Some` field is applied; the rest stay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationChange {
    /// New priority; setting it pins it (manual).
    pub priority: Option<Priority>,
    /// New status.
    pub status: Option<ConversationStatus>,
    /// Replaces all tags.
    pub tags: Option<Vec<Tag>>,
    /// Adds one tag (unless the conversation has [`MAX_TAGS`] already).
    pub add_tag: Option<Tag>,
    /// Removes one tag.
    pub remove_tag: Option<Tag>,
    /// New summary (`Some(None)` clears it).
    pub summary: Option<Option<String>>,
    /// Replaces the custom fields.
    pub custom_fields: Option<CustomFields>,
    /// Marks everything read at this time: unread zero, every message read.
    pub read_at: Option<DateTime<Utc>>,
    /// Sets the counters to a recount of the messages (`telegcrm check --repair`; never from the API).
    #[serde(skip)]
    pub recount: Option<ConversationCounts>,
    /// Gives the conversation to a member, or to nobody.
    #[serde(default)]
    pub assign: Option<Assign>,
}

/// A change of assignee, applied inside the store's guarded write so that two people taking the
/// same conversation at once cannot both have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assign {
    /// The new assignee; `None`: nobody.
    pub to: Option<AvatarId>,
    /// When set, the change applies only while the conversation has no assignee or this one
    /// (someone who may only take conversations never takes one from a colleague).
    pub unless_held_by_other_than: Option<AvatarId>,
}

impl Assign {
    /// Whether it applies to a conversation assigned to `current`.
    pub fn applies(&self, current: Option<AvatarId>) -> bool {
        match (self.unless_held_by_other_than, current) {
            (Some(me), Some(holder)) => holder == me,
            _ => true,
        }
    }
}

impl ConversationChange {
    /// Whether the change also marks the conversation's messages read.
    pub fn marks_read(&self) -> bool {
        self.read_at.is_some()
    }

    /// Applies the change to a conversation.
    pub fn apply(&self, c: &mut Conversation, now: DateTime<Utc>) {
        if let Some(p) = self.priority {
            c.priority = p;
            c.priority_manual = true;
        }
        if let Some(s) = self.status {
            c.status = s;
        }
        if let Some(tags) = &self.tags {
            c.tags = crate::tag::dedup_tags(tags.clone());
        }
        if let Some(t) = self.add_tag.as_ref().filter(|_| c.tags.len() < MAX_TAGS) {
            add_tag(&mut c.tags, t.clone());
        }
        if let Some(t) = &self.remove_tag {
            remove_tag(&mut c.tags, t);
        }
        if let Some(summary) = &self.summary {
            c.summary.clone_from(summary);
        }
        if let Some(fields) = &self.custom_fields {
            c.custom_fields.clone_from(fields);
        }
        if let Some(at) = self.read_at {
            c.unread_count = 0;
            c.last_read_at = Some(c.last_read_at.map_or(at, |r| r.max(at)));
        }
        if let Some(counts) = &self.recount {
            counts.apply(c);
        }
        if let Some(assign) = self.assign.filter(|a| a.applies(c.assignee_avatar_id)) {
            c.assignee_avatar_id = assign.to;
        }
        c.updated_at = now;
    }
}
