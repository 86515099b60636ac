//! Crash consistency of Mongo ingest: a batch stopped at every step of its journal (as if the
//! process died there), then redelivered, ends in exactly the state of a clean run: every record
//! and every counter. A hand edit that meets a stopped batch's held records finishes or undoes
//! the batch first and loses nothing.

#![allow(clippy::unwrap_used)]

mod common;

use bson::{Document, doc};
use futures::TryStreamExt;
use serde_json::Value;
use telegcrm_domain::event::{InboundEvent, IngestBatch};
use telegcrm_domain::model::ConversationChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{ConversationFilter, ConversationStore, IngestStore, MessageStore, StateStore};
use telegcrm_domain::priority::PriorityRules;
use telegcrm_domain::{AvatarId, ConversationId};
use telegcrm_store_mongo::{CrashPoint, MongoStore};
use telegcrm_testkit::fixtures::{
    self, alexey, at, business_connection, customer, deletion, edit, from, group_chat, incoming, msg, outgoing, private_chat, zoe,
};

const POINTS: [CrashPoint; 7] = [
    CrashPoint::AfterJournal,
    CrashPoint::AfterHolds,
    CrashPoint::AfterCommit,
    CrashPoint::AfterMessages,
    CrashPoint::AfterContacts,
    CrashPoint::AfterRecords,
    CrashPoint::AfterState,
];

fn batch(events: Vec<InboundEvent>, minute: i64, state: &[(&str, &str)]) -> IngestBatch {
    let state = state.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    IngestBatch::prepare(at(minute), events, state, &PriorityRules::default())
}

/// A first batch (three chats), and a second that touches all of it: new messages in known and
/// new chats, an edit, a deletion, an answer, a group sender, a business connection and state.
fn batches(owner: AvatarId) -> (IngestBatch, IngestBatch) {
    let (z, a, g) = (private_chat(owner, &zoe()), private_chat(owner, &alexey()), group_chat(owner, -100_777, "Einkauf"));
    let z1 = incoming(&z, 1, "Guten Tag, ist die Lieferung unterwegs?", at(1));
    let first = batch(
        vec![
            msg(z1.clone()),
            msg(incoming(&z, 2, "Und die Rechnung?", at(2))),
            msg(incoming(&a, 1, "Привет", at(3))),
            msg(from(incoming(&g, 10, "Wer bestellt?", at(4)), &customer(7))),
        ],
        5,
        &[("offset", "4")],
    );
    let n = private_chat(owner, &customer(3));
    let second = batch(
        vec![
            msg(incoming(&z, 3, "Bitte dringend antworten", at(10))),
            edit(&z1, "Guten Tag, ist die Lieferung schon unterwegs?", at(11)),
            msg(outgoing(&a, 2, "Добрый день!", at(12))),
            deletion(&a, &[1], at(13)),
            msg(from(incoming(&g, 11, "Ich", at(14)), &customer(8))),
            msg(incoming(&n, 1, "Neu hier", at(15))),
            msg(incoming(&n, 1, "Neu hier", at(15))),
            business_connection(owner, "bc-1", at(16)),
        ],
        20,
        &[("offset", "12")],
    );
    (first, second)
}

/// A record as JSON without the ids a run makes up.
fn anonymous<T: serde::Serialize>(record: &T) -> Value {
    let mut v = serde_json::to_value(record).unwrap();
    if let Value::Object(map) = &mut v {
        for id in ["id", "contactId", "conversationId"] {
            map.remove(id);
        }
    }
    v
}

/// Everything the owner has, without made-up ids, in a stable order.
async fn dump(store: &MongoStore, owner: AvatarId) -> Vec<Value> {
    let page = PageRequest::first(100).unwrap();
    let mut out = Vec::new();
    let mut conversations = store.list_conversations(owner, &ConversationFilter::default(), &page).await.unwrap().items;
    conversations.sort_by_key(|c| c.telegram_chat_id);
    for c in &conversations {
        out.push(anonymous(c));
        let mut messages = store.list_messages(owner, c.id, &page).await.unwrap().items;
        messages.sort_by_key(|m| m.telegram_message_id);
        out.extend(messages.iter().map(anonymous));
    }
    let mut contacts = telegcrm_domain::ports::ContactStore::list_contacts(store, owner, &Default::default(), &page).await.unwrap().items;
    contacts.sort_by_key(|c| c.telegram_id);
    out.extend(contacts.iter().map(anonymous));
    for key in ["offset", "business_connection:bc-1"] {
        out.push(Value::from(store.get_state(key).await.unwrap()));
    }
    out
}

