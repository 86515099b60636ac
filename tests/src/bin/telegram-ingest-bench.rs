//! Telegram ingest, end to end, on the embedded (SQLite) store:
//!
//! - *polling*: the test kit's fake Bot API queues N private messages; the server's poller fetches
//!   them (`getUpdates`, 100 a call) and stores them; timed from the first update queued until
//!   the poller confirms the last one by its offset (which it sends only after the batch is
//!   committed);
//! - *webhook*: S concurrent senders POST N updates, one per request, to the server's webhook
//!   (each answered only once stored); timed from the first request to the last answer.
//!
//! The server is the real one (`telegcrm_server::start`, HTTP on a loopback port, its own
//! multi-threaded runtime), in this process; load and fake share the same cores. Both runs check
//! through the API that every message is stored. Usage:
//!
//! `cargo run --release -p telegcrm-e2e --bin telegram-ingest-bench -- [--updates N] [--senders S] [--store sqlite|memory]`
//!
//! (`--store memory` shows what the pipeline costs without the embedded store.)
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use telegcrm_server::config::Settings;
use telegcrm_testkit::fake_telegram::FakeTelegram;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const OWNER: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
const API_KEY: &str = "bench-key-0123456789abcdef";
const SECRET: &str = "bench-webhook-secret";
/// Chats the messages are spread over.
const CHATS: i64 = 1_000;
/// The first update id.
const FIRST_ID: i64 = 1_000_001;
const TEXTS: [&str; 6] = [
    "Could you send the invoice for March?",
    "Привет! Когда будет доставка заказа?",
    "The package arrived, thanks a lot. One box was damaged though",
    "Can we move the call to Thursday at 3pm?",
    "¿Tienen el modelo en azul? Lo necesito urgente",
    "Please confirm the order #4821 asap",
];

/// The `i`-th update: a private message from one of [`CHATS`] customers to the bot.
fn update(i: usize) -> Value {
    let n = i as i64;
    let user = 800_000_000 + n % CHATS;
    let first = ["Ada", "Zoë", "Олена", "Kwame", "Søren", "Mei"][(n % 6) as usize];
    let from = json!({"id": user, "is_bot": false, "first_name": first, "last_name": format!("Customer{}", n % CHATS),
                      "username": format!("customer_{user}"), "language_code": "en"});
    json!({
        "update_id": FIRST_ID + n,
        "message": {
            "message_id": 1 + n / CHATS,
            "date": 1_772_442_000 + n,
            "chat": {"id": user, "type": "private", "first_name": first, "username": format!("customer_{user}")},
            "from": from,
            "text": format!("{} (ref {i})", TEXTS[i % TEXTS.len()]),
            "entities": [{"offset": 0, "length": 5, "type": "bold"}],
        }
    })
}

/// A server on its own thread and runtime, as the `telegcrm` program runs it.
struct Server {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(fake: &FakeTelegram, mode: &str, store: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let settings = Settings {
            bind: Some("127.0.0.1:0".into()),
            store: Some(store.into()),
            data_dir: Some(dir.path().to_owned()),
            telegram_bot_token: Some(fake.token().into()),
            telegram_api_url: Some(fake.api_url()),
            telegram_mode: Some(mode.into()),
            telegram_webhook_secret: Some(SECRET.into()),
            telegram_webhook_url: Some("https://crm.example.com/api/telegram-crm/telegram/webhook".into()),
            api_keys: Some(format!("{API_KEY}={OWNER}")),
            owner_avatar_id: Some(OWNER.into()),
            ..Default::default()
        };
        let config = settings.resolve()?;
        let (started_tx, started_rx) = std::sync::mpsc::channel::<std::result::Result<std::net::SocketAddr, String>>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    let _ = started_tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                match telegcrm_server::start(&config).await {
                    Ok(running) => {
                        let _ = started_tx.send(Ok(running.addr));
                        let _ = stopped.await;
                        running.stop().await;
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        let addr = started_rx.recv()??;
        Ok(Self { base: format!("http://{addr}"), stop, thread, _dir: dir })
    }

    fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| "the server thread panicked")?;
        Ok(())
    }
}

