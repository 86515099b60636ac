//! The activity log: each change a person makes is recorded with who and when, listed newest
//! first per workspace and per conversation; refusals record nothing; never another workspace's.

use std::sync::Arc;

use telegcrm_domain::ports::{AvatarRef, Store};
use telegcrm_domain::service::{ContactUpdate, NewFollowUp};
use telegcrm_domain::{ActivityKind, CrmError, Limit, PageRequest, Priority, Role, Tag};

use super::Crm;
use crate::fixtures::{at, incoming, msg, owner, private_chat, zoe};

/// Changes by the owner and an agent, then the log read back.
pub async fn changes_are_logged_with_who_and_when(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let s = &crm.service;
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hello", at(-10)))]).await;
    let conv = crm.conversation(&chat).await;
    let contact = conv.contact_id.unwrap();
    let (agent, viewer) = (owner(), owner());
    s.add_member(&crm.me(), &AvatarRef::Id(agent), Role::Agent).await.unwrap();
    s.add_member(&crm.me(), &AvatarRef::Id(viewer), Role::Viewer).await.unwrap();
    let as_agent = s.access(agent, Some(crm.owner)).await.unwrap();
    let as_viewer = s.access(viewer, Some(crm.owner)).await.unwrap();
    let tick = || crm.clock.advance(chrono::Duration::seconds(1));

    tick();
    s.set_priority(&crm.me(), conv.id, Priority::High).await.unwrap();
    tick();
    s.add_tag(&as_agent, conv.id, Tag::parse("vip").unwrap()).await.unwrap();
    s.add_tag(&as_agent, conv.id, Tag::parse("VIP").unwrap()).await.unwrap(); // already there: nothing changed, nothing logged
    tick();
    s.assign(&as_agent, conv.id, Some(agent)).await.unwrap();
    tick();
    let due = s.now() + chrono::Duration::days(1);
    let f = s
        .create_followup(
            &as_agent,
            NewFollowUp { conversation_id: conv.id, title: "Send the offer".into(), description: None, due_at: due, priority: None },
        )
        .await
        .unwrap();
    tick();
    s.complete_followup(&as_agent, f.id).await.unwrap();
    tick();
    s.update_contact(&as_agent, contact, ContactUpdate { company: Some(Some("Acme".into())), ..Default::default() }).await.unwrap();
    tick();
    s.change_member(&crm.me(), viewer, Role::Agent).await.unwrap();
    tick();
    s.change_member(&crm.me(), viewer, Role::Viewer).await.unwrap();
    // Refused changes are not logged.
    assert!(matches!(s.set_priority(&as_viewer, conv.id, Priority::Low).await, Err(CrmError::Forbidden { .. })));

    let all = s.activity(&as_viewer, None, &PageRequest::default()).await.unwrap().items;
    let kinds: Vec<ActivityKind> = all.iter().map(|a| a.kind).collect();
    use ActivityKind as K;
    assert_eq!(
        kinds,
        [
            K::MemberRoleChanged,
            K::MemberRoleChanged,
            K::ContactEdited,
            K::FollowUpCompleted,
            K::FollowUpCreated,
            K::Assigned,
            K::TagAdded,
            K::Priority,
            K::MemberAdded,
            K::MemberAdded
        ],
        "newest first, every change once"
    );
    let by_kind = |k| all.iter().find(|a| a.kind == k).unwrap();
    assert_eq!((by_kind(K::Priority).actor_avatar_id, by_kind(K::Priority).detail.as_str()), (crm.owner, "high"));
    assert_eq!(by_kind(K::Priority).phrase(""), "set the priority to high");
    assert_eq!((by_kind(K::Assigned).actor_avatar_id, by_kind(K::Assigned).member_avatar_id), (agent, Some(agent)));
    assert_eq!(by_kind(K::Assigned).phrase("you"), "assigned the conversation to you");
    assert_eq!(by_kind(K::FollowUpCompleted).follow_up_id, Some(f.id));
    assert_eq!(by_kind(K::FollowUpCompleted).phrase(""), "completed the follow-up “Send the offer”");
    assert_eq!((by_kind(K::ContactEdited).contact_id, by_kind(K::ContactEdited).detail.as_str()), (Some(contact), "company"));
    assert!(all.iter().all(|a| a.owner_avatar_id == crm.owner));
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));

    // The conversation's own: its changes and its follow-ups', not the contact's or members'.
    let mine = s.activity(&crm.me(), Some(conv.id), &PageRequest::default()).await.unwrap().items;
    let kinds: Vec<ActivityKind> = mine.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [K::FollowUpCompleted, K::FollowUpCreated, K::Assigned, K::TagAdded, K::Priority]);
    // Keyset pages.
    let two = PageRequest { limit: Limit::new(2).unwrap(), cursor: None };
    let first = s.activity(&crm.me(), Some(conv.id), &two).await.unwrap();
    let rest = s.activity(&crm.me(), Some(conv.id), &PageRequest { cursor: first.next_cursor, ..two }).await.unwrap();
    assert_eq!(first.items.iter().chain(&rest.items).map(|a| a.id).collect::<Vec<_>>(), mine[..4].iter().map(|a| a.id).collect::<Vec<_>>());

    // Another workspace sees none of it, and not this conversation's.
    let other = crm.other_owner();
    assert!(s.activity(&other.me(), None, &PageRequest::default()).await.unwrap().items.is_empty());
    assert!(matches!(s.activity(&other.me(), Some(conv.id), &PageRequest::default()).await, Err(CrmError::NotFound { .. })));
}
