//! The program under test for the browser tests: the real binary in webhook mode against the
//! test kit's fake Bot API and fake OASIS, seeded through the webhook (Telegram's own JSON) and
//! the REST API, plus the sign-in steps every signed-in test starts with.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};
use telegcrm_testkit::fake_oasis::{FakeAvatar, FakeOasis};
use telegcrm_testkit::fake_telegram::{FakeTelegram, updates};

use crate::browser::{Browser, Role, View, with_browser};
use crate::common::*;

/// The OASIS username of avatar A (password "secret").
pub const USER_A: &str = "grace";
/// The OASIS username of avatar B (Bob Builder), whom A can invite to her team.
pub const USER_B: &str = "bob";
/// An OASIS avatar that a contact can be linked to.
pub const LINKABLE: &str = "ada_oasis";

/// Telegram users of the seeded inbox.
pub const ADA: (i64, &str) = (7_001, "Ada");
/// Boris.
pub const BORIS: (i64, &str) = (7_002, "Boris");
/// Chen.
pub const CHEN: (i64, &str) = (7_003, "Chen");
/// Dana.
pub const DANA: (i64, &str) = (7_004, "Dana");

/// The seeded conversations of avatar A.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Ada: 3 unread, the last says "Urgent" → urgent.
    pub ada: String,
    /// Boris: 1 unread, medium.
    pub boris: String,
    /// Chen: 1 unread, "Important" → high; the newest.
    pub chen: String,
    /// Dana: read, the oldest.
    pub dana: String,
    /// Ada's contact.
    pub ada_contact: String,
}

/// A running server with its fakes.
pub struct App {
    /// The program.
    pub s: Server,
    /// Its fake Bot API.
    pub telegram: FakeTelegram,
    /// Its fake OASIS.
    pub oasis: FakeOasis,
    /// The OASIS avatar that `LINKABLE` names.
    pub linkable: FakeAvatar,
    /// A's seeded conversations.
    pub seeded: Seeded,
    update_id: AtomicI64,
    message_id: AtomicI64,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("base", &self.s.base).finish_non_exhaustive()
    }
}

