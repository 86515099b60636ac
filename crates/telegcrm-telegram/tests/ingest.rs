//! The ingest path shared by polling and webhook: ownership, deep links, business flow.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::Value;
use telegcrm_domain::ports::{ConversationFilter, StateStore};
use telegcrm_domain::{AvatarId, Conversation, ConversationStatus, CrmService, Direction, PageRequest};
use telegcrm_store_memory::MemoryStore;
use telegcrm_telegram::link::start_code;
use telegcrm_telegram::{TelegramIngest, Update, handle_webhook_body, parse_update};
use telegcrm_testkit::clock::ManualClock;
use telegcrm_testkit::fake_telegram::updates::*;
use telegcrm_testkit::fake_telegram::{BOT_ID, BOT_USERNAME};

fn service() -> CrmService {
    CrmService::new(Arc::new(MemoryStore::new()))
}

fn parse(values: Vec<Value>) -> Vec<Update> {
    values.into_iter().map(|v| parse_update(v).unwrap()).collect()
}

async fn conversations(service: &CrmService, owner: AvatarId) -> Vec<Conversation> {
    service.list_conversations(owner, &ConversationFilter::default(), &PageRequest::first(200).unwrap()).await.unwrap().items
}

fn start_message(update_id: i64, text: &str) -> Value {
    update(update_id, "message", text_from_ada(90 + update_id, text))
}

#[tokio::test]
async fn business_flow_in_one_batch_knows_the_connection_it_just_saw() {
    let service = service();
    let owner = AvatarId::new();
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    let updates = parse(vec![
        business_connection_update(1, true),
        business_message_update(2, 40, false, "Is the shop open?"),
        business_message_update(3, 41, true, "Yes, until 6"),
    ]);
    let outcome = ingest.ingest(&updates, vec![("telegram:offset".into(), "4".into())]).await.unwrap();
    assert_eq!((outcome.report.connections, outcome.report.messages_stored), (1, 2));
    let convs = conversations(&service, owner).await;
    assert_eq!(convs.len(), 1);
    let c = &convs[0];
    assert_eq!(c.business_connection_id.as_deref(), Some(CONNECTION_ID));
    assert_eq!((c.unread_count, c.status), (0, ConversationStatus::Waiting), "the owner's reply zeroes unread and sets waiting");
    assert_eq!(c.contact_name.as_deref(), Some("Ada Lovelace"));
    let page = service.messages(owner, c.id, &PageRequest::first(10).unwrap()).await.unwrap();
    let reply = page.items.iter().find(|m| m.telegram_message_id == 41).unwrap();
    assert_eq!(reply.direction, Direction::Outgoing);
    assert_eq!(service.polling_offset().await.unwrap(), Some(4));
}

#[tokio::test]
async fn a_later_batch_reads_the_stored_connection_for_direction() {
    let service = service();
    let owner = AvatarId::new();
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    ingest.ingest(&parse(vec![business_connection_update(1, true)]), vec![]).await.unwrap();
    ingest.ingest(&parse(vec![business_message_update(2, 41, true, "Hello from Grace")]), vec![]).await.unwrap();
    let c = &conversations(&service, owner).await[0];
    assert_eq!(c.status, ConversationStatus::Waiting);
}

#[tokio::test]
async fn deletion_marks_the_business_message() {
    let service = service();
    let owner = AvatarId::new();
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    ingest.ingest(&parse(vec![business_connection_update(1, true), business_message_update(2, 40, false, "oops")]), vec![]).await.unwrap();
    let outcome = ingest.ingest(&parse(vec![deleted_business_messages_update(3, &[40])]), vec![]).await.unwrap();
    assert_eq!(outcome.report.deletions_applied, 1);
}

#[tokio::test]
async fn without_a_configured_owner_bot_chats_are_skipped_but_the_offset_is_written() {
    let service = service();
    let ingest = TelegramIngest::new(service.clone(), None, Some(BOT_ID));
    let outcome = ingest.ingest(&parse(vec![message_update(1)]), vec![("telegram:offset".into(), "2".into())]).await.unwrap();
    assert_eq!((outcome.unowned, outcome.report.messages_stored), (1, 0));
    assert_eq!(service.polling_offset().await.unwrap(), Some(2));
}

#[tokio::test]
async fn start_with_a_code_links_the_sender_and_their_business_data_follows() {
    let service = service();
    let default_owner = AvatarId::new();
    let linked = AvatarId::new();
    let link = service.create_link_code(linked, BOT_USERNAME).await.unwrap();
    assert_eq!(link.deep_link, format!("https://t.me/{BOT_USERNAME}?start={}", link.code));
    assert_eq!(start_code(&format!("/start {}", link.code)), Some(link.code.as_str()));

    let ingest = TelegramIngest::new(service.clone(), Some(default_owner), Some(BOT_ID));
    // Ada sends /start <code>; she then connects her business account in the same batch.
    let mut connection = business_connection_update(2, true);
    connection["business_connection"]["user"] = ada();
    connection["business_connection"]["user_chat_id"] = ada()["id"].clone();
    let mut incoming = business_message_update(3, 50, false, "Hi Ada, it's Carl");
    incoming["business_message"]["from"] = carl();
    incoming["business_message"]["chat"] = private_chat(&carl());
    let outcome =
        ingest.ingest(&parse(vec![start_message(1, &format!("/start {}", link.code)), connection, incoming]), vec![]).await.unwrap();
    assert_eq!(outcome.linked, 1);
    assert_eq!(service.linked_avatar(ADA_ID).await.unwrap(), Some(linked));
    assert_eq!(service.linked_telegram_user(linked).await.unwrap().unwrap().id, ADA_ID);
    // The bot chat stays with the configured owner; the business chat goes to the linked avatar.
    assert_eq!(conversations(&service, default_owner).await.len(), 1);
    let business = conversations(&service, linked).await;
    assert_eq!(business.len(), 1);
    assert_eq!(business[0].telegram_chat_id, CARL_ID);
}

