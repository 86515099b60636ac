//! Tenant isolation: through every port method, another owner's id finds nothing and changes
//! nothing, exactly like an id that does not exist.

use std::sync::Arc;
use telegcrm_domain::Access;

use telegcrm_domain::model::{ContactChange, ConversationChange, FollowUpChange};
use telegcrm_domain::ports::{ContactFilter, ConversationFilter, FollowUpFilter, Store};
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::service::{ContactUpdate, ConversationUpdate, FollowUpUpdate, NewFollowUp};
use telegcrm_domain::{
    ContactCategory, ConversationStatus, CrmError, FollowUp, FollowUpStatus, FollowUpView, PageRequest, Priority, RelationshipStatus,
};

use super::Crm;
use crate::fixtures::{at, incoming, msg, private_chat, tag, zoe};

/// Owner A with a conversation, a contact and a follow-up; the clock at minute 0.
async fn owner_with_data(store: Arc<dyn Store>) -> (Crm, FollowUp) {
    let a = Crm::new(store);
    let chat = private_chat(a.owner, &zoe());
    a.ingest([msg(incoming(&chat, 1, "Vertrauliches Angebot: 48 000 €", at(-30)))]).await;
    let conv = a.conversation(&chat).await;
    let new = NewFollowUp { conversation_id: conv.id, title: "Angebot prüfen".into(), description: None, due_at: at(-5), priority: None };
    let f = a.service.create_followup(&Access::owner(a.owner), new).await.unwrap();
    (a, f)
}

fn not_found<T: std::fmt::Debug>(r: Result<T, CrmError>) -> bool {
    matches!(r, Err(CrmError::NotFound { .. }))
}

/// Conversation ports answer another owner with nothing, and its update changes nothing.
pub async fn another_owner_cannot_see_or_change_a_conversation(store: Arc<dyn Store>) {
    let (a, _) = owner_with_data(store).await;
    let b = a.other_owner();
    let chat = private_chat(a.owner, &zoe());
    let before = a.conversation(&chat).await;
    let s = &a.store;
    assert!(s.get_conversation(b.owner, before.id).await.unwrap().is_none());
    assert!(s.get_conversations(b.owner, &[before.id]).await.unwrap().is_empty());
    assert!(s.list_conversations(b.owner, &ConversationFilter::default(), &PageRequest::default()).await.unwrap().items.is_empty());
    let by_contact = ConversationFilter { contact_id: before.contact_id, ..Default::default() };
    assert!(s.list_conversations(b.owner, &by_contact, &PageRequest::default()).await.unwrap().items.is_empty());
    let change = ConversationChange {
        priority: Some(Priority::Low),
        status: Some(ConversationStatus::Archived),
        add_tag: Some(tag("stolen")),
        summary: Some(Some("mine now".into())),
        read_at: Some(at(1)),
        ..Default::default()
    };
    assert!(s.update_conversation(b.owner, before.id, &change, at(1)).await.unwrap().is_none());
    assert_eq!(a.conversation(&chat).await, before);
    assert!(!a.message(&chat, 1).await.is_read, "the messages were not marked read either");
    // The same Telegram chat and message id reaching owner B is B's own, new conversation.
    let report = b.ingest([msg(incoming(&private_chat(b.owner, &zoe()), 1, "Hallo B", at(2)))]).await;
    assert_eq!((report.messages_stored, report.duplicates), (1, 0));
    assert_eq!(a.conversation(&chat).await, before);
}

/// Message ports answer another owner with nothing.
pub async fn another_owner_sees_no_messages(store: Arc<dyn Store>) {
    let (a, _) = owner_with_data(store).await;
    let b = a.other_owner();
    let conv = a.conversation(&private_chat(a.owner, &zoe())).await.id;
    let page = a.store.list_messages(b.owner, conv, &PageRequest::default()).await.unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());
    assert!(a.store.find_message(b.owner, conv, 1).await.unwrap().is_none());
    assert!(a.store.find_message(a.owner, conv, 1).await.unwrap().is_some());
}

/// Contact ports answer another owner with nothing, and its update changes nothing.
pub async fn another_owner_cannot_see_or_change_a_contact(store: Arc<dyn Store>) {
    let (a, _) = owner_with_data(store).await;
    let b = a.other_owner();
    let before = a.contact(zoe().id).await;
    let s = &a.store;
    assert!(s.get_contact(b.owner, before.id).await.unwrap().is_none());
    assert!(s.list_contacts(b.owner, &ContactFilter::default(), &PageRequest::default()).await.unwrap().items.is_empty());
    let by_name = ContactFilter { q: Some("zoë".into()), ..Default::default() };
    assert!(s.list_contacts(b.owner, &by_name, &PageRequest::default()).await.unwrap().items.is_empty());
    let change = ContactChange {
        company: Some(Some("Evil Corp".into())),
        category: Some(Some(ContactCategory::Vendor)),
        relationship_status: Some(RelationshipStatus::Inactive),
        linked_oasis_avatar_id: Some(Some(b.owner)),
        ..Default::default()
    };
    assert!(s.update_contact(b.owner, before.id, &change, at(1)).await.unwrap().is_none());
    assert_eq!(a.contact(zoe().id).await, before);
}

