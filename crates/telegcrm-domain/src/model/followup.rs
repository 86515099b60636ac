use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AvatarId, ConversationId, FollowUpId};
use crate::values::{FollowUpStatus, Priority};

/// A reminder to get back to a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The snooze shortcuts a user picks instead of a time: where each one ends is a follow-up rule,
/// so every client (dashboard, later the bot) lands on the same moment. Times are UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozePreset {
    /// One hour from now.
    InAnHour,
    /// Tomorrow at 09:00.
    Tomorrow,
    /// Next Monday at 09:00 (a week from today when today is Monday).
    NextWeek,
}

impl SnoozePreset {
    /// The moment this shortcut stands for, seen at `now`.
    pub fn until(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        let at_nine = |days: i64| (now.date_naive() + Duration::days(days)).and_time(nine).and_utc();
        match self {
            Self::InAnHour => now + Duration::hours(1),
            Self::Tomorrow => at_nine(1),
            Self::NextWeek => at_nine(7 - i64::from(now.weekday().num_days_from_monday())),
        }
    }
}

#[cfg(test)]
mod snooze_tests {
    use super::*;

    #[test]
    fn snooze_presets_land_where_their_names_say() {
        // Wednesday 2026-03-04 15:30 UTC.
        let now = DateTime::parse_from_rfc3339("2026-03-04T15:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(SnoozePreset::InAnHour.until(now).to_rfc3339(), "2026-03-04T16:30:00+00:00");
        assert_eq!(SnoozePreset::Tomorrow.until(now).to_rfc3339(), "2026-03-05T09:00:00+00:00");
        assert_eq!(SnoozePreset::NextWeek.until(now).to_rfc3339(), "2026-03-09T09:00:00+00:00");
        // On a Monday, next week is the following Monday.
        let monday = DateTime::parse_from_rfc3339("2026-03-09T08:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(SnoozePreset::NextWeek.until(monday).to_rfc3339(), "2026-03-16T09:00:00+00:00");
    }
}
