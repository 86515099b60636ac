//! The keyboard alone: j/k/Enter in the inbox, `/` to search, Tab from the message to Send.

use crate::app::*;
use crate::browser::{Role, View, enter, tab};

#[tokio::test]
async fn j_and_k_move_through_the_inbox_and_enter_opens_the_selected_conversation() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        let mut opened = Vec::new();
        for keys in [&['j'][..], &['j', 'j'][..], &['j', 'j', 'k'][..]] {
            b.go("/inbox").await;
            b.named(Role::List, "Conversations").await;
            let mut all = keys.to_vec();
            all.push(enter());
            b.keys(&all).await;
            b.until("a conversation opened", || async { b.path().await.starts_with("/conversations/").then_some(()) }).await;
            opened.push(b.path().await);
        }
        assert_ne!(opened[0], opened[1], "j moved the selection: {opened:?}");
        assert_eq!(opened[0], opened[2], "k moved it back: {opened:?}");
        let top_two = [format!("/conversations/{}", app.seeded.chen), format!("/conversations/{}", app.seeded.boris)];
        assert!(top_two.contains(&opened[0]) && top_two.contains(&opened[1]), "{opened:?}");
    })
    .await;
}

#[tokio::test]
async fn slash_focuses_the_search_box() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.named(Role::List, "Conversations").await;
        b.keys(&['/']).await;
        b.until("the search box focused", || async {
            let el = b.c.active_element().await.ok()?;
            (b.name_of(&el).await == "Search").then_some(())
        })
        .await;
        let typed = b.c.active_element().await.unwrap();
        typed.send_keys("invoice").await.unwrap();
        assert_eq!(typed.prop("value").await.unwrap().as_deref(), Some("invoice"), "the slash was not typed into the box");
    })
    .await;
}

#[tokio::test]
async fn tab_moves_from_the_message_box_to_send_and_enter_sends() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.boris)).await;
        let message = b.named(Role::TextBox, "Message").await;
        message.click().await.unwrap();
        b.keys(&"Keyboard only reply".chars().collect::<Vec<_>>()).await;
        let send = b.named(Role::Button, "Send").await;
        let mut reached = false;
        for _ in 0..4 {
            b.keys(&[tab()]).await;
            if b.c.active_element().await.unwrap().element_id() == send.element_id() {
                reached = true;
                break;
            }
        }
        assert!(reached, "Send is not within 4 Tabs of the message box");
        b.keys(&[enter()]).await;
        b.until("the reply sent", || async { (!app.telegram.calls_of("sendMessage").is_empty()).then_some(()) }).await;
    })
    .await;
    assert_eq!(app.telegram.calls_of("sendMessage")[0].params["text"], "Keyboard only reply");
}
