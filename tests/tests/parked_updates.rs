//! Parked updates end to end, with a refusal the embedded store really makes: a stored contact
//! whose record no longer decodes (bit rot, a bad hand edit) makes SQLite refuse every update
//! from that person. Capture goes on for everyone else, by polling and by webhook; the refused
//! updates are parked with their raw JSON, `/metrics` and `telegcrm check` show them, and once
//! the record is fixed `telegcrm check --retry-parked` stores each exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use serde_json::Value;
use telegcrm_testkit::fake_telegram::FakeTelegram;

const ZOE: i64 = 5_001_234_567;
const ALEXEY: i64 = 5_002_345_678;

fn sqlite(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(telegcrm_store_sqlite::FILE_NAME)).unwrap()
}

/// Runs `telegcrm check` with `args` on the embedded store in `dir`: exit code and stdout.
fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut cmd = command(Options::default(), dir);
    cmd.arg("check").args(args);
    let out = cmd.stderr(Stdio::inherit()).output().expect("run telegcrm-under-test check");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn metric(s: &Server, name: &str) -> u64 {
    let text = s.http().get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.split(' ').next() == Some(name)).unwrap_or_else(|| panic!("no {name} in {text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

async fn texts_of(s: &Server, chat: i64) -> Vec<String> {
    let conv = conversations(s, KEY_A).await.into_iter().find(|c| c["telegramChatId"] == chat).unwrap();
    let mut texts: Vec<String> =
        messages(s, KEY_A, conv["id"].as_str().unwrap()).await.iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn updates_the_store_refuses_are_parked_shown_and_replayed_once_the_cause_is_fixed() {
    let fake = FakeTelegram::start();
    fake.push("message", dm(0, ZOE, "Zoë", 1, "Guten Morgen", T0)["message"].clone());
    let s = start_telegram(&fake, "polling", None);
    confirmed(&fake, Duration::from_secs(20)).await;
    let dir = s.stop();

    // Zoë's contact record stops decoding.
    let db = sqlite(&dir);
    let good: String = db.query_row("SELECT doc FROM contacts WHERE telegram_id = ?1", [ZOE], |r| r.get(0)).unwrap();
    assert_eq!(db.execute("UPDATE contacts SET doc = '{\"firstName\": \"Zo' WHERE telegram_id = ?1", [ZOE]).unwrap(), 1);
    drop(db);

    // Polling: a batch with one of Zoë's messages between two of Alexey's does not stall.
    fake.push("message", dm(0, ALEXEY, "Алексей", 1, "Привет! Когда будет доставка?", T0 + 60)["message"].clone());
    let refused_polled = fake.push("message", dm(0, ZOE, "Zoë", 2, "Haben Sie die Rechnung? 🧾", T0 + 120)["message"].clone());
    fake.push("message", dm(0, ALEXEY, "Алексей", 2, "Спасибо", T0 + 180)["message"].clone());
    let s = start_telegram(&fake, "polling", Some(dir.clone()));
    confirmed(&fake, Duration::from_secs(20)).await;
    assert_eq!(texts_of(&s, ALEXEY).await, ["Привет! Когда будет доставка?", "Спасибо"]);
    assert_eq!(metric(&s, "telegcrm_parked_updates").await, 1);
    assert_eq!(metric(&s, "telegcrm_updates_parked_total").await, 1);
    assert_eq!(metric(&s, "telegcrm_ingested_updates_total").await, 2);
    let dir = s.stop();

    // Webhook: Zoë's next message is parked and answered 200, so Telegram does not retry it forever.
    let s = start_telegram(&fake, "webhook", Some(dir.clone()));
    let refused_hooked = dm(910_000_001, ZOE, "Zoë", 3, "Hallo? Ist jemand da?", T0 + 240);
    assert_eq!(s.webhook(&refused_hooked).await, 200);
    assert_eq!(s.webhook(&dm(910_000_002, ALEXEY, "Алексей", 3, "Жду ответа", T0 + 300)).await, 200);
    assert_eq!(metric(&s, "telegcrm_parked_updates").await, 2);
    assert_eq!(texts_of(&s, ALEXEY).await.len(), 3);
    let dir = s.stop();

    // Parked as received.
    let db = sqlite(&dir);
    let raw: String = db.query_row("SELECT raw FROM parked_updates WHERE update_id = 910000001", [], |r| r.get(0)).unwrap();
    assert_eq!(raw, refused_hooked.to_string(), "the webhook body byte for byte");
    let raw: String = db.query_row("SELECT raw FROM parked_updates WHERE update_id = ?1", [refused_polled], |r| r.get(0)).unwrap();
    let raw: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(raw["message"]["text"], "Haben Sie die Rechnung? 🧾");

    // The cause is fixed (the record restored from a backup); check lists what waits.
    db.execute("UPDATE contacts SET doc = ?1 WHERE telegram_id = ?2", rusqlite::params![good, ZOE]).unwrap();
    drop(db);
    let (code, out) = check(&dir, &[]);
    assert_eq!(code, 1, "parked updates need attention: {out}");
    assert!(out.contains(&format!("parked update {refused_polled}: 1 attempts")), "{out}");
    assert!(out.contains("parked update 910000001: 1 attempts"), "{out}");
    assert!(out.contains("does not decode"), "{out}");
    assert!(out.contains("2 parked updates"), "{out}");

    let (code, out) = check(&dir, &["--retry-parked"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("retried parked updates: 2 stored, 0 refused again"), "{out}");
    assert!(out.contains("all counters agree"), "{out}");
    let (code, out) = check(&dir, &["--retry-parked"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("retried parked updates: 0 stored"), "{out}");

    let s = Server::start_with(Options { data_dir: Some(dir), ..Options::default() });
    assert_eq!(texts_of(&s, ZOE).await, ["Guten Morgen", "Haben Sie die Rechnung? 🧾", "Hallo? Ist jemand da?"]);
    let zoe = conversations(&s, KEY_A).await.into_iter().find(|c| c["telegramChatId"] == ZOE).unwrap();
    assert_eq!((zoe["messageCount"].as_u64(), zoe["unreadCount"].as_u64()), (Some(3), Some(3)));
    assert_eq!(metric(&s, "telegcrm_parked_updates").await, 0);
}
