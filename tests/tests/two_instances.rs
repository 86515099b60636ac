//! Two real `telegcrm` processes on one Mongo database (FerretDB under `cargo xtask test`):
//! one polls, the other stands by and takes over after a SIGKILL; each reminder is sent once.
//! Needs `MONGODB_URI`; without it the tests skip, except under `CI=true`, where they fail.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_telegram::{FakeTelegram, updates};

/// The polling lease the tests run with (seconds).
const LEASE: u64 = 3;

fn mongo_env(uri: &str, fake: &FakeTelegram, mode: &str) -> Vec<(String, String)> {
    let database = format!("telegcrm_two_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let mut env = telegram_env(fake, mode);
    env.push(("MONGODB_URI".into(), uri.to_owned()));
    env.push(("MONGODB_DATABASE".into(), database));
    env.push(("TELEGRAM_POLL_LEASE".into(), LEASE.to_string()));
    env
}

fn start(env: &[(String, String)]) -> Server {
    Server::start_with(Options { store: "mongo", env: env.to_vec(), ..Options::default() })
}

async fn texts(s: &Server) -> Vec<String> {
    let mut out = Vec::new();
    for c in conversations(s, KEY_A).await {
        for m in messages(s, KEY_A, c["id"].as_str().unwrap()).await {
            out.push(m["content"].as_str().unwrap_or_default().to_owned());
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_polls_and_the_standby_takes_over_within_the_lease_after_a_sigkill() {
    let Some(uri) = mongo_uri() else { return };
    let fake = FakeTelegram::start();
    let env = mongo_env(&uri, &fake, "polling");
    let a = start(&env);
    eventually("the first instance polls", Duration::from_secs(15), || async { (!fake.calls_of("getUpdates").is_empty()).then_some(()) })
        .await;
    let b = start(&env);
    for i in 1..=5 {
        fake.push("message", updates::text_from_ada(i, &format!("before {i}")));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    confirmed(&fake, Duration::from_secs(15)).await;
    // Both run for two more lease periods: a second poller would cut the first one's long polls.
    tokio::time::sleep(Duration::from_secs(2 * LEASE)).await;
    assert_eq!(fake.conflicts(), 0, "only the lease holder calls getUpdates");

    let _ = a.kill();
    let killed = Instant::now();
    for i in 6..=10 {
        fake.push("message", updates::text_from_ada(i, &format!("after {i}")));
    }
    confirmed(&fake, Duration::from_secs(6 * LEASE)).await;
    let took_over = killed.elapsed();
    eprintln!("the standby took over and confirmed 5 updates {:.1} s after the SIGKILL (lease {LEASE} s)", took_over.as_secs_f64());
    assert!(took_over < Duration::from_secs(2 * LEASE + 2), "took {took_over:?}");

    let want: Vec<String> = (1..=5).map(|i| format!("before {i}")).chain((6..=10).map(|i| format!("after {i}"))).collect();
    let mut want = want;
    want.sort();
    assert_eq!(texts(&b).await, want, "every update stored once, none lost");
    let conv = conversations(&b, KEY_A).await;
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0]["messageCount"], 10, "{}", conv[0]);
}

/// `/start <code>` from Ada to the bot.
fn start_command(update_id: i64, code: &str) -> Value {
    let m = updates::message(update_id + 1000, updates::private_chat(&updates::ada()), Some(updates::ada()));
    let m = updates::with(m, "text", json!(format!("/start {code}")));
    updates::update(update_id, "message", m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_due_reminder_exactly_once() {
    let Some(uri) = mongo_uri() else { return };
    let fake = FakeTelegram::start();
    let env = mongo_env(&uri, &fake, "webhook");
    let setup = start(&env);
    // Avatar A links Ada's Telegram account and has a conversation with ten follow-ups due soon.
    let (_, body) = setup.a("POST", "me/telegram-link", None).await;
    let code = result(&body)["code"].as_str().unwrap().to_owned();
    assert_eq!(setup.webhook(&start_command(1, &code)).await, 200);
    assert_eq!(setup.webhook(&dm(2, 4242, "Grace", 1, "When can we meet?", 1_772_442_000)).await, 200);
    let conv = conversations(&setup, KEY_A).await;
    let conv = conv.iter().find(|c| c["telegramChatId"] == 4242).unwrap()["id"].as_str().unwrap().to_owned();
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    for n in 0..10 {
        let (status, body) = setup
            .a("POST", "followups", Some(json!({"conversationId": conv, "title": format!("Task {n}"), "dueAt": due.to_rfc3339()})))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    setup.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Two instances start together; each runs a reminder round at once.
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking({
            let env = env.clone();
            move || start(&env)
        }),
        tokio::task::spawn_blocking({
            let env = env.clone();
            move || start(&env)
        })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let reminded = eventually("every reminder is recorded", Duration::from_secs(20), || async {
        let (_, body) = a.a("GET", "followups?limit=50", None).await;
        let items = result(&body)["items"].as_array().cloned().unwrap_or_default();
        (items.len() == 10 && items.iter().all(|f| !f["remindedAt"].is_null())).then_some(items.len())
    })
    .await;
    assert_eq!(reminded, 10);
    // A little longer, so a second send would have arrived.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = fake.calls_of("sendMessage");
    let mut titles: Vec<String> =
        sent.iter().filter(|c| c.params["chat_id"] == updates::ADA_ID).map(|c| c.params["text"].as_str().unwrap().to_owned()).collect();
    assert_eq!(titles.len(), 10, "each reminder reaches Telegram once: {titles:?}");
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 10, "no reminder twice");
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_traffic_split_over_two_instances_ends_with_exact_counters() {
    let Some(uri) = mongo_uri() else { return };
    let fake = FakeTelegram::start();
    let env = mongo_env(&uri, &fake, "webhook");
    let (a, b) = (start(&env), start(&env));
    // Three customers write at once; every update goes to one instance or the other, and a
    // fifth of them are Telegram's redeliveries of an update already sent to the other one.
    let mut sends = Vec::new();
    for n in 0..60i64 {
        let user = 7000 + n % 3;
        let update = dm(n + 1, user, &format!("Customer {}", n % 3), n / 3 + 1, &format!("message {n}"), T0 + n);
        sends.push((n % 2 == 0, update.clone()));
        if n % 5 == 0 {
            sends.push((n % 2 != 0, update));
        }
    }
    let results = futures::future::join_all(sends.iter().map(|(to_a, update)| async {
        let s = if *to_a { &a } else { &b };
        s.webhook(update).await
    }))
    .await;
    assert!(results.iter().all(|&status| status == 200), "{results:?}");
    for s in [&a, &b] {
        let convs = conversations(s, KEY_A).await;
        assert_eq!(convs.len(), 3);
        for c in &convs {
            assert_eq!(c["messageCount"], 20, "{c}");
            assert_eq!(c["unreadCount"], 20, "{c}");
        }
        let (_, body) = s.a("GET", "contacts?limit=50", None).await;
        for contact in result(&body)["items"].as_array().unwrap() {
            assert_eq!(contact["totalMessages"], 20, "{contact}");
        }
    }
}