/// Nothing of a journal is left: no journal document, no held record.
async fn assert_settled(store: &MongoStore, case: &str) {
    let db = store.database();
    let journals: Vec<Document> = db.collection("state").find(doc! { "kind": "journal" }).await.unwrap().try_collect().await.unwrap();
    assert!(journals.is_empty(), "{case}: {} journals left", journals.len());
    for collection in ["conversations", "contacts"] {
        let held = db.collection::<Document>(collection).count_documents(doc! { "txn": { "$exists": true } }).await.unwrap();
        assert_eq!(held, 0, "{case}: held records left in {collection}");
    }
}

async fn store_on(database: &str) -> MongoStore {
    MongoStore::connect(&common::mongo_uri().unwrap(), database).await.unwrap()
}

async fn conversation_of(store: &MongoStore, owner: AvatarId, chat_id: i64) -> ConversationId {
    let page = PageRequest::first(100).unwrap();
    let all = store.list_conversations(owner, &ConversationFilter::default(), &page).await.unwrap().items;
    all.iter().find(|c| c.telegram_chat_id == chat_id).unwrap().id
}

#[tokio::test]
async fn a_batch_stopped_at_any_step_then_redelivered_ends_as_a_clean_run() {
    let Some(clean) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let (first, second) = batches(owner);
    clean.ingest(&first).await.unwrap();
    let report = clean.ingest(&second).await.unwrap();
    assert_eq!((report.messages_stored, report.duplicates, report.edits_applied, report.deletions_applied), (4, 1, 1, 1));
    let expected = dump(&clean, owner).await;

    for point in POINTS {
        for restart in [true, false] {
            let database = common::fresh_database();
            let crashed = store_on(&database).await;
            crashed.ingest(&first).await.unwrap();
            crashed.ingest_until_crash(&second, point).await.unwrap();
            // A restarted instance finishes what it finds at open; a running one when it meets it.
            let store = if restart { store_on(&database).await } else { crashed };
            store.ingest(&second).await.unwrap();
            assert_eq!(dump(&store, owner).await, expected, "stopped {point:?}, restart: {restart}");
            assert_settled(&store, &format!("stopped {point:?}, restart: {restart}")).await;
            store.database().drop().await.unwrap();
        }
    }
    clean.database().drop().await.unwrap();
}

#[tokio::test]
async fn a_hand_edit_meeting_a_stopped_batch_finishes_or_undoes_it_and_loses_nothing() {
    let Some(probe) = common::fresh_store().await else { return };
    probe.database().drop().await.unwrap();
    let owner = fixtures::owner();
    let (first, second) = batches(owner);
    let zoe_chat = private_chat(owner, &zoe()).key.chat_id;
    let change = ConversationChange { summary: Some(Some("Rechnung offen".into())), read_at: Some(at(30)), ..Default::default() };

    for point in POINTS {
        // The run it must equal: the edit before the batch when the batch was not committed (it is
        // undone, then redelivered), after it when it was (it is finished first).
        let committed = !matches!(point, CrashPoint::AfterJournal | CrashPoint::AfterHolds);
        let clean = common::fresh_store().await.unwrap();
        clean.ingest(&first).await.unwrap();
        if committed {
            clean.ingest(&second).await.unwrap();
        }
        let id = conversation_of(&clean, owner, zoe_chat).await;
        clean.update_conversation(owner, id, &change, at(30)).await.unwrap().unwrap();
        clean.ingest(&second).await.unwrap();
        let expected = dump(&clean, owner).await;

        let store = common::fresh_store().await.unwrap();
        store.ingest(&first).await.unwrap();
        store.ingest_until_crash(&second, point).await.unwrap();
        let id = conversation_of(&store, owner, zoe_chat).await;
        let edited = store.update_conversation(owner, id, &change, at(30)).await.unwrap().unwrap();
        assert_eq!(edited.summary.as_deref(), Some("Rechnung offen"));
        assert_eq!(edited.unread_count, 0);
        store.ingest(&second).await.unwrap();
        assert_eq!(dump(&store, owner).await, expected, "stopped {point:?}");
        assert_settled(&store, &format!("stopped {point:?}")).await;
        let unread = store.list_messages(owner, id, &PageRequest::first(100).unwrap()).await.unwrap().items;
        assert!(unread.iter().filter(|m| m.sent_at <= at(30)).all(|m| m.is_read), "stopped {point:?}: {unread:#?}");
        for s in [clean, store] {
            s.database().drop().await.unwrap();
        }
    }
}
