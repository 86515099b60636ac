//! Ingest on MongoDB: concurrency between instances, replays, big batches, and agreement of the
//! snapshot-and-journal write-back with the domain's transactional stores (the memory store).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use bson::doc;
use telegcrm_domain::event::{InboundEvent, IngestBatch, IngestReport};
use telegcrm_domain::model::ConversationChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{ConversationFilter, IngestStore, MessageStore, Store};
use telegcrm_domain::priority::PriorityRules;
use telegcrm_domain::{AvatarId, ChatKey, Conversation, ConversationStatus, Message};
use telegcrm_store_memory::MemoryStore;
use telegcrm_store_mongo::MongoStore;
use telegcrm_testkit::fixtures::{self, at, customer, deletion, edit, group_chat, incoming, msg, outgoing, private_chat};

fn batch(events: Vec<InboundEvent>, minute: i64) -> IngestBatch {
    IngestBatch::prepare(at(minute), events, Vec::new(), &PriorityRules::default())
}

async fn second_instance(store: &MongoStore) -> MongoStore {
    let uri = common::mongo_uri().unwrap();
    MongoStore::connect(&uri, store.database().name()).await.unwrap()
}

async fn all_conversations(store: &dyn Store, owner: AvatarId) -> Vec<Conversation> {
    let page = PageRequest::first(200).unwrap();
    store.list_conversations(owner, &ConversationFilter::default(), &page).await.unwrap().items
}

async fn all_messages(store: &dyn Store, owner: AvatarId, conv: &Conversation) -> Vec<Message> {
    let page = PageRequest::first(200).unwrap();
    store.list_messages(owner, conv.id, &page).await.unwrap().items
}

