//! Long polling end to end: the real program polls the test kit's fake Bot API and stores what it
//! gets — exactly once, through duplicates, unknown kinds, injected failures and a SIGKILL.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_telegram::{FakeTelegram, Fault, updates};

/// The first update id of a scripted stream.
const FIRST_ID: i64 = 700_001;

/// A scripted `getUpdates` stream and what the store must hold after it.
#[derive(Default)]
struct Stream {
    /// Queue items in order (an item may repeat the update before it, update id included).
    items: Vec<Value>,
    /// Per chat, the Telegram message ids that must be stored (once each).
    expected: BTreeMap<i64, BTreeSet<i64>>,
    /// Per queued update id, the (chat, message id) it carries, if a message.
    carries: BTreeMap<i64, (i64, i64)>,
    /// Markers of messages that arrived in two or more updates.
    repeated_markers: BTreeSet<String>,
    /// Every marker, by (chat, message id).
    markers: BTreeMap<(i64, i64), String>,
}

impl Stream {
    fn last_update_id(&self) -> i64 {
        self.items.iter().filter_map(|u| u["update_id"].as_i64()).max().unwrap()
    }

    fn message_count(&self) -> usize {
        self.expected.values().map(BTreeSet::len).sum()
    }
}

/// The customer who writes in chat `n`.
fn customer(n: i64) -> (i64, String) {
    const NAMES: [&str; 8] = ["Ada", "Zoë", "Олена", "Kwame", "Søren", "Mei", "José", "Priya"];
    (900_000_000 + n, format!("{} {n}", NAMES[(n % 8) as usize]))
}

/// `count` queue items over `chats` private chats: mostly new messages, and — when `messy` — the
/// same message again in a new update (every 10th item), the same update delivered twice (every
/// 10th), update kinds the CRM does not handle, a handled kind that does not parse, and one item
/// that is not an update at all.
fn stream(count: usize, chats: i64, messy: bool) -> Stream {
    const TEXTS: [&str; 5] = [
        "Could you send the invoice for March?",
        "Привет! Когда будет доставка?",
        "The package arrived, thanks a lot",
        "Can we move the call to Thursday?",
        "¿Tienen el modelo en azul?",
    ];
    let mut s = Stream::default();
    let mut next_message_id: BTreeMap<i64, i64> = BTreeMap::new();
    let mut sent: Vec<Value> = Vec::new();
    let mut id = FIRST_ID - 1;
    for i in 0..count {
        if messy && i == 40 {
            // Not an update: no update_id. Delivered once (in the first, offset-less call), skipped.
            s.items.push(json!({"ok": "this is not an update"}));
            continue;
        }
        if messy && i % 10 == 6 {
            // The same update delivered again, update id and all.
            let again = s.items.last().unwrap().clone();
            s.items.push(again);
            continue;
        }
        id += 1;
        let item = if messy && i % 97 == 50 {
            if i % 2 == 0 { updates::chat_boost_update(id) } else { updates::future_kind_update(id) }
        } else if messy && i % 997 == 60 {
            json!({"update_id": id, "message": {"message_id": "not a number", "chat": "nowhere"}})
        } else if messy && i % 10 == 3 && !sent.is_empty() {
            // The same message again, in a new update.
            let message = sent[(i * 7919) % sent.len()].clone();
            let key = (message["chat"]["id"].as_i64().unwrap(), message["message_id"].as_i64().unwrap());
            s.repeated_markers.insert(s.markers[&key].clone());
            s.carries.insert(id, key);
            json!({"update_id": id, "message": message})
        } else {
            let chat = i as i64 % chats;
            let (user, name) = customer(chat);
            let message_id = next_message_id.entry(chat).and_modify(|m| *m += 1).or_insert(1);
            let marker = format!("q{i}z");
            let text = format!("{} {marker} ingestcheck", TEXTS[i % TEXTS.len()]);
            let update = dm(id, user, &name, *message_id, &text, T0 + i as i64);
            s.expected.entry(user).or_default().insert(*message_id);
            s.markers.insert((user, *message_id), marker);
            s.carries.insert(id, (user, *message_id));
            sent.push(update["message"].clone());
            update
        };
        s.items.push(item);
    }
    s
}

