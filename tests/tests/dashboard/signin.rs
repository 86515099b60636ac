//! Signing in (API key, OASIS password), a wrong password, and signing out.

use fantoccini::Locator;

use crate::app::*;
use crate::browser::{Role, View};

const NAV: [&str; 5] = ["Inbox", "Contacts", "Follow-ups", "Search", "Settings"];

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_the_sign_in_page_with_both_methods() {
    let Some(app) = App::empty().await else { return };
    app.signed_out(View::DESKTOP, async |b| {
        b.go("/inbox").await;
        b.until_path("/sign-in").await;
        for field in ["API key", "Username", "Password"] {
            b.named(Role::TextBox, field).await;
        }
        assert!(!b.all_named(None, Role::Button, "Sign in").await.is_empty());
        assert!(b.all_named(None, Role::Button, "Sign out").await.is_empty(), "signed out, yet offered Sign out");
    })
    .await;
}

#[tokio::test]
async fn signing_in_with_an_api_key_opens_the_inbox_with_navigation_and_sign_out() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.until_path("/inbox").await;
        let nav = b.c.find(Locator::Css("nav, [role=navigation]")).await.expect("a navigation landmark");
        for link in NAV {
            b.named_in(Some(&nav), Role::Link, link).await;
        }
        b.named(Role::Button, "Sign out").await;
        b.named(Role::List, "Conversations").await;
    })
    .await;
}

#[tokio::test]
async fn signing_in_with_the_oasis_username_and_password_shows_that_avatars_inbox() {
    let Some(app) = App::seeded().await else { return };
    app.signed_out(View::DESKTOP, async |b| {
        sign_in_with_password(&b, USER_A, "secret").await;
        b.until_path("/inbox").await;
        let list = b.named(Role::List, "Conversations").await;
        b.link_containing(Some(&list), ADA.1).await;
        b.named(Role::Button, "Sign out").await;
    })
    .await;
    let authenticate = app.oasis.requests().into_iter().filter(|r| r.line == "POST /api/avatar/authenticate").count();
    assert_eq!(authenticate, 1, "the password was checked by OASIS once");
}

#[tokio::test]
async fn a_wrong_password_shows_a_clear_message_and_signs_nobody_in() {
    let Some(app) = App::seeded().await else { return };
    app.signed_out(View::DESKTOP, async |b| {
        sign_in_with_password(&b, USER_A, "not-the-password").await;
        b.until("an error message", || async {
            let t = b.text().await.to_lowercase();
            (t.contains("incorrect") || t.contains("wrong") || t.contains("invalid") || t.contains("did not match")).then_some(())
        })
        .await;
        assert_eq!(b.path().await, "/sign-in");
        assert!(!b.text().await.contains("not-the-password"), "the password is echoed back");
        b.go("/inbox").await;
        b.until_path("/sign-in").await;
    })
    .await;
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_on_the_sign_in_page() {
    let Some(app) = App::seeded().await else { return };
    app.signed_out(View::DESKTOP, async |b| {
        b.go("/sign-in").await;
        let field = b.named(Role::TextBox, "API key").await;
        field.send_keys("not-a-key-of-anyone-0000").await.unwrap();
        let form = b.form_of(&field).await;
        b.press(Some(&form), "Sign in").await;
        b.until("an error message", || async {
            let t = b.text().await.to_lowercase();
            (t.contains("key") && (t.contains("invalid") || t.contains("unknown") || t.contains("wrong") || t.contains("not")))
                .then_some(())
        })
        .await;
        assert_eq!(b.path().await, "/sign-in");
        assert!(b.all_named(None, Role::Button, "Sign out").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_in_the_browser_and_for_a_replayed_cookie() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        let cookie = b.cookie_header().await;
        let inbox = app.s.http().get(app.s.url("/inbox")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(inbox.status().as_u16(), 200, "the cookie works before signing out");
        b.press(None, "Sign out").await;
        b.until_path("/sign-in").await;
        for page in ["/inbox", "/contacts", "/follow-ups", "/search", "/settings", &format!("/conversations/{}", app.seeded.ada)] {
            b.go(page).await;
            b.until_path("/sign-in").await;
        }
        let replay = app.s.http().get(app.s.url("/inbox")).header("cookie", &cookie).send().await.unwrap();
        let status = replay.status().as_u16();
        let body = replay.text().await.unwrap();
        assert!(status != 200 || !body.contains(ADA.1), "the old cookie still opens the inbox: {status}");
    })
    .await;
}
