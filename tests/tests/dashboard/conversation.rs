//! A conversation: the timeline, live messages, replying (bot and business chats, refusals),
//! priority, status and tags, and hostile message text.

use fantoccini::Locator;
use serde_json::json;
use telegcrm_testkit::fake_telegram::{Fault, updates};

use crate::app::*;
use crate::browser::{Browser, Role, View};
use crate::common::*;

/// The text of the "Messages" region.
pub async fn timeline(b: &Browser) -> String {
    b.named(Role::Region, "Messages").await.text().await.unwrap_or_default()
}

async fn send(b: &Browser, text: &str) {
    b.fill(None, "Message", text).await;
    b.press(None, "Send").await;
}

#[tokio::test]
async fn a_conversation_shows_its_messages_in_order_and_opening_it_marks_it_read() {
    let Some(app) = App::seeded().await else { return };
    assert_eq!(app.conversation(&app.seeded.ada).await["unreadCount"], 3);
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        let list = b.named(Role::List, "Conversations").await;
        b.link_containing(Some(&list), ADA.1).await.click().await.unwrap();
        b.until_path(&format!("/conversations/{}", app.seeded.ada)).await;
        let t = timeline(&b).await;
        let first = t.find("catalogue").expect("first message");
        let second = t.find("oak tables").expect("second message");
        let third = t.find("invoice total is wrong").expect("third message");
        assert!(first < second && second < third, "oldest first, newest at the bottom: {t}");
        for m in messages(&app.s, KEY_A, &app.seeded.ada).await {
            let id = format!("m-{}", m["id"].as_str().unwrap());
            b.c.find(Locator::Id(&id)).await.unwrap_or_else(|_| panic!("no element #{id}"));
        }
    })
    .await;
    assert_eq!(app.conversation(&app.seeded.ada).await["unreadCount"], 0, "opening it marked it read");
}

#[tokio::test]
async fn a_webhook_message_appears_live_in_the_open_conversation() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.boris)).await;
        timeline(&b).await;
        b.js("window.__noReload = 7", vec![]).await;
        app.dm(BORIS, "Tuesday at 10 works for me", now()).await;
        b.until("the new message in the timeline", || async { timeline(&b).await.contains("Tuesday at 10 works").then_some(()) }).await;
        assert_eq!(b.js("return window.__noReload", vec![]).await, 7, "the page was reloaded");
    })
    .await;
}

#[tokio::test]
async fn a_reply_goes_out_through_the_bot_api_and_joins_the_timeline() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.ada)).await;
        send(&b, "Sorry about that, a corrected invoice is on its way").await;
        b.until("the reply in the timeline", || async { timeline(&b).await.contains("corrected invoice is on its way").then_some(()) })
            .await;
    })
    .await;
    let calls = app.telegram.calls_of("sendMessage");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].params["chat_id"], ADA.0);
    assert_eq!(calls[0].params["text"], "Sorry about that, a corrected invoice is on its way");
    assert!(calls[0].params.get("business_connection_id").is_none_or(serde_json::Value::is_null), "{:?}", calls[0].params);
    let conv = app.conversation(&app.seeded.ada).await;
    assert_eq!((conv["status"].as_str(), conv["messageCount"].as_i64()), (Some("waiting"), Some(4)));
}

#[tokio::test]
async fn a_reply_in_a_business_chat_goes_out_on_the_business_connection() {
    let Some(app) = App::empty().await else { return };
    let id = app.business_chat().await;
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{id}")).await;
        send(&b, "Yes, it is. Shall I reserve it?").await;
        b.until("the reply in the timeline", || async { timeline(&b).await.contains("Shall I reserve it?").then_some(()) }).await;
    })
    .await;
    let calls = app.telegram.calls_of("sendMessage");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].params["business_connection_id"], updates::CONNECTION_ID);
    assert_eq!(calls[0].params["chat_id"], updates::ADA_ID);
}

