//! Workspaces: members, their roles, and what each role may change, over the store's state.

use std::sync::Arc;

use telegcrm_domain::ports::{Assignee, AvatarRef, ConversationFilter, Store};
use telegcrm_domain::service::{member_of_key, members_key};
use telegcrm_domain::{Action, ConversationStatus, CrmError, Entity, PageRequest, Priority, Role};

use super::Crm;
use crate::fixtures::{at, incoming, msg, owner, private_chat, zoe};

fn forbidden<T: std::fmt::Debug>(r: Result<T, CrmError>) -> bool {
    matches!(r, Err(CrmError::Forbidden { .. }))
}

/// An owner invites members; each sees the workspace with its role, a stranger sees nothing;
/// roles change, and a removed member loses the workspace at once.
pub async fn members_are_invited_listed_changed_and_removed(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let s = &crm.service;
    let (ada, bo, stranger) = (owner(), owner(), owner());
    let agent = s.add_member(&crm.me(), &AvatarRef::Id(ada), Role::Agent).await.unwrap();
    assert_eq!((agent.avatar_id, agent.role, agent.added_by), (ada, Role::Agent, Some(crm.owner)));
    assert_eq!(agent.added_at, Some(s.now()));
    s.add_member(&crm.me(), &AvatarRef::Id(bo), Role::Viewer).await.unwrap();

    let members = s.members(&crm.me()).await.unwrap();
    let listed: Vec<_> = members.iter().map(|m| (m.avatar_id, m.role)).collect();
    assert_eq!(listed, [(crm.owner, Role::Owner), (ada, Role::Agent), (bo, Role::Viewer)], "owner first, then in invitation order");

    let as_ada = s.access(ada, Some(crm.owner)).await.unwrap();
    assert_eq!((as_ada.workspace(), as_ada.avatar(), as_ada.role()), (crm.owner, ada, Role::Agent));
    let ws: Vec<_> = s.workspaces(ada).await.unwrap().into_iter().map(|w| (w.owner_avatar_id, w.role)).collect();
    assert_eq!(ws, [(ada, Role::Owner), (crm.owner, Role::Agent)], "its own first");
    let err = s.access(stranger, Some(crm.owner)).await.unwrap_err();
    assert!(matches!(err, CrmError::NotFound { entity: Entity::Workspace, .. }), "{err:?}");
    assert_eq!(s.workspaces(stranger).await.unwrap().len(), 1);
    assert_eq!(s.access(stranger, None).await.unwrap().role(), Role::Owner, "everyone owns a workspace");

    // Invited twice, the owner invited, the owner's role: refused, nothing changed.
    assert!(matches!(s.add_member(&crm.me(), &AvatarRef::Id(ada), Role::Admin).await, Err(CrmError::Conflict(_))));
    assert!(matches!(s.add_member(&crm.me(), &AvatarRef::Id(crm.owner), Role::Admin).await, Err(CrmError::Conflict(_))));
    assert!(matches!(s.add_member(&crm.me(), &AvatarRef::Id(stranger), Role::Owner).await, Err(CrmError::Invalid { .. })));
    assert!(matches!(s.change_member(&crm.me(), crm.owner, Role::Viewer).await, Err(CrmError::Invalid { .. })));
    assert!(matches!(s.remove_member(&crm.me(), crm.owner).await, Err(CrmError::Invalid { .. })));
    assert!(matches!(s.change_member(&crm.me(), stranger, Role::Viewer).await, Err(CrmError::NotFound { entity: Entity::Member, .. })));
    assert_eq!(s.members(&crm.me()).await.unwrap().len(), 3);
    // By username, without OASIS configured: a clear upstream error, nobody invited.
    assert!(matches!(s.add_member(&crm.me(), &AvatarRef::Username("ada".into()), Role::Agent).await, Err(CrmError::Directory(_))));

    let promoted = s.change_member(&crm.me(), ada, Role::Admin).await.unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(s.access(ada, Some(crm.owner)).await.unwrap().role(), Role::Admin);

    s.remove_member(&crm.me(), ada).await.unwrap();
    assert!(s.access(ada, Some(crm.owner)).await.is_err(), "removed: the workspace is gone for it");
    assert_eq!(s.workspaces(ada).await.unwrap().len(), 1);
    // A viewer may leave by itself; it may not remove anyone else.
    let as_bo = s.access(bo, Some(crm.owner)).await.unwrap();
    s.add_member(&crm.me(), &AvatarRef::Id(ada), Role::Agent).await.unwrap();
    assert!(forbidden(s.remove_member(&as_bo, ada).await));
    s.remove_member(&as_bo, bo).await.unwrap();
    assert!(s.access(bo, Some(crm.owner)).await.is_err());
    assert!(matches!(s.remove_member(&crm.me(), bo).await, Err(CrmError::NotFound { .. })));
}

