//! Working as a team in the dashboard: the owner invites a colleague on the Team page, the
//! colleague switches to her workspace, works and takes a conversation, writes her a note that
//! she finds among her mentions, a viewer reads only, and leaving brings the colleague back to
//! its own inbox.

use fantoccini::Locator;
use serde_json::json;

use crate::a11y::out_dir;
use crate::app::*;
use crate::browser::{Browser, Role, View};
use crate::common::*;

/// The "Members" list item that shows `name`.
async fn member(b: &Browser, name: &str) -> String {
    b.until(&format!("member {name:?}"), || async {
        let list = b.named(Role::List, "Members").await;
        for li in list.find_all(Locator::Css("li")).await.unwrap_or_default() {
            let text = li.text().await.unwrap_or_default();
            if text.contains(name) {
                return Some(text);
            }
        }
        None
    })
    .await
}

async fn b_role_in_a(app: &App) -> Option<String> {
    let members = app.api("GET", &format!("workspaces/{AVATAR_A}/members"), None).await;
    members.as_array().unwrap().iter().find(|m| m["avatarId"] == AVATAR_B).map(|m| m["role"].as_str().unwrap().to_owned())
}

/// Posts a form as the page's own scripts would (the session's real CSRF token); the status.
async fn post_from_page(b: &Browser, path: &str, fields: &str) -> i64 {
    let script = "const done = arguments[arguments.length - 1];
        const token = document.querySelector('input[name=_csrf]').value;
        fetch(arguments[0], {method: 'POST', credentials: 'same-origin', redirect: 'manual',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: '_csrf=' + encodeURIComponent(token) + '&' + arguments[1]})
          .then(r => done(r.status)).catch(() => done(-1));";
    let v = b.c.execute_async(script, vec![json!(path), json!(fields)]).await.expect("fetch");
    v.as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_colleague_is_invited_works_the_inbox_reads_only_as_a_viewer_and_leaves() {
    let Some(app) = App::seeded().await else { return };
    let ada = app.seeded.ada.clone();

    // The owner invites: an unknown name is refused with the reason, what was typed kept; then Bob.
    app.as_a(View::DESKTOP, async |b| {
        b.go("/team").await;
        member(&b, "You").await;
        b.fill(None, "OASIS username, email or avatar id", "nobody-at-all").await;
        b.press(None, "Invite").await;
        b.until_text("nobody-at-all not found").await;
        let typed = b.named(Role::TextBox, "OASIS username, email or avatar id").await;
        assert_eq!(typed.prop("value").await.unwrap().as_deref(), Some("nobody-at-all"));
        b.fill(None, "OASIS username, email or avatar id", USER_B).await;
        b.choose("Role", "Agent").await;
        b.press(None, "Invite").await;
        let row = member(&b, "Bob Builder").await;
        assert!(row.contains("Agent") && row.contains("bob@example.org"), "{row}");
        assert_eq!(b_role_in_a(&app).await.as_deref(), Some("agent"));
        std::fs::write(out_dir().join("team.png"), b.screenshot(true).await).unwrap();
    })
    .await;

    // Bob switches to Grace's workspace and works a conversation there.
    app.as_b(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        assert!(!b.text().await.contains("Urgent: the invoice"), "B's own inbox shows A's conversation");
        b.choose("Workspace", "Grace Hopper's workspace (agent)").await;
        b.until_text("Urgent: the invoice").await;
        assert!(b.text().await.to_lowercase().contains("agent"), "the role chip");
        b.go(&format!("/conversations/{ada}")).await;
        b.choose("Priority", "Low").await;
        b.until("priority low in A's store", || async { (app.conversation(&ada).await["priority"] == "low").then_some(()) }).await;

        // He takes it; the inbox's "Mine" then shows it alone, with him as its assignee.
        b.until_text("Assigned to nobody").await;
        b.press(None, "Take").await;
        b.until("B assigned in A's store", || async { (app.conversation(&ada).await["assigneeAvatarId"] == AVATAR_B).then_some(()) }).await;
        b.until_text("Assigned to you").await;
        assert!(!b.all_named(None, Role::Button, "Let go").await.is_empty(), "his own conversation offers Let go");

        // An internal note for Grace: in the timeline, marked as a note, never sent to Telegram.
        let sent_before = app.telegram.calls_of("sendMessage").len();
        b.fill(None, "Internal note", "@grace can we give her 10% off? <b>not bold</b>").await;
        b.press(None, "Add note").await;
        b.until_text("can we give her 10% off?").await;
        let note = b.js("const n = document.querySelector('#timeline li.note'); return n ? n.innerText : ''", vec![]).await;
        let note = note.as_str().unwrap_or("").to_owned();
        assert!(note.to_lowercase().contains("internal note") && note.contains("you") && note.contains("<b>not bold</b>"), "{note}");
        assert_eq!(app.telegram.calls_of("sendMessage").len(), sent_before, "a note went to Telegram");
        std::fs::write(out_dir().join("conversation-note.png"), b.screenshot(false).await).unwrap();
        b.go("/inbox").await;
        b.choose("Assigned", "Mine").await;
        b.until("only Ada's conversation", || async {
            let t = b.text().await;
            (t.contains("the invoice total is wrong") && !t.contains("contract draft")).then_some(())
        })
        .await;
        assert!(b.text().await.contains("→ you"), "the assignee chip");
        std::fs::write(out_dir().join("inbox-mine.png"), b.screenshot(false).await).unwrap();
    })
    .await;

    // The owner makes Bob a viewer from the Team page.
    app.as_a(View::DESKTOP, async |b| {
        // The activity log says who did what.
        b.go("/activity").await;
        let log = b.named(Role::List, "Activity").await.text().await.unwrap();
        assert!(log.contains("Bob Builder set the priority to low"), "{log}");
        assert!(log.contains("Bob Builder assigned the conversation to Bob Builder"), "{log}");
        assert!(log.contains("you invited Bob Builder as agent"), "{log}");
        // Grace finds the note that mentions her, and it leads to the conversation.
        b.go("/mentions").await;
        let list = b.named(Role::List, "Mentions").await;
        let text = list.text().await.unwrap();
        assert!(text.contains("can we give her 10% off?") && text.contains("Bob Builder") && text.contains("Ada"), "{text}");
        b.link_containing(Some(&list), "Ada").await.click().await.unwrap();
        b.until_path(&format!("/conversations/{ada}")).await;
        // (The label is upper-cased by CSS, which innerText follows.)
        b.until("the note marked as mentioning her", || async {
            b.text().await.to_lowercase().contains("internal note · mentions you").then_some(())
        })
        .await;

        b.go("/team").await;
        b.choose("Role of Bob Builder", "Viewer").await;
        b.until("B a viewer", || async { (b_role_in_a(&app).await.as_deref() == Some("viewer")).then_some(()) }).await;
        member(&b, "Viewer").await;
        assert!(app.conversation(&ada).await["assigneeAvatarId"].is_null(), "a viewer answers nothing: unassigned");
        // The owner assigns from the conversation: only members who may work are offered.
        b.go(&format!("/conversations/{ada}")).await;
        let offered = b.js("return [...document.querySelectorAll('#c-assignee option')].map(o => o.textContent)", vec![]).await;
        assert_eq!(offered, json!(["Nobody", "Grace Hopper (you)"]), "a viewer is not offered");
    })
    .await;

    // A viewer reads, is offered nothing that changes, is refused a forged change, and leaves.
    app.as_b(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.choose("Workspace", "Grace Hopper's workspace (viewer)").await;
        b.until_text("Urgent: the invoice").await;
        b.go(&format!("/conversations/{ada}")).await;
        b.until_text("You are a viewer in this workspace").await;
        b.until_text("the invoice total is wrong").await;
        for (role, name) in
            [(Role::Button, "Send"), (Role::ComboBox, "Priority"), (Role::Button, "Add follow-up"), (Role::Link, "Reply to this message")]
        {
            assert!(b.all_named(None, role, name).await.is_empty(), "a viewer is offered {name:?}");
        }
        std::fs::write(out_dir().join("conversation-viewer.png"), b.screenshot(false).await).unwrap();
        let status = post_from_page(&b, &format!("/conversations/{ada}/priority"), "priority=urgent").await;
        assert_eq!(status, 403, "a viewer's forged change");
        assert_eq!(app.conversation(&ada).await["priority"], "low", "the forged change changed something");

        b.go("/team").await;
        b.js("window.confirm = function () { return true; }", vec![]).await;
        b.press(None, "Leave workspace").await;
        b.until_path("/inbox").await;
        assert!(
            b.all_named(None, Role::ComboBox, "Workspace").await.is_empty(),
            "the switcher stays after leaving the only other workspace"
        );
        assert!(!b.text().await.contains("Urgent: the invoice"), "B still sees A's inbox after leaving");
    })
    .await;
    assert_eq!(b_role_in_a(&app).await, None, "B is still a member");
}

