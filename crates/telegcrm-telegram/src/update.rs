//! Parsing updates one at a time, from raw bytes or JSON values.
//!
//! Each update is parsed on its own: an update kind we do not handle, or one whose body does not
//! parse, is skipped and counted and never fails the updates around it. Each keeps its JSON text
//! as received ([`Update::raw`]), so that an update the store refuses is parked exactly as it came.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use thiserror::Error;

use crate::wire::{
    BusinessConnection, BusinessMessagesDeleted, ChatMemberUpdated, Message, MessageReactionCountUpdated, MessageReactionUpdated,
};

/// The update kinds the CRM asks Telegram for (`allowed_updates`).
pub const ALLOWED_UPDATES: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "my_chat_member",
];

/// One Telegram update.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// Telegram's update id (the polling offset is the last one plus one).
    pub update_id: i64,
    /// What happened.
    pub kind: UpdateKind,
    /// The update's JSON text as received (from a `getUpdates` answer or a webhook body; an
    /// update parsed from a [`Value`] has that value's JSON).
    pub raw: String,
}

/// What an update carries.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateKind {
    /// A new message in a chat with the bot, or a group the bot is in.
    Message(Box<Message>),
    /// An edited `message`.
    EditedMessage(Box<Message>),
    /// A new channel post.
    ChannelPost(Box<Message>),
    /// An edited channel post.
    EditedChannelPost(Box<Message>),
    /// A business connection was made, changed or ended.
    BusinessConnection(BusinessConnection),
    /// A message in a connected business account's private chat (either side).
    BusinessMessage(Box<Message>),
    /// An edited business message.
    EditedBusinessMessage(Box<Message>),
    /// Business messages were deleted.
    DeletedBusinessMessages(BusinessMessagesDeleted),
    /// Someone changed their reactions to a message (chats where the bot is an administrator).
    MessageReaction(Box<MessageReactionUpdated>),
    /// The totals of anonymous reactions to a message changed.
    MessageReactionCount(Box<MessageReactionCountUpdated>),
    /// The bot's standing in a chat changed: added, removed, blocked by the person.
    MyChatMember(Box<ChatMemberUpdated>),
}

impl UpdateKind {
    /// The update kind's name as Telegram spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Message(_) => "message",
            Self::EditedMessage(_) => "edited_message",
            Self::ChannelPost(_) => "channel_post",
            Self::EditedChannelPost(_) => "edited_channel_post",
            Self::BusinessConnection(_) => "business_connection",
            Self::BusinessMessage(_) => "business_message",
            Self::EditedBusinessMessage(_) => "edited_business_message",
            Self::DeletedBusinessMessages(_) => "deleted_business_messages",
            Self::MessageReaction(_) => "message_reaction",
            Self::MessageReactionCount(_) => "message_reaction_count",
            Self::MyChatMember(_) => "my_chat_member",
        }
    }
}

/// Why an update could not be read.
#[derive(Debug, Error)]
pub enum UpdateError {
    /// The bytes are not JSON at all.
    #[error("the update is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON, but not an update object with a numeric `update_id`.
    #[error("not a Telegram update: {0}")]
    NotAnUpdate(&'static str),
    /// An update kind the CRM does not handle (skipped).
    #[error("update {update_id}: kind {kind:?} is not handled")]
    Unsupported {
        /// The update's id.
        update_id: i64,
        /// The kind found (the first field other than `update_id`), or empty.
        kind: String,
    },
    /// A handled kind whose body does not have the expected shape (skipped).
    #[error("update {update_id}: {kind} does not parse: {reason}")]
    Invalid {
        /// The update's id.
        update_id: i64,
        /// The update kind.
        kind: &'static str,
        /// What serde said.
        reason: String,
    },
}

impl UpdateError {
    /// The update id, when the update got far enough to have one.
    pub fn update_id(&self) -> Option<i64> {
        match self {
            Self::Unsupported { update_id, .. } | Self::Invalid { update_id, .. } => Some(*update_id),
            Self::NotJson(_) | Self::NotAnUpdate(_) => None,
        }
    }
}

/// Parses one update from raw bytes (a webhook body), keeping them as its raw text.
pub fn parse_update_bytes(bytes: &[u8]) -> Result<Update, UpdateError> {
    let text = std::str::from_utf8(bytes).map_err(|e| UpdateError::NotJson(serde::de::Error::custom(e)))?;
    parse_update_str(text)
}

/// Parses one update from its JSON text, keeping the text as its raw text.
pub fn parse_update_str(text: &str) -> Result<Update, UpdateError> {
    let value: Value = serde_json::from_str(text).map_err(UpdateError::NotJson)?;
    parse_value(value, text.to_owned())
}

/// Parses one update from a JSON value; its raw text is the value's JSON.
pub fn parse_update(value: Value) -> Result<Update, UpdateError> {
    let raw = value.to_string();
    parse_value(value, raw)
}

fn parse_value(value: Value, raw: String) -> Result<Update, UpdateError> {
    let Value::Object(mut map) = value else {
        return Err(UpdateError::NotAnUpdate("expected a JSON object"));
    };
    let update_id = map.get("update_id").and_then(Value::as_i64).ok_or(UpdateError::NotAnUpdate("no numeric update_id"))?;
    for &kind in ALLOWED_UPDATES {
        if let Some(body) = map.remove(kind) {
            return typed(kind, update_id, body).map(|kind| Update { update_id, kind, raw });
        }
    }
    let kind = map.keys().find(|k| *k != "update_id").cloned().unwrap_or_default();
    Err(UpdateError::Unsupported { update_id, kind })
}

fn typed(kind: &'static str, update_id: i64, body: Value) -> Result<UpdateKind, UpdateError> {
    let kind = match kind {
        "message" => UpdateKind::Message(body_of(kind, update_id, body)?),
        "edited_message" => UpdateKind::EditedMessage(body_of(kind, update_id, body)?),
        "channel_post" => UpdateKind::ChannelPost(body_of(kind, update_id, body)?),
        "edited_channel_post" => UpdateKind::EditedChannelPost(body_of(kind, update_id, body)?),
        "business_connection" => UpdateKind::BusinessConnection(body_of(kind, update_id, body)?),
        "business_message" => UpdateKind::BusinessMessage(body_of(kind, update_id, body)?),
        "edited_business_message" => UpdateKind::EditedBusinessMessage(body_of(kind, update_id, body)?),
        "deleted_business_messages" => UpdateKind::DeletedBusinessMessages(body_of(kind, update_id, body)?),
        "message_reaction" => UpdateKind::MessageReaction(body_of(kind, update_id, body)?),
        "message_reaction_count" => UpdateKind::MessageReactionCount(body_of(kind, update_id, body)?),
        "my_chat_member" => UpdateKind::MyChatMember(body_of(kind, update_id, body)?),
        other => return Err(UpdateError::Unsupported { update_id, kind: other.to_owned() }),
    };
    Ok(kind)
}

fn body_of<T: DeserializeOwned>(kind: &'static str, update_id: i64, body: Value) -> Result<T, UpdateError> {
    serde_json::from_value(body).map_err(|e| UpdateError::Invalid { update_id, kind, reason: e.to_string() })
}

/// A `getUpdates` answer, parsed update by update.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedBatch {
    /// Updates of handled kinds, in order.
    pub updates: Vec<Update>,
    /// The highest update id seen, parsable or not (the offset moves past all of them).
    pub last_update_id: Option<i64>,
    /// Updates of kinds the CRM does not handle.
    pub unsupported: u64,
    /// Updates that did not parse.
    pub invalid: u64,
}

