//! Inbound events: what a message provider (Telegram) tells the CRM, in the CRM's own terms.
//! Nothing here depends on a Telegram crate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AvatarId;
use crate::model::{ChatKey, Contact, Conversation, Media, Message, MessageDetails};
use crate::values::{ChatType, Direction, MessageType};

/// A Telegram user as the provider saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelegramUser {
    /// Telegram user id.
    pub id: i64,
    /// Whether it is a bot.
    pub is_bot: bool,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
    /// IETF language tag.
    pub language_code: Option<String>,
    /// Phone number, when known (shared contacts).
    pub phone_number: Option<String>,
}

impl TelegramUser {
    /// "First Last".
    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(l) if !l.is_empty() => format!("{} {}", self.first_name, l),
            _ => self.first_name.clone(),
        }
    }
}

/// The chat a message belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatInfo {
    /// Owner, chat id and business connection.
    pub key: ChatKey,
    /// Kind of chat.
    pub chat_type: ChatType,
    /// Group or channel title, or the person's name for private chats.
    pub title: Option<String>,
    /// In a private chat, the other person (not the owner, not our bot).
    pub counterpart: Option<TelegramUser>,
}

/// A message captured from Telegram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedMessage {
    /// Where it was sent.
    pub chat: ChatInfo,
    /// Telegram's message id.
    pub telegram_message_id: i64,
    /// Seen from the owner.
    pub direction: Direction,
    /// Who sent it (none for anonymous channel posts).
    pub sender: Option<TelegramUser>,
    /// Text or caption.
    pub text: String,
    /// What it carries.
    pub message_type: MessageType,
    /// File metadata.
    pub media: Option<Media>,
    /// The message it answers.
    pub reply_to_telegram_message_id: Option<i64>,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// Forward origin, quote, formatting, album, topic, Business flags.
    #[serde(flatten)]
    pub details: MessageDetails,
}

impl CapturedMessage {
    /// The sender's display name, or the chat title for anonymous posts.
    pub fn sender_name(&self) -> Option<String> {
        match &self.sender {
            Some(u) => Some(u.full_name()),
            None => self.chat.title.clone(),
        }
    }

    /// The person this message is exchanged with, whose contact it creates or refreshes:
    /// the sender of an incoming message, the other person of a private chat for an outgoing one.
    pub fn contact_user(&self) -> Option<&TelegramUser> {
        match self.direction {
            Direction::Incoming => self.sender.as_ref().filter(|u| !u.is_bot).or(self.chat.counterpart.as_ref()),
            Direction::Outgoing => self.chat.counterpart.as_ref(),
        }
    }
}

/// A message was edited. It carries the whole message as it now is, so an edit of a message we
/// never saw still stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedEdit {
    /// The message as it is after the edit.
    pub message: CapturedMessage,
    /// When it was edited.
    pub edited_at: DateTime<Utc>,
}

/// A message from the owner's history (a Telegram Desktop export), not from live capture. It is
/// stored as a captured message would be, but history does not make a conversation look new:
/// see [`crate::model::Conversation::record_history`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoricalMessage {
    /// The message, described as live capture describes one.
    pub message: CapturedMessage,
    /// When it was last edited, if it was.
    pub edited_at: Option<DateTime<Utc>>,
}

/// Messages were deleted (Telegram Business tells us).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedDeletion {
    /// The chat.
    pub chat: ChatKey,
    /// Telegram message ids.
    pub telegram_message_ids: Vec<i64>,
    /// When we learned of it.
    pub deleted_at: DateTime<Utc>,
}

/// The bot's standing in a chat changed (Telegram's `my_chat_member`): added, removed, blocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedMembership {
    /// The chat.
    pub chat: ChatInfo,
    /// The bot's new standing.
    pub state: crate::values::BotMembershipState,
    /// Who changed it.
    pub changed_by: Option<TelegramUser>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A group became a supergroup (Telegram's `migrate_to_chat_id` in the group, and
/// `migrate_from_chat_id` in the supergroup: either one says it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedMigration {
    /// The service message that says it, in the chat it came in (stored as any message).
    pub message: CapturedMessage,
    /// The group.
    pub from: ChatKey,
    /// The supergroup.
    pub to: ChatInfo,
}

