//! Telegram Business and account links end to end: the owner's own chats captured both ways,
//! answered through the business connection, and owned by the avatar that proved the account.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_telegram::{BOT_USERNAME, FakeTelegram, Fault, updates};

/// Queues `body` as an update of `kind` and waits until the poller has stored it.
async fn deliver(fake: &FakeTelegram, kind: &str, body: Value) {
    fake.push(kind, body);
    confirmed(fake, Duration::from_secs(20)).await;
}

/// A business message (see [`updates::business_message`]) sent `minutes` after the fixtures' date.
fn business_message(message_id: i64, from_owner: bool, text: &str, minutes: i64) -> Value {
    updates::with(updates::business_message(message_id, from_owner, text), "date", json!(updates::DATE + minutes * 60))
}

async fn conversation(s: &Server, id: &str) -> Value {
    let (status, body) = s.a("GET", &format!("conversations/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    result(&body).clone()
}

async fn search_count(s: &Server, key: &str, q: &str) -> usize {
    let (status, body) = s.call(key, "GET", &format!("messages/search?q={q}"), None).await;
    assert_eq!(status, 200, "{body}");
    result(&body)["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_business_chat_is_captured_both_ways_answered_through_the_connection_and_deletions_are_marked() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "polling", None);
    let connection = updates::business_connection_update(0, true)["business_connection"].clone();
    deliver(&fake, "business_connection", connection).await;
    deliver(&fake, "business_message", business_message(201, false, "Hi Grace, is the quote for the kitchen ready?", 1)).await;
    deliver(&fake, "business_message", business_message(202, false, "Also the tiles: marmoreal please", 2)).await;

    // Unlinked business data falls to the configured owner (avatar A).
    let convs = conversations(&s, KEY_A).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    let conv = &convs[0];
    let id = conv["id"].as_str().unwrap().to_owned();
    assert_eq!(conv["businessConnectionId"], updates::CONNECTION_ID);
    assert_eq!(conv["telegramChatId"], updates::ADA_ID);
    assert_eq!(conv["ownerAvatarId"], AVATAR_A);
    assert_eq!((conv["unreadCount"].as_i64(), conv["status"].as_str()), (Some(2), Some("active")));

    // Grace answers from her own Telegram app: outgoing, unread zeroed, waiting for Ada.
    deliver(&fake, "business_message", business_message(203, true, "Tomorrow morning, I promise", 3)).await;
    let conv = conversation(&s, &id).await;
    assert_eq!((conv["unreadCount"].as_i64(), conv["status"].as_str(), conv["messageCount"].as_i64()), (Some(0), Some("waiting"), Some(3)));
    let msgs = messages(&s, KEY_A, &id).await;
    assert_eq!(msgs[0]["telegramMessageId"], 203);
    assert_eq!(msgs[0]["direction"], "outgoing");
    assert_eq!(msgs[0]["isRead"], true);
    assert_eq!(msgs[0]["fromTelegramId"], updates::GRACE_ID);
    assert!(msgs[1..].iter().all(|m| m["direction"] == "incoming"), "{msgs:?}");

    // Ada writes again: active, one unread.
    deliver(&fake, "business_message", business_message(204, false, "Great, thank you", 4)).await;
    let conv = conversation(&s, &id).await;
    assert_eq!((conv["unreadCount"].as_i64(), conv["status"].as_str()), (Some(1), Some("active")));

    // A reply through the API goes out through the business connection and is stored as outgoing.
    let (status, body) = s.a("POST", &format!("conversations/{id}/messages"), Some(json!({"text": "The quote is attached 📎"}))).await;
    assert_eq!(status, 201, "{body}");
    let sent = result(&body).clone();
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].params["business_connection_id"], updates::CONNECTION_ID);
    assert_eq!(calls[0].params["chat_id"], updates::ADA_ID);
    assert_eq!(calls[0].params["text"], "The quote is attached 📎");
    assert_eq!(sent["direction"], "outgoing");
    assert_eq!(sent["content"], "The quote is attached 📎");
    assert!(sent["telegramMessageId"].as_i64().is_some_and(|m| m > 5_000), "the id Telegram gave it: {sent}");
    let conv = conversation(&s, &id).await;
    assert_eq!((conv["unreadCount"].as_i64(), conv["status"].as_str(), conv["messageCount"].as_i64()), (Some(0), Some("waiting"), Some(5)));

    // Telegram refuses: 502 with Telegram's words, nothing stored.
    fake.fail_next("sendMessage", Fault::Refuse { code: 403, description: "Forbidden: bot was blocked by the user".into() });
    let (status, body) = s.a("POST", &format!("conversations/{id}/messages"), Some(json!({"text": "Hello?"}))).await;
    assert_error(status, &body, 502, "upstream");
    assert!(body["message"].as_str().unwrap().contains("bot was blocked by the user"), "{body}");
    assert_eq!(conversation(&s, &id).await["messageCount"], 5);

    // Ada edits a message: the earlier text is kept.
    deliver(
        &fake,
        "edited_business_message",
        updates::edited_business_message_update(0, 204, "Great, thank you so much")["edited_business_message"].clone(),
    )
    .await;

    // Ada deletes a message: marked, content kept, gone from search.
    assert_eq!(search_count(&s, KEY_A, "marmoreal").await, 1);
    deliver(&fake, "deleted_business_messages", updates::deleted_business_messages_update(0, &[202])["deleted_business_messages"].clone())
        .await;
    let msgs = messages(&s, KEY_A, &id).await;
    let deleted = msgs.iter().find(|m| m["telegramMessageId"] == 202).unwrap();
    assert!(deleted["deletedAt"].is_string(), "{deleted}");
    assert_eq!(deleted["content"], "Also the tiles: marmoreal please");
    assert!(msgs.iter().filter(|m| m["telegramMessageId"] != 202).all(|m| m["deletedAt"].is_null()), "{msgs:?}");
    let edited = msgs.iter().find(|m| m["telegramMessageId"] == 204).unwrap();
    assert_eq!(edited["content"], "Great, thank you so much");
    assert_eq!(edited["edits"][0]["content"], "Great, thank you");
    assert_eq!(search_count(&s, KEY_A, "marmoreal").await, 0);
    assert_eq!(search_count(&s, KEY_A, "kitchen").await, 1);

    // A bot chat (no business connection) is answered as the bot: no business_connection_id.
    deliver(&fake, "message", updates::text_from_ada(10, "Question for the bot")).await;
    let bot_chat = conversations(&s, KEY_A).await.into_iter().find(|c| c["businessConnectionId"].is_null()).unwrap();
    let (status, body) =
        s.a("POST", &format!("conversations/{}/messages", bot_chat["id"].as_str().unwrap()), Some(json!({"text": "Answer"}))).await;
    assert_eq!(status, 201, "{body}");
    let call = fake.calls_of("sendMessage").pop().unwrap();
    assert!(call.params.get("business_connection_id").is_none_or(Value::is_null), "{call:?}");
    assert_eq!(call.params["chat_id"], updates::ADA_ID);
}

/// `/start <code>` from `user` to the bot, as Telegram sends it when a deep link is opened.
fn start_command(update_id: i64, user: &Value, code: &str) -> Value {
    let text = format!("/start {code}");
    let m = updates::message(update_id + 1000, updates::private_chat(user), Some(user.clone()));
    let m = updates::with(m, "text", json!(text));
    let m = updates::with(m, "entities", json!([{"offset": 0, "length": 6, "type": "bot_command"}]));
    updates::update(update_id, "message", m)
}

async fn linked_telegram_id(s: &Server, key: &str) -> Option<i64> {
    let (status, body) = s.call(key, "GET", "me", None).await;
    assert_eq!(status, 200, "{body}");
    result(&body)["telegram"]["telegramId"].as_i64()
}

#[tokio::test]
async fn an_avatar_that_links_its_telegram_account_by_deep_link_owns_its_business_chats() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);

    let (status, body) = s.b("POST", "me/telegram-link", None).await;
    assert_eq!(status, 201, "{body}");
    let code = result(&body)["code"].as_str().unwrap().to_owned();
    assert_eq!(result(&body)["deepLink"], format!("https://t.me/{BOT_USERNAME}?start={code}"));
    assert_eq!(linked_telegram_id(&s, KEY_B).await, None);

    // Grace opens the link: Telegram sends `/start <code>` to the bot.
    assert_eq!(s.webhook(&start_command(1, &updates::grace(), &code)).await, 200);
    let (_, body) = s.b("GET", "me", None).await;
    let me = result(&body);
    assert_eq!(me["avatarId"], AVATAR_B);
    assert_eq!(me["telegram"]["telegramId"], updates::GRACE_ID);
    assert_eq!(me["telegram"]["username"], "grace_h");
    assert_eq!(linked_telegram_id(&s, KEY_A).await, None);

    // The code is single use: Carl sending it again links nobody, Grace stays B's.
    assert_eq!(s.webhook(&start_command(2, &updates::carl(), &code)).await, 200);
    assert_eq!(linked_telegram_id(&s, KEY_B).await, Some(updates::GRACE_ID));

    // Grace connects the bot to her business account; her chats are B's, not A's.
    assert_eq!(s.webhook(&updates::business_connection_update(3, true)).await, 200);
    assert_eq!(s.webhook(&updates::business_message_update(4, 301, false, "Is the zeppelin model still available?")).await, 200);
    assert_eq!(s.webhook(&updates::business_message_update(5, 302, true, "Yes, one left")).await, 200);
    let mine = conversations(&s, KEY_B).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["ownerAvatarId"], AVATAR_B);
    assert_eq!(mine[0]["businessConnectionId"], updates::CONNECTION_ID);
    assert_eq!(mine[0]["messageCount"], 2);
    assert_eq!(search_count(&s, KEY_B, "zeppelin").await, 1);
    let theirs = conversations(&s, KEY_A).await;
    assert!(theirs.iter().all(|c| c["businessConnectionId"].is_null()), "A sees only the bot's own chats: {theirs:?}");
    assert_eq!(search_count(&s, KEY_A, "zeppelin").await, 0);
    let (status, _) = s.a("GET", &format!("conversations/{}", mine[0]["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 404);

    // B answers through the API: out through Grace's business connection.
    let (status, body) = s
        .b("POST", &format!("conversations/{}/messages", mine[0]["id"].as_str().unwrap()), Some(json!({"text": "Reserved for you"})))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(fake.calls_of("sendMessage").pop().unwrap().params["business_connection_id"], updates::CONNECTION_ID);
}

#[tokio::test]
async fn an_expired_link_code_links_nothing() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);
    let dir = s.stop();

    // A code made eleven minutes ago (codes live ten), written through the same store and code path.
    let config = telegcrm_server::config::Settings { store: Some("sqlite".into()), data_dir: Some(dir.clone()), ..Default::default() }
        .resolve()
        .unwrap();
    let store = telegcrm_server::app::open_store(&config).await.unwrap();
    let minted = chrono::Utc::now() - chrono::Duration::minutes(11);
    let avatar = AVATAR_B.parse().unwrap();
    let then =
        telegcrm_domain::CrmService::new(store.clone()).with_clock(std::sync::Arc::new(telegcrm_testkit::clock::ManualClock::at(minted)));
    let stale = then.create_link_code(avatar, BOT_USERNAME).await.unwrap();
    assert!(store.get_state(&telegcrm_domain::service::code_key(&stale.code)).await.unwrap().is_some(), "the code is pending");
    drop((then, store));

    let s = start_telegram(&fake, "webhook", Some(dir));
    assert_eq!(s.webhook(&start_command(1, &updates::grace(), &stale.code)).await, 200);
    assert_eq!(linked_telegram_id(&s, KEY_B).await, None);
    // Without a link, Grace's business chats stay with the configured owner.
    assert_eq!(s.webhook(&updates::business_connection_update(2, true)).await, 200);
    assert_eq!(s.webhook(&updates::business_message_update(3, 301, false, "Hello there")).await, 200);
    assert!(conversations(&s, KEY_B).await.is_empty());
    assert!(conversations(&s, KEY_A).await.iter().any(|c| c["businessConnectionId"] == updates::CONNECTION_ID));

    // A fresh code still works, so it was the age that counted.
    let (_, body) = s.b("POST", "me/telegram-link", None).await;
    let code = result(&body)["code"].as_str().unwrap().to_owned();
    assert_eq!(s.webhook(&start_command(4, &updates::grace(), &code)).await, 200);
    assert_eq!(linked_telegram_id(&s, KEY_B).await, Some(updates::GRACE_ID));
}