#[tokio::test]
async fn a_canned_reply_is_saved_and_inserted_by_typing_its_shortcut() {
    let Some(app) = App::seeded().await else { return };
    let ada = app.seeded.ada.clone();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        b.named(Role::Link, "Manage canned replies").await.click().await.unwrap();
        b.until_path("/canned-replies").await;
        // An unknown variable is refused with the known ones named, what was typed kept.
        b.fill(None, "Shortcut", "price").await;
        b.fill(None, "Text", "Dear {{contact.title}}").await;
        b.press(None, "Save canned reply").await;
        b.until_text("unknown variable {{contact.title}}").await;
        assert_eq!(b.named(Role::TextBox, "Shortcut").await.prop("value").await.unwrap().as_deref(), Some("price"));
        b.fill(None, "Text", "Hi {{contact.firstName}}, the oak table is 900 EUR. {{member.firstName}}").await;
        b.press(None, "Save canned reply").await;
        b.until("the reply listed", || async { b.all_named(None, Role::TextBox, "Text of /price").await.into_iter().next() }).await;
        std::fs::write(out_dir().join("canned-replies.png"), b.screenshot(true).await).unwrap();

        // In Ada's conversation, "/price" and a space become the reply, filled for her.
        b.go(&format!("/conversations/{ada}")).await;
        let reply = b.named(Role::TextBox, "Message").await;
        reply.send_keys("/price ").await.unwrap();
        let expected = "Hi Ada, the oak table is 900 EUR. ";
        b.until("the canned reply in the box", || async {
            let v = reply.prop("value").await.ok().flatten().unwrap_or_default();
            v.starts_with("Hi Ada, the oak table is 900 EUR.").then_some(v)
        })
        .await;
        b.press(None, "Send").await;
        b.until("the reply sent", || async { (!app.telegram.calls_of("sendMessage").is_empty()).then_some(()) }).await;
        let sent = app.telegram.calls_of("sendMessage").pop().unwrap();
        assert!(sent.params["text"].as_str().unwrap().starts_with(expected.trim_end()), "{:?}", sent.params);
    })
    .await;
}
