//! MongoDB specifics: indexes, the documents as any MongoDB tool sees them, leases across
//! instances, connection errors.

#![allow(clippy::unwrap_used)]

mod common;

use bson::{Bson, Document, doc};
use chrono::Duration;
use futures::TryStreamExt;
use telegcrm_domain::event::{IngestBatch, PreparedEvent};
use telegcrm_domain::ports::{FollowUpStore, IngestStore, StateStore, Store};
use telegcrm_domain::{ConversationId, FollowUp, FollowUpId, FollowUpStatus, Priority, StoreError};
use telegcrm_store_mongo::{MongoStore, OpenOptions, SCHEMA_MARKER_ID, SCHEMA_VERSION};
use telegcrm_testkit::fixtures::{self, at, business_connection, incoming, msg, photo, private_chat};

async fn index_names(store: &MongoStore, collection: &str) -> Vec<String> {
    let mut names = store.database().collection::<Document>(collection).list_index_names().await.unwrap();
    names.sort();
    names
}

async fn one(store: &MongoStore, collection: &str) -> Document {
    store.database().collection::<Document>(collection).find_one(doc! {}).await.unwrap().unwrap()
}

fn is_uuid_string(b: Option<&Bson>) -> bool {
    matches!(b, Some(Bson::String(s)) if uuid::Uuid::parse_str(s).is_ok())
}

fn is_date(b: Option<&Bson>) -> bool {
    matches!(b, Some(Bson::DateTime(_)))
}

async fn ingest_one_photo(store: &MongoStore) -> telegcrm_domain::AvatarId {
    let owner = fixtures::owner();
    let chat = private_chat(owner, &fixtures::zoe());
    let events = vec![msg(photo(&chat, 42, "Die Rechnung, bitte prüfen", at(1)))];
    let batch = IngestBatch {
        received_at: at(2),
        events: events.into_iter().map(|event| PreparedEvent { event, detected_priority: Some(Priority::High) }).collect(),
        state: vec![("telegram:offset".into(), "1001".into())],
    };
    store.ingest(&batch).await.unwrap();
    owner
}

#[tokio::test]
async fn indexes_are_created_idempotently_on_every_connect() {
    let Some(uri) = common::mongo_uri() else { return };
    let name = common::fresh_database();
    let first = MongoStore::connect(&uri, &name).await.unwrap();
    let before = index_names(&first, "messages").await;
    let second = MongoStore::connect(&uri, &name).await.unwrap();
    assert_eq!(index_names(&second, "messages").await, before);
    for expected in ["message_key", "timeline", "search_terms", "search_recent"] {
        assert!(before.iter().any(|n| n == expected), "messages lacks index {expected}: {before:?}");
    }
    for (collection, expected) in [("conversations", "chat_key"), ("contacts", "contact_key"), ("followups", "followups_due")] {
        assert!(index_names(&second, collection).await.iter().any(|n| n == expected), "{collection} lacks {expected}");
    }
}

#[tokio::test]
async fn unique_indexes_refuse_a_second_conversation_for_one_chat() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = ingest_one_photo(&store).await;
    let mut copy = one(&store, "conversations").await;
    copy.insert("_id", uuid::Uuid::now_v7().to_string());
    let err = store.database().collection::<Document>("conversations").insert_one(copy).await.unwrap_err();
    assert!(err.to_string().contains("11000") || err.to_string().to_lowercase().contains("duplicate"), "{err}");
    let _ = owner;
}

