//! Workspaces and their members, as service operations (see [`crate::model::Access`]).
//!
//! State keys: `workspace:members:<owner>` → the members of the owner's workspace (JSON list,
//! the owner not in it: the owner is always a member); `workspace:member_of:<avatar>` → the
//! workspaces an avatar was invited to (JSON list), an index that the members list confirms on
//! every read, so a half-finished change never grants anything; `workspace:owner:<owner>` → the
//! owner's name, username and email as OASIS gave them at the last invitation (JSON). A
//! change holds the leases `workspace:<owner>` and `workspace:member_of:<avatar>` while it reads
//! and writes both (`leased`: one that meets another change in progress fails at
//! once with "try again").

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::activity::About;
use super::{CrmService, corrupt};
use crate::error::{CrmError, DirectoryError, Entity, StoreError};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{Access, Action, Assign, Conversation, ConversationChange, Member, Workspace};
use crate::page::{Limit, PageRequest};
use crate::ports::{Assignee, AvatarRef, ConversationFilter};
use crate::values::{ActivityKind, Role};

/// The most members a workspace has besides its owner.
pub const MAX_MEMBERS: usize = 200;

/// How long a member change may hold its leases (a crashed change frees them after this).
const LEASE_TTL: Duration = Duration::seconds(30);

/// The state key of a workspace's members.
pub fn members_key(workspace: AvatarId) -> String {
    format!("workspace:members:{workspace}")
}

/// The state key of the owner's name, username and email, as OASIS gave them at the last
/// invitation.
pub fn owner_key(workspace: AvatarId) -> String {
    format!("workspace:owner:{workspace}")
}

/// What OASIS said about a workspace's owner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerInfo {
    name: Option<String>,
    username: Option<String>,
    email: Option<String>,
}