impl ParsedBatch {
    /// The offset that confirms every update of this batch, or `None` for an empty batch.
    pub fn next_offset(&self) -> Option<i64> {
        self.last_update_id.map(|id| id + 1)
    }
}

/// Parses every element of a `getUpdates` result on its own.
pub fn parse_batch(values: Vec<Value>) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for value in values {
        let id = value.get("update_id").and_then(Value::as_i64);
        batch.take(id, parse_update(value));
    }
    batch
}

/// Parses every element of a `getUpdates` result, as the JSON text Telegram sent, on its own;
/// each update keeps its text.
pub fn parse_raw_batch(values: Vec<Box<RawValue>>) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for raw in values {
        let parsed = parse_update_str(raw.get());
        // An element without an update id moves no offset, as in `parse_batch`.
        let id = match &parsed {
            Ok(u) => Some(u.update_id),
            Err(e) => e.update_id().or_else(|| serde_json::from_str::<Value>(raw.get()).ok()?.get("update_id")?.as_i64()),
        };
        batch.take(id, parsed);
    }
    batch
}

impl ParsedBatch {
    fn take(&mut self, id: Option<i64>, parsed: Result<Update, UpdateError>) {
        self.last_update_id = self.last_update_id.max(id);
        match parsed {
            Ok(update) => self.updates.push(update),
            Err(e @ UpdateError::Unsupported { .. }) => {
                tracing::debug!(error = %e, "skipping update");
                self.unsupported += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, "skipping an update that does not parse");
                self.invalid += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_kind_is_unsupported_with_its_name() {
        let err = parse_update(json!({"update_id": 5, "chat_boost": {"x": 1}})).unwrap_err();
        assert!(matches!(err, UpdateError::Unsupported { update_id: 5, ref kind } if kind == "chat_boost"));
    }

    #[test]
    fn garbage_is_not_an_update() {
        assert!(matches!(parse_update_bytes(b"<html>"), Err(UpdateError::NotJson(_))));
        assert!(matches!(parse_update(json!([1, 2])), Err(UpdateError::NotAnUpdate(_))));
        assert!(matches!(parse_update(json!({"message": {}})), Err(UpdateError::NotAnUpdate(_))));
    }

    #[test]
    fn a_bad_update_does_not_fail_its_neighbours() {
        let batch = parse_batch(vec![
            json!({"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "hi"}}),
            json!({"update_id": 2, "message": {"message_id": "not a number"}}),
            json!({"update_id": 3, "poll_answer": {}}),
            json!({"update_id": 4, "edited_message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "hey"}}),
        ]);
        assert_eq!(batch.updates.len(), 2);
        assert_eq!((batch.invalid, batch.unsupported), (1, 1));
        assert_eq!(batch.next_offset(), Some(5));
    }

    #[test]
    fn a_raw_batch_keeps_each_updates_text_as_sent() {
        let texts = [
            r#"{"update_id":7, "message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"Zoë \u00fc  ✓"}}"#,
            r#"{"update_id": 8, "poll_answer": {}}"#,
            r#"{"update_id":9,"message":{"message_id":"broken"}}"#,
        ];
        let raw: Vec<Box<RawValue>> = texts.iter().map(|t| RawValue::from_string((*t).to_owned()).unwrap()).collect();
        let batch = parse_raw_batch(raw);
        assert_eq!(batch.updates.len(), 1);
        assert_eq!(batch.updates[0].raw, texts[0], "key order, spacing and escapes as Telegram sent them");
        assert_eq!((batch.unsupported, batch.invalid, batch.next_offset()), (1, 1, Some(10)));
        assert_eq!(parse_update_bytes(texts[0].as_bytes()).unwrap().raw, texts[0]);
    }
}