/// Checks that every expected message is stored exactly once and nothing else is, through the
/// conversations' counters and the messages themselves.
async fn assert_stored_exactly_once(s: &Server, expected: &BTreeMap<i64, BTreeSet<i64>>) {
    let convs = conversations(s, KEY_A).await;
    assert_eq!(convs.len(), expected.len(), "one conversation per chat");
    for conv in &convs {
        let chat = conv["telegramChatId"].as_i64().unwrap();
        let want = &expected[&chat];
        assert_eq!(conv["messageCount"], want.len(), "messageCount of chat {chat}");
        assert_eq!(conv["unreadCount"], want.len(), "every message is incoming and counted unread once, chat {chat}");
        let stored = messages(s, KEY_A, conv["id"].as_str().unwrap()).await;
        let ids: Vec<i64> = stored.iter().map(|m| m["telegramMessageId"].as_i64().unwrap()).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "a message stored twice in chat {chat}");
        assert_eq!(&unique, want, "the messages of chat {chat}");
    }
}

#[tokio::test]
async fn ten_thousand_polled_updates_with_duplicates_unknown_kinds_and_failures_are_stored_exactly_once() {
    let fake = FakeTelegram::start();
    let stream = stream(10_000, 40, true);
    assert_eq!(stream.items.len(), 10_000);
    for item in &stream.items {
        fake.push_raw(item.clone());
    }
    // Failures at fixed getUpdates calls (the `Slow(0)` placeholders answer normally), mid-stream.
    let plan: BTreeMap<usize, Fault> = BTreeMap::from([
        (3, Fault::ServerError(500)),
        (12, Fault::TooManyRequests { retry_after: 1 }),
        (25, Fault::Conflict),
        (40, Fault::BadGatewayHtml),
        (41, Fault::ServerError(503)),
        (55, Fault::TooManyRequests { retry_after: 1 }),
        (70, Fault::Slow(Duration::from_millis(300))),
        (85, Fault::ServerError(502)),
    ]);
    fake.fail_next("deleteWebhook", Fault::ServerError(500));
    for call in 1..=*plan.keys().last().unwrap() {
        fake.fail_next("getUpdates", plan.get(&call).cloned().unwrap_or(Fault::Slow(Duration::ZERO)));
    }

    let s = start_telegram(&fake, "polling", None);
    // The 409 alone costs PollerConfig's 30 s conflict wait; everything else is quick.
    confirmed(&fake, Duration::from_secs(120)).await;

    // The offset: the last confirmed one is the last update id + 1, and it never went back.
    assert_eq!(fake.last_offset(), Some(stream.last_update_id() + 1));
    let polls = fake.calls_of("getUpdates");
    let last_planned = *plan.keys().last().unwrap();
    assert!(polls.len() > last_planned, "only {} getUpdates calls: not every planned failure happened", polls.len());
    let offsets: Vec<i64> = polls.iter().filter_map(|c| c.params["offset"].as_i64()).collect();
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "the offset went back: {offsets:?}");
    assert!(polls[0].params.get("offset").is_none_or(Value::is_null), "a fresh store starts without an offset");
    // The long poll is cut to a third of the polling lease (30 s by default), so it is renewed in time.
    assert_eq!(polls[0].params["timeout"], 10);
    assert_eq!(polls[0].params["limit"], 100);

    assert_stored_exactly_once(&s, &stream.expected).await;

    // Search agrees: every message once (chat by chat: relevance ranks at most the newest 1000
    // matches of a query), and a repeated message is one hit.
    let mut total = 0;
    for conv in conversations(&s, KEY_A).await {
        let (id, chat) = (conv["id"].as_str().unwrap(), conv["telegramChatId"].as_i64().unwrap());
        let hits = all_pages(&s, KEY_A, &format!("messages/search?q=ingestcheck&conversationId={id}&limit=200"), "cursor").await;
        let ids: HashSet<&str> = hits.iter().map(|h| h["message"]["id"].as_str().unwrap()).collect();
        let want = stream.expected[&chat].len();
        assert_eq!((hits.len(), ids.len()), (want, want), "search hits in chat {chat}");
        total += want;
    }
    assert_eq!(total, stream.message_count());
    assert!(stream.repeated_markers.len() > 500, "the stream repeats messages");
    for marker in stream.repeated_markers.iter().step_by(40) {
        let (status, body) = s.a("GET", &format!("messages/search?q={marker}"), None).await;
        assert_eq!(status, 200, "{body}");
        let items = result(&body)["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{marker}: {body}");
        assert!(items[0]["message"]["content"].as_str().unwrap().contains(marker.as_str()));
    }

    // Contacts count each message once too.
    let contacts = all_pages(&s, KEY_A, "contacts?limit=200", "cursor").await;
    assert_eq!(contacts.len(), stream.expected.len());
    for c in &contacts {
        let want = stream.expected[&c["telegramId"].as_i64().unwrap()].len();
        assert_eq!(c["totalMessages"], want, "{c}");
    }
}