#[tokio::test]
async fn telegrams_refusal_is_shown_next_to_the_reply_box_and_nothing_is_stored() {
    let Some(app) = App::seeded().await else { return };
    app.telegram.fail_next("sendMessage", Fault::Refuse { code: 403, description: "Forbidden: bot was blocked by the user".into() });
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.ada)).await;
        send(&b, "Hello? Are you there?").await;
        b.until_text("bot was blocked by the user").await;
        assert!(!timeline(&b).await.contains("Are you there?"), "a refused message shows as sent");
        assert_eq!(b.path().await, format!("/conversations/{}", app.seeded.ada), "the refusal is shown in place");
    })
    .await;
    assert_eq!(app.conversation(&app.seeded.ada).await["messageCount"], 3);
}

#[tokio::test]
async fn priority_and_status_changes_are_saved_and_shown() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.boris)).await;
        b.choose("Priority", "Low").await;
        b.until("priority low in the store", || async {
            let c = app.conversation(&app.seeded.boris).await;
            (c["priority"] == "low" && c["priorityManual"] == true).then_some(())
        })
        .await;
        b.choose("Status", "Archived").await;
        b.until("archived in the store", || async { (app.conversation(&app.seeded.boris).await["status"] == "archived").then_some(()) })
            .await;
        b.c.refresh().await.unwrap();
        let priority = b.named(Role::ComboBox, "Priority").await.prop("value").await.unwrap();
        let status = b.named(Role::ComboBox, "Status").await.prop("value").await.unwrap();
        assert_eq!((priority.as_deref(), status.as_deref()), (Some("low"), Some("archived")), "after a reload");
    })
    .await;
}

#[tokio::test]
async fn a_tag_is_added_and_removed() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.chen)).await;
        b.fill(None, "Add tag", &format!("Contracts{}", crate::browser::enter())).await;
        b.until("the tag in the store", || async {
            (app.conversation(&app.seeded.chen).await["tags"] == json!(["contracts"])
                || app.conversation(&app.seeded.chen).await["tags"] == json!(["Contracts"]))
            .then_some(())
        })
        .await;
        b.until_text("ontracts").await;
        // The tag's remove control is a button whose name names the tag.
        let remove = b
            .until("a remove button for the tag", || async {
                let buttons = b.c.find_all(Locator::Css("button, [role=button]")).await.unwrap_or_default();
                for el in buttons {
                    let n = b.name_of(&el).await.to_lowercase();
                    if n.contains("contracts") && (n.contains("remove") || n.contains("delete") || n.contains('×')) {
                        return Some(el);
                    }
                }
                None
            })
            .await;
        remove.click().await.unwrap();
        b.until("no tags in the store", || async { (app.conversation(&app.seeded.chen).await["tags"] == json!([])).then_some(()) }).await;
    })
    .await;
}

#[tokio::test]
async fn a_hostile_message_is_shown_as_text_and_runs_nothing() {
    let Some(app) = App::seeded().await else { return };
    let evil = "<img src=x onerror=alert(1)>";
    app.dm(ADA, evil, now()).await;
    app.dm(ADA, "<script>alert(2)</script>", now()).await;
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        // The inbox previews the latest of the two (both arrive in the same second): either shows as text.
        b.until("a hostile preview shown as text", || async {
            let t = b.text().await;
            (t.contains(evil) || t.contains("<script>alert(2)</script>")).then_some(())
        })
        .await;
        assert!(!b.alert_open().await, "an alert opened on the inbox");
        b.go(&format!("/conversations/{}", app.seeded.ada)).await;
        let t = timeline(&b).await;
        assert!(t.contains(evil) && t.contains("<script>alert(2)</script>"), "shown as text: {t}");
        assert!(!b.alert_open().await, "an alert opened on the conversation");
        let imgs = b.js("return document.querySelectorAll('img[src=\"x\"], img[onerror]').length", vec![]).await;
        assert_eq!(imgs, 0, "the message became an img element");
    })
    .await;
}
