//! Working as a team. A **workspace** is one avatar's CRM (every record's `ownerAvatarId` names
//! it); its owner invites other OASIS avatars as **members**, each with a [`Role`]. Every change
//! is made by someone with an [`Access`] to a workspace, and [`Role::may`] is the one place that
//! says what a role may do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CrmError;
use crate::ids::AvatarId;
use crate::values::Role;

/// What a person does in a workspace, as far as roles tell it apart. Reading needs no action:
/// every member reads everything of the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Works conversations and contacts: sends, replies, edits and deletes messages, marks read,
    /// sets priority, status, tags, summary and custom fields, keeps follow-ups, edits contacts.
    Work,
    /// Assigns a conversation to oneself, or takes oneself off it.
    AssignSelf,
    /// Assigns a conversation to another member.
    AssignOthers,
    /// Invites members, changes their roles, removes them.
    ManageMembers,
    /// Imports history and exports the workspace's data.
    ImportExport,
    /// Links the workspace's Telegram account (reminders and Business chats arrive there).
    LinkTelegram,
}

impl Action {
    /// What it is, for a refusal ("a viewer may not work conversations").
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Work => "work conversations",
            Self::AssignSelf => "take conversations",
            Self::AssignOthers => "assign conversations to others",
            Self::ManageMembers => "manage members",
            Self::ImportExport => "import or export data",
            Self::LinkTelegram => "link the workspace's Telegram account",
        }
    }
}

impl Role {
    /// Whether this role may do `action`. The one home of the role rules.
    pub const fn may(self, action: Action) -> bool {
        match self {
            Self::Owner => true,
            Self::Admin => !matches!(action, Action::LinkTelegram),
            Self::Agent => matches!(action, Action::Work | Action::AssignSelf),
            Self::Viewer => false,
        }
    }

    /// With its article, for sentences ("an agent").
    pub const fn with_article(self) -> &'static str {
        match self {
            Self::Owner => "the owner",
            Self::Admin => "an admin",
            Self::Agent => "an agent",
            Self::Viewer => "a viewer",
        }
    }
}

/// Who is acting, in which workspace, with which role. Made by
/// [`crate::CrmService::access`] from the caller and the workspace it picked (membership
/// checked), or by [`Access::owner`] for an avatar in its own workspace. Every operation that
/// changes something takes one and asks it for the [`Action`] it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    workspace: AvatarId,
    avatar: AvatarId,
    role: Role,
}

impl Access {
    /// An avatar in its own workspace.
    pub const fn owner(avatar: AvatarId) -> Self {
        Self { workspace: avatar, avatar, role: Role::Owner }
    }

    /// A member in another avatar's workspace (the service checks membership first).
    pub(crate) const fn member(workspace: AvatarId, avatar: AvatarId, role: Role) -> Self {
        Self { workspace, avatar, role }
    }

    /// The workspace: its owner's avatar id, which every record of it carries.
    pub const fn workspace(&self) -> AvatarId {
        self.workspace
    }

    /// Who is acting.
    pub const fn avatar(&self) -> AvatarId {
        self.avatar
    }

    /// The actor's role there.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Whether the actor may do `action`.
    pub const fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// The workspace, when the actor may do `action`; else [`CrmError::Forbidden`].
    pub fn require(&self, action: Action) -> Result<AvatarId, CrmError> {
        if self.may(action) { Ok(self.workspace) } else { Err(CrmError::Forbidden { role: self.role, action }) }
    }
}

/// A member of a workspace (the owner is listed as one too, with the role `owner`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's OASIS avatar.
    pub avatar_id: AvatarId,
    /// What the member may do.
    pub role: Role,
    /// Display name, as OASIS gave it when invited.
    pub name: Option<String>,
    /// OASIS username.
    pub username: Option<String>,
    /// OASIS email.
    pub email: Option<String>,
    /// When invited (for the owner: `null`).
    pub added_at: Option<DateTime<Utc>>,
    /// Who invited the member (for the owner: `null`).
    pub added_by: Option<AvatarId>,
}

impl Member {
    /// How to call the member: name, else username, else email, else the avatar id.
    pub fn display_name(&self) -> String {
        [&self.name, &self.username, &self.email]
            .into_iter()
            .flatten()
            .find(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| self.avatar_id.to_string())
    }
}

/// A workspace the caller may work in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    /// Its owner's avatar id: the value of the `X-Workspace` header that selects it.
    pub owner_avatar_id: AvatarId,
    /// The caller's role there.
    pub role: Role,
    /// The owner's display name, when OASIS gave one at the invitation.
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 6] =
        [Action::Work, Action::AssignSelf, Action::AssignOthers, Action::ManageMembers, Action::ImportExport, Action::LinkTelegram];

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        let allowed = |r: Role| ALL.iter().filter(|a| r.may(**a)).count();
        assert_eq!(allowed(Role::Owner), ALL.len());
        assert_eq!(allowed(Role::Admin), ALL.len() - 1);
        assert_eq!(allowed(Role::Agent), 2);
        assert_eq!(allowed(Role::Viewer), 0);
        // Each role may do everything the next one down may.
        for a in ALL {
            assert!(!Role::Agent.may(a) || Role::Admin.may(a), "{a:?}");
            assert!(!Role::Admin.may(a) || Role::Owner.may(a), "{a:?}");
        }
        assert!(Role::Agent.may(Action::AssignSelf) && !Role::Agent.may(Action::AssignOthers));
        assert!(!Role::Admin.may(Action::LinkTelegram) && Role::Admin.may(Action::ManageMembers));
    }

    #[test]
    fn a_refusal_names_the_role_and_the_action() {
        let a = AvatarId::new();
        let viewer = Access::member(AvatarId::new(), a, Role::Viewer);
        let e = viewer.require(Action::Work).unwrap_err();
        assert_eq!(e.to_string(), "a viewer may not work conversations in this workspace");
        assert_eq!(Access::owner(a).require(Action::LinkTelegram).unwrap(), a);
    }
}
