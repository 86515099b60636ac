//! Acting in Telegram from the conversation page (issue 11): a reply that answers a message,
//! editing and deleting one's own message (deleting asks first), a photo shown in the timeline,
//! fetched from Telegram once, and a document sent from the page.

use serde_json::json;
use telegcrm_testkit::fake_telegram::updates;

use crate::a11y::out_dir;
use crate::app::*;
use crate::browser::{Role, View};
use crate::common::*;

#[tokio::test]
async fn a_reply_an_edit_a_deletion_and_a_photo_from_the_conversation_page() {
    let Some(app) = App::empty().await else { return };
    let mut connection = updates::business_connection_update(0, true);
    connection["business_connection"]["rights"]["can_delete_sent_messages"] = json!(true);
    app.update(connection).await;
    let question = updates::with(updates::business_message(901, false, "Is the walnut desk still available?"), "date", json!(now() - 120));
    app.update(updates::update(0, "business_message", question)).await;
    // Grace typed this one herself in Telegram three days ago: too old to edit (Telegram's 48
    // hours), and the bot may not delete it for her.
    let typed = updates::with(updates::business_message(903, true, "One moment, I'll check"), "date", json!(now() - 3 * 86_400));
    app.update(updates::update(0, "business_message", typed)).await;
    // A real picture, so that the browser can draw it.
    let picture = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots/inbox-desktop.png")).unwrap();
    app.telegram.add_file("AgACAgQAAxkBAAIBs_large", picture);
    let mut photo = updates::with(updates::business_message(902, false, ""), "photo", updates::photo_sizes());
    photo.as_object_mut().unwrap().remove("text");
    photo["caption"] = json!("The scratch on the left");
    photo["date"] = json!(now() - 60);
    app.update(updates::update(0, "business_message", photo)).await;
    let id = conversations(&app.s, KEY_A).await[0]["id"].as_str().unwrap().to_owned();

    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{id}")).await;
        b.named(Role::Region, "Messages").await;
        b.until("the photo to load", || async {
            let ok =
                b.js("const i = document.querySelector('img.file-image'); return !!i && i.complete && i.naturalWidth > 0", vec![]).await;
            (ok == json!(true)).then_some(())
        })
        .await;
        assert_eq!(app.telegram.downloads().len(), 1);

        // The timeline runs oldest first: Grace's old message, then the question.
        b.all_named(None, Role::Link, "Reply to this message").await[1].click().await.unwrap();
        b.until_text("Replying to:").await;
        b.fill(None, "Message", "Yes, it is. Shall I reserve it?").await;
        b.press(None, "Send").await;
        b.until_text("Shall I reserve it?").await;
        let sent = app.telegram.calls_of("sendMessage").pop().unwrap();
        assert_eq!(sent.params["reply_parameters"]["message_id"], 901);

        b.named(Role::Link, "Edit this message").await.click().await.unwrap();
        b.until_text("Edit message").await;
        b.fill(None, "Edit message", "Yes, it is. Shall I reserve it until Friday?").await;
        b.press(None, "Save edit").await;
        b.until_text("until Friday?").await;
        assert_eq!(app.telegram.calls_of("editMessageText").len(), 1);

        // The connection may delete what the bot sent, not what Grace typed herself: only our
        // reply offers it.
        assert_eq!(b.all_named(None, Role::Button, "Delete this message").await.len(), 1);
        b.js("window.confirm = function () { return true; }", vec![]).await;
        b.press(None, "Delete this message").await;
        b.until("the deletion", || async { (!app.telegram.calls_of("deleteBusinessMessages").is_empty()).then_some(()) }).await;
        b.until_text("deleted").await;

        // A document, attached from the page.
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("Angebot.pdf");
        std::fs::write(&pdf, b"%PDF-1.7 offer").unwrap();
        b.named(Role::Control, "Photo or document").await.send_keys(&pdf.to_string_lossy()).await.unwrap();
        b.fill(None, "Caption", "The offer, as promised").await;
        b.press(None, "Send file").await;
        b.until_text("The offer, as promised").await;
        b.link_containing(None, "Download Angebot.pdf").await;
        let up = app.telegram.uploads().pop().expect("the upload");
        assert_eq!(
            (up.method.as_str(), up.file_name.as_str(), up.bytes.as_slice()),
            ("sendDocument", "Angebot.pdf", &b"%PDF-1.7 offer"[..])
        );
        std::fs::write(out_dir().join("conversation-business-actions.png"), b.screenshot(false).await).unwrap();
    })
    .await;
}