/// The connection of [`updates::business_connection_update`], with these delete rights.
fn connection_update(update_id: i64, can_delete_sent: bool) -> Value {
    let mut u = updates::business_connection_update(update_id, true);
    u["business_connection"]["rights"]["can_delete_sent_messages"] = json!(can_delete_sent);
    u
}

#[tokio::test]
async fn replies_edits_deletions_and_reading_reach_telegram_through_the_business_connection() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);
    assert_eq!(s.webhook(&connection_update(1, false)).await, 200);
    assert_eq!(s.webhook(&updates::business_message_update(2, 301, false, "Can we meet on Friday?")).await, 200);
    let id = conversations(&s, KEY_A).await[0]["id"].as_str().unwrap().to_owned();
    let path = |rest: &str| format!("conversations/{id}/messages{rest}");

    let (status, body) = s.a("POST", &path(""), Some(json!({"text": "Yes, 10:00", "replyToTelegramMessageId": 301}))).await;
    assert_eq!(status, 201, "{body}");
    let sent = result(&body).clone();
    assert_eq!(sent["replyToTelegramMessageId"], 301);
    let call = fake.calls_of("sendMessage").pop().unwrap();
    assert_eq!(
        (call.params["reply_parameters"]["message_id"].as_i64(), call.params["business_connection_id"].as_str()),
        (Some(301), Some(updates::CONNECTION_ID))
    );
    let tg = sent["telegramMessageId"].as_i64().unwrap();
    let (status, body) = s.a("POST", &path(""), Some(json!({"text": "x", "replyToTelegramMessageId": 999}))).await;
    assert_error(status, &body, 422, "unprocessable");

    let (status, body) = s.a("PATCH", &path(&format!("/{tg}")), Some(json!({"text": "Yes, 10:30"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (result(&body)["content"].as_str(), result(&body)["edits"][0]["content"].as_str()),
        (Some("Yes, 10:30"), Some("Yes, 10:00"))
    );
    assert_eq!(fake.calls_of("editMessageText")[0].params["business_connection_id"], updates::CONNECTION_ID);
    let (status, body) = s.a("PATCH", &path("/301"), Some(json!({"text": "forged"}))).await;
    assert_error(status, &body, 422, "unprocessable");

    // Without "Delete sent messages" the CRM says so and Telegram is not asked.
    let (status, body) = s.a("DELETE", &path(&format!("/{tg}")), None).await;
    assert_error(status, &body, 422, "unprocessable");
    assert!(body["message"].as_str().unwrap().contains("Delete sent messages"), "{body}");
    assert!(fake.calls_of("deleteBusinessMessages").is_empty());
    assert_eq!(s.webhook(&connection_update(3, true)).await, 200);
    let (status, body) = s.a("DELETE", &path(&format!("/{tg}")), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(result(&body)["deletedAt"].is_string());
    assert_eq!(fake.calls_of("deleteBusinessMessages")[0].params["message_ids"], json!([tg]));

    let (status, _) = s.a("POST", &format!("conversations/{id}/read"), None).await;
    assert_eq!(status, 200);
    let read = fake.calls_of("readBusinessMessage");
    assert_eq!((read.len(), read[0].params["message_id"].as_i64()), (1, Some(301)), "the newest incoming message is read in Telegram");

    for (bad, want) in [("/abc", 400), ("/123456", 404)] {
        let (status, body) = s.a("DELETE", &path(bad), None).await;
        assert_eq!(status, want, "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_photo_is_fetched_from_telegram_once_and_a_file_over_20_mb_is_refused() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);
    let jpeg = b"\xFF\xD8\xFF\xE0 a tiny jpeg".to_vec();
    fake.add_file("AgACAgQAAxkBAAIBs_large", jpeg.clone());
    let photo = updates::with(updates::business_message(401, false, ""), "photo", updates::photo_sizes());
    let mut photo = photo;
    photo.as_object_mut().unwrap().remove("text");
    assert_eq!(s.webhook(&updates::update(1, "business_message", photo)).await, 200);
    let mut big = updates::business_message(402, false, "");
    big.as_object_mut().unwrap().remove("text");
    big["document"] = json!({"file_id": "BQAC-big", "file_unique_id": "AgAD-big", "file_name": "scan.pdf", "mime_type": "application/pdf", "file_size": 25_000_000});
    assert_eq!(s.webhook(&updates::update(2, "business_message", big)).await, 200);
    let id = conversations(&s, KEY_A).await[0]["id"].as_str().unwrap().to_owned();

    for _ in 0..2 {
        let res = s.http().get(s.url(&format!("conversations/{id}/messages/401/media"))).header("X-API-Key", KEY_A).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);
    }
    assert_eq!(fake.downloads().len(), 1, "the second answer came from the cache");
    assert_eq!(fake.calls_of("getFile")[0].params["file_id"], "AgACAgQAAxkBAAIBs_large", "the largest size");

    let (status, body) = s.a("GET", &format!("conversations/{id}/messages/402/media"), None).await;
    assert_error(status, &body, 422, "unprocessable");
    assert!(body["message"].as_str().unwrap().contains("20 MB"), "{body}");
    assert!(fake.calls_of("getFile").iter().all(|c| c.params["file_id"] != "BQAC-big"), "Telegram is not asked");
    let other = s.call(KEY_B, "GET", &format!("conversations/{id}/messages/401/media"), None).await;
    assert_eq!(other.0, 404, "another owner's file is not found");
}

#[tokio::test]
async fn a_photo_and_a_document_are_sent_by_upload_and_a_file_over_50_mb_is_refused() {
    let fake = FakeTelegram::start();
    let s = start_telegram(&fake, "webhook", None);
    assert_eq!(s.webhook(&updates::business_connection_update(1, true)).await, 200);
    assert_eq!(s.webhook(&updates::business_message_update(2, 301, false, "Can you send a photo of it?")).await, 200);
    let id = conversations(&s, KEY_A).await[0]["id"].as_str().unwrap().to_owned();
    let post = |form: reqwest::multipart::Form| {
        let req = s.http().post(s.url(&format!("conversations/{id}/files"))).header("X-API-Key", KEY_A).multipart(form);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let file = |bytes: Vec<u8>, name: &str| reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());

    let jpeg = b"\xFF\xD8\xFF\xE0 the desk".to_vec();
    let form = reqwest::multipart::Form::new()
        .part("file", file(jpeg.clone(), "../desk photo.jpg"))
        .text("caption", "Here it is")
        .text("replyToTelegramMessageId", "301");
    let (status, body) = post(form).await;
    assert_eq!(status, 201, "{body}");
    let sent = result(&body).clone();
    assert_eq!(
        (sent["messageType"].as_str(), sent["content"].as_str(), sent["replyToTelegramMessageId"].as_i64()),
        (Some("photo"), Some("Here it is"), Some(301))
    );
    let up = &fake.uploads()[0];
    assert_eq!(
        (up.method.as_str(), up.file_name.as_str(), up.bytes.clone()),
        ("sendPhoto", "desk photo.jpg", jpeg.clone()),
        "the name loses its path"
    );
    assert_eq!(up.params["business_connection_id"], updates::CONNECTION_ID);
    // What was sent can be shown again: Telegram's copy, by getFile.
    let tg = sent["telegramMessageId"].as_i64().unwrap();
    let res = s.http().get(s.url(&format!("conversations/{id}/messages/{tg}/media"))).header("X-API-Key", KEY_A).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);

    let (status, body) = post(reqwest::multipart::Form::new().part("file", file(b"%PDF-1.7 offer".to_vec(), "Angebot.pdf"))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (result(&body)["messageType"].as_str(), result(&body)["media"]["fileName"].as_str()),
        (Some("document"), Some("Angebot.pdf"))
    );

    let (status, body) = post(reqwest::multipart::Form::new().text("caption", "no file")).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = post(reqwest::multipart::Form::new().part("file", file(Vec::new(), "empty.txt"))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (status, body) = post(reqwest::multipart::Form::new().part("file", file(vec![0; 50 * 1024 * 1024 + 1], "huge.bin"))).await;
    assert_error(status, &body, 413, "payload_too_large");
    assert_eq!(fake.uploads().len(), 2, "nothing refused reached Telegram");
    let (status, _) = s.call(KEY_B, "POST", &format!("conversations/{id}/files"), None).await;
    assert!(status == 404 || status == 415 || status == 400, "another owner cannot send here: {status}");
}
