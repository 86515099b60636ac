//! Contacts: look-ups, lists and hand edits.

use async_trait::async_trait;
use bson::{Document, doc};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use telegcrm_domain::model::ContactChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{ContactFilter, ContactStore};
use telegcrm_domain::{AvatarId, Contact, ContactId, Page, StoreError};

use crate::MongoStore;
use crate::codec::{contact_doc, contact_from, text};
use crate::collections::CONTACTS;
use crate::error::ctx;
use crate::write::{after_desc, and};

fn contact_key(c: &Contact) -> (DateTime<Utc>, uuid::Uuid) {
    (c.last_contacted_at, c.id.as_uuid())
}

#[async_trait]
impl ContactStore for MongoStore {
    async fn get_contact(&self, owner: AvatarId, id: ContactId) -> Result<Option<Contact>, StoreError> {
        let found =
            self.contacts().find_one(doc! { "_id": text(id), "ownerAvatarId": text(owner) }).await.map_err(ctx("reading a contact"))?;
        found.as_ref().map(contact_from).transpose()
    }

    async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        let mut base = doc! { "ownerAvatarId": text(owner) };
        if let Some(c) = filter.category {
            base.insert("category", c.as_str());
        }
        if let Some(t) = &filter.tag {
            base.insert("tagKeys", t.key());
        }
        let parts: Vec<Document> = std::iter::once(base).chain(after_desc("lastContactedAt", page)).collect();
        let contacts = self.contacts();
        let mut find = contacts.find(and(parts)).sort(doc! { "lastContactedAt": -1, "_id": -1 });
        // The text filter folds case and accents, which no common query operator does: it runs
        // here, over the owner's contacts in list order, until the page is full.
        if filter.q.is_none() {
            find = find.limit(crate::write::overfetch(page));
        }
        let mut cursor = find.await.map_err(ctx("listing contacts"))?;
        let mut items = Vec::new();
        while items.len() <= page.limit.get() {
            let Some(d) = cursor.try_next().await.map_err(ctx("listing contacts"))? else { break };
            let c = contact_from(&d)?;
            if filter.matches(&c) {
                items.push(c);
            }
        }
        Ok(Page::from_overfetch(items, page.limit, contact_key))
    }

    async fn update_contact(
        &self,
        owner: AvatarId,
        id: ContactId,
        change: &ContactChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Contact>, StoreError> {
        // The domain's `ContactChange::apply`, written back guarded by the revision.
        let filter = doc! { "_id": text(id), "ownerAvatarId": text(owner) };
        let to = |c: &Contact| Ok(contact_doc(c));
        self.serialized(self.edit_guarded(CONTACTS, filter, contact_from, to, |c| change.apply(c, now))).await
    }
}
