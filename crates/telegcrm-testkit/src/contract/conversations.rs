//! Conversations: identity, tags, edits by hand, order and every filter of the listing.

use std::sync::Arc;
use telegcrm_domain::Access;

use serde_json::json;
use telegcrm_domain::event::{ChatInfo, TelegramUser};
use telegcrm_domain::model::CustomFields;
use telegcrm_domain::ports::{ConversationFilter, Store};
use telegcrm_domain::service::ConversationUpdate;
use telegcrm_domain::{ChatType, ConversationId, ConversationStatus, Priority, Tag};

use super::Crm;
use crate::fixtures::{
    alexey, at, bot, business_chat, from, group_chat, incoming, mariana, msg, outgoing, private_chat, tag, xiaolong, zoe,
};

/// One incoming message from each person, a minute apart; returns their chats.
async fn chats_with(crm: &Crm, people: &[TelegramUser]) -> Vec<ChatInfo> {
    let chats: Vec<ChatInfo> = people.iter().map(|p| private_chat(crm.owner, p)).collect();
    crm.ingest((1..).zip(&chats).map(|(n, chat)| msg(incoming(chat, 1, "Hallo", at(n))))).await;
    chats
}

async fn id_of(crm: &Crm, chat: &ChatInfo) -> ConversationId {
    crm.conversation(chat).await.id
}

/// The chat ids a filtered listing shows, in list order.
async fn listed(crm: &Crm, filter: ConversationFilter) -> Vec<i64> {
    crm.conversations(&filter).await.iter().map(|c| c.telegram_chat_id).collect()
}

/// A business chat and the bot's chat with the same chat id are two conversations, and each
/// stores its own message 1.
pub async fn business_chat_is_distinct_from_bot_chat_with_the_same_id(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let bot_chat = private_chat(crm.owner, &zoe());
    let personal = business_chat(crm.owner, &zoe(), "bc-Zx81kQ");
    let other_connection = business_chat(crm.owner, &zoe(), "bc-Qq02Lm");
    let report = crm
        .ingest([
            msg(incoming(&bot_chat, 1, "/start", at(1))),
            msg(incoming(&personal, 1, "Hallo Inès", at(2))),
            msg(incoming(&other_connection, 1, "Hallo nochmal", at(3))),
        ])
        .await;
    assert_eq!((report.messages_stored, report.duplicates), (3, 0));
    let a = crm.conversation(&bot_chat).await;
    let b = crm.conversation(&personal).await;
    let c = crm.conversation(&other_connection).await;
    assert!(a.id != b.id && b.id != c.id && a.id != c.id);
    assert_eq!((a.business_connection_id, b.business_connection_id.as_deref()), (None, Some("bc-Zx81kQ")));
    assert_eq!(crm.message(&bot_chat, 1).await.content, "/start");
    assert_eq!(crm.message(&personal, 1).await.content, "Hallo Inès");
    assert_eq!(crm.conversations(&ConversationFilter::default()).await.len(), 3);
}

/// A group conversation has no single contact; each human sender becomes one, bots do not.
pub async fn group_chat_has_no_contact_but_its_senders_become_contacts(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let group = group_chat(crm.owner, -1_001_987_654_321, "Ünal Logistik ⇄ Telegcrm");
    crm.ingest([
        msg(from(incoming(&group, 10, "Guten Tag zusammen", at(1)), &zoe())),
        msg(from(incoming(&group, 11, "Добрый день", at(2)), &alexey())),
        msg(from(incoming(&group, 12, "Reminder: standup at 10:00", at(3)), &bot())),
    ])
    .await;
    let conv = crm.conversation(&group).await;
    assert_eq!((conv.chat_type, conv.contact_id, conv.title.as_deref()), (ChatType::Supergroup, None, Some("Ünal Logistik ⇄ Telegcrm")));
    assert_eq!((conv.message_count, conv.unread_count), (3, 3));
    let mut contacts: Vec<i64> = crm.contacts(&Default::default()).await.iter().map(|c| c.telegram_id).collect();
    contacts.sort();
    assert_eq!(contacts, [zoe().id, alexey().id]);
    assert_eq!(crm.message(&group, 11).await.from_name.as_deref(), Some("Алексей Смирнов"));
}

/// Tags are trimmed and unique ignoring case; the first spelling stays; removal ignores case.
pub async fn tags_are_trimmed_and_unique_ignoring_case(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = &chats_with(&crm, &[zoe()]).await[0];
    let id = id_of(&crm, chat).await;
    let s = &crm.service;
    s.add_tag(&crm.me(), id, tag("  VIP ")).await.unwrap();
    s.add_tag(&crm.me(), id, tag("vip")).await.unwrap();
    let c = s.add_tag(&crm.me(), id, tag("Ünïcode")).await.unwrap();
    assert_eq!(c.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["VIP", "Ünïcode"]);
    s.remove_tag(&crm.me(), id, tag("ÜNÏCODE")).await.unwrap();
    s.remove_tag(&crm.me(), id, tag("not-there")).await.unwrap();
    let stored = crm.conversation(chat).await;
    assert_eq!(stored.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["VIP"]);
}

