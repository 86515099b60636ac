//! The harness: starts the real program on 127.0.0.1:0 with a temporary data directory, reads
//! the address it prints, and offers an HTTP client with the credentials of two avatars.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Avatar A's API key.
pub const KEY_A: &str = "e2e-key-avatar-a-0123456789";
/// Avatar A.
pub const AVATAR_A: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
/// Avatar B's API key.
pub const KEY_B: &str = "e2e-key-avatar-b-9876543210";
/// Avatar B.
pub const AVATAR_B: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0b2c";
/// The OASIS JWT signing key.
pub const JWT_SECRET: &str = "e2e-oasis-jwt-secret";
/// The webhook secret.
pub const WEBHOOK_SECRET: &str = "e2e-webhook-secret_42";

/// A running program.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    http: reqwest::Client,
}

/// How to start one.
#[derive(Clone)]
pub struct Options {
    /// `sqlite` or `memory`.
    pub store: &'static str,
    /// Data directory (a fresh temporary one when `None`).
    pub data_dir: Option<PathBuf>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self { store: "sqlite", data_dir: None, env: Vec::new() }
    }
}

impl Server {
    /// Starts with the embedded store in a fresh directory.
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// Starts with options.
    pub fn start_with(opts: Options) -> Self {
        let data_dir = opts.data_dir.clone().unwrap_or_else(|| tempfile::tempdir().unwrap().keep());
        let mut cmd = command(opts, &data_dir);
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("start telegcrm-under-test");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("telegcrm listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("telegcrm did not report its address within 30 s")
        });
        Self { child, base, data_dir, http: reqwest::Client::new() }
    }

    /// A URL on the server (`path` may be relative to the API prefix when it does not start with `/`).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') { format!("{}{path}", self.base) } else { format!("{}/api/telegram-crm/{path}", self.base) }
    }

    /// A raw client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends with avatar A's key.
    pub async fn a(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(KEY_A, method, path, body).await
    }

    /// Sends with avatar B's key.
    pub async fn b(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(KEY_B, method, path, body).await
    }

    /// Sends a request with an API key and returns status and JSON body (Null when empty).
    pub async fn call(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_in(key, None, method, path, body).await
    }

    /// [`Server::call`] in the workspace of `workspace` (the `X-Workspace` header), when given.
    pub async fn call_in(&self, key: &str, workspace: Option<&str>, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path)).header("X-API-Key", key);
        if let Some(w) = workspace {
            req = req.header("X-Workspace", w);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    /// Posts a raw Telegram update to the webhook with the right secret; returns the status.
    pub async fn webhook(&self, update: &Value) -> u16 {
        self.http
            .post(self.url("telegram/webhook"))
            .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
            .header("content-type", "application/json")
            .body(update.to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Stops with SIGTERM and waits (graceful shutdown).
    pub fn stop(mut self) -> PathBuf {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "telegcrm exited with {status} after SIGTERM");
                return self.data_dir.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("telegcrm did not stop within 30 s of SIGTERM");
    }

    /// Kills with SIGKILL (no chance to flush).
    pub fn kill(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.data_dir.clone()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program with the environment of `opts` on `data_dir` (no subcommand yet).
pub fn command(opts: Options, data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_telegcrm-under-test"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("TELEGCRM_BIND", "127.0.0.1:0")
        .env("TELEGCRM_STORE", opts.store)
        .env("TELEGCRM_DATA_DIR", data_dir)
        .env("TELEGCRM_API_KEYS", format!("{KEY_A}={AVATAR_A},{KEY_B}={AVATAR_B}"))
        .env("OASIS_JWT_SECRET", JWT_SECRET)
        .env("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("TELEGCRM_OWNER_AVATAR_ID", AVATAR_A)
        .envs(opts.env);
    cmd
}

/// Runs `telegcrm check` (with `--repair` when asked) on the store of `opts`; its exit code and stdout.
pub fn check(opts: Options, data_dir: &Path, repair: bool) -> (i32, String) {
    let mut cmd = command(opts, data_dir);
    cmd.arg("check");
    if repair {
        cmd.arg("--repair");
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("run telegcrm-under-test check");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `result` of a success envelope, checking the envelope.
pub fn result(body: &Value) -> &Value {
    assert_eq!(body["isError"], false, "{body}");
    &body["result"]
}

/// Asserts an error envelope with this code.
pub fn assert_error(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["isError"], true, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// A private message from Telegram user `user_id` to the bot, as Telegram's webhook sends it.
pub fn dm(update_id: i64, user_id: i64, first_name: &str, message_id: i64, text: &str, date: i64) -> Value {
    let user = serde_json::json!({"id": user_id, "is_bot": false, "first_name": first_name, "username": format!("user{user_id}"), "language_code": "en"});
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": date,
            "chat": {"id": user_id, "type": "private", "first_name": first_name, "username": format!("user{user_id}")},
            "from": user,
            "text": text,
        }
    })
}

/// 2026-03-02T09:00:00Z as a Unix time.
pub const T0: i64 = 1_772_442_000;

/// Follows `nextCursor` through a whole list; returns every item.
pub async fn all_pages(s: &Server, key: &str, path: &str, cursor_param: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}{cursor_param}={c}"),
            None => path.to_owned(),
        };
        let (status, body) = s.call(key, "GET", &url, None).await;
        assert_eq!(status, 200, "{body}");
        let r = result(&body);
        items.extend(r["items"].as_array().unwrap().iter().cloned());
        match r["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("more than 1000 pages")
}

// ---- Telegram: the server against the test kit's fake Bot API ----

/// Where the webhook-mode tests say the server is reachable from Telegram.
pub const WEBHOOK_URL: &str = "https://crm.example.com/api/telegram-crm/telegram/webhook";

/// Environment that points the server at `fake` in `mode` (`polling` or `webhook`).
pub fn telegram_env(fake: &telegcrm_testkit::fake_telegram::FakeTelegram, mode: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("TELEGRAM_BOT_TOKEN".to_owned(), fake.token().to_owned()),
        ("TELEGRAM_API_URL".to_owned(), fake.api_url()),
        ("TELEGRAM_MODE".to_owned(), mode.to_owned()),
    ];
    if mode == "webhook" {
        env.push(("TELEGRAM_WEBHOOK_URL".to_owned(), WEBHOOK_URL.to_owned()));
    }
    env
}

/// Starts the server in `mode` against `fake`, on `data_dir` (fresh when `None`).
pub fn start_telegram(fake: &telegcrm_testkit::fake_telegram::FakeTelegram, mode: &str, data_dir: Option<PathBuf>) -> Server {
    Server::start_with(Options { data_dir, env: telegram_env(fake, mode), ..Options::default() })
}

/// Asks `probe` every 10 ms until it answers `Some`, for at most `within`; panics naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the poller has confirmed (by its `getUpdates` offset) every update queued in `fake`.
pub async fn confirmed(fake: &telegcrm_testkit::fake_telegram::FakeTelegram, within: Duration) {
    assert!(fake.wait_until_confirmed(within).await, "the poller did not confirm every update within {within:?}");
}

/// Every conversation the avatar with `key` sees.
pub async fn conversations(s: &Server, key: &str) -> Vec<Value> {
    all_pages(s, key, "conversations?limit=200", "cursor").await
}

/// Every message of a conversation, newest first.
pub async fn messages(s: &Server, key: &str, conversation_id: &str) -> Vec<Value> {
    all_pages(s, key, &format!("conversations/{conversation_id}/messages?limit=200"), "before").await
}

/// `MONGODB_URI` for the tests that need a Mongo-wire server (`cargo xtask test` starts FerretDB
/// and sets it). Without it: `None` (the test skips, saying so), except under `CI=true`, where
/// it panics.
pub fn mongo_uri() -> Option<String> {
    match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MONGODB_URI is not set, and CI=true: this test needs FerretDB or MongoDB (`cargo xtask test` starts one)")
        }
        _ => {
            eprintln!("skipping: MONGODB_URI is not set (`cargo xtask test` starts FerretDB and sets it)");
            None
        }
    }
}