/// Reactions to a message changed (Telegram's `message_reaction` and `message_reaction_count`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedReaction {
    /// The chat.
    pub chat: ChatKey,
    /// The message reacted to.
    pub telegram_message_id: i64,
    /// What changed.
    pub change: ReactionChange,
}

/// How reactions changed. Reactions are named as in [`crate::Reaction::emoji`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReactionChange {
    /// One person (or an anonymous chat, `user_id` none) now reacts with `new` instead of `old`.
    #[serde(rename_all = "camelCase")]
    User {
        /// The Telegram user.
        user_id: Option<i64>,
        /// The reactions before.
        old: Vec<String>,
        /// The reactions now.
        new: Vec<String>,
    },
    /// Telegram's totals, for chats where reactions are anonymous.
    Counts(Vec<(String, u32)>),
}

/// A Telegram Business connection was made, changed or ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessConnection {
    /// Telegram's connection id.
    pub id: String,
    /// The avatar that owns the chats of this connection.
    pub owner: AvatarId,
    /// The Telegram user who connected the bot to their account.
    pub user: TelegramUser,
    /// The private chat with that user.
    pub user_chat_id: i64,
    /// Whether the connection is active.
    pub is_enabled: bool,
    /// Whether the bot may reply in the user's chats.
    pub can_reply: bool,
    /// The bot's other rights in the account (Bot API 9.0+); all false when Telegram did not say.
    #[serde(default)]
    pub rights: BusinessRights,
    /// When it was made or changed.
    pub date: DateTime<Utc>,
}

/// What a business account lets its chatbot do, besides replying ([`BusinessConnection::can_reply`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessRights {
    /// Mark incoming messages read.
    #[serde(default)]
    pub can_read_messages: bool,
    /// Delete messages the bot sent.
    #[serde(default)]
    pub can_delete_sent_messages: bool,
    /// Delete any message of the account's private chats.
    #[serde(default)]
    pub can_delete_all_messages: bool,
}

impl BusinessConnection {
    /// The state key a connection is kept under.
    pub fn state_key(id: &str) -> String {
        format!("business_connection:{id}")
    }

    /// Why the bot may not send in this connection's chats, or `None` when it may: Telegram
    /// refuses both cases, so the CRM says so before trying.
    pub fn refusal_to_send(&self) -> Option<&'static str> {
        if !self.is_enabled {
            Some(
                "the Telegram Business connection is turned off: turn the chatbot on again in Telegram \
                 (Settings → Telegram Business → Chatbots) to reply here",
            )
        } else if !self.can_reply {
            Some(
                "Telegram Business does not let the bot reply for you: allow \"Reply to messages\" for the chatbot \
                 in Telegram (Settings → Telegram Business → Chatbots)",
            )
        } else {
            None
        }
    }

    /// Whether the CRM may mark messages read in the owner's Telegram (`readBusinessMessage`).
    pub fn may_read(&self) -> bool {
        self.is_enabled && self.rights.can_read_messages
    }

    /// Why the bot may not delete `message` on the owner's behalf, or `None` when it may:
    /// messages the bot sent need `can_delete_sent_messages` (or `can_delete_all_messages`),
    /// any other message `can_delete_all_messages`.
    pub fn refusal_to_delete(&self, message: &crate::Message) -> Option<&'static str> {
        let r = &self.rights;
        if !self.is_enabled {
            Some("the Telegram Business connection is turned off: turn the chatbot on again in Telegram to delete here")
        } else if r.can_delete_all_messages || (message.details.sent_by_business_bot && r.can_delete_sent_messages) {
            None
        } else if message.details.sent_by_business_bot {
            Some(
                "Telegram Business does not let the bot delete its messages for you: allow \"Delete sent messages\" for the \
                 chatbot in Telegram (Settings → Telegram Business → Chatbots)",
            )
        } else {
            Some(
                "Telegram Business does not let the bot delete your own messages: allow \"Delete all messages\" for the \
                 chatbot in Telegram (Settings → Telegram Business → Chatbots)",
            )
        }
    }

    /// The state key under which an owner's latest enabled connection id is kept, so that an
    /// import keys the owner's personal chats as live Business capture does.
    pub fn owner_state_key(owner: AvatarId) -> String {
        format!("business_connection_of:{owner}")
    }
}