/// PATCH sets only what it names: summary (trimmed, clearable), custom fields, tags, status.
pub async fn patch_sets_summary_custom_fields_tags_and_status(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = &chats_with(&crm, &[zoe()]).await[0];
    let id = id_of(&crm, chat).await;
    let fields: CustomFields = serde_json::from_value(json!({"orderId": "A-1042", "budgetEur": 12000, "regions": ["DE", "AT"]})).unwrap();
    let update = ConversationUpdate {
        summary: Some(Some("  Wants 15 units, delivery in April  ".into())),
        custom_fields: Some(fields.clone()),
        tags: Some(vec![tag(" Lead "), tag("LEAD"), tag("Q2")]),
        status: Some(ConversationStatus::Archived),
        priority: None,
    };
    let patched = crm.service.update_conversation(&crm.me(), id, update).await.unwrap();
    assert_eq!(crm.conversation(chat).await, patched);
    assert_eq!(patched.summary.as_deref(), Some("Wants 15 units, delivery in April"));
    assert_eq!(patched.custom_fields, fields);
    assert_eq!(patched.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["Lead", "Q2"]);
    assert_eq!((patched.status, patched.priority, patched.priority_manual), (ConversationStatus::Archived, Priority::Medium, false));
    let cleared =
        crm.service.update_conversation(&crm.me(), id, ConversationUpdate { summary: Some(None), ..Default::default() }).await.unwrap();
    assert_eq!(cleared.summary, None);
    assert_eq!((cleared.custom_fields, cleared.tags.len(), cleared.status), (fields, 2, ConversationStatus::Archived));
}

/// Conversations list newest `lastMessageAt` first; a new message moves one to the top.
pub async fn conversations_list_newest_activity_first(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let people = [zoe(), alexey(), mariana()];
    let chats = chats_with(&crm, &people).await;
    assert_eq!(listed(&crm, ConversationFilter::default()).await, [mariana().id, alexey().id, zoe().id]);
    crm.ingest([msg(incoming(&chats[0], 2, "Wieder da", at(30)))]).await;
    assert_eq!(listed(&crm, ConversationFilter::default()).await, [zoe().id, mariana().id, alexey().id]);
}

/// `status` shows only conversations in that status.
pub async fn conversations_filter_by_status(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chats = chats_with(&crm, &[zoe(), alexey(), mariana()]).await;
    crm.service.set_status(&crm.me(), id_of(&crm, &chats[0]).await, ConversationStatus::Archived).await.unwrap();
    crm.ingest([msg(outgoing(&chats[1], 2, "Ответим завтра", at(10)))]).await;
    let status = |s| ConversationFilter { status: Some(s), ..Default::default() };
    assert_eq!(listed(&crm, status(ConversationStatus::Archived)).await, [zoe().id]);
    assert_eq!(listed(&crm, status(ConversationStatus::Waiting)).await, [alexey().id]);
    assert_eq!(listed(&crm, status(ConversationStatus::Active)).await, [mariana().id]);
}

/// `priority` shows only conversations of that priority, detected or set by hand.
pub async fn conversations_filter_by_priority(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chats = chats_with(&crm, &[zoe(), alexey(), mariana(), xiaolong()]).await;
    crm.ingest([msg(incoming(&chats[0], 2, "urgent please", at(10)))]).await;
    crm.service.set_priority(&crm.me(), id_of(&crm, &chats[1]).await, Priority::Low).await.unwrap();
    crm.service.set_priority(&crm.me(), id_of(&crm, &chats[2]).await, Priority::Urgent).await.unwrap();
    let priority = |p| ConversationFilter { priority: Some(p), ..Default::default() };
    assert_eq!(listed(&crm, priority(Priority::Urgent)).await, [zoe().id, mariana().id]);
    assert_eq!(listed(&crm, priority(Priority::Low)).await, [alexey().id]);
    assert_eq!(listed(&crm, priority(Priority::Medium)).await, [xiaolong().id]);
    assert!(listed(&crm, priority(Priority::High)).await.is_empty());
}

