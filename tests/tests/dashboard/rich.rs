//! What Telegram shows, shown: formatting, a forward, an album, reactions, a poll and a forum topic
//! (and the topic alone), in a supergroup's timeline (issue 11). Hostile links in formatting are not followed.

use serde_json::{Value, json};
use telegcrm_testkit::fake_telegram::updates;

use crate::a11y::out_dir;
use crate::app::*;
use crate::browser::{Browser, Role, View};
use crate::common::*;

fn forum() -> Value {
    json!({"id": updates::SUPERGROUP_ID, "title": "Telegcrm Beta Testers", "type": "supergroup", "is_forum": true})
}

fn in_topic(mut m: Value, date: i64) -> Value {
    m["date"] = json!(date);
    m["message_thread_id"] = json!(40);
    m["is_topic_message"] = json!(true);
    m
}

async fn count(b: &Browser, selector: &str) -> i64 {
    b.js(&format!("return document.querySelectorAll({selector:?}).length"), vec![]).await.as_i64().unwrap_or(-1)
}

async fn text_of(b: &Browser, selector: &str) -> String {
    b.js(&format!("return Array.from(document.querySelectorAll({selector:?})).map(e => e.textContent).join('|')"), vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_forward_an_album_a_reaction_formatting_and_a_topic_are_shown() {
    let Some(app) = App::empty().await else { return };
    let t = now() - 600;
    let ada = updates::ada();
    let created = updates::with(
        updates::message(40, forum(), Some(ada.clone())),
        "forum_topic_created",
        json!({"name": "Orders", "icon_color": 7_322_096}),
    );
    app.update(updates::update(0, "message", in_topic(created, t))).await;
    let mut formatted =
        updates::with(updates::message(41, forum(), Some(ada.clone())), "text", json!("🙂 Bold, slanted, secret and a link"));
    formatted["entities"] = json!([
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 9, "length": 7},
        {"type": "spoiler", "offset": 18, "length": 6},
        {"type": "text_link", "offset": 31, "length": 4, "url": "javascript:alert(1)"},
    ]);
    app.update(updates::update(0, "message", in_topic(formatted, t + 1))).await;
    let forward = updates::with(updates::message(42, forum(), Some(ada.clone())), "text", json!("Our new prices are out"));
    let forward = updates::with(
        forward,
        "forward_origin",
        json!({"type": "channel", "date": t - 86_400, "chat": updates::channel(), "message_id": 9}),
    );
    app.update(updates::update(0, "message", in_topic(forward, t + 2))).await;
    let picture = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots/contact-desktop.png")).unwrap();
    app.telegram.add_file("AgACAgQAAxkBAAIBs_large", picture);
    for (id, caption) in [(43, Some("Two photos of the oak table")), (44, None)] {
        let mut photo = updates::with(updates::message(id, forum(), Some(ada.clone())), "photo", updates::photo_sizes());
        photo["media_group_id"] = json!("13579246801");
        if let Some(c) = caption {
            photo["caption"] = json!(c);
        }
        app.update(updates::update(0, "message", in_topic(photo, t + 3))).await;
    }
    let reactions = json!({"chat": forum(), "message_id": 41, "date": t + 5,
        "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 2}, {"type": {"type": "emoji", "emoji": "🔥"}, "total_count": 1}]});
    app.update(updates::update(0, "message_reaction_count", reactions)).await;

    // A poll in the General topic (no thread).
    let mut poll = updates::message(45, forum(), Some(ada.clone()));
    poll["date"] = json!(t + 6);
    poll["poll"] = json!({"id": "1", "question": "Which finish?", "type": "regular", "is_anonymous": false, "total_voter_count": 3,
        "options": [{"text": "Oiled", "voter_count": 2}, {"text": "Lacquered", "voter_count": 1}]});
    app.update(updates::update(0, "message", poll)).await;

    let conv = conversations(&app.s, KEY_A).await.into_iter().find(|c| c["telegramChatId"] == updates::SUPERGROUP_ID).expect("the forum");
    let id = conv["id"].as_str().unwrap().to_owned();
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{id}")).await;
        b.named(Role::Region, "Messages").await;
        assert_eq!(text_of(&b, ".fmt-bold").await, "Bold");
        assert_eq!(text_of(&b, ".fmt-italic").await, "slanted");
        assert_eq!(text_of(&b, ".fmt-spoiler").await, "secret");
        assert_eq!(count(&b, "a[href^='javascript']").await, 0, "a javascript: link is not a link");
        assert!(text_of(&b, ".forward").await.contains("Forwarded from Telegcrm News"));
        assert_eq!(count(&b, "li[data-album='13579246801']").await, 2);
        assert_eq!(count(&b, "li.album-more").await, 1, "the album's second photo joins the first");
        let reactions = b.named(Role::List, "Reactions").await.text().await.unwrap();
        assert!(reactions.contains("👍 2") && reactions.contains("🔥 1"), "{reactions}");
        assert_eq!(text_of(&b, ".topic").await, ["Topic: Orders"; 5].join("|"), "every message names its topic");
        let options = b.named(Role::List, "Poll options").await.text().await.unwrap();
        assert!(options.contains("Oiled") && options.contains("2 (66%)") && options.contains("Lacquered"), "{options}");
        std::fs::write(out_dir().join("conversation-telegram.png"), b.screenshot(false).await).unwrap();

        // The topic alone: its messages, not the poll of the General topic.
        b.named(Role::Link, "Orders").await.click().await.unwrap();
        b.until("the topic's messages alone", || async { (count(&b, ".poll").await == 0).then_some(()) }).await;
        assert_eq!(count(&b, "li.msg").await, 5);
        assert!(b.url().await.query().is_some_and(|q| q.contains("topic=40")));
    })
    .await;
}
