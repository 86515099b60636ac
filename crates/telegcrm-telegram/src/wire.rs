//! The parts of Telegram's JSON that the CRM reads, as lenient serde structs.
//!
//! Only what mapping needs is typed; everything else lands in `rest` or is ignored, so a field
//! or content kind that Telegram adds later never makes a message fail to parse.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A Telegram user or bot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Whether it is a bot.
    #[serde(default)]
    pub is_bot: bool,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
    /// IETF language tag.
    pub language_code: Option<String>,
}

/// A chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Chat {
    /// Chat id.
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Title of groups and channels.
    pub title: Option<String>,
    /// Username of private chats, supergroups and channels.
    pub username: Option<String>,
    /// First name of the other party of a private chat.
    pub first_name: Option<String>,
    /// Last name of the other party of a private chat.
    pub last_name: Option<String>,
}

/// File metadata shared by every media kind (each kind fills some of it). Both ids are required
/// by today's Bot API, but older updates lack `file_unique_id` (and a file without an id is still
/// a message worth keeping): a missing id is empty, never a reason to drop the message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct File {
    /// File id.
    #[serde(default)]
    pub file_id: String,
    /// Stable file id.
    #[serde(default)]
    pub file_unique_id: String,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Diameter of a video note.
    pub length: Option<u32>,
    /// Duration in seconds.
    pub duration: Option<u32>,
    /// Size in bytes.
    pub file_size: Option<u64>,
    /// Original file name.
    pub file_name: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Emoji of a sticker.
    pub emoji: Option<String>,
    /// Performer of an audio file.
    pub performer: Option<String>,
    /// Title of an audio file.
    pub title: Option<String>,
}

/// A point on the map.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Location {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// A venue.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Venue {
    /// Where it is.
    pub location: Option<Location>,
    /// Its name.
    #[serde(default)]
    pub title: String,
    /// Its address.
    #[serde(default)]
    pub address: String,
}

/// A shared contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Contact {
    /// Phone number.
    #[serde(default)]
    pub phone_number: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Telegram user id, when the contact is a Telegram user.
    pub user_id: Option<i64>,
}

/// Text that is either a plain string or an object with `text` (poll option shapes vary).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Labelled {
    /// `{"text": ..., "voter_count": ...}`.
    Object {
        /// The text.
        text: String,
        /// Votes for it (poll options).
        #[serde(default, deserialize_with = "lenient_count")]
        voter_count: u32,
    },
    /// A bare string.
    Plain(String),
}

impl Labelled {
    /// The text.
    pub fn text(&self) -> &str {
        match self {
            Self::Object { text, .. } | Self::Plain(text) => text,
        }
    }
}

/// A poll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Poll {
    /// The question.
    #[serde(default)]
    pub question: String,
    /// The answers.
    #[serde(default)]
    pub options: Vec<Labelled>,
    /// People who voted.
    #[serde(default, deserialize_with = "lenient_count")]
    pub total_voter_count: u32,
    /// `regular` or `quiz`.
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    /// Whether several options may be chosen.
    #[serde(default, deserialize_with = "lenient")]
    pub allows_multiple_answers: Option<bool>,
    /// Whether votes are anonymous.
    #[serde(default, deserialize_with = "lenient")]
    pub is_anonymous: Option<bool>,
    /// Whether the poll is closed.
    #[serde(default, deserialize_with = "lenient")]
    pub is_closed: Option<bool>,
}

/// A count read leniently: anything but a non-negative whole number is 0.
fn lenient_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(lenient::<D, u32>(d)?.unwrap_or(0))
}

/// A dice roll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Dice {
    /// Which dice (🎲, 🎯, 🏀, ...).
    #[serde(default)]
    pub emoji: String,
    /// The value rolled.
    #[serde(default)]
    pub value: i64,
}

/// Another message, referred to (a reply target or a pinned message).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct MessageRef {
    /// Its id.
    pub message_id: i64,
    /// Its text, if it had one.
    pub text: Option<String>,
    /// Its caption, if it had one.
    pub caption: Option<String>,
}

