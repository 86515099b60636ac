//! The capture rules, applied to a batch inside one store transaction.
//!
//! Every store runs them through the small synchronous [`IngestTx`] and [`apply_batch`], so the
//! rules live here once: memory and SQLite over their own transactions, Mongo (no transactions)
//! over an in-memory snapshot of what the batch touches, which it then writes back itself.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::event::{
    BusinessConnection, CapturedMembership, CapturedMessage, CapturedMigration, CapturedReaction, ChatInfo, InboundEvent, IngestBatch,
    IngestReport, ReactionChange, Restored,
};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{ChatKey, Contact, Conversation, Message};
use crate::values::{ChatType, Priority};

/// Reads and writes of one ingest transaction. Reads see the transaction's own writes.
pub trait IngestTx {
    /// The conversation with this key.
    fn find_conversation(&mut self, key: &ChatKey) -> Result<Option<Conversation>, StoreError>;
    /// Stores a new conversation.
    fn insert_conversation(&mut self, c: &Conversation) -> Result<(), StoreError>;
    /// Replaces a stored conversation (same id).
    fn update_conversation(&mut self, c: &Conversation) -> Result<(), StoreError>;
    /// The owner's contact for a Telegram user.
    fn find_contact(&mut self, owner: AvatarId, telegram_id: i64) -> Result<Option<Contact>, StoreError>;
    /// Stores a new contact.
    fn insert_contact(&mut self, c: &Contact) -> Result<(), StoreError>;
    /// Replaces a stored contact (same id).
    fn update_contact(&mut self, c: &Contact) -> Result<(), StoreError>;
    /// A message by its Telegram id within a conversation.
    fn find_message(&mut self, conversation: ConversationId, telegram_message_id: i64) -> Result<Option<Message>, StoreError>;
    /// Stores a new message.
    fn insert_message(&mut self, m: &Message) -> Result<(), StoreError>;
    /// Replaces a stored message; `old` is what was stored (search indexes need it).
    fn update_message(&mut self, m: &Message, old: &Message) -> Result<(), StoreError>;
    /// Sets a state value.
    fn put_state(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// Applies a batch through `tx`. Conversations and contacts are written once per batch, not once
/// per message.
pub fn apply_batch<T: IngestTx + ?Sized>(tx: &mut T, batch: &IngestBatch, now: DateTime<Utc>) -> Result<IngestReport, StoreError> {
    let mut run =
        Run { tx, now, conversations: HashMap::new(), aliases: HashMap::new(), contacts: HashMap::new(), report: IngestReport::default() };
    for prepared in &batch.events {
        let detected = prepared.detected_priority;
        match &prepared.event {
            InboundEvent::Message(m) => run.message(m, detected, None, Arrival::Live)?,
            InboundEvent::History(h) => run.message(&h.message, None, h.edited_at, Arrival::History)?,
            InboundEvent::Edit(e) => run.edit(&e.message, detected, e.edited_at)?,
            InboundEvent::Deletion(d) => run.deletion(&d.chat, &d.telegram_message_ids, d.deleted_at)?,
            InboundEvent::BusinessConnection(c) => run.connection(c)?,
            InboundEvent::Restore(r) => run.restore(r)?,
            InboundEvent::Reaction(r) => run.reaction(r)?,
            InboundEvent::Membership(m) => run.membership(m)?,
            InboundEvent::Migration(m) => run.migration(m)?,
        }
    }
    for (key, value) in &batch.state {
        run.tx.put_state(key, value)?;
    }
    run.flush()?;
    Ok(run.report)
}

/// Where a message comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Telegram, now.
    Live,
    /// The owner's history: it arrives read, refreshes no profile and makes nothing look new.
    History,
}

struct Run<'a, T: IngestTx + ?Sized> {
    tx: &'a mut T,
    now: DateTime<Utc>,
    /// Conversations touched by this batch (under their own key), and whether they changed.
    conversations: HashMap<ChatKey, (Conversation, bool)>,
    /// Keys asked for that found a conversation under another key (a live Business chat found
    /// as it was imported, [`ChatKey::imported_personal`]).
    aliases: HashMap<ChatKey, ChatKey>,
    contacts: HashMap<(AvatarId, i64), (Contact, bool)>,
    report: IngestReport,
}