/// `tag` matches ignoring case.
pub async fn conversations_filter_by_tag_ignoring_case(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chats = chats_with(&crm, &[zoe(), alexey(), mariana()]).await;
    crm.service.add_tag(&crm.me(), id_of(&crm, &chats[0]).await, tag("Wholesale")).await.unwrap();
    crm.service.add_tag(&crm.me(), id_of(&crm, &chats[2]).await, tag("wholesale")).await.unwrap();
    crm.service.add_tag(&crm.me(), id_of(&crm, &chats[1]).await, tag("Retail")).await.unwrap();
    assert_eq!(listed(&crm, ConversationFilter { tag: Some(tag("WHOLESALE")), ..Default::default() }).await, [mariana().id, zoe().id]);
    assert!(listed(&crm, ConversationFilter { tag: Some(tag("whole")), ..Default::default() }).await.is_empty(), "whole tags only");
}

/// `unread` shows only conversations with unread messages.
pub async fn conversations_filter_unread_only(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chats = chats_with(&crm, &[zoe(), alexey(), mariana()]).await;
    crm.clock.set(at(10));
    crm.service.mark_read(&crm.me(), id_of(&crm, &chats[0]).await).await.unwrap();
    crm.ingest([msg(outgoing(&chats[1], 2, "Спасибо!", at(11)))]).await;
    assert_eq!(listed(&crm, ConversationFilter { unread_only: true, ..Default::default() }).await, [mariana().id]);
    assert_eq!(listed(&crm, ConversationFilter::default()).await.len(), 3);
}

/// `contactId` shows only that contact's conversations, and combines with other filters.
pub async fn conversations_filter_by_contact(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chats = chats_with(&crm, &[zoe(), alexey()]).await;
    let personal = business_chat(crm.owner, &zoe(), "bc-Zx81kQ");
    crm.ingest([msg(incoming(&personal, 1, "Privat: Hallo", at(5)))]).await;
    let zoe_contact = crm.contact(zoe().id).await.id;
    let by_contact = || ConversationFilter { contact_id: Some(zoe_contact), ..Default::default() };
    let found = crm.conversations(&by_contact()).await;
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|c| c.contact_id == Some(zoe_contact)));
    crm.service.set_status(&crm.me(), id_of(&crm, &chats[0]).await, ConversationStatus::Archived).await.unwrap();
    let archived = crm.conversations(&ConversationFilter { status: Some(ConversationStatus::Archived), ..by_contact() }).await;
    assert_eq!(archived.iter().map(|c| c.business_connection_id.clone()).collect::<Vec<_>>(), [None]);
}

/// Adds `tags` to conversation `id` all at once; the tags whose add succeeded.
async fn add_concurrently(crm: &Crm, id: ConversationId, tags: Vec<Tag>) -> Vec<Tag> {
    let tasks: Vec<_> = tags
        .into_iter()
        .map(|t| {
            let (service, owner) = (crm.service.clone(), crm.owner);
            tokio::spawn(async move { service.add_tag(&Access::owner(owner), id, t.clone()).await.ok().map(|_| t) })
        })
        .collect();
    let mut added = Vec::new();
    for t in tasks {
        added.extend(t.await.unwrap());
    }
    added
}

/// Concurrent tag adds lose nothing below the cap and never pass it: of six adds to a conversation
/// two short of the cap, exactly two succeed and the others are refused.
pub async fn concurrent_tag_adds_lose_nothing_and_stop_at_the_cap(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = &chats_with(&crm, &[zoe(), mariana()]).await;
    let (free, full) = (id_of(&crm, &chat[0]).await, id_of(&crm, &chat[1]).await);

    let wanted: Vec<Tag> = (0..8).map(|i| tag(&format!("lead-{i}"))).collect();
    let added = add_concurrently(&crm, free, wanted.clone()).await;
    assert_eq!(added.len(), wanted.len(), "every add below the cap succeeds");
    let stored = crm.conversation(&chat[0]).await.tags;
    assert!(wanted.iter().all(|t| stored.contains(t)) && stored.len() == wanted.len(), "no add is lost: {stored:?}");

    let cap = telegcrm_domain::tag::MAX_TAGS;
    let seeded: Vec<Tag> = (0..cap - 2).map(|i| tag(&format!("seed-{i}"))).collect();
    let update = ConversationUpdate { tags: Some(seeded.clone()), ..Default::default() };
    crm.service.update_conversation(&crm.me(), full, update).await.unwrap();
    let extra: Vec<Tag> = (0..6).map(|i| tag(&format!("extra-{i}"))).collect();
    let added = add_concurrently(&crm, full, extra).await;
    let stored = crm.conversation(&chat[1]).await.tags;
    assert_eq!(stored.len(), cap, "the cap holds under concurrent adds: {stored:?}");
    assert!(seeded.iter().all(|t| stored.contains(t)), "the tags below the cap stay");
    assert_eq!(added.len(), 2, "exactly the adds that fit succeed: {added:?}");
    assert!(added.iter().all(|t| stored.contains(t)), "each add that succeeded is stored");
}