/// A field read leniently: a value of another shape than expected is as if it were absent, so an
/// odd sub-field loses that field only, never the message.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// A stretch of text with a format or meaning; offsets in UTF-16 code units.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Entity {
    /// `bold`, `text_link`, ...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Start, in UTF-16 code units.
    #[serde(default)]
    pub offset: i64,
    /// Length, in UTF-16 code units.
    #[serde(default)]
    pub length: i64,
    /// The target of a `text_link`.
    pub url: Option<String>,
    /// The user of a `text_mention`.
    pub user: Option<User>,
    /// The language of a `pre` block.
    pub language: Option<String>,
}

/// The quoted part of a replied-to message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TextQuote {
    /// The quoted text.
    #[serde(default)]
    pub text: String,
    /// Where it starts in the replied-to message, in UTF-16 code units.
    #[serde(default)]
    pub position: i64,
    /// Whether the sender chose it.
    #[serde(default)]
    pub is_manual: bool,
}

/// A message of another chat that a message replies to.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ExternalReplyInfo {
    /// Who sent it.
    pub origin: Option<Value>,
    /// Its chat.
    #[serde(default, deserialize_with = "lenient")]
    pub chat: Option<Chat>,
    /// Its id.
    pub message_id: Option<i64>,
}

/// A Telegram message, as far as the CRM reads it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Message {
    /// Message id, unique within the chat.
    pub message_id: i64,
    /// Sender (absent for channel posts).
    pub from: Option<User>,
    /// The chat that sent it on behalf of itself (channels, anonymous admins).
    pub sender_chat: Option<Chat>,
    /// The bot that sent it on behalf of a business account.
    pub sender_business_bot: Option<User>,
    /// Unix time it was sent.
    #[serde(default)]
    pub date: i64,
    /// Unix time it was last edited.
    pub edit_date: Option<i64>,
    /// The chat.
    pub chat: Chat,
    /// The business connection it came through.
    pub business_connection_id: Option<String>,
    /// Where a forwarded message came from.
    pub forward_origin: Option<Value>,
    /// The quoted part of the replied-to message.
    #[serde(default, deserialize_with = "lenient")]
    pub quote: Option<TextQuote>,
    /// The message of another chat this one replies to.
    #[serde(default, deserialize_with = "lenient")]
    pub external_reply: Option<ExternalReplyInfo>,
    /// Formatting of `text`.
    #[serde(default, deserialize_with = "lenient")]
    pub entities: Option<Vec<Entity>>,
    /// Formatting of `caption`.
    #[serde(default, deserialize_with = "lenient")]
    pub caption_entities: Option<Vec<Entity>>,
    /// The album it belongs to.
    #[serde(default, deserialize_with = "lenient")]
    pub media_group_id: Option<String>,
    /// The topic (forums) or reply thread it belongs to.
    #[serde(default, deserialize_with = "lenient")]
    pub message_thread_id: Option<i64>,
    /// Whether it was sent in a forum topic.
    #[serde(default, deserialize_with = "lenient")]
    pub is_topic_message: Option<bool>,
    /// Whether Telegram sent it (away or greeting message) while the business account was offline.
    #[serde(default, deserialize_with = "lenient")]
    pub is_from_offline: Option<bool>,
    /// The message it replies to (same chat).
    pub reply_to_message: Option<MessageRef>,
    /// Text.
    pub text: Option<String>,
    /// Caption of a media message.
    pub caption: Option<String>,
    /// Photo sizes, smallest first.
    pub photo: Option<Vec<File>>,
    /// Video.
    pub video: Option<File>,
    /// Animation (GIF or silent video).
    pub animation: Option<File>,
    /// Audio file.
    pub audio: Option<File>,
    /// Voice note.
    pub voice: Option<File>,
    /// Round video note.
    pub video_note: Option<File>,
    /// Any other file.
    pub document: Option<File>,
    /// Sticker.
    pub sticker: Option<File>,
    /// Location.
    pub location: Option<Location>,
    /// Venue.
    pub venue: Option<Venue>,
    /// Shared contact.
    pub contact: Option<Contact>,
    /// Poll.
    pub poll: Option<Poll>,
    /// Dice.
    pub dice: Option<Dice>,
    /// Service: members added or joined.
    pub new_chat_members: Option<Vec<User>>,
    /// Service: a member left or was removed.
    pub left_chat_member: Option<User>,
    /// Service: the new title.
    pub new_chat_title: Option<String>,
    /// Service: a message was pinned.
    pub pinned_message: Option<MessageRef>,
    /// Every other field, kept to recognise other content and service kinds.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Rights of a business bot (Bot API 9.0 and later).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BusinessBotRights {
    /// Whether the bot may reply in the owner's chats.
    #[serde(default)]
    pub can_reply: bool,
    /// Whether it may mark incoming messages read.
    #[serde(default)]
    pub can_read_messages: bool,
    /// Whether it may delete the messages it sent.
    #[serde(default)]
    pub can_delete_sent_messages: bool,
    /// Whether it may delete any message.
    #[serde(default)]
    pub can_delete_all_messages: bool,
}

