//! The activity log in memory, in insertion order.

use async_trait::async_trait;
use telegcrm_domain::ports::ActivityStore;
use telegcrm_domain::{Activity, AvatarId, ConversationId, Page, PageRequest, StoreError};

use crate::{MemoryStore, page_desc};

#[async_trait]
impl ActivityStore for MemoryStore {
    async fn append_activity(&self, entry: &Activity) -> Result<(), StoreError> {
        self.write()?.activity.push(entry.clone());
        Ok(())
    }

    async fn list_activity(
        &self,
        owner: AvatarId,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, StoreError> {
        let inner = self.read()?;
        let items = inner
            .activity
            .iter()
            .filter(|a| a.owner_avatar_id == owner && conversation.is_none_or(|c| a.conversation_id == Some(c)))
            .collect();
        Ok(page_desc(items, page, |a| (a.at, a.id.as_uuid())))
    }
}
