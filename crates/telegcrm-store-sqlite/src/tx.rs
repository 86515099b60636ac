//! The ingest transaction: the domain's capture rules read and write through it.

use rusqlite::Connection;
use telegcrm_domain::ingest::IngestTx;
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::{AvatarId, Contact, Conversation, ConversationId, Message, StoreError};

use crate::rows::{self, FtsOp};

/// Reads and writes of one ingest batch, inside the writer's open transaction. Full-text index
/// changes wait for [`SqliteTx::finish`] (see [`FtsOp`]).
pub struct SqliteTx<'a> {
    conn: &'a Connection,
    fts: Vec<FtsOp>,
}

impl<'a> SqliteTx<'a> {
    /// Reads and writes through `conn`, which is inside a transaction.
    pub fn new(conn: &'a Connection) -> Self {
        Self { conn, fts: Vec::new() }
    }

    /// Writes the queued full-text index changes. Call it once the batch is applied, before
    /// committing.
    pub fn finish(mut self) -> Result<(), StoreError> {
        rows::apply_fts(self.conn, &mut self.fts)
    }
}

impl IngestTx for SqliteTx<'_> {
    fn find_conversation(&mut self, key: &ChatKey) -> Result<Option<Conversation>, StoreError> {
        rows::find_conversation(self.conn, key)
    }

    fn insert_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        rows::write_conversation(self.conn, c, true)
    }

    fn update_conversation(&mut self, c: &Conversation) -> Result<(), StoreError> {
        rows::write_conversation(self.conn, c, false)
    }

    fn find_contact(&mut self, owner: AvatarId, telegram_id: i64) -> Result<Option<Contact>, StoreError> {
        rows::find_contact(self.conn, owner, telegram_id)
    }

    fn insert_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        rows::write_contact(self.conn, c, true)
    }

    fn update_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        rows::write_contact(self.conn, c, false)
    }

    fn find_message(&mut self, conversation: ConversationId, telegram_message_id: i64) -> Result<Option<Message>, StoreError> {
        Ok(rows::find_message(self.conn, conversation, telegram_message_id)?.map(|r| r.message))
    }

    fn insert_message(&mut self, m: &Message) -> Result<(), StoreError> {
        rows::insert_message(self.conn, m, &mut self.fts)
    }

    fn update_message(&mut self, m: &Message, old: &Message) -> Result<(), StoreError> {
        rows::update_message(self.conn, m, old, &mut self.fts)
    }

    fn put_state(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        rows::put_state(self.conn, key, value)
    }
}