/// Now, as a Unix time.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl App {
    /// Starts the program with an empty store; `None` when the browser tests are skipped.
    pub async fn empty() -> Option<App> {
        if !crate::browser::available() {
            return None;
        }
        let telegram = FakeTelegram::start();
        let mut grace = FakeAvatar::new(USER_A, "Grace", "Hopper");
        grace.id = AVATAR_A.parse().expect("uuid");
        let mut bob = FakeAvatar::new(USER_B, "Bob", "Builder");
        bob.id = AVATAR_B.parse().expect("uuid");
        let linkable = FakeAvatar::new(LINKABLE, "Ada", "Lovelace");
        let oasis = FakeOasis::start(vec![grace, bob, linkable.clone()]);
        oasis.set_jwt_secret(JWT_SECRET);
        let mut env = telegram_env(&telegram, "webhook");
        env.push(("OASIS_API_URL".into(), oasis.url()));
        let s = Server::start_with(Options { env, ..Options::default() });
        Some(App { s, telegram, oasis, linkable, seeded: Seeded::default(), update_id: AtomicI64::new(1), message_id: AtomicI64::new(1) })
    }

    /// Starts the program with A's seeded inbox (see [`Seeded`]).
    pub async fn seeded() -> Option<App> {
        let mut app = Self::empty().await?;
        let t = now();
        app.dm(ADA, "Hello, do you have the catalogue?", t - 50 * 60).await;
        app.dm(ADA, "And the price list for the oak tables", t - 45 * 60).await;
        app.dm(DANA, "Thanks, all good with the delivery", t - 40 * 60).await;
        app.dm(ADA, "Urgent: the invoice total is wrong", t - 30 * 60).await;
        app.dm(BORIS, "Can we meet next week about the kitchen quote?", t - 20 * 60).await;
        app.dm(CHEN, "Important: contract draft for review", t - 10 * 60).await;
        let by_title = |convs: &[Value], name: &str| -> String {
            convs
                .iter()
                .find(|c| {
                    c["title"].as_str().is_some_and(|t| t.contains(name)) || c["contactName"].as_str().is_some_and(|t| t.contains(name))
                })
                .and_then(|c| c["id"].as_str())
                .unwrap_or_else(|| panic!("no conversation for {name}: {convs:?}"))
                .to_owned()
        };
        let convs = conversations(&app.s, KEY_A).await;
        app.seeded.ada = by_title(&convs, ADA.1);
        app.seeded.boris = by_title(&convs, BORIS.1);
        app.seeded.chen = by_title(&convs, CHEN.1);
        app.seeded.dana = by_title(&convs, DANA.1);
        let (status, body) = app.s.a("POST", &format!("conversations/{}/read", app.seeded.dana), None).await;
        assert!(status < 300, "{body}");
        let ada_conv = app.api("GET", &format!("conversations/{}", app.seeded.ada), None).await;
        app.seeded.ada_contact = ada_conv["contactId"].as_str().expect("Ada's contact").to_owned();
        Some(app)
    }

    /// Posts a private message from `user` to the webhook, sent at `date`.
    pub async fn dm(&self, user: (i64, &str), text: &str, date: i64) {
        let update = dm(self.next_update(), user.0, user.1, self.message_id.fetch_add(1, Ordering::Relaxed), text, date);
        assert_eq!(self.s.webhook(&update).await, 200, "webhook refused {update}");
    }

    /// Posts a raw update (its `update_id` replaced by the next one).
    pub async fn update(&self, mut update: Value) {
        update["update_id"] = json!(self.next_update());
        assert_eq!(self.s.webhook(&update).await, 200, "webhook refused {update}");
    }

    fn next_update(&self) -> i64 {
        self.update_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Seeds a business chat (Grace's connection, Ada writing) owned by A; returns its id.
    pub async fn business_chat(&self) -> String {
        self.update(updates::business_connection_update(0, true)).await;
        let m = updates::with(updates::business_message(901, false, "Is the walnut desk still available?"), "date", json!(now() - 60));
        self.update(updates::update(0, "business_message", m)).await;
        conversations(&self.s, KEY_A)
            .await
            .into_iter()
            .find(|c| c["businessConnectionId"] == updates::CONNECTION_ID)
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .expect("the business conversation")
    }

    /// Gives avatar B a conversation (Grace links her Telegram account to B, then her business
    /// chat arrives); returns its id.
    pub async fn conversation_of_b(&self) -> String {
        let (status, body) = self.s.b("POST", "me/telegram-link", None).await;
        assert_eq!(status, 201, "{body}");
        let code = result(&body)["code"].as_str().expect("code").to_owned();
        let grace = updates::grace();
        let m = updates::message(9_999, updates::private_chat(&grace), Some(grace.clone()));
        let m = updates::with(m, "text", json!(format!("/start {code}")));
        let m = updates::with(m, "entities", json!([{"offset": 0, "length": 6, "type": "bot_command"}]));
        self.update(updates::update(0, "message", m)).await;
        self.update(updates::business_connection_update(0, true)).await;
        self.update(updates::business_message_update(0, 950, false, "Secret plans for the zeppelin")).await;
        let mine = conversations(&self.s, KEY_B).await;
        mine.iter()
            .find(|c| c["businessConnectionId"] == updates::CONNECTION_ID)
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("B has no business conversation: {mine:?}"))
    }

    /// Calls the API as A and returns the `result`, asserting success.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.s.a(method, path, body).await;
        assert!(status < 300, "{method} {path}: {status} {answer}");
        result(&answer).clone()
    }

    /// One conversation of A, from the API.
    pub async fn conversation(&self, id: &str) -> Value {
        self.api("GET", &format!("conversations/{id}"), None).await
    }

    /// Opens a browser signed in as A (by API key) and runs `body`.
    pub async fn as_a<F>(&self, view: View, body: F)
    where
        F: AsyncFnOnce(Browser),
    {
        self.signed_in_with(KEY_A, view, body).await;
    }

    /// Opens a browser signed in as B (by API key) and runs `body`.
    pub async fn as_b<F>(&self, view: View, body: F)
    where
        F: AsyncFnOnce(Browser),
    {
        self.signed_in_with(KEY_B, view, body).await;
    }

    async fn signed_in_with<F>(&self, key: &str, view: View, body: F)
    where
        F: AsyncFnOnce(Browser),
    {
        with_browser(&self.s.base, view, async |b: Browser| {
            sign_in_with_key(&b, key).await;
            body(b).await;
        })
        .await;
    }

    /// Opens a signed-out browser and runs `body`.
    pub async fn signed_out<F>(&self, view: View, body: F)
    where
        F: AsyncFnOnce(Browser),
    {
        with_browser(&self.s.base, view, body).await;
    }
}

/// Signs in with an API key on the sign-in page and waits to leave it.
pub async fn sign_in_with_key(b: &Browser, key: &str) {
    b.go("/sign-in").await;
    let field = b.named(Role::TextBox, "API key").await;
    field.send_keys(key).await.expect("type the key");
    let form = b.form_of(&field).await;
    b.press(Some(&form), "Sign in").await;
    b.until("leaving the sign-in page", || async { (b.path().await != "/sign-in").then_some(()) }).await;
}

/// Fills username and password and presses that form's "Sign in".
pub async fn sign_in_with_password(b: &Browser, username: &str, password: &str) {
    b.go("/sign-in").await;
    let user = b.named(Role::TextBox, "Username").await;
    user.send_keys(username).await.expect("type the username");
    let form = b.form_of(&user).await;
    b.fill(Some(&form), "Password", password).await;
    b.press(Some(&form), "Sign in").await;
}
