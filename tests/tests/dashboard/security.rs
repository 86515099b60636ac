//! Safety: the CSRF token, tenant scoping (another avatar's ids are 404 pages), headers.

use serde_json::Value;

use crate::app::*;
use crate::browser::{Role, View};
use crate::common::*;

/// The form around the Priority select: action, method and fields, as the browser would post them.
const FORM_OF: &str = r#"
const el = arguments[0];
const form = el.closest('form');
const action = (form && (form.getAttribute('action') || form.getAttribute('hx-post'))) || el.getAttribute('hx-post');
const fields = form ? [...new FormData(form)].map(([k, v]) => [k, String(v)]) : [];
let headers = {};
for (const n of [el, form, document.body].filter(Boolean)) {
  const h = n.getAttribute && n.getAttribute('hx-headers');
  if (h) { try { Object.assign(headers, JSON.parse(h)); } catch (e) {} }
}
const meta = document.querySelector('meta[name*=csrf i]');
return {action: new URL(action, location.href).pathname, fields, headers, meta: meta ? meta.getAttribute('content') : null};
"#;

fn is_token(name: &str) -> bool {
    let n = name.to_lowercase();
    n.contains("csrf") || n.contains("xsrf") || n == "token" || n == "_token"
}

#[tokio::test]
async fn a_state_change_without_the_csrf_token_is_refused_and_changes_nothing() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{}", app.seeded.ada)).await;
        let select = b.named(Role::ComboBox, "Priority").await;
        let form = b.js(FORM_OF, vec![serde_json::to_value(&select).unwrap()]).await;
        let action = form["action"].as_str().expect("the priority control posts somewhere").to_owned();
        let fields: Vec<(String, String)> = form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let k = p[0].as_str().unwrap().to_owned();
                let v = if k == "priority" { "low".to_owned() } else { p[1].as_str().unwrap().to_owned() };
                (k, v)
            })
            .collect();
        let token_in_form = fields.iter().any(|(k, _)| is_token(k));
        let token_headers: Vec<(String, String)> = form["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| is_token(k))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect();
        assert!(token_in_form || !token_headers.is_empty(), "the page carries no CSRF token: {form}");
        let cookie = b.cookie_header().await;
        let post = |with_token: bool| {
            let fields: Vec<(String, String)> = fields.iter().filter(|(k, _)| with_token || !is_token(k)).cloned().collect();
            let mut req = app.s.http().post(app.s.url(&action)).header("cookie", &cookie).form(&fields);
            if with_token {
                for (k, v) in &token_headers {
                    req = req.header(k.as_str(), v.as_str());
                }
            }
            req.send()
        };
        let refused = post(false).await.unwrap();
        assert_eq!(refused.status().as_u16(), 403, "without the token");
        assert_eq!(app.conversation(&app.seeded.ada).await["priority"], "urgent", "a refused request changed the priority");
        // The same request with the token goes through: the token is what was missing.
        let accepted = post(true).await.unwrap();
        assert!(accepted.status().as_u16() < 400, "with the token: {}", accepted.status());
        assert_eq!(app.conversation(&app.seeded.ada).await["priority"], "low");
    })
    .await;
}

#[tokio::test]
async fn another_avatars_conversation_is_a_404_page_that_shows_none_of_it() {
    let Some(app) = App::seeded().await else { return };
    let theirs = app.conversation_of_b().await;
    app.as_a(View::DESKTOP, async |b| {
        b.go(&format!("/conversations/{theirs}")).await;
        let text = b.text().await;
        assert!(text.contains("404") || text.to_lowercase().contains("not found"), "{text}");
        assert!(!text.contains("zeppelin"), "B's message shown to A");
        let cookie = b.cookie_header().await;
        for path in [format!("/conversations/{theirs}"), format!("/conversations/{}", uuid::Uuid::now_v7())] {
            let res = app.s.http().get(app.s.url(&path)).header("cookie", &cookie).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 404, "{path}");
            assert!(!res.text().await.unwrap().contains("zeppelin"));
        }
        // The page still offers the way back.
        b.named(Role::Link, "Inbox").await;
    })
    .await;
    // B sees it.
    let (status, _) = app.s.b("GET", &format!("conversations/{theirs}"), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn pages_are_sent_with_a_strict_content_security_policy_and_no_inline_script() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        let cookie = b.cookie_header().await;
        for path in ["/sign-in", "/inbox", &format!("/conversations/{}", app.seeded.ada)] {
            let res = app.s.http().get(app.s.url(path)).header("cookie", &cookie).send().await.unwrap();
            let csp = res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(
                !csp.contains("unsafe-inline")
                    || !csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
                "{path}: {csp}"
            );
            let html = res.text().await.unwrap();
            assert!(!html.contains(KEY_A), "{path} renders the API key");
            b.go(path).await;
            let inline = b.js("return [...document.scripts].filter(s => !s.src && s.textContent.trim()).length", vec![]).await;
            assert_eq!(inline, Value::from(0), "{path} has inline script");
        }
    })
    .await;
}
