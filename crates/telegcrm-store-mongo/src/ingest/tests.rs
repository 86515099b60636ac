//! The conflict path of the write-back, made deterministic: another writer changes a record
//! between a batch's reads and its holds (on FerretDB every writer holds the store's write lock,
//! so the race cannot be produced by running writers at once there).

#![allow(clippy::unwrap_used)]

use bson::{Document, doc};
use telegcrm_domain::event::{InboundEvent, IngestBatch, PreparedEvent};
use telegcrm_domain::ingest::apply_batch;
use telegcrm_domain::model::ConversationChange;
use telegcrm_domain::page::PageRequest;
use telegcrm_domain::ports::{ContactStore, ConversationFilter, ConversationStore, IngestStore};
use telegcrm_domain::{AvatarId, Conversation};
use telegcrm_testkit::fixtures::{self, at, customer, incoming, msg, private_chat, zoe};

use super::journal::Held;
use crate::MongoStore;

/// A store on a fresh database, or `None` (after saying so) without `MONGODB_URI`; under
/// `CI=true` a missing server fails.
async fn fresh_store() -> Option<MongoStore> {
    let Some(uri) = std::env::var("MONGODB_URI").ok().filter(|u| !u.trim().is_empty()) else {
        assert_ne!(std::env::var("CI").ok().as_deref(), Some("true"), "CI=true needs MONGODB_URI");
        eprintln!("skipping: MONGODB_URI is not set");
        return None;
    };
    let database = format!("telegcrm_test_{}", uuid::Uuid::new_v4().simple());
    Some(MongoStore::connect(&uri, &database).await.unwrap())
}

fn batch(events: Vec<InboundEvent>, minute: i64) -> IngestBatch {
    IngestBatch {
        received_at: at(minute),
        events: events.into_iter().map(|event| PreparedEvent { event, detected_priority: None }).collect(),
        state: vec![("offset".into(), minute.to_string())],
    }
}

async fn conversations(store: &MongoStore, owner: AvatarId) -> Vec<Conversation> {
    let page = PageRequest::first(100).unwrap();
    store.list_conversations(owner, &ConversationFilter::default(), &page).await.unwrap().items
}

/// Reads, applies and writes the journal of `b`, stopping before the holds.
async fn planned(store: &MongoStore, b: &IngestBatch) -> super::journal::Journal {
    let b = super::at_store_precision(b);
    let mut snap = store.snapshot(&b).await.unwrap();
    apply_batch(&mut snap, &b, b.received_at).unwrap();
    let (journal, _) = snap.into_writes().unwrap();
    store.write_journal(&journal).await.unwrap();
    journal
}

async fn assert_nothing_held(store: &MongoStore) {
    let db = store.database();
    assert_eq!(db.collection::<Document>("state").count_documents(doc! { "kind": "journal" }).await.unwrap(), 0);
    for c in ["conversations", "contacts"] {
        assert_eq!(db.collection::<Document>(c).count_documents(doc! { "txn": { "$exists": true } }).await.unwrap(), 0, "{c}");
    }
}

