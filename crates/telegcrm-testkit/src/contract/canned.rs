//! Canned replies: saved per workspace with a unique shortcut, written by members who may work,
//! filled for a conversation's contact and the member answering; never another workspace's.

use std::sync::Arc;

use telegcrm_domain::ports::{AvatarRef, Store};
use telegcrm_domain::service::CannedChange;
use telegcrm_domain::{CannedReplyId, CrmError, Role};

use super::Crm;
use crate::fixtures::{at, incoming, msg, owner, private_chat, zoe};

/// The whole life of canned replies in one workspace, with each refusal.
pub async fn canned_replies_are_kept_filled_and_refused_clearly(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let s = &crm.service;
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "How much is it?", at(-10)))]).await;
    let conv = crm.conversation(&chat).await;
    let (agent, viewer) = (owner(), owner());
    s.add_member(&crm.me(), &AvatarRef::Id(agent), Role::Agent).await.unwrap();
    s.add_member(&crm.me(), &AvatarRef::Id(viewer), Role::Viewer).await.unwrap();
    let as_agent = s.access(agent, Some(crm.owner)).await.unwrap();
    let as_viewer = s.access(viewer, Some(crm.owner)).await.unwrap();

    let price = s.add_canned_reply(&as_agent, "/Price", "Hi {{contact.firstName}}, the table is 900 EUR.").await.unwrap();
    assert_eq!((price.shortcut.as_str(), price.owner_avatar_id, price.updated_by), ("price", crm.owner, agent));
    s.add_canned_reply(&crm.me(), "hello", "Hello {{ contact.name }}!").await.unwrap();
    let listed: Vec<String> = s.canned_replies(crm.owner).await.unwrap().into_iter().map(|r| r.shortcut).collect();
    assert_eq!(listed, ["hello", "price"], "by shortcut");

    // Filled for Zoe's conversation.
    let filled = s.filled_canned_replies(&as_agent, conv.id).await.unwrap();
    let texts: Vec<&str> = filled.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts, ["Hello Zoë Ünal!", "Hi Zoë, the table is 900 EUR."]);

    // Refusals, none of which changes anything.
    assert!(matches!(s.add_canned_reply(&as_agent, "price", "again").await, Err(CrmError::Conflict(_))));
    assert!(matches!(s.add_canned_reply(&as_agent, "two words", "x").await, Err(CrmError::Invalid { .. })));
    let e = s.add_canned_reply(&as_agent, "vip", "Dear {{contact.title}}").await.unwrap_err();
    assert!(e.to_string().contains("{{contact.title}}") && e.to_string().contains("{{contact.firstName}}"), "{e}");
    assert!(matches!(s.add_canned_reply(&as_agent, "empty", "   ").await, Err(CrmError::Invalid { .. })));
    assert!(matches!(s.add_canned_reply(&as_viewer, "mine", "x").await, Err(CrmError::Forbidden { .. })));
    assert!(matches!(s.delete_canned_reply(&as_viewer, price.id).await, Err(CrmError::Forbidden { .. })));
    let rename = CannedChange { shortcut: Some("hello".into()), text: None };
    assert!(matches!(s.update_canned_reply(&as_agent, price.id, rename).await, Err(CrmError::Conflict(_))));
    assert_eq!(s.canned_replies(crm.owner).await.unwrap().len(), 2);

    // Changed, then deleted.
    let change = CannedChange { shortcut: Some("cost".into()), text: Some("It is 850 EUR now.".into()) };
    let changed = s.update_canned_reply(&crm.me(), price.id, change).await.unwrap();
    assert_eq!(
        (changed.id, changed.shortcut.as_str(), changed.text.as_str(), changed.updated_by),
        (price.id, "cost", "It is 850 EUR now.", crm.owner)
    );
    s.delete_canned_reply(&as_agent, price.id).await.unwrap();
    assert!(matches!(s.delete_canned_reply(&as_agent, price.id).await, Err(CrmError::NotFound { .. })));
    assert!(matches!(
        s.update_canned_reply(&as_agent, CannedReplyId::new(), CannedChange::default()).await,
        Err(CrmError::NotFound { .. })
    ));
    assert_eq!(s.canned_replies(crm.owner).await.unwrap().len(), 1);

    // Another workspace has none of them, and cannot fill this conversation.
    let other = crm.other_owner();
    assert!(s.canned_replies(other.owner).await.unwrap().is_empty());
    assert!(matches!(s.filled_canned_replies(&other.me(), conv.id).await, Err(CrmError::NotFound { .. })));
}
