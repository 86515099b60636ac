//! The capture rules of `telegcrm_domain::ingest::apply_batch`, walked over a snapshot of what is
//! stored, producing a write plan instead of writes: contacts to upsert, conversations to open,
//! messages to insert or change, and per stored message the counter changes ("deltas") that the
//! executor turns into atomic operators. The walk follows `apply_batch` step by step so both give
//! the same results; only the writes differ.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use telegcrm_domain::event::{BusinessConnection, CapturedMessage, InboundEvent, IngestBatch, IngestReport, TelegramUser};
use telegcrm_domain::model::{ChatKey, Media};
use telegcrm_domain::{AvatarId, ChatType, Contact, ConversationId, Direction, Message, Priority, StoreError};

use crate::codec::ms;

/// A contact's key: owner and Telegram user id.
pub(crate) type ContactKey = (AvatarId, i64);

/// A stored conversation as the plan needs it.
#[derive(Debug, Clone)]
pub(crate) struct KnownConversation {
    pub id: ConversationId,
    pub chat_type: ChatType,
    pub last_read_at: Option<DateTime<Utc>>,
}

/// What is stored of the records a batch touches.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub conversations: HashMap<ChatKey, KnownConversation>,
    pub contacts: HashMap<ContactKey, Contact>,
    pub messages: HashMap<(ConversationId, i64), Message>,
}

/// A contact the batch creates or refreshes.
#[derive(Debug)]
pub(crate) struct ContactPlan {
    pub key: ContactKey,
    /// The contact as the batch leaves its profile (a new one has a fresh id).
    pub contact: Contact,
    pub is_new: bool,
    /// Whether the Telegram profile changed (so it must be written).
    pub refreshed: bool,
}

/// A conversation the batch opens.
#[derive(Debug)]
pub(crate) struct ConversationPlan {
    pub key: ChatKey,
    pub chat_type: ChatType,
    pub title: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// The other person of the chat, when the batch knows their contact at opening.
    pub counterpart: Option<ContactKey>,
}

/// A change the batch makes to one message after it exists.
#[derive(Debug, Clone)]
pub(crate) enum Modification {
    /// An edit, with the index of its conversation delta.
    Edit { text: String, media: Option<Media>, at: DateTime<Utc>, delta: usize },
    /// A deletion.
    Delete { at: DateTime<Utc> },
}

/// A message the batch stores or changes.
#[derive(Debug)]
pub(crate) struct MessagePlan {
    pub chat: ChatKey,
    /// What is stored now (`None`: the batch stores it).
    pub stored: Option<Message>,
    /// The message as the batch leaves it (for a new one, `conversation_id` is set on write).
    pub message: Message,
    /// Changes after it existed, in order (to redo them on the stored copy when needed).
    pub modifications: Vec<Modification>,
}

/// What a stored message or an applied edit does to its conversation and contact.
#[derive(Debug, Clone)]
pub(crate) enum Delta {
    /// A new message was recorded.
    Recorded {
        message: usize,
        direction: Direction,
        sent_at: DateTime<Utc>,
        preview: String,
        detected: Option<Priority>,
        /// The contact whose counters it moves.
        contact: Option<ContactKey>,
        /// The contact a private conversation links to.
        counterpart: Option<ContactKey>,
    },
    /// An edit was applied.
    Edited { message: usize, sent_at: DateTime<Utc>, preview: String, detected: Option<Priority> },
}

impl Delta {
    /// The message plan this delta belongs to.
    pub(crate) fn message(&self) -> usize {
        match self {
            Self::Recorded { message, .. } | Self::Edited { message, .. } => *message,
        }
    }
}

/// The whole plan of one batch.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub report: IngestReport,
    pub contacts: Vec<ContactPlan>,
    pub conversations: Vec<ConversationPlan>,
    pub messages: Vec<MessagePlan>,
    pub deltas: Vec<Delta>,
    pub state: Vec<(String, String)>,
}

