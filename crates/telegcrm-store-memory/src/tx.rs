//! The ingest transaction: the domain's capture rules write through this into the maps.

use telegcrm_domain::ingest::IngestTx;
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::{AvatarId, Contact, Conversation, ConversationId, Message, StoreError};

use crate::Inner;

/// Writes of one ingest batch, under the store's write lock.
pub(crate) struct MemoryTx<'a>(pub(crate) &'a mut Inner);

impl IngestTx for MemoryTx<'_> {
    fn find_conversation(&mut self, key: &ChatKey) -> Result<Option<Conversation>, StoreError> {
        Ok(self.0.conversation_keys.get(key).and_then(|id| self.0.conversations.get(id)).cloned())
    }

    fn insert_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        self.0.conversation_keys.insert(c.key(), c.id);
        self.0.conversations.insert(c.id, c.clone());
        Ok(())
    }

    fn update_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        self.0.conversations.insert(c.id, c.clone());
        Ok(())
    }

    fn find_contact(&mut self, owner: AvatarId, telegram_id: i64) -> Result<Option<Contact>, StoreError> {
        Ok(self.0.contact_keys.get(&(owner, telegram_id)).and_then(|id| self.0.contacts.get(id)).cloned())
    }

    fn insert_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        self.0.contact_keys.insert((c.owner_avatar_id, c.telegram_id), c.id);
        self.0.contacts.insert(c.id, c.clone());
        Ok(())
    }

    fn update_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        self.0.contacts.insert(c.id, c.clone());
        Ok(())
    }

    fn find_message(&mut self, conversation: ConversationId, telegram_message_id: i64) -> Result<Option<Message>, StoreError> {
        Ok(self.0.message_keys.get(&(conversation, telegram_message_id)).and_then(|id| self.0.messages.get(id)).cloned())
    }

    fn insert_message(&mut self, m: &Message) -> Result<(), StoreError> {
        self.0.message_keys.insert((m.conversation_id, m.telegram_message_id), m.id);
        self.0.timelines.entry(m.conversation_id).or_default().insert((m.sent_at, m.id));
        self.0.terms.add(m.id, &m.content);
        self.0.messages.insert(m.id, m.clone());
        Ok(())
    }

    fn update_message(&mut self, m: &Message, old: &Message) -> Result<(), StoreError> {
        self.0.terms.remove(old.id, &old.content);
        if m.deleted_at.is_none() {
            self.0.terms.add(m.id, &m.content);
        }
        self.0.messages.insert(m.id, m.clone());
        Ok(())
    }

    fn put_state(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.0.state.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