/// Follow-up ports answer another owner with nothing; update and delete change nothing.
pub async fn another_owner_cannot_see_change_or_delete_a_followup(store: Arc<dyn Store>) {
    let (a, f) = owner_with_data(store).await;
    let b = a.other_owner();
    let s = &a.store;
    let before = s.get_followup(a.owner, f.id).await.unwrap().unwrap();
    assert!(s.get_followup(b.owner, f.id).await.unwrap().is_none());
    let change = FollowUpChange { title: Some("hijacked".into()), status: Some(FollowUpStatus::Cancelled), ..Default::default() };
    assert!(s.update_followup(b.owner, f.id, &change, at(1)).await.unwrap().is_none());
    assert!(!s.delete_followup(b.owner, f.id).await.unwrap());
    let all = FollowUpFilter { view: FollowUpView::All, conversation_id: Some(f.conversation_id), now: at(0) };
    assert!(s.list_followups(b.owner, &all, &PageRequest::default()).await.unwrap().items.is_empty());
    assert_eq!(s.get_followup(a.owner, f.id).await.unwrap().unwrap(), before);
    assert_eq!(s.list_followups(a.owner, &all, &PageRequest::default()).await.unwrap().items.len(), 1);
}

/// Search answers another owner with nothing, whatever the query and filters.
pub async fn another_owner_finds_nothing_in_search(store: Arc<dyn Store>) {
    let (a, _) = owner_with_data(store).await;
    let b = a.other_owner();
    let conv = a.conversation(&private_chat(a.owner, &zoe())).await;
    for q in ["", "angebot", "vertraul*"] {
        let query = SearchQuery::parse(q);
        assert_eq!(a.store.search_candidates(a.owner, &query, &SearchFilters::default(), 10).await.unwrap().len(), 1, "{q:?}");
        assert!(a.store.search_candidates(b.owner, &query, &SearchFilters::default(), 10).await.unwrap().is_empty(), "{q:?}");
        let mine = SearchFilters { conversation_id: Some(conv.id), contact_id: conv.contact_id, ..Default::default() };
        assert!(a.store.search_candidates(b.owner, &query, &mine, 10).await.unwrap().is_empty(), "{q:?}");
    }
    assert!(b.search("angebot", &SearchFilters::default()).await.is_empty());
    let page = b.service.search_conversations(b.owner, "angebot", &SearchFilters::default(), &PageRequest::default()).await.unwrap();
    assert!(page.items.is_empty());
}

/// Through the service, another owner's ids answer NotFound, like ids that do not exist.
pub async fn service_answers_not_found_for_another_owners_records(store: Arc<dyn Store>) {
    let (a, f) = owner_with_data(store).await;
    let b = a.other_owner();
    let (s, o) = (&b.service, b.owner);
    let conv = a.conversation(&private_chat(a.owner, &zoe())).await;
    let contact = a.contact(zoe().id).await;
    let page = PageRequest::default();
    assert!(not_found(s.conversation(o, conv.id).await));
    assert!(not_found(s.set_priority(&Access::owner(o), conv.id, Priority::Low).await));
    assert!(not_found(s.set_status(&Access::owner(o), conv.id, ConversationStatus::Archived).await));
    assert!(not_found(s.add_tag(&Access::owner(o), conv.id, tag("x")).await));
    assert!(not_found(s.remove_tag(&Access::owner(o), conv.id, tag("x")).await));
    assert!(not_found(s.mark_read(&Access::owner(o), conv.id).await));
    assert!(not_found(s.messages(o, conv.id, &page).await));
    assert!(not_found(
        s.update_conversation(&Access::owner(o), conv.id, ConversationUpdate { summary: Some(Some("x".into())), ..Default::default() })
            .await
    ));
    assert!(not_found(s.contact(o, contact.id).await));
    assert!(not_found(
        s.update_contact(&Access::owner(o), contact.id, ContactUpdate { notes: Some(Some("x".into())), ..Default::default() }).await
    ));
    assert!(not_found(s.contact_conversations(o, contact.id, &page).await));
    assert!(not_found(s.unlink_contact_avatar(&Access::owner(o), contact.id).await));
    let new = NewFollowUp { conversation_id: conv.id, title: "x".into(), description: None, due_at: at(10), priority: None };
    assert!(not_found(s.create_followup(&Access::owner(o), new).await));
    assert!(not_found(s.followup(o, f.id).await));
    assert!(not_found(s.complete_followup(&Access::owner(o), f.id).await));
    assert!(not_found(s.cancel_followup(&Access::owner(o), f.id).await));
    assert!(not_found(s.snooze_followup(&Access::owner(o), f.id, at(60)).await));
    assert!(not_found(s.mark_reminded(o, f.id).await));
    assert!(not_found(s.update_followup(&Access::owner(o), f.id, FollowUpUpdate { title: Some("x".into()), ..Default::default() }).await));
    assert!(not_found(s.delete_followup(&Access::owner(o), f.id).await));
    assert_eq!(a.conversation(&private_chat(a.owner, &zoe())).await, conv);
    assert_eq!(a.contact(zoe().id).await, contact);
    assert_eq!(a.service.followup(a.owner, f.id).await.unwrap(), f);
    assert!(a.service.list_followups(o, FollowUpView::All, None, &page).await.unwrap().items.is_empty());
}
