//! Contacts: the list, editing a contact's business fields, linking an OASIS avatar.

use fantoccini::Locator;

use crate::app::*;
use crate::browser::{Role, View};

#[tokio::test]
async fn the_contacts_list_links_to_each_contact() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.named(Role::Link, "Contacts").await.click().await.unwrap();
        b.until_path("/contacts").await;
        let list = b.named(Role::List, "Contacts").await;
        for who in [ADA.1, BORIS.1, CHEN.1, DANA.1] {
            b.link_containing(Some(&list), who).await;
        }
        b.link_containing(Some(&list), ADA.1).await.click().await.unwrap();
        b.until_path(&format!("/contacts/{}", app.seeded.ada_contact)).await;
    })
    .await;
}

#[tokio::test]
async fn a_contacts_business_fields_are_edited_and_saved() {
    let Some(app) = App::seeded().await else { return };
    let fields = [
        ("Company", "Analytical Engines Ltd"),
        ("Email", "ada@engines.example"),
        ("Job title", "Head of Purchasing"),
        ("Phone", "+44 20 7946 0000"),
        ("Website", "https://engines.example"),
        ("Notes", "Prefers mornings; & <b>not</b> bold"),
    ];
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/contacts/{}", app.seeded.ada_contact)).await;
        for (name, value) in fields {
            b.fill(None, name, value).await;
        }
        let notes = b.named(Role::TextBox, "Notes").await;
        let form = b.form_of(&notes).await;
        b.press(Some(&form), "Save").await;
        b.until("the contact saved", || async {
            let c = app.api("GET", &format!("contacts/{}", app.seeded.ada_contact), None).await;
            (c["company"] == "Analytical Engines Ltd" && c["notes"] == "Prefers mornings; & <b>not</b> bold").then_some(c)
        })
        .await;
        b.go(&format!("/contacts/{}", app.seeded.ada_contact)).await;
        for (name, value) in fields {
            let v = b.named(Role::TextBox, name).await.prop("value").await.unwrap();
            assert_eq!(v.as_deref(), Some(value), "{name} after a reload");
        }
        assert_eq!(b.js("return document.querySelectorAll('b').length", vec![]).await, 0, "notes rendered as HTML");
    })
    .await;
    let c = app.api("GET", &format!("contacts/{}", app.seeded.ada_contact), None).await;
    assert_eq!((c["email"].as_str(), c["jobTitle"].as_str()), (Some("ada@engines.example"), Some("Head of Purchasing")));
    assert_eq!((c["phoneNumber"].as_str(), c["website"].as_str()), (Some("+44 20 7946 0000"), Some("https://engines.example")));
}

#[tokio::test]
async fn an_oasis_avatar_is_linked_to_a_contact_by_username() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/contacts/{}", app.seeded.ada_contact)).await;
        // The link form: one text field (avatar id, username or email) and a button that links.
        let field = b
            .until("the avatar link field", || async {
                for el in b.c.find_all(Locator::Css("input")).await.unwrap_or_default() {
                    let n = b.name_of(&el).await.to_lowercase();
                    if n.contains("avatar") || n.contains("oasis") {
                        return Some(el);
                    }
                }
                None
            })
            .await;
        field.send_keys(LINKABLE).await.unwrap();
        let form = b.form_of(&field).await;
        let button = form.find(Locator::Css("button, input[type=submit]")).await.unwrap();
        button.click().await.unwrap();
        b.until("the contact linked", || async {
            let c = app.api("GET", &format!("contacts/{}", app.seeded.ada_contact), None).await;
            (c["linkedOasisAvatarId"] == app.linkable.id.to_string()).then_some(())
        })
        .await;
        b.until_text(&app.linkable.id.to_string()[..8]).await;
    })
    .await;
    assert!(app.oasis.requests().iter().any(|r| r.line == format!("GET /api/avatar/get-by-username/{LINKABLE}")));
}