/// The state key of the workspaces an avatar was invited to.
pub fn member_of_key(avatar: AvatarId) -> String {
    format!("workspace:member_of:{avatar}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberOf {
    owner_avatar_id: AvatarId,
    name: Option<String>,
}

impl CrmService {
    /// What `caller` may do in `workspace` (its own when `None`). Not a member: `NotFound`, exactly
    /// as for a workspace that does not exist.
    pub async fn access(&self, caller: AvatarId, workspace: Option<AvatarId>) -> Result<Access, CrmError> {
        match workspace {
            None => Ok(Access::owner(caller)),
            Some(w) if w == caller => Ok(Access::owner(caller)),
            Some(w) => {
                let member = self.stored_members(w).await?.into_iter().find(|m| m.avatar_id == caller);
                member.map(|m| Access::member(w, caller, m.role)).ok_or_else(|| CrmError::not_found(Entity::Workspace, w))
            }
        }
    }

    /// The workspaces `caller` may work in with its role in each: its own first, then the ones it
    /// was invited to, in the order of invitation.
    pub async fn workspaces(&self, caller: AvatarId) -> Result<Vec<Workspace>, CrmError> {
        let mut all = vec![Workspace { owner_avatar_id: caller, role: Role::Owner, name: None }];
        for entry in self.member_of(caller).await? {
            if let Ok(access) = self.access(caller, Some(entry.owner_avatar_id)).await {
                all.push(Workspace { owner_avatar_id: entry.owner_avatar_id, role: access.role(), name: entry.name });
            }
        }
        Ok(all)
    }

    /// The members of the workspace `by` works in: its owner first, then the others in the order
    /// they were invited. Every member may read it.
    pub async fn members(&self, by: &Access) -> Result<Vec<Member>, CrmError> {
        let info: OwnerInfo = self.state_json(&owner_key(by.workspace()), "workspace owner").await?;
        let owner = Member {
            avatar_id: by.workspace(),
            role: Role::Owner,
            name: info.name,
            username: info.username,
            email: info.email,
            added_at: None,
            added_by: None,
        };
        let mut all = vec![owner];
        all.extend(self.stored_members(by.workspace()).await?);
        Ok(all)
    }

    /// Invites the avatar named by id, username or email (checked with OASIS when it is
    /// configured; by username or email it must be) with `role`.
    pub async fn add_member(&self, by: &Access, who: &AvatarRef, role: Role) -> Result<Member, CrmError> {
        let workspace = by.require(Action::ManageMembers)?;
        member_role(role)?;
        let (avatar_id, name, username, email) = match (&self.directory, who) {
            (None, AvatarRef::Id(id)) => (*id, None, None, None),
            (None, _) => {
                return Err(
                    DirectoryError::Upstream("no OASIS API is configured (set OASIS_API_URL) to find avatars by name".into()).into()
                );
            }
            (Some(directory), _) => {
                let found = directory.find_avatar(who).await?.ok_or_else(|| CrmError::not_found(Entity::Avatar, who))?;
                (found.id, found.full_name, found.username, found.email)
            }
        };
        if avatar_id == workspace {
            return Err(CrmError::Conflict("the owner is a member of the workspace already".into()));
        }
        let member = Member { avatar_id, role, name, username, email, added_at: Some(self.now()), added_by: Some(by.avatar()) };
        let owner = match &self.directory {
            // The owner as OASIS knows it, for the members list, the new member's workspace
            // switcher and mentions of the owner; a failure only loses it.
            Some(directory) => directory.find_avatar(&AvatarRef::Id(workspace)).await.ok().flatten().map(|a| OwnerInfo {
                name: a.full_name,
                username: a.username,
                email: a.email,
            }),
            None => None,
        };
        let owner_name = owner.as_ref().and_then(|o| o.name.clone().or_else(|| o.username.clone()));
        let added = self
            .locked(workspace, avatar_id, async {
                let mut members = self.stored_members(workspace).await?;
                if members.iter().any(|m| m.avatar_id == avatar_id) {
                    return Err(CrmError::Conflict(format!("{avatar_id} is a member of this workspace already")));
                }
                if members.len() >= MAX_MEMBERS {
                    return Err(CrmError::invalid("avatarId", format!("a workspace has at most {MAX_MEMBERS} members besides its owner")));
                }
                // The index first: until the members list says so, the index grants nothing.
                let mut of = self.member_of(avatar_id).await?;
                of.retain(|e| e.owner_avatar_id != workspace);
                if let Some(info) = &owner {
                    self.put_json(&owner_key(workspace), info).await?;
                }
                of.push(MemberOf { owner_avatar_id: workspace, name: owner_name });
                self.put_json(&member_of_key(avatar_id), &of).await?;
                members.push(member.clone());
                self.put_json(&members_key(workspace), &members).await?;
                Ok(member)
            })
            .await?;
        self.record(by, ActivityKind::MemberAdded, About::member(added.avatar_id), added.role.as_str()).await;
        Ok(added)
    }

    /// Changes a member's role. The owner's role never changes.
    pub async fn change_member(&self, by: &Access, avatar: AvatarId, role: Role) -> Result<Member, CrmError> {
        let workspace = by.require(Action::ManageMembers)?;
        if avatar == workspace {
            return Err(CrmError::invalid("avatarId", "the owner's role cannot change"));
        }
        member_role(role)?;
        if !role.may(Action::Work) {
            // A viewer answers nothing: what it was assigned goes back to the team first.
            self.unassign_everywhere(workspace, avatar).await?;
        }
        let changed = self
            .locked(workspace, avatar, async {
                let mut members = self.stored_members(workspace).await?;
                let member =
                    members.iter_mut().find(|m| m.avatar_id == avatar).ok_or_else(|| CrmError::not_found(Entity::Member, avatar))?;
                member.role = role;
                let changed = member.clone();
                self.put_json(&members_key(workspace), &members).await?;
                Ok(changed)
            })
            .await?;
        self.record(by, ActivityKind::MemberRoleChanged, About::member(avatar), role.with_article()).await;
        Ok(changed)
    }

    /// Removes a member; any member may remove itself (leave). The owner cannot be removed.
    pub async fn remove_member(&self, by: &Access, avatar: AvatarId) -> Result<(), CrmError> {
        let workspace = if avatar == by.avatar() { by.workspace() } else { by.require(Action::ManageMembers)? };
        if avatar == workspace {
            return Err(CrmError::invalid("avatarId", "the owner cannot leave or be removed from its own workspace"));
        }
        if !self.stored_members(workspace).await?.iter().any(|m| m.avatar_id == avatar) {
            return Err(CrmError::not_found(Entity::Member, avatar));
        }
        // What the member was assigned goes back to the team before it goes.
        self.unassign_everywhere(workspace, avatar).await?;
        self.locked(workspace, avatar, async {
            let mut members = self.stored_members(workspace).await?;
            let before = members.len();
            members.retain(|m| m.avatar_id != avatar);
            if members.len() == before {
                return Err(CrmError::not_found(Entity::Member, avatar));
            }
            // The members list first: from then on the index entry grants nothing.
            self.put_json(&members_key(workspace), &members).await?;
            let mut of = self.member_of(avatar).await?;
            of.retain(|e| e.owner_avatar_id != workspace);
            self.put_json(&member_of_key(avatar), &of).await?;
            Ok(())
        })
        .await?;
        self.record(by, ActivityKind::MemberRemoved, About::member(avatar), "").await;
        Ok(())
    }

    /// Gives a conversation to `to`, a member who may work conversations, or to nobody. Taking
    /// it oneself, or letting go of one's own, needs [`Action::AssignSelf`]; anything else
    /// [`Action::AssignOthers`]. Someone who may only take conversations never takes one from a
    /// colleague: that is a `Conflict`, decided inside the store's write, so two agents pressing
    /// "Take" at once cannot both have it.
    pub async fn assign(&self, by: &Access, id: ConversationId, to: Option<AvatarId>) -> Result<Conversation, CrmError> {
        let workspace = by.require(Action::AssignSelf)?;
        let self_only = !by.may(Action::AssignOthers);
        if let Some(target) = to {
            if self_only && target != by.avatar() {
                return Err(CrmError::Forbidden { role: by.role(), action: Action::AssignOthers });
            }
            let members = self.members(by).await?;
            let member = members
                .iter()
                .find(|m| m.avatar_id == target)
                .ok_or_else(|| CrmError::invalid("avatarId", format!("{target} is not a member of this workspace")))?;
            if !member.role.may(Action::Work) {
                return Err(CrmError::invalid(
                    "avatarId",
                    format!("{} is {} here and cannot answer conversations", member.display_name(), member.role.with_article()),
                ));
            }
        }
        let assign = Assign { to, unless_held_by_other_than: self_only.then_some(by.avatar()) };
        let change = ConversationChange { assign: Some(assign), ..ConversationChange::default() };
        let changed = self
            .store
            .update_conversation(workspace, id, &change, self.now())
            .await?
            .ok_or_else(|| CrmError::not_found(Entity::Conversation, id))?;
        if changed.assignee_avatar_id != to {
            return Err(CrmError::Conflict("this conversation is assigned to another member; an admin can reassign it".into()));
        }
        let about = About { conversation: Some(id), member: to, ..About::default() };
        self.record(by, ActivityKind::Assigned, about, "").await;
        Ok(changed)
    }

    /// Takes `avatar` off every conversation of the workspace it is assigned to (it leaves, or
    /// may no longer work them).
    async fn unassign_everywhere(&self, workspace: AvatarId, avatar: AvatarId) -> Result<(), CrmError> {
        let filter = ConversationFilter { assignee: Some(Assignee::Member(avatar)), ..ConversationFilter::default() };
        let page = PageRequest { limit: Limit::new(100).unwrap_or_default(), cursor: None };
        let assign = Assign { to: None, unless_held_by_other_than: Some(avatar) };
        let change = ConversationChange { assign: Some(assign), ..ConversationChange::default() };
        loop {
            // Each round's conversations leave the filter, so the first page is always the next.
            let found = self.store.list_conversations(workspace, &filter, &page).await?;
            if found.items.is_empty() {
                return Ok(());
            }
            let mut moved = false;
            for c in found.items {
                let changed = self.store.update_conversation(workspace, c.id, &change, self.now()).await?;
                moved |= changed.is_none_or(|c| c.assignee_avatar_id != Some(avatar));
            }
            if !moved {
                return Err(CrmError::Store(StoreError::Unavailable(format!("the store did not unassign {avatar}; try again"))));
            }
        }
    }

    async fn stored_members(&self, workspace: AvatarId) -> Result<Vec<Member>, CrmError> {
        self.state_json(&members_key(workspace), "workspace members").await
    }

    async fn member_of(&self, avatar: AvatarId) -> Result<Vec<MemberOf>, CrmError> {
        self.state_json(&member_of_key(avatar), "workspace index").await
    }

    pub(super) async fn put_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), CrmError> {
        let json = serde_json::to_string(value).map_err(|e| corrupt(key, e))?;
        Ok(self.store.put_state(key, &json).await?)
    }

    /// Runs `change` holding the leases of the workspace and of the avatar's index.
    async fn locked<T>(
        &self,
        workspace: AvatarId,
        avatar: AvatarId,
        change: impl std::future::Future<Output = Result<T, CrmError>>,
    ) -> Result<T, CrmError> {
        let leases = [format!("workspace:{workspace}"), member_of_key(avatar)];
        self.leased(&leases, "the members of this workspace are being changed right now; try again", change).await
    }

    /// Runs `change` holding `leases` (taken in order, released after); when one is held by
    /// another change, nothing runs and the answer is `Unavailable` with `busy` at once: the
    /// domain has no timer to wait with, and what takes these leases are rare, human edits.
    pub(super) async fn leased<T>(
        &self,
        leases: &[String],
        busy: &str,
        change: impl std::future::Future<Output = Result<T, CrmError>>,
    ) -> Result<T, CrmError> {
        let holder = uuid::Uuid::new_v4().to_string();
        let mut held = Vec::new();
        for lease in leases {
            match self.store.acquire_lease(lease, &holder, self.now(), LEASE_TTL).await {
                Ok(true) => held.push(lease),
                outcome => {
                    for l in held {
                        let _ = self.store.release_lease(l, &holder).await;
                    }
                    outcome?;
                    return Err(CrmError::Store(StoreError::Unavailable(busy.to_owned())));
                }
            }
        }
        let result = change.await;
        for l in held {
            if let Err(e) = self.store.release_lease(l, &holder).await {
                tracing::warn!(lease = %l, error = %e, "could not release a lease; it expires by itself");
            }
        }
        result
    }

    /// A JSON value kept in the store's state, or `T::default()` when absent.
    pub(super) async fn state_json<T: serde::de::DeserializeOwned + Default>(&self, key: &str, what: &str) -> Result<T, CrmError> {
        match self.store.get_state(key).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(what, e)),
            None => Ok(T::default()),
        }
    }
}

fn member_role(role: Role) -> Result<(), CrmError> {
    if role == Role::Owner {
        return Err(CrmError::invalid("role", "one of admin, agent, viewer: a workspace has one owner"));
    }
    Ok(())
}
