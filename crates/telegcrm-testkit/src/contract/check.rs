//! `telegcrm check`: counters recounted from the stored messages, differences found and repaired.

use std::sync::Arc;

use telegcrm_domain::model::{ContactChange, ContactCounts, ConversationChange, ConversationCounts};
use telegcrm_domain::ports::Store;

use super::Crm;
use crate::fixtures::{alexey, at, deletion, edit, from, group_chat, incoming, mariana, msg, outgoing, private_chat, zoe};

/// Every owner with data is listed, once.
pub async fn owners_are_listed_once_each(store: Arc<dyn Store>) {
    let a = Crm::new(store);
    assert!(a.store.list_owners().await.unwrap().is_empty());
    let b = a.other_owner();
    a.ingest([msg(incoming(&private_chat(a.owner, &zoe()), 1, "Hallo", at(1)))]).await;
    a.ingest([msg(incoming(&private_chat(a.owner, &alexey()), 1, "Привет", at(2)))]).await;
    b.ingest([msg(incoming(&private_chat(b.owner, &zoe()), 1, "Hallo B", at(3)))]).await;
    let mut owners = a.store.list_owners().await.unwrap();
    owners.sort();
    let mut expected = vec![a.owner, b.owner];
    expected.sort();
    assert_eq!(owners, expected);
}

/// Captured data recounts to exactly what capture kept; counters set wrong are reported and,
/// with repair, set back to what the messages say.
pub async fn check_reports_and_repairs_counters_that_drifted(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let group = group_chat(crm.owner, -100, "Team");
    crm.ingest([msg(incoming(&chat, 1, "Guten Morgen", at(1))), msg(incoming(&chat, 2, "Haben Sie Zeit?", at(2)))]).await;
    crm.ingest([msg(outgoing(&chat, 3, "Ja, um drei", at(3))), msg(incoming(&chat, 4, "Super, danke!", at(4)))]).await;
    crm.ingest([edit(&incoming(&chat, 4, "Super, danke!", at(4)), "Super, vielen Dank!", at(5)), deletion(&chat, &[2], at(6))]).await;
    crm.ingest([msg(from(incoming(&group, 7, "Wer kommt mit?", at(7)), &mariana())), msg(from(incoming(&group, 8, "Ich", at(8)), &zoe()))])
        .await;

    let clean = crm.service.check(false).await.unwrap();
    assert_eq!(clean.differences, [], "capture and recount agree");
    assert_eq!((clean.conversations, clean.contacts, clean.messages), (2, 2, 6));

    let conv = crm.conversation(&chat).await;
    let zoe_contact = crm.contact(zoe().id).await;
    let wrong =
        ConversationCounts { message_count: 9, unread_count: 7, last_message_at: Some(at(1)), last_message_preview: Some("x".into()) };
    crm.store
        .update_conversation(crm.owner, conv.id, &ConversationChange { recount: Some(wrong), ..Default::default() }, at(9))
        .await
        .unwrap();
    let wrong = ContactCounts { total_messages: 1, last_contacted_at: Some(at(1)) };
    crm.store
        .update_contact(crm.owner, zoe_contact.id, &ContactChange { recount: Some(wrong), ..Default::default() }, at(9))
        .await
        .unwrap();

    let found = crm.service.check(false).await.unwrap();
    let fields: Vec<(&str, String, &str)> = found.differences.iter().map(|d| (d.entity, d.id.clone(), d.field)).collect();
    let (c, k) = (conv.id.to_string(), zoe_contact.id.to_string());
    assert_eq!(
        fields,
        [
            ("conversation", c.clone(), "messageCount"),
            ("conversation", c.clone(), "unreadCount"),
            ("conversation", c.clone(), "lastMessageAt"),
            ("conversation", c, "lastMessagePreview"),
            ("contact", k.clone(), "totalMessages"),
            ("contact", k, "lastContactedAt"),
        ]
    );
    assert_eq!((found.differences[0].stored.as_str(), found.differences[0].recounted.as_str()), ("9", "4"));
    assert_eq!(crm.conversation(&chat).await.message_count, 9, "a check without repair writes nothing");

    let repaired = crm.service.check(true).await.unwrap();
    assert_eq!(repaired.differences.len(), 6);
    let after = crm.conversation(&chat).await;
    assert_eq!(
        (after.message_count, after.unread_count, after.last_message_at, after.last_message_preview.as_deref()),
        (conv.message_count, conv.unread_count, conv.last_message_at, conv.last_message_preview.as_deref())
    );
    let contact = crm.contact(zoe().id).await;
    assert_eq!((contact.total_messages, contact.last_contacted_at), (zoe_contact.total_messages, zoe_contact.last_contacted_at));
    assert_eq!((contact.total_messages, contact.last_contacted_at), (5, at(8)), "the private chat's four and the group message");
    assert_eq!(crm.service.check(false).await.unwrap().differences, []);
}
