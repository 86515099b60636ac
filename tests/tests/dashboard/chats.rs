//! What Telegram says about a chat itself, shown: a group that became a supergroup links both
//! ways and cannot be answered; a group the bot was removed from says who removed it and the
//! reply box says why it cannot send (issue 11).

use serde_json::json;
use telegcrm_testkit::fake_telegram::updates;

use crate::a11y::out_dir;
use crate::app::*;
use crate::browser::{Role, View};
use crate::common::*;

const NEW_SUPERGROUP: i64 = -1_003_344_556_677;

#[tokio::test]
async fn a_moved_group_links_both_ways_and_a_removed_bot_says_why_it_cannot_send() {
    let Some(app) = App::empty().await else { return };
    let t = now() - 900;
    let ada = updates::ada();
    let group = json!({"id": updates::GROUP_ID, "title": "Sales team", "type": "group"});
    let mut hello = updates::with(updates::message(10, group.clone(), Some(ada.clone())), "text", json!("Price list please"));
    hello["date"] = json!(t);
    app.update(updates::update(0, "message", hello)).await;
    let mut moved = updates::with(updates::message(11, group.clone(), Some(ada.clone())), "migrate_to_chat_id", json!(NEW_SUPERGROUP));
    moved["date"] = json!(t + 60);
    app.update(updates::update(0, "message", moved)).await;
    let supergroup = json!({"id": NEW_SUPERGROUP, "title": "Sales team", "type": "supergroup"});
    let mut first = updates::with(updates::message(1, supergroup.clone(), Some(ada.clone())), "text", json!("Hello from the supergroup"));
    first["date"] = json!(t + 120);
    app.update(updates::update(0, "message", first)).await;

    let partners = json!({"id": -4_000_000_777_i64, "title": "Partners", "type": "group"});
    let mut hi = updates::with(updates::message(5, partners.clone(), Some(ada.clone())), "text", json!("Welcome aboard"));
    hi["date"] = json!(t + 180);
    app.update(updates::update(0, "message", hi)).await;
    let bot = json!({"id": 7_000_000_001_i64, "is_bot": true, "first_name": "Telegcrm", "username": "telegcrm_bot"});
    let kicked = json!({"chat": partners, "from": ada, "date": t + 240,
        "old_chat_member": {"user": bot, "status": "member"}, "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0}});
    app.update(updates::update(0, "my_chat_member", kicked)).await;

    let convs = conversations(&app.s, KEY_A).await;
    let id_of = |chat: i64| {
        convs.iter().find(|c| c["telegramChatId"] == chat).and_then(|c| c["id"].as_str()).map(str::to_owned).expect("the conversation")
    };
    let (old, new, gone) = (id_of(updates::GROUP_ID), id_of(NEW_SUPERGROUP), id_of(-4_000_000_777));
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox?status=archived").await;
        let row = b.link_containing(None, "Sales team").await;
        assert!(b.text().await.contains("moved to a supergroup"), "the inbox says the group moved");
        drop(row);

        b.go(&format!("/conversations/{old}")).await;
        b.named(Role::Region, "Messages").await;
        let page = b.text().await;
        assert!(page.contains("This group became a supergroup"), "{page}");
        assert!(page.contains("You cannot send here"), "{page}");
        let disabled = b.js("return document.getElementById('reply-text').disabled", vec![]).await;
        assert_eq!(disabled, json!(true), "the reply box is off");
        b.link_containing(None, "Open the supergroup's conversation").await.click().await.unwrap();
        b.until_path(&format!("/conversations/{new}")).await;
        b.until_text("Hello from the supergroup").await;
        assert!(b.text().await.contains("Earlier messages, in the group"));
        assert_eq!(b.js("return document.getElementById('reply-text').disabled", vec![]).await, json!(false));

        b.go(&format!("/conversations/{gone}")).await;
        b.until_text("the bot was removed from this group by Ada Lovelace").await;
        assert!(b.text().await.contains("bot removed"));
        std::fs::write(out_dir().join("conversation-bot-removed.png"), b.screenshot(false).await).unwrap();
    })
    .await;
}