#[tokio::test]
async fn a_server_killed_mid_stream_loses_nothing_it_confirmed_and_stores_nothing_twice() {
    let fake = FakeTelegram::start();
    let stream = stream(4_000, 16, false);
    for item in &stream.items {
        fake.push_raw(item.clone());
    }
    // Slow every answer a little so that the kill lands mid-stream.
    for _ in 0..200 {
        fake.fail_next("getUpdates", Fault::Slow(Duration::from_millis(30)));
    }
    let s = start_telegram(&fake, "polling", None);
    let mid = FIRST_ID + 1_200;
    eventually("the poller to confirm 1,200 updates", Duration::from_secs(60), || async {
        fake.last_offset().filter(|o| *o >= mid).map(|_| ())
    })
    .await;
    let dir = s.kill();
    // Every update before this offset is gone from Telegram: losing one would lose it for good.
    let acknowledged = fake.last_offset().unwrap();
    assert!(acknowledged < stream.last_update_id() + 1, "the kill came too late to be mid-stream");

    // Restarted without Telegram: everything acknowledged is there, nothing twice.
    let s = Server::start_with(Options { data_dir: Some(dir), ..Options::default() });
    let mut stored: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut count = 0;
    for conv in conversations(&s, KEY_A).await {
        let chat = conv["telegramChatId"].as_i64().unwrap();
        let msgs = messages(&s, KEY_A, conv["id"].as_str().unwrap()).await;
        assert_eq!(conv["messageCount"], msgs.len());
        count += msgs.len();
        stored.extend(msgs.iter().map(|m| (chat, m["telegramMessageId"].as_i64().unwrap())));
    }
    assert_eq!(count, stored.len(), "a message stored twice");
    let lost: Vec<i64> = stream.carries.range(..acknowledged).filter(|(_, key)| !stored.contains(key)).map(|(id, _)| *id).collect();
    assert!(lost.is_empty(), "acknowledged updates lost: {lost:?}");
    let dir = s.stop();

    // Polling again resumes at (or after) the acknowledged offset and finishes the stream.
    let polls_before = fake.calls_of("getUpdates").len();
    let s = start_telegram(&fake, "polling", Some(dir));
    confirmed(&fake, Duration::from_secs(60)).await;
    let resumed_at = fake.calls_of("getUpdates")[polls_before].params["offset"].as_i64();
    assert!(resumed_at.is_some_and(|o| o >= acknowledged), "resumed at {resumed_at:?}, acknowledged {acknowledged}");
    assert_eq!(fake.last_offset(), Some(stream.last_update_id() + 1));
    assert_stored_exactly_once(&s, &stream.expected).await;
}
