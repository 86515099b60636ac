//! The REST API with data: captured through the webhook, then read and changed through every route.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_oasis::{Failure, FakeAvatar, FakeOasis};
use telegcrm_testkit::fake_telegram::updates;

/// Ada writes to the bot (urgent), edits, and a second person writes; returns Ada's conversation.
async fn seed(s: &Server) -> Value {
    assert_eq!(s.webhook(&updates::message_update(1)).await, 200);
    assert_eq!(s.webhook(&updates::edited_message_update(2)).await, 200);
    assert_eq!(s.webhook(&dm(3, 7001, "Zoë", 1, "Could you send the invoice for March?", T0)).await, 200);
    let (_, body) = s.a("GET", "conversations", None).await;
    let items = result(&body)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{body}");
    items.into_iter().find(|c| c["contactName"] == "Ada Lovelace").unwrap()
}

#[tokio::test]
async fn captured_messages_show_up_in_conversations_messages_and_contacts() {
    let s = Server::start();
    let conv = seed(&s).await;
    let id = conv["id"].as_str().unwrap();
    assert_eq!(conv["priority"], "urgent", "asap in the text raises priority: {conv}");
    assert_eq!(conv["unreadCount"], 1);
    assert_eq!(conv["status"], "active");

    let (status, body) = s.a("GET", &format!("conversations/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(result(&body)["id"], id);

    let (_, body) = s.a("GET", &format!("conversations/{id}/messages"), None).await;
    let msgs = result(&body)["items"].as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["content"], "Hello, I need help with my order #42 asap");
    assert_eq!(msgs[0]["edits"][0]["content"], "Hello, I need help with my order asap");

    let (_, body) = s.a("GET", "contacts?q=lovelace", None).await;
    let contacts = result(&body)["items"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{body}");
    let contact_id = contacts[0]["id"].as_str().unwrap();
    let (status, body) = s
        .a(
            "PATCH",
            &format!("contacts/{contact_id}"),
            Some(json!({"company": "Analytical Engines Ltd", "email": "ada@example.com", "category": "client"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["company"], "Analytical Engines Ltd");
    let (_, body) = s.a("GET", "contacts?category=client&q=analytical", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
    let (status, body) = s.a("PATCH", &format!("contacts/{contact_id}"), Some(json!({"email": "not an email"}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (_, body) = s.a("GET", &format!("contacts/{contact_id}"), None).await;
    assert_eq!(result(&body)["email"], "ada@example.com");
    let (_, body) = s.a("GET", &format!("contacts/{contact_id}/conversations"), None).await;
    assert_eq!(result(&body)["items"][0]["id"], id);
}

#[tokio::test]
async fn conversations_are_organised_through_priority_status_tags_patch_and_read() {
    let s = Server::start();
    let id = seed(&s).await["id"].as_str().unwrap().to_owned();

    let (_, body) = s.a("POST", &format!("conversations/{id}/priority"), Some(json!({"priority": "low"}))).await;
    assert_eq!(result(&body)["priority"], "low");
    assert_eq!(result(&body)["priorityManual"], true);
    // Detection never overrides a manual priority.
    assert_eq!(s.webhook(&dm(10, updates::ADA_ID, "Ada", 11, "URGENT please", T0 + 60)).await, 200);
    let (_, body) = s.a("GET", &format!("conversations/{id}"), None).await;
    assert_eq!(result(&body)["priority"], "low");

    let (_, body) = s.a("POST", &format!("conversations/{id}/status"), Some(json!({"status": "archived"}))).await;
    assert_eq!(result(&body)["status"], "archived");
    let (_, body) = s.a("POST", &format!("conversations/{id}/tags"), Some(json!({"tag": "  VIP "}))).await;
    let (_, body2) = s.a("POST", &format!("conversations/{id}/tags"), Some(json!({"tag": "vip"}))).await;
    assert_eq!(result(&body)["tags"], json!(["VIP"]));
    assert_eq!(result(&body2)["tags"], json!(["VIP"]));
    let (_, body) = s.a("GET", "conversations?tag=vip&status=archived", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
    let (_, body) = s.a("DELETE", &format!("conversations/{id}/tags/Vip"), None).await;
    assert_eq!(result(&body)["tags"], json!([]));

    let (status, body) = s
        .a(
            "PATCH",
            &format!("conversations/{id}"),
            Some(
                json!({"summary": "Order #42 stuck", "customFields": {"deal": 1200}, "tags": ["lead", "LEAD", "eu"], "status": "waiting"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = result(&body);
    assert_eq!(r["summary"], "Order #42 stuck");
    assert_eq!(r["customFields"]["deal"], 1200);
    assert_eq!(r["tags"], json!(["lead", "eu"]));
    let (_, body) = s.a("PATCH", &format!("conversations/{id}"), Some(json!({"summary": null}))).await;
    assert_eq!(result(&body)["summary"], Value::Null);

    let (_, body) = s.a("GET", "conversations?unread=true", None).await;
    assert!(result(&body)["items"].as_array().unwrap().iter().any(|c| c["id"] == id.as_str()));
    let (_, body) = s.a("POST", &format!("conversations/{id}/read"), None).await;
    assert_eq!(result(&body)["unreadCount"], 0);
    let (_, body) = s.a("GET", &format!("conversations/{id}/messages"), None).await;
    assert!(result(&body)["items"].as_array().unwrap().iter().all(|m| m["isRead"] == true));
}

#[tokio::test]
async fn search_finds_messages_and_conversations_with_snippets() {
    let s = Server::start();
    seed(&s).await;
    let (status, body) = s.a("GET", "messages/search?q=invoice%20march", None).await;
    assert_eq!(status, 200, "{body}");
    let items = result(&body)["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["snippet"].as_str().unwrap().contains("<mark>invoice</mark>"));
    let (_, body) = s.a("GET", "conversations/search?keyword=ord*", None).await;
    let items = result(&body)["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["conversation"]["contactName"], "Ada Lovelace");
    assert!(!items[0]["hits"].as_array().unwrap().is_empty());
    for hostile in ["%22", "c%2B%2B", "NEAR(a%20b)", "%27%3B%20DROP%20TABLE%20messages%3B%20--", "%2A", "col%3Aterm", "%5C"] {
        let (status, body) = s.a("GET", &format!("messages/search?q={hostile}"), None).await;
        assert_eq!(status, 200, "{hostile}: {body}");
    }
    let (_, body) = s.a("GET", "messages/search?q=invoice&from=2030-01-01T00:00:00Z", None).await;
    assert!(result(&body)["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn followups_are_created_listed_changed_snoozed_completed_and_deleted() {
    let s = Server::start();
    let conv = seed(&s).await["id"].as_str().unwrap().to_owned();
    let (status, body) = s
        .a(
            "POST",
            "followups",
            Some(json!({"conversationId": conv, "title": "Call Ada back", "dueAt": "2020-01-01T09:00:00Z", "priority": "high"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let overdue = result(&body)["id"].as_str().unwrap().to_owned();
    assert_eq!(result(&body)["isOverdue"], true);
    let (_, body) = s
        .a(
            "POST",
            "followups",
            Some(json!({"conversationId": conv, "title": "Send the contract", "description": "v2", "dueAt": "2099-01-01T09:00:00Z"})),
        )
        .await;
    let later = result(&body)["id"].as_str().unwrap().to_owned();

    let (_, body) = s.a("GET", "followups/pending", None).await;
    let ids: Vec<&str> = result(&body)["items"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [overdue.as_str(), later.as_str()], "overdue included, soonest first");
    let (_, body) = s.a("GET", "followups?status=overdue", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
    let (_, body) = s.a("GET", &format!("followups?conversationId={conv}&status=all"), None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 2);

    let (_, body) = s.a("PATCH", &format!("followups/{later}"), Some(json!({"title": "Send contract v3", "description": null}))).await;
    assert_eq!(result(&body)["title"], "Send contract v3");
    assert_eq!(result(&body)["description"], Value::Null);
    let (status, body) = s.a("POST", &format!("followups/{overdue}/snooze"), Some(json!({"until": "2099-06-01T09:00:00Z"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["isOverdue"], false);
    assert_eq!(result(&body)["snoozedUntil"], "2099-06-01T09:00:00Z");
    let (status, body) = s.a("POST", &format!("followups/{overdue}/snooze"), Some(json!({"until": "2001-01-01T00:00:00Z"}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (_, body) = s.a("POST", &format!("followups/{later}/complete"), None).await;
    assert_eq!(result(&body)["status"], "completed");
    assert!(result(&body)["completedAt"].is_string());
    let (_, body) = s.a("GET", "followups?status=completed", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
    let (status, _) = s.a("DELETE", &format!("followups/{later}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = s.a("GET", &format!("followups/{later}"), None).await;
    assert_error(status, &body, 404, "not_found");
}

async fn snapshot(s: &Server, conv: &str, contact: &str, followup: &str) -> (Value, Value, Value, Value) {
    let a = s.a("GET", &format!("conversations/{conv}"), None).await.1;
    let b = s.a("GET", &format!("contacts/{contact}"), None).await.1;
    let c = s.a("GET", &format!("followups/{followup}"), None).await.1;
    let d = s.a("GET", &format!("conversations/{conv}/messages"), None).await.1;
    (a, b, c, d)
}

#[tokio::test]
async fn another_avatar_gets_404_on_every_id_and_changes_nothing() {
    let s = Server::start();
    let conv = seed(&s).await["id"].as_str().unwrap().to_owned();
    let (_, body) = s.a("GET", "contacts", None).await;
    let contact = result(&body)["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, body) = s.a("POST", "followups", Some(json!({"conversationId": conv, "title": "Mine", "dueAt": "2099-01-01T09:00:00Z"}))).await;
    let followup = result(&body)["id"].as_str().unwrap().to_owned();
    let before = snapshot(&s, &conv, &contact, &followup).await;

    let attempts: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("conversations/{conv}"), None),
        ("PATCH", format!("conversations/{conv}"), Some(json!({"summary": "mine now"}))),
        ("POST", format!("conversations/{conv}/priority"), Some(json!({"priority": "low"}))),
        ("POST", format!("conversations/{conv}/status"), Some(json!({"status": "archived"}))),
        ("POST", format!("conversations/{conv}/tags"), Some(json!({"tag": "stolen"}))),
        ("DELETE", format!("conversations/{conv}/tags/x"), None),
        ("POST", format!("conversations/{conv}/read"), None),
        ("GET", format!("conversations/{conv}/messages"), None),
        ("POST", format!("conversations/{conv}/messages"), Some(json!({"text": "hi"}))),
        ("GET", format!("contacts/{contact}"), None),
        ("PATCH", format!("contacts/{contact}"), Some(json!({"company": "Evil Corp"}))),
        ("GET", format!("contacts/{contact}/conversations"), None),
        ("POST", format!("contacts/{contact}/link-avatar"), Some(json!({"avatarId": AVATAR_B}))),
        ("DELETE", format!("contacts/{contact}/link-avatar"), None),
        ("GET", format!("followups/{followup}"), None),
        ("PATCH", format!("followups/{followup}"), Some(json!({"title": "x"}))),
        ("POST", format!("followups/{followup}/complete"), None),
        ("POST", format!("followups/{followup}/snooze"), Some(json!({"until": "2099-02-01T00:00:00Z"}))),
        ("DELETE", format!("followups/{followup}"), None),
        ("POST", "followups".into(), Some(json!({"conversationId": conv, "title": "x", "dueAt": "2099-01-01T09:00:00Z"}))),
    ];
    for (method, path, body) in attempts {
        let (status, answer) = s.b(method, &path, body).await;
        assert_error(status, &answer, 404, "not_found");
    }
    let (_, body) = s.b("GET", "conversations", None).await;
    assert!(result(&body)["items"].as_array().unwrap().is_empty());
    let (_, body) = s.b("GET", "messages/search?q=invoice", None).await;
    assert!(result(&body)["items"].as_array().unwrap().is_empty());
    let (_, body) = s.b("GET", &format!("followups?conversationId={conv}&status=all"), None).await;
    assert!(result(&body)["items"].as_array().unwrap().is_empty());

    assert_eq!(snapshot(&s, &conv, &contact, &followup).await, before, "B's attempts changed A's records");
}

#[tokio::test]
async fn pagination_over_120_conversations_and_messages_has_no_gap_or_duplicate() {
    let s = Server::start();
    for i in 0..120 {
        assert_eq!(s.webhook(&dm(100 + i, 10_000 + i, &format!("Customer {i}"), 1, "hello", T0 + i % 7)).await, 200);
        assert_eq!(s.webhook(&dm(1000 + i, 10_000, "Customer 0", 2 + i, &format!("message {i}"), T0 + 100 + i % 3)).await, 200);
    }
    let convs = all_pages(&s, KEY_A, "conversations?limit=7", "cursor").await;
    let ids: HashSet<&str> = convs.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!((convs.len(), ids.len()), (120, 120));
    let times: Vec<&str> = convs.iter().map(|c| c["lastMessageAt"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let busy = convs.iter().find(|c| c["messageCount"] == 121).unwrap()["id"].as_str().unwrap().to_owned();
    let msgs = all_pages(&s, KEY_A, &format!("conversations/{busy}/messages?limit=13"), "before").await;
    let ids: HashSet<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!((msgs.len(), ids.len()), (121, 121));
}

#[tokio::test]
async fn data_survives_a_restart() {
    let s = Server::start();
    let conv = seed(&s).await["id"].as_str().unwrap().to_owned();
    s.a("POST", &format!("conversations/{conv}/tags"), Some(json!({"tag": "kept"}))).await;
    s.a("POST", "followups", Some(json!({"conversationId": conv, "title": "Still here", "dueAt": "2099-01-01T09:00:00Z"}))).await;
    let dir = s.stop();

    let s = Server::start_with(Options { data_dir: Some(dir), ..Options::default() });
    let (status, body) = s.a("GET", &format!("conversations/{conv}"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["tags"], json!(["kept"]));
    let (_, body) = s.a("GET", "followups/pending", None).await;
    assert_eq!(result(&body)["items"][0]["title"], "Still here");
    let (_, body) = s.a("GET", "messages/search?q=invoice", None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn contacts_link_to_oasis_avatars_by_id_username_or_email() {
    let ada = FakeAvatar::new("ada", "Ada", "Lovelace");
    let oasis = FakeOasis::start(vec![ada.clone()]);
    let s = Server::start_with(Options { env: vec![("OASIS_API_URL".into(), oasis.url())], ..Options::default() });
    seed(&s).await;
    let (_, body) = s.a("GET", "contacts?q=ada", None).await;
    let contact = result(&body)["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("contacts/{contact}/link-avatar");

    for by in [json!({"username": "ada"}), json!({"email": ada.email}), json!({"avatarId": ada.id})] {
        let (status, body) = s.a("POST", &path, Some(by.clone())).await;
        assert_eq!(status, 200, "{by}: {body}");
        assert_eq!(result(&body)["linkedOasisAvatarId"], ada.id.to_string());
        let (_, body) = s.a("DELETE", &path, None).await;
        assert_eq!(result(&body)["linkedOasisAvatarId"], Value::Null);
    }
    let (status, body) = s.a("POST", &path, Some(json!({"username": "nobody"}))).await;
    assert_error(status, &body, 404, "not_found");
    oasis.set_failure(Failure::Status500);
    let (status, body) = s.a("POST", &path, Some(json!({"username": "ada"}))).await;
    assert_error(status, &body, 502, "upstream");
    oasis.set_failure(Failure::ErrorWith200);
    let (status, body) = s.a("POST", &path, Some(json!({"username": "ada"}))).await;
    assert_error(status, &body, 502, "upstream");
}

#[tokio::test]
async fn sending_without_a_bot_token_is_unavailable_and_me_names_the_caller() {
    let s = Server::start();
    let conv = seed(&s).await["id"].as_str().unwrap().to_owned();
    let (status, body) = s.a("POST", &format!("conversations/{conv}/messages"), Some(json!({"text": "hello"}))).await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = s.a("POST", &format!("conversations/{conv}/messages"), Some(json!({"text": ""}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (_, body) = s.b("GET", "me", None).await;
    assert_eq!(result(&body)["avatarId"], AVATAR_B);
    assert_eq!(result(&body)["telegram"], Value::Null);
    let (status, body) = s.a("POST", "me/telegram-link", None).await;
    assert_error(status, &body, 503, "unavailable");
}

#[tokio::test]
async fn the_webhook_stores_each_update_once_and_skips_unknown_kinds() {
    let s = Server::start();
    for _ in 0..3 {
        assert_eq!(s.webhook(&updates::message_update(1)).await, 200);
    }
    assert_eq!(s.webhook(&updates::future_kind_update(2)).await, 200);
    assert_eq!(s.webhook(&updates::chat_boost_update(3)).await, 200);
    let (_, body) = s.a("GET", "conversations", None).await;
    let items = result(&body)["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["messageCount"], 1);
    assert_eq!(items[0]["unreadCount"], 1);
    let metrics = s.http().get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("telegcrm_skipped_updates_total 2"), "{metrics}");
}