/// Walks the batch over the snapshot.
pub(crate) fn plan(batch: &IngestBatch, snap: &Snapshot) -> Result<Plan, StoreError> {
    let mut w = Walk {
        snap,
        plan: Plan::default(),
        contacts: HashMap::new(),
        conversations: HashMap::new(),
        read_points: HashMap::new(),
        messages: HashMap::new(),
    };
    for prepared in &batch.events {
        let detected = prepared.detected_priority;
        match &prepared.event {
            InboundEvent::Message(m) => w.message(m, detected, None),
            InboundEvent::Edit(e) => w.edit(&e.message, detected, ms(e.edited_at)),
            InboundEvent::Deletion(d) => w.deletion(&d.chat, &d.telegram_message_ids, ms(d.deleted_at)),
            InboundEvent::BusinessConnection(c) => w.connection(c)?,
        }
    }
    w.plan.state.extend(batch.state.iter().cloned());
    Ok(w.plan)
}

/// Where a conversation of the batch comes from.
#[derive(Debug, Clone, Copy)]
enum Conv {
    Stored,
    Opened,
}

struct Walk<'a> {
    snap: &'a Snapshot,
    plan: Plan,
    /// Contacts touched so far → index in `plan.contacts`.
    contacts: HashMap<ContactKey, usize>,
    /// Conversations touched so far, with their chat type.
    conversations: HashMap<ChatKey, (Conv, ChatType)>,
    /// Each touched conversation's last read point, as the batch moves it.
    read_points: HashMap<ChatKey, DateTime<Utc>>,
    /// Messages touched so far → index in `plan.messages`.
    messages: HashMap<(ChatKey, i64), usize>,
}

