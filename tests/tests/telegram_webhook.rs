//! Webhook and polling set-up end to end: what the real program tells the fake Bot API at start,
//! and what its webhook accepts.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_telegram::{FakeTelegram, Fault, updates};

/// The update kinds the CRM asks Telegram for.
const KINDS: [&str; 11] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "my_chat_member",
];

fn kinds(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_owned()).collect()
}

fn expected_kinds() -> BTreeSet<String> {
    KINDS.iter().map(|k| (*k).to_owned()).collect()
}

#[tokio::test]
async fn webhook_mode_registers_the_webhook_with_its_url_secret_and_update_kinds() {
    let fake = FakeTelegram::start();
    // Telegram is briefly down at start: the server retries.
    fake.fail_next("setWebhook", Fault::ServerError(502));
    let s = start_telegram(&fake, "webhook", None);
    let calls = eventually("a successful setWebhook", Duration::from_secs(20), || async {
        let calls = fake.calls_of("setWebhook");
        (calls.len() >= 2).then_some(calls)
    })
    .await;
    for call in &calls {
        assert_eq!(call.params["url"], WEBHOOK_URL);
        assert_eq!(call.params["secret_token"], WEBHOOK_SECRET);
        assert_eq!(kinds(&call.params["allowed_updates"]), expected_kinds());
    }
    assert_eq!(fake.webhook().as_deref(), Some(WEBHOOK_URL));
    assert!(fake.calls_of("getUpdates").is_empty() && fake.calls_of("deleteWebhook").is_empty(), "{:?}", fake.calls());
    drop(s);
}

#[tokio::test]
async fn the_webhook_stores_only_what_comes_with_the_right_secret_and_each_update_once() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);
    let post = |secret: Option<&'static str>, update: Value| {
        let mut req = s.http().post(s.url("telegram/webhook")).header("content-type", "application/json").body(update.to_string());
        if let Some(v) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None, dm(1, 4001, "Mallory", 1, "missing secret forged", T0)).await, 401);
    assert_eq!(post(Some("e2e-webhook-secret_43"), dm(2, 4002, "Mallory", 1, "wrong secret forged", T0)).await, 401);
    assert_eq!(post(Some(""), dm(3, 4003, "Mallory", 1, "empty secret forged", T0)).await, 401);
    assert_eq!(post(Some(WEBHOOK_SECRET), dm(4, 4004, "Olivia", 1, "right secret genuine", T0)).await, 200);
    // Telegram retries when it misses our answer: the same update again changes nothing.
    assert_eq!(post(Some(WEBHOOK_SECRET), dm(4, 4004, "Olivia", 1, "right secret genuine", T0)).await, 200);
    // A kind the CRM does not handle is answered 200 (or Telegram would retry it forever).
    assert_eq!(post(Some(WEBHOOK_SECRET), updates::chat_boost_update(5)).await, 200);
    assert_eq!(post(Some(WEBHOOK_SECRET), updates::future_kind_update(6)).await, 200);

    let convs = conversations(&s, KEY_A).await;
    assert_eq!(convs.len(), 1, "only the update with the right secret is stored: {convs:?}");
    assert_eq!(convs[0]["telegramChatId"], 4004);
    assert_eq!(convs[0]["messageCount"], 1);
    assert_eq!(convs[0]["unreadCount"], 1);
    let (_, body) = s.a("GET", "messages/search?q=forged", None).await;
    assert!(result(&body)["items"].as_array().unwrap().is_empty(), "{body}");
    let (_, body) = s.a("GET", "messages/search?q=genuine", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn polling_mode_deletes_the_webhook_before_it_polls() {
    let fake = FakeTelegram::start();
    fake.set_webhook(Some("https://old.example.com/hook"));
    let s = start_telegram(&fake, "polling", None);
    let calls = eventually("a getUpdates call", Duration::from_secs(20), || async {
        let calls = fake.calls();
        calls.iter().any(|c| c.method == "getUpdates").then_some(calls)
    })
    .await;
    assert_eq!(calls[0].method, "deleteWebhook", "{calls:?}");
    // Pending updates are kept: polling picks them up.
    assert_eq!(calls[0].params["drop_pending_updates"], false);
    assert_eq!(fake.webhook(), None);
    let poll = calls.iter().find(|c| c.method == "getUpdates").unwrap();
    assert_eq!(kinds(&poll.params["allowed_updates"]), expected_kinds());
    assert!(fake.calls_of("setWebhook").is_empty());

    // And it polls: a message queued now is stored.
    fake.push("message", updates::text_from_ada(10, "Hello from the polling side"));
    confirmed(&fake, Duration::from_secs(20)).await;
    let convs = conversations(&s, KEY_A).await;
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["lastMessagePreview"], json!("Hello from the polling side"));
}
