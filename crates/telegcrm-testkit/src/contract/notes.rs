//! Internal notes: written by members who may work, read by every member, mentions found by the
//! mentioned; newest first with keyset pages; never another workspace's.

use std::sync::Arc;

use async_trait::async_trait;
use telegcrm_domain::ports::{Avatar, AvatarDirectory, AvatarRef, Store};
use telegcrm_domain::{AvatarId, CrmError, DirectoryError, Limit, PageRequest, Role};

use super::Crm;
use crate::fixtures::{at, incoming, msg, owner, private_chat, zoe};

/// OASIS as the test knows it: avatars by id or username.
struct Known(Vec<Avatar>);

#[async_trait]
impl AvatarDirectory for Known {
    async fn find_avatar(&self, by: &AvatarRef) -> Result<Option<Avatar>, DirectoryError> {
        Ok(self
            .0
            .iter()
            .find(|a| match by {
                AvatarRef::Id(id) => a.id == *id,
                AvatarRef::Username(u) => a.username.as_deref() == Some(u.as_str()),
                AvatarRef::Email(e) => a.email.as_deref() == Some(e.as_str()),
            })
            .cloned())
    }
}

fn avatar(id: AvatarId, username: &str) -> Avatar {
    Avatar { id, username: Some(username.into()), email: None, full_name: None }
}

/// A note names members; each mentioned member finds it; the timeline lists notes newest first
/// in pages; a viewer reads but does not write; another workspace sees none of it.
pub async fn notes_are_written_listed_and_mention_members(store: Arc<dyn Store>) {
    let base = Crm::new(store);
    let (bob, ana, viewer) = (owner(), owner(), owner());
    let known = Known(vec![avatar(bob, "bob"), avatar(ana, "ana"), avatar(viewer, "vic")]);
    let crm = Crm { service: base.service.clone().with_directory(Arc::new(known)), ..base };
    let s = &crm.service;
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Can I get a discount?", at(-10)))]).await;
    let conv = crm.conversation(&chat).await;
    for (who, role) in [("bob", Role::Agent), ("ana", Role::Admin), ("vic", Role::Viewer)] {
        s.add_member(&crm.me(), &AvatarRef::Username(who.into()), role).await.unwrap();
    }
    let as_bob = s.access(bob, Some(crm.owner)).await.unwrap();
    let as_ana = s.access(ana, Some(crm.owner)).await.unwrap();
    let as_vic = s.access(viewer, Some(crm.owner)).await.unwrap();

    let first = s.add_note(&as_bob, conv.id, "  @ana can we give 10%? @ana @nobody  ").await.unwrap();
    assert_eq!((first.author_avatar_id, first.owner_avatar_id, first.conversation_id), (bob, crm.owner, conv.id));
    assert_eq!(first.text, "@ana can we give 10%? @ana @nobody", "kept trimmed");
    assert_eq!(first.mentions, [ana]);
    crm.clock.advance(chrono::Duration::seconds(5));
    let second = s.add_note(&as_ana, conv.id, "Yes. @BOB tell her, and @vic watch the margin").await.unwrap();
    assert_eq!(second.mentions, [bob, viewer], "case ignored, order kept");

    // Every member reads the notes, newest first, in keyset pages.
    let one = PageRequest { limit: Limit::new(1).unwrap(), cursor: None };
    let page = s.notes(&as_vic, conv.id, &one).await.unwrap();
    assert_eq!(page.items, std::slice::from_ref(&second));
    let next = PageRequest { cursor: page.next_cursor, ..one };
    let page = s.notes(&as_vic, conv.id, &next).await.unwrap();
    assert_eq!((page.items, page.next_cursor), (vec![first.clone()], None));

    // Mentions: each member finds what names it, in this workspace.
    assert_eq!(s.mentions(&as_ana, &PageRequest::default()).await.unwrap().items, std::slice::from_ref(&first));
    assert_eq!(s.mentions(&as_bob, &PageRequest::default()).await.unwrap().items, std::slice::from_ref(&second));
    assert_eq!(s.mentions(&as_vic, &PageRequest::default()).await.unwrap().items, std::slice::from_ref(&second));
    assert!(s.mentions(&crm.me(), &PageRequest::default()).await.unwrap().items.is_empty());

    // Refused: a viewer's note, an empty one, one too long, one on a conversation not here.
    assert!(matches!(s.add_note(&as_vic, conv.id, "hi").await, Err(CrmError::Forbidden { .. })));
    assert!(matches!(s.add_note(&as_bob, conv.id, "   ").await, Err(CrmError::Invalid { .. })));
    let long = "x".repeat(telegcrm_domain::model::MAX_NOTE_CHARS + 1);
    assert!(matches!(s.add_note(&as_bob, conv.id, &long).await, Err(CrmError::Invalid { .. })));
    let elsewhere = crm.other_owner();
    assert!(matches!(s.add_note(&elsewhere.me(), conv.id, "mine?").await, Err(CrmError::NotFound { .. })));
    assert!(matches!(s.notes(&elsewhere.me(), conv.id, &PageRequest::default()).await, Err(CrmError::NotFound { .. })));
    assert_eq!(s.notes(&crm.me(), conv.id, &PageRequest::default()).await.unwrap().items.len(), 2, "the refusals stored nothing");
}