/// A record of a Telegcrm export, put back as it was exported (ids, counts and times kept): see
/// [`crate::ingest`] for when it is stored. Follow-ups are restored by
/// [`crate::CrmService::restore`] itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Restored {
    /// A contact.
    Contact(Contact),
    /// A conversation.
    Conversation(Conversation),
    /// A message, with the chat of the conversation it belongs to.
    Message {
        /// The message.
        message: Message,
        /// Its conversation's chat: the message is restored only into that conversation.
        chat: ChatKey,
    },
}

/// Something that happened on Telegram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A new message (incoming or outgoing).
    Message(CapturedMessage),
    /// An edited message.
    Edit(CapturedEdit),
    /// Deleted messages.
    Deletion(CapturedDeletion),
    /// A business connection change.
    BusinessConnection(BusinessConnection),
    /// A message from the owner's history (an import).
    History(HistoricalMessage),
    /// A record from a Telegcrm export (a restore).
    Restore(Box<Restored>),
    /// Reactions to a message changed.
    Reaction(CapturedReaction),
    /// The bot's standing in a chat changed.
    Membership(CapturedMembership),
    /// A group became a supergroup.
    Migration(Box<CapturedMigration>),
}

impl InboundEvent {
    /// The text that priority detection reads, if the event carries any. History is not read:
    /// an old message does not raise a conversation's priority.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Message(m) => Some(&m.text),
            Self::Edit(e) => Some(&e.message.text),
            Self::Deletion(_)
            | Self::BusinessConnection(_)
            | Self::History(_)
            | Self::Restore(_)
            | Self::Reaction(_)
            | Self::Membership(_)
            | Self::Migration(_) => None,
        }
    }
}

/// An inbound event with what the service worked out before storing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreparedEvent {
    /// The event.
    pub event: InboundEvent,
    /// Priority detected in its text, if any.
    pub detected_priority: Option<crate::values::Priority>,
}

/// What one ingest call stores: the events, plus small state written in the same commit
/// (the polling offset, so it advances only with the data it confirms).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestBatch {
    /// When the service took the batch in (its clock): `updatedAt` of what the batch changes.
    pub received_at: DateTime<Utc>,
    /// Events in arrival order.
    pub events: Vec<PreparedEvent>,
    /// Key/value pairs to write with them.
    pub state: Vec<(String, String)>,
}

impl IngestBatch {
    /// The batch the service hands a store: each event with the priority `rules` detect in its
    /// text.
    pub fn prepare(
        received_at: DateTime<Utc>,
        events: Vec<InboundEvent>,
        state: Vec<(String, String)>,
        rules: &crate::priority::PriorityRules,
    ) -> Self {
        let events = events
            .into_iter()
            .map(|event| PreparedEvent { detected_priority: event.text().and_then(|t| rules.detect(t)), event })
            .collect();
        Self { received_at, events, state }
    }
}

/// What an ingest call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    /// New messages stored.
    pub messages_stored: u64,
    /// Messages already stored (redeliveries), and restored records already there, left unchanged.
    pub duplicates: u64,
    /// Edits applied.
    pub edits_applied: u64,
    /// Messages marked deleted.
    pub deletions_applied: u64,
    /// Business connection changes stored.
    pub connections: u64,
    /// Events that changed nothing (stale edits, deletions of unknown messages).
    pub ignored: u64,
    /// Restored records stored.
    #[serde(default)]
    pub restored: u64,
    /// Restored records not stored because the store holds another record for the same chat,
    /// Telegram user or message (a different id).
    #[serde(default)]
    pub conflicts: u64,
    /// Reaction changes applied to stored messages.
    #[serde(default)]
    pub reactions_applied: u64,
    /// Changes to a chat itself stored: the bot's standing, a move to a supergroup.
    #[serde(default)]
    pub chat_changes: u64,
}

impl IngestReport {
    /// Adds another report's counts to this one.
    pub fn add(&mut self, other: &Self) {
        self.messages_stored += other.messages_stored;
        self.duplicates += other.duplicates;
        self.edits_applied += other.edits_applied;
        self.deletions_applied += other.deletions_applied;
        self.connections += other.connections;
        self.ignored += other.ignored;
        self.restored += other.restored;
        self.conflicts += other.conflicts;
        self.reactions_applied += other.reactions_applied;
        self.chat_changes += other.chat_changes;
    }
}
