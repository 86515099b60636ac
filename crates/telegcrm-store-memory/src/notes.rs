//! Internal notes in memory, in insertion order.

use async_trait::async_trait;
use telegcrm_domain::ports::NoteStore;
use telegcrm_domain::{AvatarId, ConversationId, Note, Page, PageRequest, StoreError};

use crate::{MemoryStore, page_desc};

fn note_key(n: &Note) -> (chrono::DateTime<chrono::Utc>, uuid::Uuid) {
    (n.created_at, n.id.as_uuid())
}

#[async_trait]
impl NoteStore for MemoryStore {
    async fn insert_note(&self, note: &Note) -> Result<(), StoreError> {
        self.write()?.notes.push(note.clone());
        Ok(())
    }

    async fn list_notes(&self, owner: AvatarId, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let inner = self.read()?;
        let items = inner.notes.iter().filter(|n| n.owner_avatar_id == owner && n.conversation_id == conversation).collect();
        Ok(page_desc(items, page, note_key))
    }

    async fn list_mentions(&self, owner: AvatarId, avatar: AvatarId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let inner = self.read()?;
        let items = inner.notes.iter().filter(|n| n.owner_avatar_id == owner && n.mentions.contains(&avatar)).collect();
        Ok(page_desc(items, page, note_key))
    }
}