impl<T: IngestTx + ?Sized> Run<'_, T> {
    fn message(
        &mut self,
        m: &CapturedMessage,
        detected: Option<Priority>,
        edited_at: Option<DateTime<Utc>>,
        arrival: Arrival,
    ) -> Result<(), StoreError> {
        let contact = match m.contact_user() {
            // An export's names are display strings: they create a contact, but do not overwrite
            // the profile live capture keeps.
            Some(user) => Some(self.contact_for(m.chat.key.owner, user, m.sent_at, arrival == Arrival::Live)?),
            None => None,
        };
        let counterpart = m.chat.counterpart.as_ref().map(|u| u.id);
        let conv_id = self.conversation_for(&m.chat, counterpart, m.sent_at)?;
        let key = self.key_of(&m.chat.key);
        if self.tx.find_message(conv_id, m.telegram_message_id)?.is_some() {
            self.report.duplicates += 1;
            return Ok(());
        }
        let mut msg = Message::from_captured(m, conv_id);
        msg.edited_at = edited_at;
        // A late message older than the owner's last read point arrives read (it is not unread either).
        let read_up_to = self.conversations.get(&key).and_then(|(c, _)| c.last_read_at);
        msg.is_read |= read_up_to.is_some_and(|r| msg.sent_at <= r) || arrival == Arrival::History;
        self.tx.insert_message(&msg)?;
        self.report.messages_stored += 1;

        if let Some((c, dirty)) = contact.and_then(|key| self.contacts.get_mut(&key)) {
            c.record_message(m.direction, m.sent_at, self.now);
            *dirty = true;
        }
        let now = self.now;
        let counterpart_contact = counterpart.and_then(|id| self.contacts.get(&(m.chat.key.owner, id))).map(|(c, _)| c.clone());
        if let Some((conv, dirty)) = self.conversations.get_mut(&key) {
            match arrival {
                Arrival::Live => conv.record_message(&msg, detected, now),
                Arrival::History => conv.record_history(&msg, now),
            }
            if let Some(c) = counterpart_contact.filter(|_| conv.chat_type == ChatType::Private) {
                conv.set_contact(&c);
            }
            *dirty = true;
        }
        Ok(())
    }

    fn edit(&mut self, m: &CapturedMessage, detected: Option<Priority>, edited_at: DateTime<Utc>) -> Result<(), StoreError> {
        let conv_id = match self.known_conversation(&m.chat.key)? {
            Some(id) => id,
            // An edit of a chat we never saw: store the message as it now is.
            None => return self.message(m, detected, Some(edited_at), Arrival::Live),
        };
        let Some(old) = self.tx.find_message(conv_id, m.telegram_message_id)? else {
            return self.message(m, detected, Some(edited_at), Arrival::Live);
        };
        let mut msg = old.clone();
        if !msg.apply_edit(&m.text, &m.details.entities, m.media.as_ref(), edited_at) {
            self.report.ignored += 1;
            return Ok(());
        }
        self.tx.update_message(&msg, &old)?;
        self.report.edits_applied += 1;
        let key = self.key_of(&m.chat.key);
        if let Some((conv, dirty)) = self.conversations.get_mut(&key) {
            conv.raise_priority(detected);
            conv.refresh_preview(&msg);
            conv.updated_at = self.now;
            *dirty = true;
        }
        Ok(())
    }

    fn deletion(&mut self, chat: &ChatKey, ids: &[i64], at: DateTime<Utc>) -> Result<(), StoreError> {
        let Some(conv_id) = self.known_conversation(chat)? else {
            self.report.ignored += ids.len() as u64;
            return Ok(());
        };
        for &id in ids {
            match self.tx.find_message(conv_id, id)? {
                Some(old) => {
                    let mut msg = old.clone();
                    if msg.mark_deleted(at) {
                        self.tx.update_message(&msg, &old)?;
                        self.report.deletions_applied += 1;
                    } else {
                        self.report.ignored += 1;
                    }
                }
                None => self.report.ignored += 1,
            }
        }
        Ok(())
    }

    /// Reactions change the message only (a reaction is not a message: the conversation's
    /// order, unread count and preview stay). Reactions to a message we never stored are ignored.
    fn reaction(&mut self, r: &CapturedReaction) -> Result<(), StoreError> {
        let found = match self.known_conversation(&r.chat)? {
            Some(conv_id) => self.tx.find_message(conv_id, r.telegram_message_id)?,
            None => None,
        };
        let Some(old) = found else {
            self.report.ignored += 1;
            return Ok(());
        };
        let mut msg = old.clone();
        let changed = match &r.change {
            ReactionChange::User { user_id, old, new } => msg.details.apply_reaction_change(*user_id, old, new),
            ReactionChange::Counts(totals) => msg.details.set_reaction_counts(totals),
        };
        if changed {
            self.tx.update_message(&msg, &old)?;
            self.report.reactions_applied += 1;
        } else {
            self.report.ignored += 1;
        }
        Ok(())
    }

    /// The bot was added to, removed from or blocked in a chat. A chat the bot joins is opened
    /// (the owner sees it before its first message); leaving a chat never seen changes nothing.
    fn membership(&mut self, m: &CapturedMembership) -> Result<(), StoreError> {
        let known = self.known_conversation(&m.chat.key)?.is_some();
        if !known && !m.state.is_present() {
            self.report.ignored += 1;
            return Ok(());
        }
        let counterpart = m.chat.counterpart.as_ref().map(|u| u.id);
        if let Some(user) = m.chat.counterpart.as_ref().filter(|_| !known) {
            self.contact_for(m.chat.key.owner, user, m.at, true)?;
        }
        self.conversation_for(&m.chat, counterpart, m.at)?;
        let (key, now) = (self.key_of(&m.chat.key), self.now);
        let by = m.changed_by.as_ref().map(crate::event::TelegramUser::full_name).filter(|n| !n.is_empty());
        if let Some((conv, dirty)) = self.conversations.get_mut(&key)
            && conv.record_membership(m.state, by, m.at, now)
        {
            *dirty = true;
            self.report.chat_changes += 1;
            return Ok(());
        }
        self.report.ignored += 1;
        Ok(())
    }

    /// A group became a supergroup. The service message saying so is stored in its chat like
    /// any message; then the group's conversation keeps its history and is archived, and the
    /// supergroup's (opened if new) carries on its tags, priority, summary and fields. Telegram
    /// says it twice (once in each chat); the second time moves nothing.
    fn migration(&mut self, m: &CapturedMigration) -> Result<(), StoreError> {
        self.message(&m.message, None, None, Arrival::Live)?;
        let at = m.message.sent_at;
        if self.known_conversation(&m.from)?.is_none() {
            // The supergroup's own message, from a group never seen: nothing to carry over.
            return Ok(());
        }
        self.conversation_for(&m.to, None, at)?;
        let (from, to, now) = (self.key_of(&m.from), self.key_of(&m.to.key), self.now);
        let Some(old) = self.conversations.get(&from).map(|(c, _)| c.clone()) else { return Ok(()) };
        let mut changed = false;
        let Some((new, dirty)) = self.conversations.get_mut(&to) else { return Ok(()) };
        if new.continue_from(&old, now) {
            *dirty = true;
            changed = true;
        }
        let new = new.clone();
        if let Some((old, dirty)) = self.conversations.get_mut(&from)
            && old.migrate_to(&new, now)
        {
            *dirty = true;
            changed = true;
        }
        if changed {
            self.report.chat_changes += 1;
        }
        Ok(())
    }

    fn connection(&mut self, c: &BusinessConnection) -> Result<(), StoreError> {
        let json = serde_json::to_string(c).map_err(|e| StoreError::Corrupt(format!("business connection: {e}")))?;
        self.tx.put_state(&BusinessConnection::state_key(&c.id), &json)?;
        if c.is_enabled {
            self.tx.put_state(&BusinessConnection::owner_state_key(c.owner), &c.id)?;
        }
        self.report.connections += 1;
        Ok(())
    }

    /// Puts back a record of an export as it was. A record is found by what identifies it in
    /// Telegram (the chat, the Telegram user, the message in its conversation): absent, it is
    /// stored; present with the same id, it is left (a restore run again after an interruption
    /// continues); present with another id, the store holds different data for it, and the
    /// record is not stored but counted as a conflict. A message is restored only into its own
    /// conversation: when the store holds its chat under another conversation (or not at all),
    /// it is a conflict too.
    fn restore(&mut self, r: &Restored) -> Result<(), StoreError> {
        let stored_id = match r {
            Restored::Contact(c) => self.tx.find_contact(c.owner_avatar_id, c.telegram_id)?.map(|s| s.id == c.id),
            Restored::Conversation(c) => self.tx.find_conversation(&c.key())?.map(|s| s.id == c.id),
            Restored::Message { message: m, chat } => match self.tx.find_conversation(chat)? {
                Some(c) if c.id == m.conversation_id => {
                    self.tx.find_message(m.conversation_id, m.telegram_message_id)?.map(|s| s.id == m.id)
                }
                _ => Some(false),
            },
        };
        match stored_id {
            Some(true) => self.report.duplicates += 1,
            Some(false) => self.report.conflicts += 1,
            None => {
                match r {
                    Restored::Contact(c) => self.tx.insert_contact(c)?,
                    Restored::Conversation(c) => self.tx.insert_conversation(c)?,
                    Restored::Message { message, .. } => self.tx.insert_message(message)?,
                }
                self.report.restored += 1;
            }
        }
        Ok(())
    }

    /// Loads or creates the contact of `user`, refreshing its Telegram profile.
    fn contact_for(
        &mut self,
        owner: AvatarId,
        user: &crate::event::TelegramUser,
        at: DateTime<Utc>,
        refresh: bool,
    ) -> Result<(AvatarId, i64), StoreError> {
        let key = (owner, user.id);
        if let Some((c, dirty)) = self.contacts.get_mut(&key) {
            *dirty |= refresh && c.refresh_profile(user);
            return Ok(key);
        }
        let entry = match self.tx.find_contact(owner, user.id)? {
            Some(mut c) => {
                let changed = refresh && c.refresh_profile(user);
                (c, changed)
            }
            None => {
                let c = Contact::from_user(owner, user, at);
                self.tx.insert_contact(&c)?;
                (c, false)
            }
        };
        self.contacts.insert(key, entry);
        Ok(key)
    }

    /// The conversation of a chat, opened when the chat is new (with the contact of
    /// `counterpart`, when this batch has loaded it).
    fn conversation_for(&mut self, chat: &ChatInfo, counterpart: Option<i64>, at: DateTime<Utc>) -> Result<ConversationId, StoreError> {
        if let Some(id) = self.known_conversation(&chat.key)? {
            return Ok(id);
        }
        let contact = counterpart.and_then(|id| self.contacts.get(&(chat.key.owner, id))).map(|(c, _)| c);
        let conv = Conversation::open(&chat.key, chat.chat_type, chat.title.clone(), contact, at);
        self.tx.insert_conversation(&conv)?;
        let id = conv.id;
        self.conversations.insert(chat.key.clone(), (conv, false));
        Ok(id)
    }

    /// The key the conversation of `key` is held under in this batch.
    fn key_of(&self, key: &ChatKey) -> ChatKey {
        self.aliases.get(key).cloned().unwrap_or_else(|| key.clone())
    }

    /// The conversation of a chat, read once per batch. A live Business chat with a person that
    /// has no conversation of its own is the one imported from the owner's export before the
    /// connection was known, if there is one: one chat, one conversation, whichever came first.
    fn known_conversation(&mut self, key: &ChatKey) -> Result<Option<ConversationId>, StoreError> {
        let own = self.key_of(key);
        if let Some((c, _)) = self.conversations.get(&own) {
            return Ok(Some(c.id));
        }
        if let Some(c) = self.tx.find_conversation(key)? {
            let id = c.id;
            self.conversations.insert(key.clone(), (c, false));
            return Ok(Some(id));
        }
        let Some(imported) = key.imported_personal() else { return Ok(None) };
        if let Some((c, _)) = self.conversations.get(&imported) {
            let id = c.id;
            self.aliases.insert(key.clone(), imported);
            return Ok(Some(id));
        }
        Ok(match self.tx.find_conversation(&imported)? {
            Some(c) => {
                let id = c.id;
                self.conversations.insert(imported.clone(), (c, false));
                self.aliases.insert(key.clone(), imported);
                Some(id)
            }
            None => None,
        })
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        for (c, dirty) in self.contacts.values() {
            if *dirty {
                self.tx.update_contact(c)?;
            }
        }
        for (c, dirty) in self.conversations.values() {
            if *dirty {
                self.tx.update_conversation(c)?;
            }
        }
        Ok(())
    }
}
