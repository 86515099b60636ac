//! Follow-ups. A change is read, applied by the domain's rule and written back guarded by the
//! document's revision (see `revision`), so two concurrent changes never overwrite each other.

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use telegcrm_domain::model::FollowUpChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{FollowUpFilter, FollowUpStore};
use telegcrm_domain::{AvatarId, FollowUp, FollowUpId, FollowUpStatus, FollowUpView, Page, StoreError};

use crate::MongoStore;
use crate::codec::{date, followup_doc, followup_from, text};
use crate::collections::FOLLOWUPS;
use crate::error::ctx;
use crate::write::{after_asc, and, find_all, overfetch};

fn followup_key(f: &FollowUp) -> (DateTime<Utc>, uuid::Uuid) {
    (f.due_at, f.id.as_uuid())
}

fn view_filter(filter: &FollowUpFilter) -> Document {
    match filter.view {
        FollowUpView::Pending => doc! { "status": FollowUpStatus::Pending.as_str() },
        FollowUpView::Overdue => doc! { "status": FollowUpStatus::Pending.as_str(), "dueAt": { "$lte": date(filter.now) } },
        FollowUpView::Completed => doc! { "status": FollowUpStatus::Completed.as_str() },
        FollowUpView::Cancelled => doc! { "status": FollowUpStatus::Cancelled.as_str() },
        FollowUpView::All => doc! {},
    }
}

#[async_trait]
impl FollowUpStore for MongoStore {
    async fn insert_followup(&self, followup: &FollowUp) -> Result<(), StoreError> {
        let mut d = followup_doc(followup);
        d.insert("rev", 0_i64);
        self.followups().insert_one(d).await.map(|_| ()).map_err(ctx("storing a follow-up"))
    }

    async fn get_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<Option<FollowUp>, StoreError> {
        let found =
            self.followups().find_one(doc! { "_id": text(id), "ownerAvatarId": text(owner) }).await.map_err(ctx("reading a follow-up"))?;
        found.as_ref().map(followup_from).transpose()
    }

    async fn update_followup(
        &self,
        owner: AvatarId,
        id: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        self.serialized(self.change_followup(owner, id, change, now)).await
    }

    async fn delete_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<bool, StoreError> {
        let result = self
            .followups()
            .delete_one(doc! { "_id": text(id), "ownerAvatarId": text(owner) })
            .await
            .map_err(ctx("deleting a follow-up"))?;
        Ok(result.deleted_count == 1)
    }

    async fn list_followups(&self, owner: AvatarId, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, StoreError> {
        let mut base = view_filter(filter);
        base.insert("ownerAvatarId", text(owner));
        if let Some(c) = filter.conversation_id {
            base.insert("conversationId", text(c));
        }
        let parts: Vec<Document> = std::iter::once(base).chain(after_asc("dueAt", page)).collect();
        let docs =
            find_all(&self.followups(), and(parts), Some(doc! { "dueAt": 1, "_id": 1 }), Some(overfetch(page)), "listing follow-ups")
                .await?;
        let items = docs.iter().map(followup_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page.limit, followup_key))
    }

    async fn due_followups(&self, now: DateTime<Utc>, limit: usize, skip_owners: &[AvatarId]) -> Result<Vec<FollowUp>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut filter = doc! { "status": FollowUpStatus::Pending.as_str(), "remindedAt": Bson::Null, "dueAt": { "$lte": date(now) } };
        if !skip_owners.is_empty() {
            filter.insert("ownerAvatarId", doc! { "$nin": skip_owners.iter().map(text).collect::<Vec<_>>() });
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let docs = find_all(&self.followups(), filter, Some(doc! { "dueAt": 1, "_id": 1 }), Some(limit), "finding due follow-ups").await?;
        docs.iter().map(followup_from).collect()
    }
}

impl MongoStore {
    /// The domain's [`FollowUpChange::apply`], written back guarded by the revision.
    async fn change_followup(
        &self,
        owner: AvatarId,
        id: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        let filter = doc! { "_id": text(id), "ownerAvatarId": text(owner) };
        let to = |f: &FollowUp| Ok(followup_doc(f));
        self.edit_guarded(FOLLOWUPS, filter, followup_from, to, |f| change.apply(f, now)).await
    }
}
