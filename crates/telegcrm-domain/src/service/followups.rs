use chrono::{DateTime, Utc};

use crate::error::{CrmError, Entity};
use crate::ids::{AvatarId, ConversationId, FollowUpId};
use crate::model::{FollowUp, FollowUpChange};
use crate::page::{Page, PageRequest};
use crate::ports::FollowUpFilter;
use crate::values::{ActivityKind, FollowUpStatus, FollowUpView, Priority};

use super::activity::About;
use super::{CrmService, text_field};
use crate::model::{Access, Action};

/// A new follow-up.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFollowUp {
    /// The conversation it is about.
    pub conversation_id: ConversationId,
    /// What to do.
    pub title: String,
    /// More words.
    pub description: Option<String>,
    /// When.
    pub due_at: DateTime<Utc>,
    /// Default medium.
    pub priority: Option<Priority>,
}

/// A change to a follow-up (PATCH).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FollowUpUpdate {
    /// Title.
    pub title: Option<String>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// Due time.
    pub due_at: Option<DateTime<Utc>>,
    /// Priority.
    pub priority: Option<Priority>,
    /// Status.
    pub status: Option<FollowUpStatus>,
}

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 10_000;

fn title(value: String) -> Result<String, CrmError> {
    text_field("title", Some(value), MAX_TITLE)?.ok_or_else(|| CrmError::invalid("title", "must not be empty"))
}

