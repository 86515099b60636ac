//! Follow-ups: created from a conversation, snoozed and completed on the Follow-ups page.

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::{Value, json};

use crate::app::*;
use crate::browser::{Browser, Role, View};

async fn followups(app: &App, status: &str) -> Vec<Value> {
    app.api("GET", &format!("followups?status={status}"), None).await["items"].as_array().unwrap().clone()
}

/// Creates a follow-up through the API, due in `minutes` (negative: overdue).
pub async fn seed_followup(app: &App, conversation: &str, title: &str, minutes: i64) -> String {
    let due = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    let f = app.api("POST", "followups", Some(json!({"conversationId": conversation, "title": title, "dueAt": due.to_rfc3339()}))).await;
    f["id"].as_str().unwrap().to_owned()
}

/// The item of the "Follow-ups" list that shows `title`.
async fn item(b: &Browser, title: &str) -> Element {
    b.until(&format!("follow-up {title:?}"), || async {
        let list = b.named(Role::List, "Follow-ups").await;
        for li in list.find_all(Locator::Css("li, [role=listitem]")).await.unwrap_or_default() {
            if li.text().await.unwrap_or_default().contains(title) {
                return Some(li);
            }
        }
        None
    })
    .await
}

#[tokio::test]
async fn a_follow_up_is_created_from_the_conversation() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.ada)).await;
        let add = b.named(Role::Button, "Add follow-up").await;
        // The title field sits in the same form as the button (or appears when it is pressed).
        let form = b.form_of(&add).await;
        let title = match b.all_named(Some(&form), Role::TextBox, "Title").await.into_iter().next() {
            Some(t) => t,
            None => {
                add.click().await.unwrap();
                b.named(Role::TextBox, "Title").await
            }
        };
        title.send_keys("Send the corrected invoice").await.unwrap();
        let form = b.form_of(&title).await;
        b.press(Some(&form), "Add follow-up").await;
        b.until("the follow-up in the store", || async {
            let all = followups(&app, "all").await;
            all.iter().any(|f| f["title"] == "Send the corrected invoice" && f["conversationId"] == app.seeded.ada.as_str()).then_some(())
        })
        .await;
        b.until_text("Send the corrected invoice").await;
        b.go("/follow-ups").await;
        item(&b, "Send the corrected invoice").await;
    })
    .await;
}

#[tokio::test]
async fn snoozing_a_follow_up_moves_its_time_later() {
    let Some(app) = App::seeded().await else { return };
    let id = seed_followup(&app, &app.seeded.boris, "Call Boris back", -30).await;
    app.as_a(View::DESKTOP, async |b| {
        b.go("/follow-ups").await;
        let li = item(&b, "Call Boris back").await;
        b.press(Some(&li), "Snooze").await;
        // Snooze may offer choices (in 1 hour, tomorrow, ...); take the first offered.
        let snoozed = || async {
            let f = app.api("GET", &format!("followups/{id}"), None).await;
            f["snoozedUntil"].as_str().is_some_and(|s| s > chrono::Utc::now().to_rfc3339().as_str()).then_some(())
        };
        if tokio::time::timeout(std::time::Duration::from_secs(2), async {
            loop {
                if snoozed().await.is_some() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await
        .is_err()
        {
            let choice = b
                .until("a snooze choice", || async {
                    for el in b.c.find_all(Locator::Css("button, [role=menuitem]")).await.unwrap_or_default() {
                        let n = b.name_of(&el).await.to_lowercase();
                        if n.contains("hour") && el.is_displayed().await.unwrap_or(false) {
                            return Some(el);
                        }
                    }
                    None
                })
                .await;
            choice.click().await.unwrap();
            b.until("snoozedUntil in the future", snoozed).await;
        }
    })
    .await;
    let f = app.api("GET", &format!("followups/{id}"), None).await;
    assert_eq!(f["status"], "pending", "{f}");
}

#[tokio::test]
async fn completing_a_follow_up_takes_it_off_the_pending_list() {
    let Some(app) = App::seeded().await else { return };
    let id = seed_followup(&app, &app.seeded.chen, "Review the contract draft", 60).await;
    seed_followup(&app, &app.seeded.ada, "Check the invoice", 120).await;
    app.as_a(View::DESKTOP, async |b| {
        b.go("/follow-ups").await;
        let li = item(&b, "Review the contract draft").await;
        b.press(Some(&li), "Complete").await;
        b.until("completed in the store", || async {
            (app.api("GET", &format!("followups/{id}"), None).await["status"] == "completed").then_some(())
        })
        .await;
        b.go("/follow-ups").await;
        item(&b, "Check the invoice").await;
        let list = b.named(Role::List, "Follow-ups").await.text().await.unwrap();
        assert!(!list.contains("Review the contract draft"), "still pending: {list}");
    })
    .await;
    assert_eq!(followups(&app, "pending").await.len(), 1);
}

#[tokio::test]
async fn an_overdue_follow_up_is_marked_as_overdue() {
    let Some(app) = App::seeded().await else { return };
    seed_followup(&app, &app.seeded.ada, "Chase the payment", -90).await;
    seed_followup(&app, &app.seeded.boris, "Send the brochure", 24 * 60).await;
    app.as_a(View::DESKTOP, async |b| {
        b.go("/follow-ups").await;
        let late = item(&b, "Chase the payment").await.text().await.unwrap().to_lowercase();
        let fine = item(&b, "Send the brochure").await.text().await.unwrap().to_lowercase();
        assert!(late.contains("overdue"), "{late}");
        assert!(!fine.contains("overdue"), "{fine}");
    })
    .await;
}
