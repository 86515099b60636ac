//! Restoring an export: records come back exactly as they were exported, once, and never over
//! what the store holds.

use std::sync::Arc;

use telegcrm_domain::ports::Store;
use telegcrm_domain::values::{ChatType, ContactCategory, ConversationStatus, FollowUpStatus, Priority, RelationshipStatus};
use telegcrm_domain::{Contact, Conversation, FollowUp, FollowUpId, Message, MessageEdit, Record};

use super::Crm;
use crate::fixtures::{at, incoming, msg, outgoing, private_chat, tag, zoe};

/// A contact, its conversation with two messages (one edited, one deleted) and a follow-up, as
/// an export of another CRM holds them: ids, counts, read marks and times of their own.
fn exported(crm: &Crm) -> (Contact, Conversation, Vec<Message>, FollowUp) {
    let chat = private_chat(crm.owner, &zoe());
    let mut contact = Contact::from_user(crm.owner, &zoe(), at(1));
    contact.company = Some("Acme".into());
    contact.category = Some(ContactCategory::Client);
    contact.relationship_status = RelationshipStatus::Active;
    contact.tags = vec![tag("vip")];
    contact.total_messages = 2;
    contact.last_contacted_at = at(3);
    contact.updated_at = at(20);
    let mut conv = Conversation::open(&chat.key, ChatType::Private, Some("Zoe".into()), Some(&contact), at(1));
    conv.priority = Priority::Urgent;
    conv.priority_manual = true;
    conv.status = ConversationStatus::Waiting;
    conv.tags = vec![tag("q4")];
    conv.message_count = 2;
    conv.unread_count = 0;
    conv.last_message_at = at(3);
    conv.last_message_preview = Some("Yes".into());
    conv.last_read_at = Some(at(4));
    conv.summary = Some("wants a quote".into());
    conv.custom_fields.insert("stage".into(), serde_json::json!({"name": "proposal", "n": 2}));
    conv.updated_at = at(21);
    let mut first = Message::from_captured(&incoming(&chat, 1, "Hello again", at(2)), conv.id);
    first.edits = vec![MessageEdit { content: "Hello".into(), edited_at: at(2), omitted_before: 0 }];
    first.edited_at = Some(at(5));
    first.is_read = true;
    let mut second = Message::from_captured(&outgoing(&chat, 2, "Yes", at(3)), conv.id);
    second.deleted_at = Some(at(6));
    second.is_read = true;
    let followup = FollowUp {
        id: FollowUpId::new(),
        owner_avatar_id: crm.owner,
        conversation_id: conv.id,
        title: "Send the quote".into(),
        description: Some("with the discount".into()),
        due_at: at(100),
        priority: Priority::High,
        status: FollowUpStatus::Pending,
        is_overdue: false,
        completed_at: None,
        snoozed_until: Some(at(90)),
        reminded_at: None,
        created_at: at(7),
        updated_at: at(8),
    };
    (contact, conv, vec![first, second], followup)
}

fn records(contact: &Contact, conv: &Conversation, messages: &[Message], followup: &FollowUp) -> Vec<Record> {
    let mut all = vec![Record::Contact(contact.clone()), Record::Conversation(conv.clone())];
    all.extend(messages.iter().cloned().map(Record::Message));
    all.push(Record::FollowUp(followup.clone()));
    all
}

/// Restored records read back as they were exported; restoring them again stores nothing; a
/// message or follow-up restored in a later call than its conversation finds it.
pub async fn restored_records_read_back_as_they_were_and_only_once(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let (contact, conv, messages, followup) = exported(&crm);
    let report = crm.service.restore(vec![Record::Contact(contact.clone()), Record::Conversation(conv.clone())]).await.unwrap();
    assert_eq!((report.restored, report.already_stored, report.conflicts), (2, 0, 0));
    let rest: Vec<Record> = records(&contact, &conv, &messages, &followup).into_iter().skip(2).collect();
    let report = crm.service.restore(rest).await.unwrap();
    assert_eq!((report.restored, report.already_stored, report.conflicts), (3, 0, 0));

    let chat = private_chat(crm.owner, &zoe());
    assert_eq!(crm.conversation(&chat).await, conv);
    assert_eq!(crm.contact(zoe().id).await, contact);
    assert_eq!(crm.message(&chat, 1).await, messages[0]);
    assert_eq!(crm.message(&chat, 2).await, messages[1]);
    assert_eq!(crm.service.followup(crm.owner, followup.id).await.unwrap(), followup);

    let again = crm.service.restore(records(&contact, &conv, &messages, &followup)).await.unwrap();
    assert_eq!((again.restored, again.already_stored, again.conflicts), (0, 5, 0));
    assert_eq!(crm.conversation(&chat).await, conv);
}

/// A store that captured the same chat live holds it under other ids: the exported contact,
/// conversation, its messages and follow-ups are conflicts, and what the store holds stays.
pub async fn restored_records_never_replace_what_the_store_holds(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "captured live", at(1)))]).await;
    let live = crm.conversation(&chat).await;
    let live_contact = crm.contact(zoe().id).await;
    let (contact, conv, messages, followup) = exported(&crm);
    let report = crm.service.restore(records(&contact, &conv, &messages, &followup)).await.unwrap();
    assert_eq!((report.restored, report.already_stored, report.conflicts), (0, 0, 5));
    assert_eq!(crm.conversation(&chat).await, live);
    assert_eq!(crm.contact(zoe().id).await, live_contact);
    assert_eq!(crm.message(&chat, 1).await.content, "captured live");
    assert!(crm.service.followup(crm.owner, followup.id).await.is_err(), "no follow-up on a conversation that is not the store's");
}