/// `count` incoming messages, ids `first..first+count`, spread over five customers' chats.
fn traffic(owner: AvatarId, first: i64, count: i64) -> Vec<InboundEvent> {
    (first..first + count)
        .map(|i| {
            let chat = private_chat(owner, &customer(i % 5));
            msg(incoming(&chat, i, &format!("Nachricht {i} über die Lieferung"), at(i)))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_ingesting_overlapping_batches_store_each_record_once_with_exact_counters() {
    let Some(a) = common::fresh_store().await else { return };
    let b = second_instance(&a).await;
    let owner = fixtures::owner();
    // A takes messages 1..=60 in batches of 7; B takes 31..=90 in batches of 11, reversed.
    let a_batches: Vec<IngestBatch> = traffic(owner, 1, 60).chunks(7).map(|c| batch(c.to_vec(), 100)).collect();
    let b_batches: Vec<IngestBatch> = traffic(owner, 31, 60).chunks(11).rev().map(|c| batch(c.to_vec(), 100)).collect();
    let run = |store: MongoStore, batches: Vec<IngestBatch>| {
        tokio::spawn(async move {
            let mut total = IngestReport::default();
            for b in &batches {
                total.add(&store.ingest(b).await.unwrap());
            }
            total
        })
    };
    let (ra, rb) = tokio::join!(run(a.clone(), a_batches), run(b.clone(), b_batches));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.messages_stored + rb.messages_stored, 90, "each message is stored by exactly one instance");
    assert_eq!(ra.duplicates + rb.duplicates, 30, "the overlap is seen as duplicates");

    let db = a.database();
    assert_eq!(db.collection::<bson::Document>("messages").count_documents(doc! {}).await.unwrap(), 90);
    assert_eq!(db.collection::<bson::Document>("conversations").count_documents(doc! {}).await.unwrap(), 5);
    assert_eq!(db.collection::<bson::Document>("contacts").count_documents(doc! {}).await.unwrap(), 5);
    let conversations = all_conversations(&a, owner).await;
    assert_eq!(conversations.len(), 5);
    for c in &conversations {
        let messages = all_messages(&a, owner, c).await;
        assert_eq!(messages.len(), 18);
        assert_eq!(c.message_count, 18, "exact message count for chat {}", c.telegram_chat_id);
        assert_eq!(c.unread_count, 18, "exact unread count for chat {}", c.telegram_chat_id);
        assert_eq!(c.last_message_at, messages[0].sent_at, "the newest message sets lastMessageAt");
        assert_eq!(c.last_message_preview.as_deref(), Some(messages[0].content.as_str()));
        assert!(c.contact_id.is_some());
    }
    let contacts = db.collection::<bson::Document>("contacts").find(doc! {}).await.unwrap();
    use futures::TryStreamExt;
    let contacts: Vec<bson::Document> = contacts.try_collect().await.unwrap();
    for c in contacts {
        assert_eq!(c.get_i64("totalMessages").unwrap(), 18, "exact totalMessages for {c}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_replayed_by_four_writers_at_once_is_stored_once() {
    let Some(a) = common::fresh_store().await else { return };
    let b = second_instance(&a).await;
    let owner = fixtures::owner();
    let the_batch = Arc::new(batch(traffic(owner, 1, 25), 50));
    let mut tasks = Vec::new();
    for store in [a.clone(), b.clone(), a.clone(), b.clone()] {
        let the_batch = the_batch.clone();
        tasks.push(tokio::spawn(async move { store.ingest(&the_batch).await.unwrap() }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += t.await.unwrap().messages_stored;
    }
    assert_eq!(stored, 25);
    let conversations = all_conversations(&a, owner).await;
    assert_eq!(conversations.len(), 5);
    assert!(conversations.iter().all(|c| c.message_count == 5 && c.unread_count == 5), "{conversations:#?}");
}

#[tokio::test]
async fn replaying_a_batch_reports_duplicates_and_changes_nothing() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let b = batch(traffic(owner, 1, 10), 20);
    let first = store.ingest(&b).await.unwrap();
    let before = all_conversations(&store, owner).await;
    let second = store.ingest(&b).await.unwrap();
    assert_eq!(first.messages_stored, 10);
    assert_eq!(second.messages_stored, 0);
    assert_eq!(second.duplicates, 10);
    assert_eq!(all_conversations(&store, owner).await, before);
}

#[tokio::test]
async fn a_batch_of_five_hundred_messages_is_stored_with_exact_counts() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let report = store.ingest(&batch(traffic(owner, 1, 500), 600)).await.unwrap();
    assert_eq!(report.messages_stored, 500);
    let conversations = all_conversations(&store, owner).await;
    assert_eq!(conversations.iter().map(|c| c.message_count).sum::<u64>(), 500);
    assert!(conversations.iter().all(|c| c.unread_count == 100));
}

/// The same script of batches and hand changes on both stores.
async fn run_script(store: Arc<dyn Store>, owner: AvatarId) {
    let zoe = private_chat(owner, &fixtures::zoe());
    let alexey = private_chat(owner, &fixtures::alexey());
    let group = group_chat(owner, -1_001_234_567_890, "Projekt Nordlicht");
    let m1 = incoming(&zoe, 1, "Guten Morgen!", at(0));
    let m2 = incoming(&zoe, 2, "Is this urgent? The invoice is wrong", at(5));
    let m3 = outgoing(&zoe, 3, "Looking at it", at(3));
    let m5 = incoming(&zoe, 5, "important: call me", at(10));
    let g1 = fixtures::from(incoming(&group, 10, "Привет всем", at(1)), &fixtures::alexey());
    let g2 = fixtures::from(incoming(&group, 11, "Hola", at(2)), &fixtures::mariana());
    store.ingest(&batch(vec![msg(m1.clone()), msg(m2.clone()), msg(m3), msg(g1), msg(g2.clone())], 6)).await.unwrap();

    let zoe_conv = all_conversations(store.as_ref(), owner).await.into_iter().find(|c| c.telegram_chat_id == zoe.key.chat_id).unwrap();
    let read = ConversationChange { read_at: Some(at(6)), ..Default::default() };
    store.update_conversation(owner, zoe_conv.id, &read, at(6)).await.unwrap();
    let m4 = incoming(&zoe, 4, "late but older", at(4));
    store.ingest(&batch(vec![msg(m4), msg(m5.clone()), msg(incoming(&alexey, 20, "ASAP пожалуйста", at(7)))], 11)).await.unwrap();

    let m9 = incoming(&zoe, 9, "never seen before", at(9));
    let events = vec![
        edit(&m5, "very important: call me today", at(11)),
        deletion(&zoe, &[1, 77], at(12)),
        edit(&m9, "never seen, edited", at(20)),
        msg(m5.clone()),
        msg(outgoing(&zoe, 6, "Calling you now", at(15))),
        edit(&g2, "Hola a todos", at(13)),
        edit(&g2, "Hola a todos", at(13)),
    ];
    store.ingest(&batch(events, 21)).await.unwrap();

    let archive = ConversationChange { status: Some(ConversationStatus::Archived), ..Default::default() };
    store.update_conversation(owner, zoe_conv.id, &archive, at(22)).await.unwrap();
    let pin = ConversationChange { priority: Some(telegcrm_domain::Priority::Low), ..Default::default() };
    store.update_conversation(owner, zoe_conv.id, &pin, at(22)).await.unwrap();
    let events = vec![msg(incoming(&zoe, 7, "EMERGENCY!", at(16))), msg(m1), msg(incoming(&alexey, 21, "ещё одно", at(6)))];
    store.ingest(&batch(events, 23)).await.unwrap();
}

/// What must agree between stores (ids differ).
fn comparable(c: &Conversation) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {} {:?} {} {} {:?} {:?} {:?} {:?} {}",
        c.chat_type,
        c.title,
        c.contact_name,
        c.contact_username,
        c.contact_id.is_some(),
        c.priority,
        c.priority_manual,
        c.unread_count,
        c.status,
        c.last_message_at,
        c.last_message_preview,
        c.last_read_at,
        c.message_count
    ) + &format!(" {:?} {:?}", c.created_at, c.updated_at)
}

fn comparable_message(m: &Message) -> String {
    format!(
        "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
        m.telegram_message_id,
        m.direction,
        m.from_telegram_id,
        m.from_name,
        m.content,
        m.sent_at,
        m.edited_at,
        m.edits,
        m.deleted_at,
        m.is_read
    )
}

#[tokio::test]
async fn snapshot_ingest_agrees_with_the_domain_rules_of_the_memory_store() {
    let Some(mongo) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let mongo: Arc<dyn Store> = Arc::new(mongo);
    run_script(memory.clone(), owner).await;
    run_script(mongo.clone(), owner).await;

    let mut expected = all_conversations(memory.as_ref(), owner).await;
    let mut actual = all_conversations(mongo.as_ref(), owner).await;
    expected.sort_by_key(|c| c.telegram_chat_id);
    actual.sort_by_key(|c| c.telegram_chat_id);
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(&expected) {
        assert_eq!(comparable(a), comparable(e), "conversation of chat {}", e.telegram_chat_id);
        let am: Vec<String> = all_messages(mongo.as_ref(), owner, a).await.iter().map(comparable_message).collect();
        let em: Vec<String> = all_messages(memory.as_ref(), owner, e).await.iter().map(comparable_message).collect();
        assert_eq!(am, em, "messages of chat {}", e.telegram_chat_id);
    }
    let page = PageRequest::first(200).unwrap();
    let contacts = |s: Arc<dyn Store>| async move {
        let mut list = s.list_contacts(owner, &Default::default(), &page).await.unwrap().items;
        list.sort_by_key(|c| c.telegram_id);
        list.into_iter()
            .map(|c| {
                format!(
                    "{} {} {:?} {:?} {:?} {} {:?} {:?} {:?}",
                    c.telegram_id,
                    c.first_name,
                    c.last_name,
                    c.username,
                    c.relationship_status,
                    c.total_messages,
                    c.last_contacted_at,
                    c.created_at,
                    c.updated_at
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(contacts(mongo.clone()).await, contacts(memory.clone()).await);
}

#[tokio::test]
async fn a_deletion_and_an_edit_in_the_batch_that_stores_the_message_are_kept() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let chat = private_chat(owner, &fixtures::mariana());
    let m = incoming(&chat, 1, "primera versión", at(0));
    let events = vec![msg(m.clone()), edit(&m, "segunda versión", at(1)), deletion(&chat, &[1], at(2))];
    let report = store.ingest(&batch(events, 3)).await.unwrap();
    assert_eq!((report.messages_stored, report.edits_applied, report.deletions_applied), (1, 1, 1));
    let conv = &all_conversations(&store, owner).await[0];
    let stored = store.find_message(owner, conv.id, 1).await.unwrap().unwrap();
    assert_eq!(stored.content, "segunda versión");
    assert_eq!(stored.edits.len(), 1);
    assert_eq!(stored.deleted_at, Some(at(2)));
    assert_eq!(conv.last_message_preview.as_deref(), Some("segunda versión"));
}

#[tokio::test]
async fn business_and_bot_chats_with_one_id_are_two_conversations_under_concurrency() {
    let Some(a) = common::fresh_store().await else { return };
    let b = second_instance(&a).await;
    let owner = fixtures::owner();
    let zoe = fixtures::zoe();
    let bot_chat = private_chat(owner, &zoe);
    let biz_chat = fixtures::business_chat(owner, &zoe, "conn-1");
    let events = vec![msg(incoming(&bot_chat, 1, "via bot", at(0))), msg(incoming(&biz_chat, 1, "via business", at(1)))];
    let (one, two) = (batch(events.clone(), 2), batch(events, 2));
    let (x, y) = tokio::join!(a.ingest(&one), b.ingest(&two));
    assert_eq!(x.unwrap().messages_stored + y.unwrap().messages_stored, 2);
    let conversations = all_conversations(&a, owner).await;
    let keys: HashSet<ChatKey> = conversations.iter().map(Conversation::key).collect();
    assert_eq!(keys.len(), 2);
    assert!(conversations.iter().all(|c| c.message_count == 1));
}