impl Walk<'_> {
    fn message(&mut self, m: &CapturedMessage, detected: Option<Priority>, edited_at: Option<DateTime<Utc>>) {
        let sent_at = ms(m.sent_at);
        let owner = m.chat.key.owner;
        let contact = m.contact_user().map(|user| self.contact_for(owner, user, sent_at));
        let counterpart = m.chat.counterpart.as_ref().map(|u| (owner, u.id));
        let chat_type = self.conversation_for(m, counterpart, sent_at);
        if self.find_message(&m.chat.key, m.telegram_message_id).is_some() {
            self.plan.report.duplicates += 1;
            return;
        }
        let placeholder = self.snap.conversations.get(&m.chat.key).map_or_else(ConversationId::new, |c| c.id);
        let mut msg = Message::from_captured(m, placeholder);
        msg.sent_at = sent_at;
        msg.edited_at = edited_at;
        // A late message older than the owner's last read point arrives read.
        let read_up_to = self.read_points.get(&m.chat.key).copied();
        msg.is_read |= read_up_to.is_some_and(|r| sent_at <= r);
        if m.direction == Direction::Outgoing {
            self.read_points.insert(m.chat.key.clone(), read_up_to.map_or(sent_at, |r| r.max(sent_at)));
        }
        let index = self.plan.messages.len();
        let preview = msg.preview();
        self.plan.messages.push(MessagePlan { chat: m.chat.key.clone(), stored: None, message: msg, modifications: Vec::new() });
        self.messages.insert((m.chat.key.clone(), m.telegram_message_id), index);
        self.plan.report.messages_stored += 1;
        let counterpart = counterpart.filter(|k| chat_type == ChatType::Private && self.contacts.contains_key(k));
        self.plan.deltas.push(Delta::Recorded { message: index, direction: m.direction, sent_at, preview, detected, contact, counterpart });
    }

    fn edit(&mut self, m: &CapturedMessage, detected: Option<Priority>, edited_at: DateTime<Utc>) {
        if !self.known_conversation(&m.chat.key) {
            return self.message(m, detected, Some(edited_at));
        }
        let Some(index) = self.find_message(&m.chat.key, m.telegram_message_id) else {
            return self.message(m, detected, Some(edited_at));
        };
        let plan = &mut self.plan.messages[index];
        if !plan.message.apply_edit(&m.text, m.media.as_ref(), edited_at) {
            self.plan.report.ignored += 1;
            return;
        }
        self.plan.report.edits_applied += 1;
        let delta = self.plan.deltas.len();
        plan.modifications.push(Modification::Edit { text: m.text.clone(), media: m.media.clone(), at: edited_at, delta });
        let (sent_at, preview) = (plan.message.sent_at, plan.message.preview());
        self.plan.deltas.push(Delta::Edited { message: index, sent_at, preview, detected });
    }

    fn deletion(&mut self, chat: &ChatKey, ids: &[i64], at: DateTime<Utc>) {
        if !self.known_conversation(chat) {
            self.plan.report.ignored += ids.len() as u64;
            return;
        }
        for &id in ids {
            match self.find_message(chat, id) {
                Some(index) => {
                    let plan = &mut self.plan.messages[index];
                    if plan.message.mark_deleted(at) {
                        plan.modifications.push(Modification::Delete { at });
                        self.plan.report.deletions_applied += 1;
                    } else {
                        self.plan.report.ignored += 1;
                    }
                }
                None => self.plan.report.ignored += 1,
            }
        }
    }

    fn connection(&mut self, c: &BusinessConnection) -> Result<(), StoreError> {
        let json = serde_json::to_string(c).map_err(|e| StoreError::Corrupt(format!("business connection: {e}")))?;
        self.plan.state.push((BusinessConnection::state_key(&c.id), json));
        self.plan.report.connections += 1;
        Ok(())
    }

    /// Loads or creates the contact of `user` and refreshes its profile; returns its key.
    fn contact_for(&mut self, owner: AvatarId, user: &TelegramUser, at: DateTime<Utc>) -> ContactKey {
        let key = (owner, user.id);
        if let Some(&i) = self.contacts.get(&key) {
            let plan = &mut self.plan.contacts[i];
            plan.refreshed |= plan.contact.refresh_profile(user);
            return key;
        }
        let plan = match self.snap.contacts.get(&key) {
            Some(stored) => {
                let mut contact = stored.clone();
                let refreshed = contact.refresh_profile(user);
                ContactPlan { key, contact, is_new: false, refreshed }
            }
            None => ContactPlan { key, contact: Contact::from_user(owner, user, at), is_new: true, refreshed: false },
        };
        self.contacts.insert(key, self.plan.contacts.len());
        self.plan.contacts.push(plan);
        key
    }

    /// Makes sure the message's conversation exists (opening it if new); returns its chat type.
    fn conversation_for(&mut self, m: &CapturedMessage, counterpart: Option<ContactKey>, at: DateTime<Utc>) -> ChatType {
        if self.known_conversation(&m.chat.key) {
            return self.conversations.get(&m.chat.key).map_or(m.chat.chat_type, |(_, t)| *t);
        }
        let counterpart = counterpart.filter(|k| self.contacts.contains_key(k));
        self.plan.conversations.push(ConversationPlan {
            key: m.chat.key.clone(),
            chat_type: m.chat.chat_type,
            title: m.chat.title.clone(),
            opened_at: at,
            counterpart,
        });
        self.conversations.insert(m.chat.key.clone(), (Conv::Opened, m.chat.chat_type));
        m.chat.chat_type
    }

    fn known_conversation(&mut self, key: &ChatKey) -> bool {
        if self.conversations.contains_key(key) {
            return true;
        }
        match self.snap.conversations.get(key) {
            Some(c) => {
                self.conversations.insert(key.clone(), (Conv::Stored, c.chat_type));
                if let Some(r) = c.last_read_at {
                    self.read_points.insert(key.clone(), r);
                }
                true
            }
            None => false,
        }
    }

    /// The plan index of a message, loading it from the snapshot when stored.
    fn find_message(&mut self, chat: &ChatKey, telegram_message_id: i64) -> Option<usize> {
        let key = (chat.clone(), telegram_message_id);
        if let Some(&i) = self.messages.get(&key) {
            return Some(i);
        }
        let Some((Conv::Stored, _)) = self.conversations.get(chat) else { return None };
        let conv_id = self.snap.conversations.get(chat)?.id;
        let stored = self.snap.messages.get(&(conv_id, telegram_message_id))?;
        let index = self.plan.messages.len();
        self.plan.messages.push(MessagePlan {
            chat: chat.clone(),
            stored: Some(stored.clone()),
            message: stored.clone(),
            modifications: Vec::new(),
        });
        self.messages.insert(key, index);
        Some(index)
    }
}
