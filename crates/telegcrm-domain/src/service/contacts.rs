use crate::error::{CrmError, DirectoryError, Entity};
use crate::ids::{AvatarId, ContactId};
use crate::model::{Contact, ContactChange, Conversation};
use crate::page::{Page, PageRequest};
use crate::ports::{AvatarRef, ContactFilter, ConversationFilter};
use crate::tag::{MAX_TAGS, Tag};
use crate::values::{ActivityKind, ContactCategory, RelationshipStatus};

use super::activity::{About, fields_given};
use super::{CrmService, text_field};
use crate::model::{Access, Action};

/// A person's edit of a contact's business fields. `Some(None)` clears a field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactUpdate {
    /// Phone.
    pub phone_number: Option<Option<String>>,
    /// Company.
    pub company: Option<Option<String>>,
    /// Job title.
    pub job_title: Option<Option<String>>,
    /// Email.
    pub email: Option<Option<String>>,
    /// Website.
    pub website: Option<Option<String>>,
    /// Notes.
    pub notes: Option<Option<String>>,
    /// Category.
    pub category: Option<Option<ContactCategory>>,
    /// Replaces the tags.
    pub tags: Option<Vec<Tag>>,
    /// Relationship status.
    pub relationship_status: Option<RelationshipStatus>,
}

const MAX_FIELD: usize = 500;
const MAX_NOTES: usize = 10_000;

fn field(name: &'static str, value: Option<Option<String>>, max: usize) -> Result<Option<Option<String>>, CrmError> {
    value.map(|v| text_field(name, v, max)).transpose()
}

impl CrmService {
    /// A page of the caller's contacts, most recently contacted first.
    pub async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, CrmError> {
        let mut filter = filter.clone();
        filter.q = filter.q.map(|q| q.trim().chars().take(200).collect::<String>()).filter(|q| !q.is_empty());
        Ok(self.store.list_contacts(owner, &filter, page).await?)
    }

    /// One contact.
    pub async fn contact(&self, owner: AvatarId, id: ContactId) -> Result<Contact, CrmError> {
        self.store.get_contact(owner, id).await?.ok_or_else(|| CrmError::not_found(Entity::Contact, id))
    }

    /// Edits a contact's business fields.
    pub async fn update_contact(&self, by: &Access, id: ContactId, update: ContactUpdate) -> Result<Contact, CrmError> {
        let owner = by.require(Action::Work)?;
        let email = field("email", update.email, MAX_FIELD)?;
        if let Some(Some(e)) = &email {
            let ok =
                e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !e.contains(char::is_whitespace));
            if !ok {
                return Err(CrmError::invalid("email", "an address such as ada@example.com"));
            }
        }
        if update.tags.as_ref().is_some_and(|t| t.len() > MAX_TAGS) {
            return Err(CrmError::invalid("tags", format!("at most {MAX_TAGS} tags")));
        }
        let change = ContactChange {
            phone_number: field("phoneNumber", update.phone_number, 64)?,
            company: field("company", update.company, MAX_FIELD)?,
            job_title: field("jobTitle", update.job_title, MAX_FIELD)?,
            email,
            website: field("website", update.website, MAX_FIELD)?,
            notes: field("notes", update.notes, MAX_NOTES)?,
            category: update.category,
            tags: update.tags,
            relationship_status: update.relationship_status,
            linked_oasis_avatar_id: None,
            recount: None,
        };
        let fields = fields_given(&[
            (change.phone_number.is_some(), "phone number"),
            (change.company.is_some(), "company"),
            (change.job_title.is_some(), "job title"),
            (change.email.is_some(), "email"),
            (change.website.is_some(), "website"),
            (change.notes.is_some(), "notes"),
            (change.category.is_some(), "category"),
            (change.tags.is_some(), "tags"),
            (change.relationship_status.is_some(), "relationship status"),
        ]);
        let changed = self.change_contact(owner, id, &change).await?;
        if let Some(fields) = fields {
            self.record(by, ActivityKind::ContactEdited, About::contact(id), fields).await;
        }
        Ok(changed)
    }

    /// The caller's conversations with this contact.
    pub async fn contact_conversations(&self, owner: AvatarId, id: ContactId, page: &PageRequest) -> Result<Page<Conversation>, CrmError> {
        self.contact(owner, id).await?;
        let filter = ConversationFilter { contact_id: Some(id), ..Default::default() };
        Ok(self.store.list_conversations(owner, &filter, page).await?)
    }

    /// Links a contact to the OASIS avatar named by id, username or email, checked with OASIS.
    pub async fn link_contact_avatar(&self, by: &Access, id: ContactId, avatar: &AvatarRef) -> Result<Contact, CrmError> {
        let owner = by.require(Action::Work)?;
        self.contact(owner, id).await?;
        let directory =
            self.directory.as_ref().ok_or_else(|| DirectoryError::Upstream("no OASIS API is configured (set OASIS_API_URL)".into()))?;
        let avatar = directory.find_avatar(avatar).await?.ok_or_else(|| CrmError::not_found(Entity::Avatar, avatar))?;
        let change = ContactChange { linked_oasis_avatar_id: Some(Some(avatar.id)), ..Default::default() };
        let changed = self.change_contact(owner, id, &change).await?;
        self.record(by, ActivityKind::ContactLinked, About::contact(id), avatar.id.to_string()).await;
        Ok(changed)
    }

    /// Removes a contact's avatar link.
    pub async fn unlink_contact_avatar(&self, by: &Access, id: ContactId) -> Result<Contact, CrmError> {
        let owner = by.require(Action::Work)?;
        let change = ContactChange { linked_oasis_avatar_id: Some(None), ..Default::default() };
        let changed = self.change_contact(owner, id, &change).await?;
        self.record(by, ActivityKind::ContactUnlinked, About::contact(id), "").await;
        Ok(changed)
    }

    async fn change_contact(&self, owner: AvatarId, id: ContactId, change: &ContactChange) -> Result<Contact, CrmError> {
        let now = self.clock.now();
        self.store.update_contact(owner, id, change, now).await?.ok_or_else(|| CrmError::not_found(Entity::Contact, id))
    }
}
