//! The dashboard through actix's test server: sessions, CSRF, escaping, tenant isolation,
//! sign-in by API key and by OASIS password (against the testkit's fake OASIS).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use async_trait::async_trait;
use telegcrm_dashboard::{BotStatus, Dashboard, Host, TelegramLink};
use telegcrm_domain::event::{CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::{AvatarId, ChatKey, ChatType, ConversationStatus, CrmService, Direction, MessageType, PageRequest};
use telegcrm_store_memory::MemoryStore;
use telegcrm_testkit::fake_oasis::{FakeAvatar, FakeOasis};

const KEY_A: &str = "key-of-avatar-a";
const KEY_B: &str = "key-of-avatar-b";

struct TestHost {
    a: AvatarId,
    b: AvatarId,
}

#[async_trait]
impl Host for TestHost {
    fn api_key_avatar(&self, key: &str) -> Option<AvatarId> {
        match key {
            KEY_A => Some(self.a),
            KEY_B => Some(self.b),
            _ => None,
        }
    }
    fn jwt_avatar(&self, token: &str) -> Option<AvatarId> {
        // The fake OASIS's default tokens name the avatar; the server verifies real JWTs.
        token.strip_prefix("fake-oasis-jwt.")?.parse().ok()
    }
    async fn create_telegram_link(&self, _avatar: AvatarId) -> Result<TelegramLink, String> {
        Ok(TelegramLink { deep_link: "https://t.me/telegcrm_bot?start=abc123".into(), expires_at: None })
    }
    async fn bot_status(&self) -> BotStatus {
        BotStatus { mode: "webhook".into(), last_update_at: None }
    }
}

async fn seed(service: &CrmService, owner: AvatarId, chat_id: i64, text: &str) {
    let user = TelegramUser { id: chat_id, first_name: format!("Person {chat_id}"), ..Default::default() };
    let msg = CapturedMessage {
        chat: ChatInfo {
            key: ChatKey { owner, chat_id, business_connection_id: None },
            chat_type: ChatType::Private,
            title: None,
            counterpart: Some(user.clone()),
        },
        telegram_message_id: 1,
        direction: Direction::Incoming,
        sender: Some(user),
        text: text.into(),
        message_type: MessageType::Text,
        media: None,
        reply_to_telegram_message_id: None,
        sent_at: chrono::Utc::now(),
        details: Default::default(),
    };
    service.ingest(vec![InboundEvent::Message(msg)], vec![]).await.unwrap();
}

struct Setup {
    service: CrmService,
    a: AvatarId,
    b: AvatarId,
    dash: web::Data<Dashboard>,
}

fn setup(oasis: Option<&FakeOasis>) -> Setup {
    let service = CrmService::new(Arc::new(MemoryStore::new()));
    let (a, b) = (AvatarId::new(), AvatarId::new());
    let mut dash = Dashboard::new(service.clone(), Arc::new(TestHost { a, b }));
    if let Some(o) = oasis {
        let client = telegcrm_oasis::OasisClient::new(telegcrm_oasis::OasisConfig::new(o.url())).unwrap();
        dash = dash.with_oasis(Arc::new(client));
    }
    Setup { service, a, b, dash: web::Data::new(dash) }
}

macro_rules! app {
    ($s:expr) => {
        test::init_service(App::new().app_data($s.dash.clone()).configure(telegcrm_dashboard::configure)).await
    };
}

fn cookie_of<B>(res: &ServiceResponse<B>) -> (String, String) {
    let raw = res.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
    let value = raw.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    (value, raw)
}

async fn body_of<B: actix_web::body::MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn post(path: &str, body: String) -> test::TestRequest {
    test::TestRequest::post().uri(path).insert_header(("content-type", "application/x-www-form-urlencoded")).set_payload(body)
}

/// The CSRF token a page carries in its forms.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    html[at..at + 64].to_owned()
}

