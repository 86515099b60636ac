use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AvatarId, ConversationId, FollowUpId};
use crate::values::{FollowUpStatus, Priority};

/// A reminder to get back to a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    /// Identifier.
    pub id: FollowUpId,
    /// The owner.
    pub owner_avatar_id: AvatarId,
    /// The conversation it is about.
    pub conversation_id: ConversationId,
    /// What to do.
    pub title: String,
    /// More words.
    pub description: Option<String>,
    /// When it is due (snoozing moves it).
    pub due_at: DateTime<Utc>,
    /// How much it matters.
    pub priority: Priority,
    /// Pending, completed or cancelled.
    pub status: FollowUpStatus,
    /// Pending and past due; computed when read, never stored.
    #[serde(default)]
    pub is_overdue: bool,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Until when it was last snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When the owner was last reminded of it.
    pub reminded_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl FollowUp {
    /// Whether it is pending and its due time has come at `now` (the same test that makes the
    /// reminder job pick it up).
    pub fn overdue_at(&self, now: DateTime<Utc>) -> bool {
        self.status == FollowUpStatus::Pending && self.due_at <= now
    }

    /// The same follow-up with `is_overdue` computed for `now`.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Self {
        self.is_overdue = self.overdue_at(now);
        self
    }
}

/// A change to a follow-up. Every `Some` field is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpChange {
    /// Title.
    pub title: Option<String>,
    /// Description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// Due time (clears `remindedAt`, so the new time reminds again).
    pub due_at: Option<DateTime<Utc>>,
    /// Priority.
    pub priority: Option<Priority>,
    /// Status (completing sets `completedAt`).
    pub status: Option<FollowUpStatus>,
    /// Snooze: moves the due time to this and records it.
    pub snooze_until: Option<DateTime<Utc>>,
    /// Records that the owner was reminded.
    pub reminded_at: Option<DateTime<Utc>>,
}

impl FollowUpChange {
    /// Applies the change.
    pub fn apply(&self, f: &mut FollowUp, now: DateTime<Utc>) {
        if let Some(t) = &self.title {
            f.title.clone_from(t);
        }
        if let Some(d) = &self.description {
            f.description.clone_from(d);
        }
        if let Some(due) = self.due_at {
            f.due_at = due;
            f.reminded_at = None;
        }
        if let Some(until) = self.snooze_until {
            f.due_at = until;
            f.snoozed_until = Some(until);
            f.reminded_at = None;
        }
        if let Some(p) = self.priority {
            f.priority = p;
        }
        if let Some(s) = self.status {
            if s == FollowUpStatus::Completed && f.status != FollowUpStatus::Completed {
                f.completed_at = Some(now);
            } else if s != FollowUpStatus::Completed {
                f.completed_at = None;
            }
            f.status = s;
        }
        if let Some(at) = self.reminded_at {
            f.reminded_at = Some(at);
        }
        f.updated_at = now;
    }
}
