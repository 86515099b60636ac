//! Counters recomputed from stored messages: what `telegcrm check` compares and repairs.
//!
//! The capture rules ([`Conversation::record_message`], [`Contact::record_message`]) keep these
//! counters up to date one message at a time. A recount derives the same values from the
//! messages a store holds, so a counter that drifted (a crash between writes, a bug, a hand edit
//! of the database) can be found and set right. For messages that arrived in `sentAt` order the
//! two agree exactly.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Contact, Conversation, Message};
use crate::ids::ContactId;
use crate::values::Direction;

/// A conversation's counters as its messages give them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationCounts {
    /// Messages stored (deleted ones included).
    pub message_count: u64,
    /// Incoming messages sent after the last read point.
    pub unread_count: u32,
    /// The newest message's `sentAt` (`None` without messages: the stored value stays).
    pub last_message_at: Option<DateTime<Utc>>,
    /// The newest message's preview (`None` without messages: the stored value stays).
    pub last_message_preview: Option<String>,
}

impl ConversationCounts {
    /// Recounts `conversation` from its messages (any order).
    pub fn of<'a>(conversation: &Conversation, messages: impl IntoIterator<Item = &'a Message>) -> Self {
        let mut counts = Self::default();
        // The newest message: latest `sentAt`; of equal ones the higher Telegram id (the later).
        let mut newest: Option<&Message> = None;
        for m in messages {
            counts.message_count += 1;
            let unread = m.direction == Direction::Incoming && conversation.last_read_at.is_none_or(|read| m.sent_at > read);
            if unread {
                counts.unread_count = counts.unread_count.saturating_add(1);
            }
            if newest.is_none_or(|n| (m.sent_at, m.telegram_message_id) >= (n.sent_at, n.telegram_message_id)) {
                newest = Some(m);
            }
        }
        counts.last_message_at = newest.map(|m| m.sent_at);
        counts.last_message_preview = newest.map(Message::preview);
        counts
    }

    /// The fields where `c` differs from these counts: `(field, stored, recounted)`, fields named
    /// as in the API.
    pub fn differences(&self, c: &Conversation) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if c.message_count != self.message_count {
            out.push(("messageCount", c.message_count.to_string(), self.message_count.to_string()));
        }
        if c.unread_count != self.unread_count {
            out.push(("unreadCount", c.unread_count.to_string(), self.unread_count.to_string()));
        }
        if let Some(at) = self.last_message_at.filter(|at| *at != c.last_message_at) {
            out.push(("lastMessageAt", c.last_message_at.to_rfc3339(), at.to_rfc3339()));
        }
        if let Some(p) = self.last_message_preview.as_ref().filter(|p| c.last_message_preview.as_ref() != Some(*p)) {
            out.push(("lastMessagePreview", format!("{:?}", c.last_message_preview.as_deref().unwrap_or("")), format!("{p:?}")));
        }
        out
    }

    /// Sets `c`'s counters to these.
    pub fn apply(&self, c: &mut Conversation) {
        c.message_count = self.message_count;
        c.unread_count = self.unread_count;
        if let Some(at) = self.last_message_at {
            c.last_message_at = at;
        }
        if let Some(p) = &self.last_message_preview {
            c.last_message_preview = Some(p.clone());
        }
    }
}

/// A contact's counters as the messages exchanged with them give them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactCounts {
    /// Messages exchanged.
    pub total_messages: u64,
    /// The newest of them (`None` without messages: the stored value stays).
    pub last_contacted_at: Option<DateTime<Utc>>,
}

impl ContactCounts {
    /// Counts one more message exchanged at `at`.
    pub fn add(&mut self, at: DateTime<Utc>) {
        self.total_messages += 1;
        self.last_contacted_at = Some(self.last_contacted_at.map_or(at, |l| l.max(at)));
    }

    /// The fields where `c` differs: `(field, stored, recounted)`.
    pub fn differences(&self, c: &Contact) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if c.total_messages != self.total_messages {
            out.push(("totalMessages", c.total_messages.to_string(), self.total_messages.to_string()));
        }
        if let Some(at) = self.last_contacted_at.filter(|at| *at != c.last_contacted_at) {
            out.push(("lastContactedAt", c.last_contacted_at.to_rfc3339(), at.to_rfc3339()));
        }
        out
    }

    /// Sets `c`'s counters to these.
    pub fn apply(&self, c: &mut Contact) {
        c.total_messages = self.total_messages;
        if let Some(at) = self.last_contacted_at {
            c.last_contacted_at = at;
        }
    }
}

/// The owner's contacts, by Telegram id, for attributing stored messages to them.
#[derive(Debug, Default)]
pub struct ContactTally {
    by_telegram_id: HashMap<i64, ContactId>,
    counts: HashMap<ContactId, ContactCounts>,
}

impl ContactTally {
    /// A tally over the owner's contacts.
    pub fn new<'a>(contacts: impl IntoIterator<Item = &'a Contact>) -> Self {
        let mut t = Self::default();
        for c in contacts {
            t.by_telegram_id.insert(c.telegram_id, c.id);
            t.counts.insert(c.id, ContactCounts::default());
        }
        t
    }

    /// Counts a message of `conversation` for the person it was exchanged with, the way capture
    /// does ([`crate::event::CapturedMessage::contact_user`]): an incoming message's sender when
    /// they are a contact (a bot never is), else the conversation's contact.
    pub fn add(&mut self, conversation: &Conversation, m: &Message) {
        let sender = match m.direction {
            Direction::Incoming => m.from_telegram_id.and_then(|id| self.by_telegram_id.get(&id).copied()),
            Direction::Outgoing => None,
        };
        if let Some(counts) = sender.or(conversation.contact_id).and_then(|id| self.counts.get_mut(&id)) {
            counts.add(m.sent_at);
        }
    }

    /// The recounted counters of a contact (zero when no message is theirs).
    pub fn counts(&self, id: ContactId) -> ContactCounts {
        self.counts.get(&id).cloned().unwrap_or_default()
    }
}