/// Each role changes exactly what it may: a viewer nothing, an agent conversations but not
/// members, an admin members too; every change lands in the owner's workspace.
pub async fn each_role_changes_only_what_it_may(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let s = &crm.service;
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hello", at(-10)))]).await;
    let conv = crm.conversation(&chat).await;
    let (admin, agent, viewer) = (owner(), owner(), owner());
    for (who, role) in [(admin, Role::Admin), (agent, Role::Agent), (viewer, Role::Viewer)] {
        s.add_member(&crm.me(), &AvatarRef::Id(who), role).await.unwrap();
    }
    let by = |who| async move { s.access(who, Some(crm.owner)).await.unwrap() };
    let (as_admin, as_agent, as_viewer) = (by(admin).await, by(agent).await, by(viewer).await);

    // The viewer reads the workspace and changes nothing in it.
    assert_eq!(s.conversation(as_viewer.workspace(), conv.id).await.unwrap().id, conv.id);
    assert!(forbidden(s.set_priority(&as_viewer, conv.id, Priority::Urgent).await));
    assert!(forbidden(s.mark_read(&as_viewer, conv.id).await));
    assert!(forbidden(s.send_message(&as_viewer, conv.id, "hi").await));
    assert!(forbidden(s.add_member(&as_viewer, &AvatarRef::Id(owner()), Role::Viewer).await));
    let unchanged = s.conversation(crm.owner, conv.id).await.unwrap();
    assert_eq!((unchanged.priority, unchanged.unread_count), (conv.priority, 1));
    let e = s.set_status(&as_viewer, conv.id, ConversationStatus::Archived).await.unwrap_err();
    assert_eq!(e.to_string(), "a viewer may not work conversations in this workspace");

    // The agent works the owner's conversation; its change is the owner's record.
    let changed = s.set_status(&as_agent, conv.id, ConversationStatus::Archived).await.unwrap();
    assert_eq!((changed.owner_avatar_id, changed.status), (crm.owner, ConversationStatus::Archived));
    assert!(forbidden(s.add_member(&as_agent, &AvatarRef::Id(owner()), Role::Viewer).await));
    assert!(forbidden(s.change_member(&as_agent, viewer, Role::Admin).await));
    assert!(!as_agent.may(Action::ImportExport) && as_admin.may(Action::ImportExport));

    // The admin manages members, but is not the owner.
    s.change_member(&as_admin, viewer, Role::Agent).await.unwrap();
    assert_eq!(s.access(viewer, Some(crm.owner)).await.unwrap().role(), Role::Agent);
    assert!(!as_admin.may(Action::LinkTelegram));
    assert!(matches!(s.remove_member(&as_admin, crm.owner).await, Err(CrmError::Invalid { .. })));

    // In its own workspace each of them is the owner, and sees none of this one's records.
    let own = s.access(agent, None).await.unwrap();
    assert!(matches!(s.set_status(&own, conv.id, ConversationStatus::Active).await, Err(CrmError::NotFound { .. })));
}