impl CrmService {
    /// Creates a follow-up on one of the caller's conversations.
    pub async fn create_followup(&self, by: &Access, new: NewFollowUp) -> Result<FollowUp, CrmError> {
        let owner = by.require(Action::Work)?;
        let title = title(new.title)?;
        let description = text_field("description", new.description, MAX_DESCRIPTION)?;
        self.conversation(owner, new.conversation_id).await?;
        let now = self.clock.now();
        let f = FollowUp {
            id: FollowUpId::new(),
            owner_avatar_id: owner,
            conversation_id: new.conversation_id,
            title,
            description,
            due_at: new.due_at,
            priority: new.priority.unwrap_or_default(),
            status: FollowUpStatus::Pending,
            is_overdue: false,
            completed_at: None,
            snoozed_until: None,
            reminded_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_followup(&f).await?;
        self.record(by, ActivityKind::FollowUpCreated, follow_up(&f), f.title.clone()).await;
        Ok(f.as_of(now))
    }

    /// One follow-up.
    pub async fn followup(&self, owner: AvatarId, id: FollowUpId) -> Result<FollowUp, CrmError> {
        let f = self.store.get_followup(owner, id).await?.ok_or_else(|| CrmError::not_found(Entity::FollowUp, id))?;
        Ok(f.as_of(self.clock.now()))
    }

    /// A page of follow-ups, soonest due first.
    pub async fn list_followups(
        &self,
        owner: AvatarId,
        view: FollowUpView,
        conversation_id: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<FollowUp>, CrmError> {
        let now = self.clock.now();
        let filter = FollowUpFilter { view, conversation_id, now };
        Ok(self.store.list_followups(owner, &filter, page).await?.map(|f| f.as_of(now)))
    }

    /// Pending follow-ups, overdue ones included, soonest due first.
    pub async fn pending_followups(&self, owner: AvatarId, page: &PageRequest) -> Result<Page<FollowUp>, CrmError> {
        self.list_followups(owner, FollowUpView::Pending, None, page).await
    }

    /// Changes a follow-up.
    pub async fn update_followup(&self, by: &Access, id: FollowUpId, update: FollowUpUpdate) -> Result<FollowUp, CrmError> {
        let owner = by.require(Action::Work)?;
        let change = FollowUpChange {
            title: update.title.map(title).transpose()?,
            description: update.description.map(|d| text_field("description", d, MAX_DESCRIPTION)).transpose()?,
            due_at: update.due_at,
            priority: update.priority,
            status: update.status,
            ..Default::default()
        };
        let kind = match update.status {
            Some(FollowUpStatus::Completed) => ActivityKind::FollowUpCompleted,
            Some(FollowUpStatus::Cancelled) => ActivityKind::FollowUpCancelled,
            _ => ActivityKind::FollowUpEdited,
        };
        let changed = self.change_followup(owner, id, &change).await?;
        self.record(by, kind, follow_up(&changed), changed.title.clone()).await;
        Ok(changed)
    }

    /// Marks a follow-up completed.
    pub async fn complete_followup(&self, by: &Access, id: FollowUpId) -> Result<FollowUp, CrmError> {
        let owner = by.require(Action::Work)?;
        let change = FollowUpChange { status: Some(FollowUpStatus::Completed), ..Default::default() };
        let changed = self.change_followup(owner, id, &change).await?;
        self.record(by, ActivityKind::FollowUpCompleted, follow_up(&changed), changed.title.clone()).await;
        Ok(changed)
    }

    /// Cancels a follow-up.
    pub async fn cancel_followup(&self, by: &Access, id: FollowUpId) -> Result<FollowUp, CrmError> {
        let owner = by.require(Action::Work)?;
        let change = FollowUpChange { status: Some(FollowUpStatus::Cancelled), ..Default::default() };
        let changed = self.change_followup(owner, id, &change).await?;
        self.record(by, ActivityKind::FollowUpCancelled, follow_up(&changed), changed.title.clone()).await;
        Ok(changed)
    }

    /// Moves a pending follow-up's due time to `until` (which must be in the future).
    pub async fn snooze_followup(&self, by: &Access, id: FollowUpId, until: DateTime<Utc>) -> Result<FollowUp, CrmError> {
        let owner = by.require(Action::Work)?;
        let current = self.followup(owner, id).await?;
        if current.status != FollowUpStatus::Pending {
            return Err(CrmError::invalid("status", format!("only a pending follow-up can be snoozed; this one is {}", current.status)));
        }
        if until <= self.clock.now() {
            return Err(CrmError::invalid("until", "must be in the future"));
        }
        let change = FollowUpChange { snooze_until: Some(until), ..Default::default() };
        let changed = self.change_followup(owner, id, &change).await?;
        self.record(by, ActivityKind::FollowUpSnoozed, follow_up(&changed), changed.title.clone()).await;
        Ok(changed)
    }

    /// Deletes a follow-up.
    pub async fn delete_followup(&self, by: &Access, id: FollowUpId) -> Result<(), CrmError> {
        let owner = by.require(Action::Work)?;
        let current = self.followup(owner, id).await?;
        if !self.store.delete_followup(owner, id).await? {
            return Err(CrmError::not_found(Entity::FollowUp, id));
        }
        self.record(by, ActivityKind::FollowUpDeleted, follow_up(&current), current.title.clone()).await;
        Ok(())
    }

    /// Pending follow-ups of every owner that are due and not yet reminded (for the reminder job).
    pub async fn due_reminders(&self, limit: usize) -> Result<Vec<FollowUp>, CrmError> {
        let now = self.clock.now();
        Ok(self.store.due_followups(now, limit, &[]).await?.into_iter().map(|f| f.as_of(now)).collect())
    }

    /// Records that the owner was reminded of a follow-up.
    pub async fn mark_reminded(&self, owner: AvatarId, id: FollowUpId) -> Result<FollowUp, CrmError> {
        let change = FollowUpChange { reminded_at: Some(self.clock.now()), ..Default::default() };
        self.change_followup(owner, id, &change).await
    }

    async fn change_followup(&self, owner: AvatarId, id: FollowUpId, change: &FollowUpChange) -> Result<FollowUp, CrmError> {
        let now = self.clock.now();
        let f = self.store.update_followup(owner, id, change, now).await?.ok_or_else(|| CrmError::not_found(Entity::FollowUp, id))?;
        Ok(f.as_of(now))
    }
}

/// What an activity entry about a follow-up is about: it and its conversation.
fn follow_up(f: &FollowUp) -> About {
    About { conversation: Some(f.conversation_id), follow_up: Some(f.id), ..About::default() }
}
