//! The activity log: every change a person makes to a workspace, with who and when. Written by
//! the service after the change, never by stores; read per conversation and per workspace.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ActivityId, AvatarId, ContactId, ConversationId, FollowUpId};
use crate::values::ActivityKind;

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Id (time-ordered).
    pub id: ActivityId,
    /// The workspace (its owner's avatar id).
    pub owner_avatar_id: AvatarId,
    /// Who made the change.
    pub actor_avatar_id: AvatarId,
    /// What kind of change.
    pub kind: ActivityKind,
    /// The conversation it concerns (a follow-up's too), if any.
    pub conversation_id: Option<ConversationId>,
    /// The contact it concerns, if any.
    pub contact_id: Option<ContactId>,
    /// The follow-up it concerns, if any.
    pub follow_up_id: Option<FollowUpId>,
    /// The member it concerns (assignment, member changes), if any.
    pub member_avatar_id: Option<AvatarId>,
    /// The new value, in words: `high`, `#vip`, the follow-up's title, the role, the fields changed.
    pub detail: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Activity {
    /// What happened, as a phrase after the actor's name ("set the priority to high"); `member`
    /// is how the page calls [`Activity::member_avatar_id`].
    pub fn phrase(&self, member: &str) -> String {
        let d = &self.detail;
        match self.kind {
            ActivityKind::Priority => format!("set the priority to {d}"),
            ActivityKind::Status => format!("set the status to {d}"),
            ActivityKind::TagAdded => format!("added the tag #{d}"),
            ActivityKind::TagRemoved => format!("removed the tag #{d}"),
            ActivityKind::ConversationEdited => format!("changed the conversation's {d}"),
            ActivityKind::Assigned if self.member_avatar_id.is_none() => "unassigned the conversation".to_owned(),
            ActivityKind::Assigned => format!("assigned the conversation to {member}"),
            ActivityKind::ContactEdited => format!("changed the contact's {d}"),
            ActivityKind::ContactLinked => format!("linked the contact to the OASIS avatar {d}"),
            ActivityKind::ContactUnlinked => "unlinked the contact from its OASIS avatar".to_owned(),
            ActivityKind::FollowUpCreated => format!("created the follow-up “{d}”"),
            ActivityKind::FollowUpEdited => format!("changed the follow-up “{d}”"),
            ActivityKind::FollowUpCompleted => format!("completed the follow-up “{d}”"),
            ActivityKind::FollowUpCancelled => format!("cancelled the follow-up “{d}”"),
            ActivityKind::FollowUpSnoozed => format!("snoozed the follow-up “{d}”"),
            ActivityKind::FollowUpDeleted => format!("deleted the follow-up “{d}”"),
            ActivityKind::MemberAdded => format!("invited {member} as {d}"),
            ActivityKind::MemberRoleChanged => format!("made {member} {d}"),
            ActivityKind::MemberRemoved => format!("removed {member}"),
        }
    }
}