/// The index of an avatar's workspaces grants nothing by itself: only the workspace's own
/// members list does (a change cut between its two writes leaves nothing half granted).
pub async fn a_workspace_index_entry_alone_grants_nothing(store: Arc<dyn Store>) {
    let crm = Crm::new(store.clone());
    let s = &crm.service;
    let intruder = owner();
    let forged = format!(r#"[{{"ownerAvatarId":"{}","name":null}}]"#, crm.owner);
    store.put_state(&member_of_key(intruder), &forged).await.unwrap();
    assert!(s.access(intruder, Some(crm.owner)).await.is_err());
    assert_eq!(s.workspaces(intruder).await.unwrap().len(), 1, "only its own");
    // Once the members list says so, it is a member; its invitation repairs the index.
    s.add_member(&crm.me(), &AvatarRef::Id(intruder), Role::Viewer).await.unwrap();
    assert_eq!(s.workspaces(intruder).await.unwrap().len(), 2);
    let of = store.get_state(&member_of_key(intruder)).await.unwrap().unwrap();
    assert_eq!(of.matches("ownerAvatarId").count(), 1, "listed once: {of}");
    assert!(store.get_state(&members_key(crm.owner)).await.unwrap().is_some());
}

/// Assignment: an agent takes an unassigned conversation and lets go of it, but never takes one
/// from a colleague; an admin assigns anyone who may work; the inbox filters "Mine" and
/// "Unassigned" from the store; a member who leaves, or becomes a viewer, is unassigned.
pub async fn conversations_are_assigned_taken_and_given_back(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let s = &crm.service;
    let (zoe_chat, max_chat) = (private_chat(crm.owner, &zoe()), private_chat(crm.owner, &crate::fixtures::alexey()));
    crm.ingest([msg(incoming(&zoe_chat, 1, "Hello", at(-10))), msg(incoming(&max_chat, 2, "Hi there", at(-5)))]).await;
    let (zoe_conv, max_conv) = (crm.conversation(&zoe_chat).await, crm.conversation(&max_chat).await);
    assert_eq!(zoe_conv.assignee_avatar_id, None, "a new conversation is nobody's");
    let (admin, agent, other, viewer) = (owner(), owner(), owner(), owner());
    for (who, role) in [(admin, Role::Admin), (agent, Role::Agent), (other, Role::Agent), (viewer, Role::Viewer)] {
        s.add_member(&crm.me(), &AvatarRef::Id(who), role).await.unwrap();
    }
    let by = |who| async move { s.access(who, Some(crm.owner)).await.unwrap() };
    let (as_admin, as_agent, as_other, as_viewer) = (by(admin).await, by(agent).await, by(other).await, by(viewer).await);
    let listed = |assignee| async move {
        let filter = ConversationFilter { assignee: Some(assignee), ..ConversationFilter::default() };
        let page = s.list_conversations(crm.owner, &filter, &PageRequest::default()).await.unwrap();
        page.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };

    // The agent takes Zoe's conversation; the other agent cannot take it from him.
    let taken = s.assign(&as_agent, zoe_conv.id, Some(agent)).await.unwrap();
    assert_eq!(taken.assignee_avatar_id, Some(agent));
    assert!(matches!(s.assign(&as_other, zoe_conv.id, Some(other)).await, Err(CrmError::Conflict(_))));
    assert!(matches!(s.assign(&as_other, zoe_conv.id, None).await, Err(CrmError::Conflict(_))));
    assert!(forbidden(s.assign(&as_other, max_conv.id, Some(agent)).await), "an agent assigns only itself");
    assert!(forbidden(s.assign(&as_viewer, max_conv.id, Some(viewer)).await));
    assert_eq!(s.conversation(crm.owner, zoe_conv.id).await.unwrap().assignee_avatar_id, Some(agent), "the refusals changed nothing");
    assert_eq!(listed(Assignee::Member(agent)).await, [zoe_conv.id]);
    assert_eq!(listed(Assignee::Nobody).await, [max_conv.id]);

    // The admin assigns anyone who may work, never a viewer or a stranger.
    assert_eq!(s.assign(&as_admin, max_conv.id, Some(other)).await.unwrap().assignee_avatar_id, Some(other));
    assert!(matches!(s.assign(&as_admin, max_conv.id, Some(viewer)).await, Err(CrmError::Invalid { .. })));
    assert!(matches!(s.assign(&as_admin, max_conv.id, Some(owner())).await, Err(CrmError::Invalid { .. })));
    assert_eq!(s.assign(&as_admin, max_conv.id, Some(crm.owner)).await.unwrap().assignee_avatar_id, Some(crm.owner), "the owner too");
    assert!(listed(Assignee::Nobody).await.is_empty());

    // Letting go of one's own; the conversation's other fields stay.
    s.set_priority(&as_agent, zoe_conv.id, Priority::High).await.unwrap();
    let released = s.assign(&as_agent, zoe_conv.id, None).await.unwrap();
    assert_eq!((released.assignee_avatar_id, released.priority), (None, Priority::High));
    assert_eq!(listed(Assignee::Nobody).await, [zoe_conv.id]);

    // Leaving gives everything back to the team; so does becoming a viewer.
    s.assign(&as_other, zoe_conv.id, Some(other)).await.unwrap();
    s.assign(&as_admin, max_conv.id, Some(other)).await.unwrap();
    assert_eq!(listed(Assignee::Member(other)).await, [max_conv.id, zoe_conv.id], "newest first");
    s.remove_member(&as_other, other).await.unwrap();
    assert!(listed(Assignee::Member(other)).await.is_empty());
    assert_eq!(listed(Assignee::Nobody).await.len(), 2);
    s.assign(&as_agent, zoe_conv.id, Some(agent)).await.unwrap();
    s.change_member(&crm.me(), agent, Role::Viewer).await.unwrap();
    assert_eq!(s.conversation(crm.owner, zoe_conv.id).await.unwrap().assignee_avatar_id, None);
}
