//! The inbox: seeded conversations with badges and priorities, live updates, filters.

use fantoccini::Locator;
use fantoccini::elements::Element;

use crate::app::*;
use crate::browser::{Browser, Role, View};

/// The conversation links of the inbox list, in order, with their accessible names.
pub async fn rows(b: &Browser) -> Vec<(Element, String)> {
    let list = b.named(Role::List, "Conversations").await;
    let mut out = Vec::new();
    for item in list.find_all(Locator::Css("li, [role=listitem], article")).await.unwrap() {
        if let Ok(link) = item.find(Locator::Css("a[href*='/conversations/']")).await {
            let text = item.text().await.unwrap_or_default();
            let name = b.name_of(&link).await;
            out.push((link, format!("{name} | {text}")));
        }
    }
    out
}

fn order(rows: &[(Element, String)], names: &[&str]) -> Vec<usize> {
    names.iter().map(|n| rows.iter().position(|(_, t)| t.contains(n)).unwrap_or_else(|| panic!("no row for {n}: {rows:?}"))).collect()
}

/// The numbers that stand alone in a row's visible text.
fn numbers(text: &str) -> Vec<i64> {
    text.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty() && s.len() < 4).filter_map(|s| s.parse().ok()).collect()
}

#[tokio::test]
async fn the_seeded_inbox_lists_newest_first_with_unread_badges_and_priorities() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        let rows = rows(&b).await;
        assert_eq!(rows.len(), 4, "{rows:?}");
        let pos = order(&rows, &[CHEN.1, BORIS.1, ADA.1, DANA.1]);
        assert_eq!(pos, vec![0, 1, 2, 3], "newest first: {rows:?}");
        let ada = &rows[2].1;
        assert!(numbers(ada).contains(&3), "Ada's 3 unread: {ada}");
        assert!(ada.to_lowercase().contains("urgent"), "Ada's priority in words: {ada}");
        assert!(ada.contains("invoice total is wrong"), "the last message preview: {ada}");
        let chen = &rows[0].1;
        assert!(chen.to_lowercase().contains("high"), "Chen's priority: {chen}");
        assert!(numbers(chen).contains(&1), "Chen's 1 unread: {chen}");
        let dana = &rows[3].1;
        assert!(!numbers(dana).contains(&1), "Dana has nothing unread: {dana}");
    })
    .await;
}

#[tokio::test]
async fn a_webhook_message_moves_its_conversation_to_the_top_of_the_open_inbox_live() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        assert!(rows(&b).await[3].1.contains(DANA.1));
        // A marker survives only if the page is not reloaded.
        b.js("window.__noReload = 42", vec![]).await;
        app.dm(DANA, "One more thing about the delivery date", now()).await;
        b.until("Dana at the top with 1 unread", || async {
            let rows = rows(&b).await;
            let top = rows.first().map(|(_, t)| t.clone()).unwrap_or_default();
            (top.contains(DANA.1) && top.contains("One more thing") && numbers(&top).contains(&1)).then_some(())
        })
        .await;
        app.dm(DANA, "And the invoice address", now()).await;
        // The list may be mid-refresh (empty) when probed: read the top row only if there is one.
        b.until("Dana's badge at 2", || async { rows(&b).await.first().is_some_and(|(_, t)| numbers(t).contains(&2)).then_some(()) }).await;
        assert_eq!(b.js("return window.__noReload", vec![]).await, 42, "the page was reloaded");
    })
    .await;
}

#[tokio::test]
async fn the_priority_filter_shows_only_that_priority() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.choose("Priority", "Urgent").await;
        b.until("only Ada", || async {
            let rows = rows(&b).await;
            (rows.len() == 1 && rows[0].1.contains(ADA.1)).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_unread_only_and_status_filters_narrow_the_list() {
    let Some(app) = App::seeded().await else { return };
    app.api("POST", &format!("conversations/{}/status", app.seeded.boris), Some(serde_json::json!({"status": "archived"}))).await;
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.named(Role::CheckBox, "Unread only").await.click().await.unwrap();
        b.until("no Dana", || async {
            let rows = rows(&b).await;
            (!rows.is_empty() && rows.iter().all(|(_, t)| !t.contains(DANA.1))).then_some(())
        })
        .await;
        b.choose("Status", "Archived").await;
        b.until("only Boris", || async {
            let rows = rows(&b).await;
            (rows.len() == 1 && rows[0].1.contains(BORIS.1)).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_tag_filter_shows_the_tagged_conversations() {
    let Some(app) = App::seeded().await else { return };
    for id in [&app.seeded.ada, &app.seeded.dana] {
        app.api("POST", &format!("conversations/{id}/tags"), Some(serde_json::json!({"tag": "wholesale"}))).await;
    }
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        let tag = b.named(Role::Control, "Tag").await;
        if tag.tag_name().await.unwrap() == "select" {
            tag.select_by_label("wholesale").await.unwrap();
        } else {
            tag.send_keys(&format!("wholesale{}", crate::browser::enter())).await.unwrap();
        }
        b.until("Ada and Dana only", || async {
            let rows = rows(&b).await;
            let names: Vec<bool> = [ADA.1, DANA.1].iter().map(|n| rows.iter().any(|(_, t)| t.contains(n))).collect();
            (rows.len() == 2 && names == [true, true]).then_some(())
        })
        .await;
    })
    .await;
}