#[tokio::test]
async fn conversation_document_uses_the_contract_field_names() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = ingest_one_photo(&store).await;
    let d = one(&store, "conversations").await;
    assert!(is_uuid_string(d.get("_id")));
    assert_eq!(d.get_str("ownerAvatarId").unwrap(), owner.to_string());
    assert_eq!(d.get_i64("telegramChatId").unwrap(), fixtures::zoe().id);
    assert!(d.get("businessConnectionId").is_none_or(|b| *b == Bson::Null));
    assert_eq!(d.get_str("chatType").unwrap(), "private");
    assert!(is_uuid_string(d.get("contactId")));
    assert_eq!(d.get_str("contactName").unwrap(), "Zoë Ünal");
    assert_eq!(d.get_str("contactUsername").unwrap(), "zoe_unal");
    assert_eq!(d.get_str("priority").unwrap(), "high");
    assert!(!d.get_bool("priorityManual").unwrap());
    assert!(d.get_array("tags").map_or(true, Vec::is_empty), "tags empty (FerretDB's upsert drops an empty array)");
    assert_eq!(d.get_str("status").unwrap(), "active");
    assert_eq!(d.get_i64("unreadCount").unwrap(), 1);
    assert_eq!(d.get_i64("messageCount").unwrap(), 1);
    assert_eq!(d.get_datetime("lastMessageAt").unwrap().to_chrono(), at(1));
    assert_eq!(d.get_str("lastMessagePreview").unwrap(), "Die Rechnung, bitte prüfen");
    assert!(d.get("lastReadAt").is_none_or(|b| *b == Bson::Null));
    assert!(d.get("summary").is_none_or(|b| *b == Bson::Null));
    assert!(d.get_document("customFields").map_or(true, |f| f.is_empty()));
    assert!(is_date(d.get("createdAt")) && is_date(d.get("updatedAt")));
    assert_eq!(d.get_datetime("updatedAt").unwrap().to_chrono(), at(2));
}

#[tokio::test]
async fn message_document_uses_the_contract_field_names() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = ingest_one_photo(&store).await;
    let conv = one(&store, "conversations").await;
    let d = one(&store, "messages").await;
    assert!(is_uuid_string(d.get("_id")));
    assert_eq!(d.get_str("ownerAvatarId").unwrap(), owner.to_string());
    assert_eq!(d.get_str("conversationId").unwrap(), conv.get_str("_id").unwrap());
    assert_eq!(d.get_i64("telegramMessageId").unwrap(), 42);
    assert_eq!(d.get_str("direction").unwrap(), "incoming");
    assert_eq!(d.get_i64("fromTelegramId").unwrap(), fixtures::zoe().id);
    assert_eq!(d.get_str("fromName").unwrap(), "Zoë Ünal");
    assert_eq!(d.get_str("content").unwrap(), "Die Rechnung, bitte prüfen");
    assert_eq!(d.get_str("messageType").unwrap(), "photo");
    let media = d.get_document("media").unwrap();
    assert!(media.get_str("fileId").unwrap().starts_with("AgAC"));
    assert!(media.get_str("fileUniqueId").is_ok());
    assert_eq!(media.get_i64("fileSize").unwrap(), 153_244);
    assert_eq!(media.get_i64("width").unwrap(), 1280);
    assert_eq!(media.get_i64("height").unwrap(), 960);
    assert_eq!(d.get("replyToTelegramMessageId"), Some(&Bson::Null));
    assert_eq!(d.get_datetime("sentAt").unwrap().to_chrono(), at(1));
    assert_eq!(d.get("editedAt"), Some(&Bson::Null));
    assert!(d.get_array("edits").unwrap().is_empty());
    assert_eq!(d.get("deletedAt"), Some(&Bson::Null));
    assert!(!d.get_bool("isRead").unwrap());
    let terms: Vec<&str> = d.get_array("terms").unwrap().iter().filter_map(Bson::as_str).collect();
    assert_eq!(terms, ["bitte", "die", "prufen", "rechnung"]);
}

