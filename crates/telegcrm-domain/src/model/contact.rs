use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ContactCounts;
use crate::event::TelegramUser;
use crate::ids::{AvatarId, ContactId};
use crate::tag::Tag;
use crate::values::{ContactCategory, Direction, RelationshipStatus};

/// A person the owner talks to on Telegram. Contacts are per owner: two owners may both have the
/// same Telegram user as a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Identifier.
    pub id: ContactId,
    /// The avatar whose contact this is.
    pub owner_avatar_id: AvatarId,
    /// Telegram user id.
    pub telegram_id: i64,
    /// From Telegram.
    pub first_name: String,
    /// From Telegram.
    pub last_name: Option<String>,
    /// From Telegram, without the `@`.
    pub username: Option<String>,
    /// From Telegram (IETF tag).
    pub language_code: Option<String>,
    /// From a shared contact, or typed in.
    pub phone_number: Option<String>,
    /// Business field.
    pub company: Option<String>,
    /// Business field.
    pub job_title: Option<String>,
    /// Business field.
    pub email: Option<String>,
    /// Business field.
    pub website: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// Business category.
    pub category: Option<ContactCategory>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// How the relationship stands.
    pub relationship_status: RelationshipStatus,
    /// Messages exchanged with this person.
    pub total_messages: u64,
    /// The newest message exchanged.
    pub last_contacted_at: DateTime<Utc>,
    /// The OASIS avatar this person has, once linked.
    pub linked_oasis_avatar_id: Option<AvatarId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    /// A new contact from a Telegram user first seen at `at`.
    pub fn from_user(owner: AvatarId, user: &TelegramUser, at: DateTime<Utc>) -> Self {
        Self {
            id: ContactId::new(),
            owner_avatar_id: owner,
            telegram_id: user.id,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            language_code: user.language_code.clone(),
            phone_number: user.phone_number.clone(),
            company: None,
            job_title: None,
            email: None,
            website: None,
            notes: None,
            category: None,
            tags: Vec::new(),
            relationship_status: RelationshipStatus::New,
            total_messages: 0,
            last_contacted_at: at,
            linked_oasis_avatar_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// Refreshes the Telegram profile fields (names change); hand-edited business fields stay.
    pub fn refresh_profile(&mut self, user: &TelegramUser) -> bool {
        let mut changed = false;
        let mut set = |field: &mut Option<String>, value: &Option<String>| {
            if value.is_some() && field != value {
                field.clone_from(value);
                changed = true;
            }
        };
        set(&mut self.last_name, &user.last_name);
        set(&mut self.username, &user.username);
        set(&mut self.language_code, &user.language_code);
        set(&mut self.phone_number, &user.phone_number);
        if !user.first_name.is_empty() && self.first_name != user.first_name {
            self.first_name.clone_from(&user.first_name);
            changed = true;
        }
        changed
    }

    /// Counts one more message exchanged with this person. The owner answering makes a new
    /// contact an active one.
    pub fn record_message(&mut self, direction: Direction, at: DateTime<Utc>, now: DateTime<Utc>) {
        self.total_messages += 1;
        self.last_contacted_at = self.last_contacted_at.max(at);
        if direction == Direction::Outgoing && self.relationship_status == RelationshipStatus::New {
            self.relationship_status = RelationshipStatus::Active;
        }
        self.updated_at = now;
    }

    /// "First Last", or the username, or the Telegram id.
    pub fn display_name(&self) -> String {
        let name = match &self.last_name {
            Some(last) if !last.is_empty() => format!("{} {}", self.first_name, last),
            _ => self.first_name.clone(),
        };
        let name = name.trim().to_owned();
        if !name.is_empty() {
            name
        } else if let Some(u) = &self.username {
            format!("@{u}")
        } else {
            self.telegram_id.to_string()
        }
    }
}

/// A hand edit of a contact. Every `Some` field is set (`Some(None)` clears it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactChange {
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
    /// Links (or with `Some(None)` unlinks) an OASIS avatar.
    pub linked_oasis_avatar_id: Option<Option<AvatarId>>,
    /// Sets the counters to a recount of the messages (`telegcrm check --repair`; never from the API).
    #[serde(skip)]
    pub recount: Option<ContactCounts>,
}

impl ContactChange {
    /// Applies the change.
    pub fn apply(&self, c: &mut Contact, now: DateTime<Utc>) {
        fn set<T: Clone>(field: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                field.clone_from(v);
            }
        }
        set(&mut c.phone_number, &self.phone_number);
        set(&mut c.company, &self.company);
        set(&mut c.job_title, &self.job_title);
        set(&mut c.email, &self.email);
        set(&mut c.website, &self.website);
        set(&mut c.notes, &self.notes);
        set(&mut c.category, &self.category);
        if let Some(tags) = &self.tags {
            c.tags = crate::tag::dedup_tags(tags.clone());
        }
        set(&mut c.relationship_status, &self.relationship_status);
        set(&mut c.linked_oasis_avatar_id, &self.linked_oasis_avatar_id);
        if let Some(counts) = &self.recount {
            counts.apply(c);
        }
        c.updated_at = now;
    }
}