#[tokio::test]
async fn a_hand_edit_between_the_reads_and_the_holds_undoes_the_batch_which_then_runs_again() {
    let Some(store) = fresh_store().await else { return };
    let owner = fixtures::owner();
    let (z, n) = (private_chat(owner, &zoe()), private_chat(owner, &customer(3)));
    store.ingest(&batch(vec![msg(incoming(&z, 1, "Hallo", at(1)))], 2)).await.unwrap();
    let second = batch(vec![msg(incoming(&z, 2, "Noch da?", at(3))), msg(incoming(&n, 1, "Neu", at(4)))], 5);

    let mut journal = planned(&store, &second).await;
    let zoe_conv = conversations(&store, owner).await[0].id;
    let change = ConversationChange { summary: Some(Some("VIP".into())), ..Default::default() };
    store.update_conversation(owner, zoe_conv, &change, at(4)).await.unwrap().unwrap();
    assert!(matches!(store.hold_and_commit(&mut journal, None).await.unwrap(), Some(Held::Conflict)));
    assert_nothing_held(&store).await;
    let after_undo = conversations(&store, owner).await;
    assert_eq!(after_undo.len(), 1, "the conversation the batch was creating is removed again");
    assert_eq!((after_undo[0].message_count, after_undo[0].summary.as_deref()), (1, Some("VIP")));

    let report = store.ingest(&second).await.unwrap();
    assert_eq!(report.messages_stored, 2);
    let all = conversations(&store, owner).await;
    let zoe_now = all.iter().find(|c| c.id == zoe_conv).unwrap();
    assert_eq!((zoe_now.message_count, zoe_now.unread_count, zoe_now.summary.as_deref()), (2, 2, Some("VIP")), "neither is lost");
    assert_eq!(all.len(), 2);
    assert_nothing_held(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn a_chat_another_writer_opens_between_the_reads_and_the_holds_is_not_opened_twice() {
    let Some(store) = fresh_store().await else { return };
    let owner = fixtures::owner();
    let n = private_chat(owner, &customer(5));
    let mine = batch(vec![msg(incoming(&n, 1, "Eins", at(1))), msg(incoming(&n, 2, "Zwei", at(2)))], 3);
    let theirs = batch(vec![msg(incoming(&n, 3, "Drei", at(3)))], 4);

    let mut journal = planned(&store, &mine).await;
    store.ingest(&theirs).await.unwrap();
    assert!(matches!(store.hold_and_commit(&mut journal, None).await.unwrap(), Some(Held::Conflict)));
    assert_nothing_held(&store).await;

    store.ingest(&mine).await.unwrap();
    let all = conversations(&store, owner).await;
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].message_count, all[0].unread_count), (3, 3));
    let page = PageRequest::first(10).unwrap();
    let contacts = store.list_contacts(owner, &Default::default(), &page).await.unwrap().items;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].total_messages, 3);
    assert_nothing_held(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn records_written_before_revisions_existed_are_edited_and_ingested_into() {
    let Some(store) = fresh_store().await else { return };
    let owner = fixtures::owner();
    let z = private_chat(owner, &zoe());
    let contact = telegcrm_domain::Contact::from_user(owner, &zoe(), at(0));
    let conv = Conversation::open(&z.key, z.chat_type, z.title.clone(), Some(&contact), at(0));
    // As an earlier build stored them: no `rev`.
    store.contacts().insert_one(crate::codec::contact_doc(&contact)).await.unwrap();
    store.conversations().insert_one(crate::codec::conversation_doc(&conv).unwrap()).await.unwrap();

    let change = ConversationChange { summary: Some(Some("alt".into())), ..Default::default() };
    assert!(store.update_conversation(owner, conv.id, &change, at(1)).await.unwrap().is_some());
    let note = telegcrm_domain::model::ContactChange { notes: Some(Some("alt".into())), ..Default::default() };
    assert!(store.update_contact(owner, contact.id, &note, at(1)).await.unwrap().is_some());
    store.ingest(&batch(vec![msg(incoming(&z, 1, "Hallo", at(2)))], 3)).await.unwrap();

    let stored = store.get_conversation(owner, conv.id).await.unwrap().unwrap();
    assert_eq!((stored.message_count, stored.summary.as_deref()), (1, Some("alt")));
    let c = store.get_contact(owner, contact.id).await.unwrap().unwrap();
    assert_eq!((c.total_messages, c.notes.as_deref()), (1, Some("alt")));
    let revs = |d: Option<Document>| d.unwrap().get_i64("rev").unwrap();
    assert_eq!(revs(store.conversations().find_one(doc! {}).await.unwrap()), 2);
    assert_eq!(revs(store.contacts().find_one(doc! {}).await.unwrap()), 2);
    store.database().drop().await.unwrap();
}