#[tokio::test]
async fn a_link_code_works_once() {
    let service = service();
    let avatar = AvatarId::new();
    let link = service.create_link_code(avatar, "@bot").await.unwrap();
    assert_eq!(link.deep_link, format!("https://t.me/bot?start={}", link.code));
    let ada = telegcrm_domain::event::TelegramUser { id: ADA_ID, first_name: "Ada".into(), ..Default::default() };
    assert_eq!(service.redeem_link_code(&link.code, &ada).await.unwrap(), Some(avatar));
    assert_eq!(service.redeem_link_code(&link.code, &ada).await.unwrap(), None);
}

#[tokio::test]
async fn linking_the_same_account_to_another_avatar_moves_the_link() {
    let service = service();
    let (first, second) = (AvatarId::new(), AvatarId::new());
    let ada = telegcrm_domain::event::TelegramUser { id: ADA_ID, first_name: "Ada".into(), ..Default::default() };
    let code = service.create_link_code(first, "bot").await.unwrap().code;
    service.redeem_link_code(&code, &ada).await.unwrap();
    let code = service.create_link_code(second, "bot").await.unwrap().code;
    assert_eq!(service.redeem_link_code(&code, &ada).await.unwrap(), Some(second));
    assert_eq!(service.linked_avatar(ADA_ID).await.unwrap(), Some(second));
    assert_eq!(service.linked_telegram_user(first).await.unwrap(), None);
    assert_eq!(service.linked_telegram_user(second).await.unwrap().unwrap().id, ADA_ID);
}

#[tokio::test]
async fn an_expired_or_unknown_code_links_nothing() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at(Utc::now()));
    let service = CrmService::new(store.clone()).with_clock(clock.clone());
    let avatar = AvatarId::new();
    let link = service.create_link_code(avatar, "bot").await.unwrap();
    clock.advance(Duration::minutes(10));
    let ada = telegcrm_domain::event::TelegramUser { id: ADA_ID, ..Default::default() };
    assert_eq!(service.redeem_link_code(&link.code, &ada).await.unwrap(), None, "a code lives ten minutes, not more");
    assert_eq!(service.redeem_link_code("nonexistent", &ada).await.unwrap(), None);
    assert_eq!(service.redeem_link_code(&"x".repeat(65), &ada).await.unwrap(), None);
    assert_eq!(store.get_state(&format!("telegram_link:user:{ADA_ID}")).await.unwrap(), None);
}

#[tokio::test]
async fn webhook_body_is_stored_once_and_unknown_kinds_are_skipped() {
    let service = service();
    let owner = AvatarId::new();
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    let body = message_update(7).to_string();
    let first = handle_webhook_body(&ingest, body.as_bytes()).await.unwrap().unwrap();
    let again = handle_webhook_body(&ingest, body.as_bytes()).await.unwrap().unwrap();
    assert_eq!((first.report.messages_stored, again.report.duplicates), (1, 1));
    assert!(handle_webhook_body(&ingest, chat_boost_update(8).to_string().as_bytes()).await.unwrap().is_none());
    let reacted = handle_webhook_body(&ingest, message_reaction_update(9, 10).to_string().as_bytes()).await.unwrap().unwrap();
    assert_eq!(reacted.report.reactions_applied, 1);
    assert!(handle_webhook_body(&ingest, b"{not json").await.is_err());
    let c = &conversations(&service, owner).await[0];
    assert_eq!((c.unread_count, c.message_count), (1, 1), "a reaction is not a message");
    let m = service.messages(owner, c.id, &PageRequest::default()).await.unwrap();
    assert_eq!(m.items[0].details.reactions[0].emoji, "👍");
    assert_eq!(m.items[0].details.reactions[0].user_ids, [ADA_ID]);
}

#[tokio::test]
async fn a_webhook_update_the_store_refuses_is_parked_as_sent_and_answered() {
    let store = Arc::new(telegcrm_testkit::refusing::RefusingStore::new(Arc::new(MemoryStore::new())));
    store.refuse_text("☠");
    let service = CrmService::new(store.clone());
    let ingest = TelegramIngest::new(service.clone(), Some(AvatarId::new()), Some(BOT_ID));
    let body = format!(r#"{{"update_id": 555,  "message": {}}}"#, text_from_ada(9, "Zahlung ☠ offen"));

    let outcome = handle_webhook_body(&ingest, body.as_bytes()).await.unwrap().unwrap();
    assert_eq!((outcome.parked, outcome.report.messages_stored), (1, 0), "parked, so the webhook answers 200");
    assert_eq!(service.parked_update(555).await.unwrap().raw, body, "the body byte for byte");

    store.set_unavailable(true);
    let failed = handle_webhook_body(&ingest, body.replace("555", "556").as_bytes()).await;
    assert!(matches!(failed, Err(telegcrm_telegram::WebhookError::Ingest(_))), "a store that is down answers 5xx: {failed:?}");
    assert_eq!(service.parked_count().await.unwrap(), 1);
}