#[tokio::test]
async fn contact_document_uses_the_contract_field_names() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = ingest_one_photo(&store).await;
    let d = one(&store, "contacts").await;
    assert!(is_uuid_string(d.get("_id")));
    assert_eq!(d.get_str("ownerAvatarId").unwrap(), owner.to_string());
    assert_eq!(d.get_i64("telegramId").unwrap(), fixtures::zoe().id);
    assert_eq!(d.get_str("firstName").unwrap(), "Zoë");
    assert_eq!(d.get_str("lastName").unwrap(), "Ünal");
    assert_eq!(d.get_str("username").unwrap(), "zoe_unal");
    assert_eq!(d.get_str("languageCode").unwrap(), "de");
    // Null (MongoDB) or absent (FerretDB's upsert drops null fields of `$setOnInsert`): both read as none.
    for field in ["phoneNumber", "company", "jobTitle", "email", "website", "notes", "category", "linkedOasisAvatarId"] {
        assert!(d.get(field).is_none_or(|b| *b == Bson::Null), "{field}");
    }
    assert_eq!(d.get_str("relationshipStatus").unwrap(), "new");
    assert_eq!(d.get_i64("totalMessages").unwrap(), 1);
    assert_eq!(d.get_datetime("lastContactedAt").unwrap().to_chrono(), at(1));
    assert!(is_date(d.get("createdAt")) && is_date(d.get("updatedAt")));
}

#[tokio::test]
async fn followup_document_uses_the_contract_field_names() {
    let Some(store) = common::fresh_store().await else { return };
    let f = FollowUp {
        id: FollowUpId::new(),
        owner_avatar_id: fixtures::owner(),
        conversation_id: ConversationId::new(),
        title: "Angebot nachfassen".into(),
        description: Some("Preis für 500 Stück".into()),
        due_at: at(60),
        priority: Priority::High,
        status: FollowUpStatus::Pending,
        is_overdue: false,
        completed_at: None,
        snoozed_until: None,
        reminded_at: None,
        created_at: at(0),
        updated_at: at(0),
    };
    store.insert_followup(&f).await.unwrap();
    let d = one(&store, "followups").await;
    assert_eq!(d.get_str("_id").unwrap(), f.id.to_string());
    assert_eq!(d.get_str("ownerAvatarId").unwrap(), f.owner_avatar_id.to_string());
    assert_eq!(d.get_str("conversationId").unwrap(), f.conversation_id.to_string());
    assert_eq!(d.get_str("title").unwrap(), "Angebot nachfassen");
    assert_eq!(d.get_str("description").unwrap(), "Preis für 500 Stück");
    assert_eq!(d.get_datetime("dueAt").unwrap().to_chrono(), at(60));
    assert_eq!(d.get_str("priority").unwrap(), "high");
    assert_eq!(d.get_str("status").unwrap(), "pending");
    assert!(d.get("isOverdue").is_none(), "isOverdue is computed, never stored");
    for field in ["completedAt", "snoozedUntil", "remindedAt"] {
        assert_eq!(d.get(field), Some(&Bson::Null), "{field}");
    }
    assert!(matches!(store.insert_followup(&f).await, Err(StoreError::Conflict(_))), "a second insert of one id conflicts");
}

#[tokio::test]
async fn state_and_business_connections_are_plain_documents() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = ingest_one_photo(&store).await;
    let batch = IngestBatch {
        received_at: at(3),
        events: vec![PreparedEvent { event: business_connection(owner, "biz-77", at(3)), detected_priority: None }],
        state: Vec::new(),
    };
    store.ingest(&batch).await.unwrap();
    let state = store.database().collection::<Document>("state");
    let offset = state.find_one(doc! { "_id": "kv:telegram:offset" }).await.unwrap().unwrap();
    assert_eq!(offset.get_str("value").unwrap(), "1001");
    let conn = state.find_one(doc! { "_id": "kv:business_connection:biz-77" }).await.unwrap().unwrap();
    assert!(conn.get_str("value").unwrap().contains("biz-77"));
    assert_eq!(store.get_state("telegram:offset").await.unwrap().as_deref(), Some("1001"));
}

