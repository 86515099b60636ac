//! The activity log: one document per entry in `activity`, written by its serde form (camelCase;
//! times as BSON dates for the index).

use async_trait::async_trait;
use bson::{Document, doc};
use telegcrm_domain::ports::ActivityStore;
use telegcrm_domain::{Activity, AvatarId, ConversationId, Page, PageRequest, StoreError};

use crate::MongoStore;
use crate::codec::{date, text};
use crate::error::ctx;
use crate::write::{after_desc, and, find_all, overfetch};

fn activity_doc(a: &Activity) -> Result<Document, StoreError> {
    let json = serde_json::to_string(a).map_err(|e| StoreError::Corrupt(format!("activity entry: {e}")))?;
    let mut d = doc! { "_id": text(a.id), "ownerAvatarId": text(a.owner_avatar_id), "at": date(a.at), "doc": json };
    if let Some(c) = a.conversation_id {
        d.insert("conversationId", text(c));
    }
    Ok(d)
}

fn activity_from(d: &Document) -> Result<Activity, StoreError> {
    let json = d.get_str("doc").map_err(|_| StoreError::Corrupt("activity entry without its document".into()))?;
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("activity entry: {e}")))
}

#[async_trait]
impl ActivityStore for MongoStore {
    async fn append_activity(&self, entry: &Activity) -> Result<(), StoreError> {
        self.activity().insert_one(activity_doc(entry)?).await.map(|_| ()).map_err(ctx("storing an activity entry"))
    }

    async fn list_activity(
        &self,
        owner: AvatarId,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, StoreError> {
        let mut filter = doc! { "ownerAvatarId": text(owner) };
        if let Some(c) = conversation {
            filter.insert("conversationId", text(c));
        }
        let parts: Vec<Document> = std::iter::once(filter).chain(after_desc("at", page)).collect();
        let docs =
            find_all(&self.activity(), and(parts), Some(doc! { "at": -1, "_id": -1 }), Some(overfetch(page)), "listing activity").await?;
        let items = docs.iter().map(activity_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page.limit, |a| (a.at, a.id.as_uuid())))
    }
}