macro_rules! sign_in {
    ($app:expr, $key:expr) => {{
        let res = test::call_service(&$app, post("/sign-in", form(&[("api_key", $key)])).to_request()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        cookie_of(&res).0
    }};
}

macro_rules! get {
    ($app:expr, $cookie:expr, $path:expr) => {{
        let req =
            test::TestRequest::get().uri($path).cookie(actix_web::cookie::Cookie::new("telegcrm_session", $cookie.clone())).to_request();
        test::call_service(&$app, req).await
    }};
}

#[actix_web::test]
async fn api_key_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session() {
    let s = setup(None);
    let app = app!(s);
    let res = test::call_service(&app, test::TestRequest::get().uri("/inbox").to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out: to the sign-in page");
    assert_eq!(res.headers().get("location").unwrap(), "/sign-in");

    let res = test::call_service(&app, post("/sign-in", form(&[("api_key", KEY_A)])).to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (cookie, raw) = cookie_of(&res);
    assert_eq!(cookie.len(), 64, "{raw}");
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax") && !raw.contains("Secure"), "{raw}");

    let res = get!(app, cookie, "/inbox");
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(res.headers().get("x-content-type-options").unwrap(), "nosniff");
    let html = body_of(res).await;
    assert!(html.contains("<nav aria-label=\"Main\">") && html.contains(">Sign out</button>"));
    assert!(!html.contains("style=") && !html.contains("<script>"), "no inline style or script");

    let token = csrf_in(&html);
    let req = post("/sign-out", form(&[("_csrf", &token)])).cookie(actix_web::cookie::Cookie::new("telegcrm_session", cookie.clone()));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = get!(app, cookie, "/inbox");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the old cookie no longer works");
}

#[actix_web::test]
async fn secure_cookie_when_configured() {
    let mut s = setup(None);
    let dash = Dashboard::new(s.service.clone(), Arc::new(TestHost { a: s.a, b: s.b })).with_secure_cookie(true);
    s.dash = web::Data::new(dash);
    let app = app!(s);
    let res = test::call_service(&app, post("/sign-in", form(&[("api_key", KEY_A)])).to_request()).await;
    assert!(cookie_of(&res).1.contains("Secure"));
}

#[actix_web::test]
async fn a_wrong_key_is_refused_and_repeated_failures_are_slowed_down() {
    let s = setup(None);
    let app = app!(s);
    for _ in 0..5 {
        let res = test::call_service(&app, post("/sign-in", form(&[("api_key", "nope")])).to_request()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none());
    }
    let res = test::call_service(&app, post("/sign-in", form(&[("api_key", KEY_A)])).to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "even the right key waits");
    assert!(body_of(res).await.contains("Too many attempts, try again in"));
}

#[actix_web::test]
async fn oasis_password_sign_in_and_a_wrong_password() {
    let ada = FakeAvatar::new("ada", "Ada", "Lovelace");
    let ada_id = ada.id;
    let oasis = FakeOasis::start(vec![ada]);
    let s = setup(Some(&oasis));
    let app = app!(s);
    let res = test::call_service(&app, post("/sign-in", form(&[("username", "ada"), ("password", "wrong")])).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(body_of(res).await.contains("Wrong username or password"));
    let res = test::call_service(&app, post("/sign-in", form(&[("username", "ada"), ("password", "secret")])).to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (cookie, _) = cookie_of(&res);
    let html = body_of(get!(app, cookie, "/settings")).await;
    assert!(html.contains(&ada_id.to_string()), "signed in as Ada's avatar");
}

#[actix_web::test]
async fn state_changes_need_the_sessions_csrf_token() {
    let s = setup(None);
    seed(&s.service, s.a, 11, "hello").await;
    let conv = s.service.list_conversations(s.a, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    let app = app!(s);
    let cookie = sign_in!(app, KEY_A);
    let path = format!("/conversations/{}/status", conv.id);
    let with = |body: String| post(&path, body).cookie(actix_web::cookie::Cookie::new("telegcrm_session", cookie.clone()));
    for bad in [form(&[("status", "archived")]), form(&[("status", "archived"), ("_csrf", &"0".repeat(64))])] {
        let res = test::call_service(&app, with(bad).to_request()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(s.service.conversation(s.a, conv.id).await.unwrap().status, ConversationStatus::Active, "nothing changed");
    let token = csrf_in(&body_of(get!(app, cookie, "/inbox")).await);
    // htmx sends it as a header.
    let res =
        test::call_service(&app, with(form(&[("status", "archived")])).insert_header(("x-csrf-token", token.as_str())).to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(s.service.conversation(s.a, conv.id).await.unwrap().status, ConversationStatus::Archived);
}

#[actix_web::test]
async fn message_markup_is_shown_as_text() {
    let s = setup(None);
    seed(&s.service, s.a, 12, "<img src=x onerror=alert(1)>").await;
    let conv = s.service.list_conversations(s.a, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    let app = app!(s);
    let cookie = sign_in!(app, KEY_A);
    for path in ["/inbox".to_owned(), format!("/conversations/{}", conv.id), "/search?q=onerror".to_owned()] {
        let html = body_of(get!(app, cookie, &path)).await;
        assert!(!html.contains("<img src=x"), "{path} rendered markup");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") || html.contains("&#60;img"), "{path}: {html}");
    }
    let html = body_of(get!(app, cookie, "/search?q=onerror")).await;
    assert!(html.contains("<mark>onerror</mark>"), "the match is highlighted");
}

#[actix_web::test]
async fn another_avatars_records_are_a_404_page_with_the_nav() {
    let s = setup(None);
    seed(&s.service, s.b, 13, "private to b").await;
    let conv = s.service.list_conversations(s.b, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    let app = app!(s);
    let cookie = sign_in!(app, KEY_A);
    for path in
        [format!("/conversations/{}", conv.id), "/conversations/not-an-id".to_owned(), format!("/contacts/{}", conv.contact_id.unwrap())]
    {
        let res = get!(app, cookie, &path);
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let html = body_of(res).await;
        assert!(html.contains("<nav aria-label=\"Main\">"), "{path}");
        assert!(!html.contains("private to b"));
    }
    let html = body_of(get!(app, cookie, "/inbox")).await;
    assert!(!html.contains("private to b"));
}

#[actix_web::test]
async fn opening_a_conversation_marks_it_read_and_assets_are_cached_for_good() {
    let s = setup(None);
    seed(&s.service, s.a, 14, "unread one").await;
    let conv = s.service.list_conversations(s.a, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    assert_eq!(conv.unread_count, 1);
    let app = app!(s);
    let cookie = sign_in!(app, KEY_A);
    let inbox = body_of(get!(app, cookie, "/inbox")).await;
    assert!(inbox.contains("<span class=\"badge\">1"), "unread badge");
    let html = body_of(get!(app, cookie, &format!("/conversations/{}", conv.id))).await;
    assert!(html.contains("aria-label=\"Messages\"") && html.contains("unread one"));
    assert_eq!(s.service.conversation(s.a, conv.id).await.unwrap().unread_count, 0);
    let css = html.split("href=\"/assets/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = test::call_service(&app, test::TestRequest::get().uri(&format!("/assets/{css}")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("cache-control").unwrap(), "public, max-age=31536000, immutable");
}