#[tokio::test]
async fn lease_is_taken_over_when_its_holder_stops_renewing() {
    let Some(first) = common::fresh_store().await else { return };
    let uri = common::mongo_uri().unwrap();
    let second = MongoStore::connect(&uri, first.database().name()).await.unwrap();
    let ttl = Duration::seconds(30);
    assert!(first.acquire_lease("telegram-polling", "instance-a", at(0), ttl).await.unwrap());
    assert!(!second.acquire_lease("telegram-polling", "instance-b", at(0), ttl).await.unwrap());
    // A renews in time and keeps it.
    assert!(first.acquire_lease("telegram-polling", "instance-a", at(0) + Duration::seconds(20), ttl).await.unwrap());
    assert!(!second.acquire_lease("telegram-polling", "instance-b", at(0) + Duration::seconds(40), ttl).await.unwrap());
    // A stops renewing: once its lease ran out, B takes over, and A cannot take it back.
    assert!(second.acquire_lease("telegram-polling", "instance-b", at(0) + Duration::seconds(50), ttl).await.unwrap());
    assert!(!first.acquire_lease("telegram-polling", "instance-a", at(0) + Duration::seconds(55), ttl).await.unwrap());
    // The state collection also holds the schema marker: read the lease by its id.
    let state = first.database().collection::<Document>("state");
    let lease = state.find_one(doc! { "_id": "lease:telegram-polling" }).await.unwrap().unwrap();
    assert_eq!(lease.get_str("holder").unwrap(), "instance-b");
    assert_eq!(lease.get_datetime("expiresAt").unwrap().to_chrono(), at(0) + Duration::seconds(80));
    // A's release does not free B's lease; B's own does.
    first.release_lease("telegram-polling", "instance-a").await.unwrap();
    assert!(!first.acquire_lease("telegram-polling", "instance-a", at(1), ttl).await.unwrap());
    second.release_lease("telegram-polling", "instance-b").await.unwrap();
    assert!(first.acquire_lease("telegram-polling", "instance-a", at(1), ttl).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_instances_never_both_hold_a_lease() {
    let Some(first) = common::fresh_store().await else { return };
    let uri = common::mongo_uri().unwrap();
    let second = MongoStore::connect(&uri, first.database().name()).await.unwrap();
    for round in 0..10 {
        let name = format!("lease-{round}");
        let (a, b) = tokio::join!(
            first.acquire_lease(&name, "a", at(0), Duration::seconds(30)),
            second.acquire_lease(&name, "b", at(0), Duration::seconds(30))
        );
        assert!(a.unwrap() ^ b.unwrap(), "exactly one holder in round {round}");
    }
}

#[tokio::test]
async fn store_answers_ping_and_reads_back_through_the_port() {
    let Some(store) = common::fresh_store().await else { return };
    store.ping().await.unwrap();
    let names: Vec<String> = store.database().list_collection_names().await.unwrap();
    for c in ["conversations", "messages", "contacts", "followups"] {
        assert!(names.iter().any(|n| n == c), "{c} exists after connect: {names:?}");
    }
    let _: Vec<Document> = store.database().collection::<Document>("messages").find(doc! {}).await.unwrap().try_collect().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_unavailable_error() {
    if common::mongo_uri().is_none() {
        return;
    }
    // An unreachable server is retried until the open timeout, then reported with what was tried.
    let options = OpenOptions { timeout: std::time::Duration::from_secs(1) };
    let started = std::time::Instant::now();
    let err = MongoStore::connect_with("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200&connectTimeoutMS=200", "x", &options)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(err.to_string().contains("MongoDB"), "{err}");
    assert!(err.to_string().contains("gave up after"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "gave up after {:?}", started.elapsed());
    let bad = MongoStore::connect("postgres://nope", "x").await.unwrap_err();
    assert!(bad.to_string().contains("MONGODB_URI"), "{bad}");
}

#[tokio::test]
async fn a_late_edit_for_a_message_of_the_same_batch_in_another_order_is_applied() {
    let Some(store) = common::fresh_store().await else { return };
    let owner = fixtures::owner();
    let chat = private_chat(owner, &fixtures::alexey());
    let m = incoming(&chat, 3, "Встреча в пятницу", at(0));
    let first = IngestBatch {
        received_at: at(1),
        events: vec![PreparedEvent { event: fixtures::edit(&m, "Встреча в субботу", at(2)), detected_priority: None }],
        state: Vec::new(),
    };
    let r = store.ingest(&first).await.unwrap();
    assert_eq!(r.messages_stored, 1, "an edit of an unseen message stores it");
    let second =
        IngestBatch { received_at: at(3), events: vec![PreparedEvent { event: msg(m), detected_priority: None }], state: Vec::new() };
    assert_eq!(store.ingest(&second).await.unwrap().duplicates, 1);
    let d = one(&store, "messages").await;
    assert_eq!(d.get_str("content").unwrap(), "Встреча в субботу");
    let terms: Vec<&str> = d.get_array("terms").unwrap().iter().filter_map(Bson::as_str).collect();
    assert!(terms.contains(&"субботу") && !terms.contains(&"пятницу"), "{terms:?}");
}

async fn schema_marker(store: &MongoStore) -> Option<Document> {
    store.database().collection::<Document>("state").find_one(doc! { "_id": SCHEMA_MARKER_ID }).await.unwrap()
}

#[tokio::test]
async fn opening_records_the_schema_version_once() {
    let Some(store) = common::fresh_store().await else { return };
    let marker = schema_marker(&store).await.expect("a schema marker after connect");
    assert_eq!(marker.get_i64("version").or_else(|_| marker.get_i32("version").map(i64::from)).unwrap(), SCHEMA_VERSION);
    let created = marker.get_datetime("createdAt").unwrap().to_owned();
    let again = MongoStore::connect(&common::mongo_uri().unwrap(), store.database().name()).await.unwrap();
    assert_eq!(schema_marker(&again).await.unwrap().get_datetime("createdAt").unwrap(), &created, "the marker is written once");
}

#[tokio::test]
async fn a_database_of_a_newer_schema_is_refused_with_both_versions() {
    let Some(store) = common::fresh_store().await else { return };
    let newer = SCHEMA_VERSION + 1;
    store
        .database()
        .collection::<Document>("state")
        .update_one(doc! { "_id": SCHEMA_MARKER_ID }, doc! { "$set": { "version": newer } })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = MongoStore::connect(&common::mongo_uri().unwrap(), store.database().name()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt(_)), "{text}");
    assert!(text.contains(&format!("schema version {newer}")) && text.contains(&format!("({SCHEMA_VERSION})")), "{text}");
    assert!(text.contains(store.database().name()) && text.contains("upgrade Telegcrm"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused at once, not retried: {:?}", started.elapsed());
    // Nothing was changed: the newer marker stays.
    assert_eq!(schema_marker(&store).await.unwrap().get_i64("version").unwrap(), newer);
}

#[tokio::test]
async fn a_database_without_a_marker_is_adopted_and_marked() {
    let Some(store) = common::fresh_store().await else { return };
    ingest_one_photo(&store).await;
    store.database().collection::<Document>("state").delete_one(doc! { "_id": SCHEMA_MARKER_ID }).await.unwrap();
    let reopened = MongoStore::connect(&common::mongo_uri().unwrap(), store.database().name()).await.unwrap();
    assert!(schema_marker(&reopened).await.is_some());
    assert_eq!(reopened.database().collection::<Document>("messages").count_documents(doc! {}).await.unwrap(), 1, "data kept");
}

#[tokio::test]
async fn many_instances_opening_a_fresh_database_at_once_all_succeed() {
    let Some(uri) = common::mongo_uri() else { return };
    for _round in 0..3 {
        let name = common::fresh_database();
        let opens = (0..6).map(|_| {
            let (uri, name) = (uri.clone(), name.clone());
            tokio::spawn(async move { MongoStore::connect(&uri, &name).await })
        });
        let stores: Vec<MongoStore> = futures::future::join_all(opens).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
        let names = index_names(&stores[0], "messages").await;
        for expected in ["message_key", "timeline", "search_terms", "search_recent"] {
            assert!(names.iter().any(|n| n == expected), "messages lacks index {expected}: {names:?}");
        }
        assert!(schema_marker(&stores[0]).await.is_some());
    }
}