/// A business connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BusinessConnection {
    /// Connection id.
    pub id: String,
    /// The business account's user.
    pub user: User,
    /// The private chat with that user.
    #[serde(default)]
    pub user_chat_id: i64,
    /// Unix time of the change.
    #[serde(default)]
    pub date: i64,
    /// Older field: whether the bot may reply.
    pub can_reply: Option<bool>,
    /// Newer field: the bot's rights.
    pub rights: Option<BusinessBotRights>,
    /// Whether the connection is active.
    #[serde(default = "yes")]
    pub is_enabled: bool,
}

fn yes() -> bool {
    true
}

/// Messages deleted from a business account's chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BusinessMessagesDeleted {
    /// The connection.
    pub business_connection_id: String,
    /// The chat.
    pub chat: Chat,
    /// The deleted message ids.
    #[serde(default)]
    pub message_ids: Vec<i64>,
}

/// A reaction: an emoji, a custom emoji or a paid (star) reaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReactionType {
    /// `emoji`, `custom_emoji` or `paid`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The emoji.
    pub emoji: Option<String>,
    /// The custom emoji's id.
    pub custom_emoji_id: Option<String>,
}

impl ReactionType {
    /// The domain's name of the reaction: the emoji, `custom:<id>` or `paid`; none for a kind
    /// Telegram adds later.
    pub fn name(&self) -> Option<String> {
        match self.kind.as_str() {
            "emoji" => self.emoji.clone().filter(|e| !e.is_empty()),
            "custom_emoji" => self.custom_emoji_id.as_ref().map(|id| format!("custom:{id}")),
            "paid" => Some("paid".to_owned()),
            _ => None,
        }
    }
}

/// One person's reactions to a message changed (`message_reaction`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct MessageReactionUpdated {
    /// The chat.
    pub chat: Chat,
    /// The message.
    pub message_id: i64,
    /// Who reacted, when not anonymous.
    pub user: Option<User>,
    /// The chat that reacted anonymously.
    pub actor_chat: Option<Chat>,
    /// Unix time of the change.
    #[serde(default)]
    pub date: i64,
    /// The reactions before.
    #[serde(default)]
    pub old_reaction: Vec<ReactionType>,
    /// The reactions now.
    #[serde(default)]
    pub new_reaction: Vec<ReactionType>,
}

/// A reaction's total.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReactionCount {
    /// The reaction.
    #[serde(rename = "type", default)]
    pub kind: ReactionType,
    /// How many chose it.
    #[serde(default)]
    pub total_count: u32,
}

/// Anonymous reactions' totals changed (`message_reaction_count`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct MessageReactionCountUpdated {
    /// The chat.
    pub chat: Chat,
    /// The message.
    pub message_id: i64,
    /// Unix time of the change.
    #[serde(default)]
    pub date: i64,
    /// The totals.
    #[serde(default)]
    pub reactions: Vec<ReactionCount>,
}

/// A chat member's standing (`ChatMember`): only what says whether the bot is in the chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ChatMember {
    /// `creator`, `administrator`, `member`, `restricted`, `left` or `kicked`.
    #[serde(default)]
    pub status: String,
    /// For `restricted`: whether the user is still in the chat.
    #[serde(default, deserialize_with = "lenient")]
    pub is_member: Option<bool>,
}

/// The bot's own standing in a chat changed (`my_chat_member`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ChatMemberUpdated {
    /// The chat.
    pub chat: Chat,
    /// Who made the change.
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<User>,
    /// Unix time of the change.
    #[serde(default)]
    pub date: i64,
    /// The bot's standing now.
    #[serde(default)]
    pub new_chat_member: ChatMember,
}
