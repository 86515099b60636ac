//! Restoring a Telegcrm export: records put back as they were exported (docs/export.md).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::CrmError;
use crate::event::{InboundEvent, Restored};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{ChatKey, FollowUp, Record};

use super::CrmService;

/// What a restore call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    /// Records stored.
    pub restored: u64,
    /// Records already there (the same id): a restore run again leaves them.
    pub already_stored: u64,
    /// Records not stored because the store holds another record for the same chat, Telegram
    /// user, message or follow-up id.
    pub conflicts: u64,
}

impl RestoreReport {
    /// Adds another report's counts to this one.
    pub fn add(&mut self, other: &Self) {
        self.restored += other.restored;
        self.already_stored += other.already_stored;
        self.conflicts += other.conflicts;
    }
}

impl CrmService {
    /// Puts back records of an export, ids, counts and times as they were, given in the
    /// export's order (a conversation before its messages). Meant for an empty store, and safe
    /// to run again after an interruption: a record already there (same id) is left; one whose
    /// chat, Telegram user or message the store holds under another id is not stored but
    /// counted as a conflict (the rule: [`crate::ingest`]), and so are the messages and
    /// follow-ups of a conversation that is not the store's. Contacts, conversations and
    /// messages are stored in one ingest batch, all or nothing; follow-ups after them.
    pub async fn restore(&self, records: Vec<Record>) -> Result<RestoreReport, CrmError> {
        let mut report = RestoreReport::default();
        // The chat of each conversation named, from the batch itself or else from the store.
        let mut chats: HashMap<ConversationId, ChatKey> = HashMap::new();
        for r in &records {
            if let Record::Conversation(c) = r {
                chats.insert(c.id, c.key());
            }
        }
        let mut missing: HashMap<AvatarId, Vec<ConversationId>> = HashMap::new();
        for r in &records {
            let (owner, id) = match r {
                Record::Message(m) => (m.owner_avatar_id, m.conversation_id),
                Record::FollowUp(f) => (f.owner_avatar_id, f.conversation_id),
                _ => continue,
            };
            if !chats.contains_key(&id) {
                missing.entry(owner).or_default().push(id);
            }
        }
        for (owner, mut ids) in missing {
            ids.sort_unstable();
            ids.dedup();
            for c in self.store.get_conversations(owner, &ids).await? {
                chats.insert(c.id, c.key());
            }
        }

        let mut events = Vec::with_capacity(records.len());
        let mut followups = Vec::new();
        for record in records {
            let restored = match record {
                Record::Contact(c) => Restored::Contact(c),
                Record::Conversation(c) => Restored::Conversation(c),
                Record::Message(message) => match chats.get(&message.conversation_id) {
                    Some(chat) => Restored::Message { chat: chat.clone(), message },
                    None => {
                        report.conflicts += 1;
                        continue;
                    }
                },
                Record::FollowUp(f) => {
                    followups.push(f);
                    continue;
                }
            };
            events.push(InboundEvent::Restore(Box::new(restored)));
        }
        if !events.is_empty() {
            let ingested = self.ingest(events, Vec::new()).await?;
            report.restored += ingested.restored;
            report.already_stored += ingested.duplicates;
            report.conflicts += ingested.conflicts;
        }
        for f in followups {
            // Its conversation must be the store's, under the same id (restored or there before).
            let conversation = self.store.get_conversation(f.owner_avatar_id, f.conversation_id).await?;
            let stored = self.store.get_followup(f.owner_avatar_id, f.id).await?;
            match (conversation, stored) {
                (Some(_), Some(s)) if s.conversation_id == f.conversation_id => report.already_stored += 1,
                (Some(_), None) => {
                    self.store.insert_followup(&FollowUp { is_overdue: false, ..f }).await?;
                    report.restored += 1;
                }
                _ => report.conflicts += 1,
            }
        }
        Ok(report)
    }
}