/// Messages stored, summed over every conversation's `messageCount`.
async fn stored_messages(http: &reqwest::Client, base: &str) -> Result<u64> {
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/telegram-crm/conversations?limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let body: Value = http.get(&url).header("X-API-Key", API_KEY).send().await?.error_for_status()?.json().await?;
        let result = &body["result"];
        for c in result["items"].as_array().ok_or("no items")? {
            total += c["messageCount"].as_u64().ok_or("no messageCount")?;
        }
        match result["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(total),
        }
    }
}

async fn polling(n: usize, store: &str) -> Result<f64> {
    let fake = FakeTelegram::start();
    let server = Server::start(&fake, "polling", store)?;
    // Wait for the poller's first long poll, so that start-up is not timed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.calls_of("getUpdates").is_empty() {
        if Instant::now() > deadline {
            return Err("the poller did not call getUpdates within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let updates: Vec<Value> = (0..n).map(update).collect();
    let last = FIRST_ID + n as i64 - 1;
    let started = Instant::now();
    for u in updates {
        fake.push_raw(u);
    }
    let deadline = started + Duration::from_secs(600);
    while fake.last_offset() != Some(last + 1) {
        if Instant::now() > deadline {
            return Err(format!("not confirmed within 600 s (offset {:?})", fake.last_offset()).into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    let stored = stored_messages(&reqwest::Client::new(), &server.base).await?;
    if stored != n as u64 {
        return Err(format!("polling stored {stored} messages, expected {n}").into());
    }
    let calls = fake.calls_of("getUpdates").len();
    server.stop()?;
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "polling: {n} updates in {:.3} s = {rate:.0} updates/s ({calls} getUpdates calls); {stored} messages stored",
        elapsed.as_secs_f64()
    );
    Ok(rate)
}

async fn webhook(n: usize, senders: usize, store: &str) -> Result<f64> {
    let fake = FakeTelegram::start();
    let server = Server::start(&fake, "webhook", store)?;
    let url = format!("{}/api/telegram-crm/telegram/webhook", server.base);
    let bodies: Arc<Vec<String>> = Arc::new((0..n).map(|i| update(i).to_string()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder().pool_max_idle_per_host(senders).build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (bodies, next, http, url) = (bodies.clone(), next.clone(), http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return Ok::<(), reqwest::Error>(()) };
                http.post(&url)
                    .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?
                    .error_for_status()?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = started.elapsed();
    let stored = stored_messages(&http, &server.base).await?;
    if stored != n as u64 {
        return Err(format!("webhook stored {stored} messages, expected {n}").into());
    }
    server.stop()?;
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "webhook: {n} updates from {senders} concurrent senders in {:.3} s = {rate:.0} updates/s; {stored} messages stored",
        elapsed.as_secs_f64()
    );
    Ok(rate)
}

fn arg(args: &[String], name: &str, default: usize) -> Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or(format!("{name} needs a value"))?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--updates", 20_000)?;
    let senders = arg(&args, "--senders", 16)?;
    let store = match args.iter().position(|a| a == "--store") {
        Some(i) => args.get(i + 1).ok_or("--store needs sqlite or memory")?.clone(),
        None => "sqlite".to_owned(),
    };
    // The load side (fake Bot API clients, senders) runs here; the server on its own runtime.
    let load = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let polling_rate = load.block_on(polling(n, &store))?;
    let webhook_rate = load.block_on(webhook(n, senders, &store))?;
    println!(
        "{}",
        json!({"store": store, "updates": n, "senders": senders,
               "polling_updates_per_s": polling_rate.round(), "webhook_updates_per_s": webhook_rate.round()})
    );
    Ok(())
}
