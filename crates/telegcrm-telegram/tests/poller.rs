//! The poller against the fake Bot API server, through real frankenstein HTTP.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use telegcrm_domain::ports::ConversationFilter;
use telegcrm_domain::{AvatarId, CrmService, PageRequest};
use telegcrm_store_memory::MemoryStore;
use telegcrm_telegram::{OFFSET_KEY, PollLease, PollSummary, Poller, PollerConfig, TelegramApi, TelegramIngest};
use telegcrm_testkit::fake_telegram::updates::*;
use telegcrm_testkit::fake_telegram::{BOT_ID, FakeTelegram, Fault};
use telegcrm_testkit::refusing::RefusingStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Running {
    service: CrmService,
    owner: AvatarId,
    stop: watch::Sender<bool>,
    task: JoinHandle<PollSummary>,
}

fn config() -> PollerConfig {
    PollerConfig {
        long_poll: Duration::from_secs(1),
        limit: 100,
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        conflict_wait: Duration::from_millis(300),
        lease: None,
    }
}

fn start_with(fake: &FakeTelegram, service: CrmService, config: PollerConfig) -> Running {
    let owner = AvatarId::new();
    let api = TelegramApi::new(&fake.api_url(), fake.token());
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(Poller::new(api, ingest, config).run(shutdown));
    Running { service, owner, stop, task }
}

fn start(fake: &FakeTelegram) -> Running {
    start_with(fake, CrmService::new(Arc::new(MemoryStore::new())), config())
}

impl Running {
    async fn stop(self) -> (CrmService, AvatarId, PollSummary) {
        self.stop.send(true).unwrap();
        let summary = tokio::time::timeout(Duration::from_secs(5), self.task).await.unwrap().unwrap();
        (self.service, self.owner, summary)
    }
}

async fn message_count(service: &CrmService, owner: AvatarId) -> u64 {
    let page = service.list_conversations(owner, &ConversationFilter::default(), &PageRequest::first(200).unwrap()).await.unwrap();
    page.items.iter().map(|c| c.message_count).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_deletes_the_webhook_then_stores_updates_and_the_offset() {
    let fake = FakeTelegram::start();
    fake.set_webhook(Some("https://example.org/hook"));
    let first = fake.push("message", text_from_ada(1, "one"));
    fake.push("message", text_from_ada(2, "two"));
    let last = fake.push("channel_post", channel_post_update(0)["channel_post"].clone());
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (service, owner, summary) = running.stop().await;

    assert_eq!(fake.calls()[0].method, "deleteWebhook");
    assert_eq!(fake.webhook(), None);
    let polls = fake.calls_of("getUpdates");
    let params = &polls[0].params;
    assert_eq!(params["timeout"], 1);
    assert_eq!(params["allowed_updates"].as_array().unwrap().len(), telegcrm_telegram::ALLOWED_UPDATES.len());
    assert!(params["allowed_updates"].as_array().unwrap().iter().any(|k| k == "message_reaction"));
    assert_eq!(summary.ingested.report.messages_stored, 3);
    assert_eq!(summary.offset, Some(last + 1));
    assert!(first < last);
    assert_eq!(message_count(&service, owner).await, 3);
    assert_eq!(service.polling_offset().await.unwrap(), Some(last + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_resumes_from_the_stored_offset() {
    let fake = FakeTelegram::start();
    let service = CrmService::new(Arc::new(MemoryStore::new()));
    let old = fake.push("message", text_from_ada(1, "already stored"));
    service.ingest(vec![], vec![(OFFSET_KEY.to_owned(), (old + 1).to_string())]).await.unwrap();
    fake.push("message", text_from_ada(2, "new"));
    let running = start_with(&fake, service, config());
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (_, _, summary) = running.stop().await;
    assert_eq!(fake.calls_of("getUpdates")[0].params["offset"], old + 1);
    assert_eq!(summary.ingested.report.messages_stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_unknown_kinds_and_broken_updates_are_absorbed() {
    let fake = FakeTelegram::start();
    fake.push("message", text_from_ada(1, "hello"));
    fake.push("message", text_from_ada(1, "hello"));
    fake.push_raw(chat_boost_update(100_010));
    fake.push_raw(serde_json::json!({"update_id": 100_011, "message": {"message_id": "broken"}}));
    fake.push("message", text_from_ada(2, "after the junk"));
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (service, owner, summary) = running.stop().await;
    assert_eq!((summary.ingested.report.messages_stored, summary.ingested.report.duplicates), (2, 1));
    assert_eq!((summary.unsupported, summary.invalid), (1, 1));
    assert_eq!(message_count(&service, owner).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_garbage_answers_are_retried_with_back_off() {
    let fake = FakeTelegram::start();
    fake.push("message", text_from_ada(1, "survives"));
    fake.fail_next("getUpdates", Fault::ServerError(500));
    fake.fail_next("getUpdates", Fault::BadGatewayHtml);
    fake.fail_next("getUpdates", Fault::ServerError(503));
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (_, _, summary) = running.stop().await;
    assert_eq!(summary.ingested.report.messages_stored, 1);
    assert!(summary.retries >= 3, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_waits_retry_after() {
    let fake = FakeTelegram::start();
    fake.push("message", text_from_ada(1, "later"));
    fake.fail_next("getUpdates", Fault::TooManyRequests { retry_after: 1 });
    let started = Instant::now();
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
    let (_, _, summary) = running.stop().await;
    assert_eq!(summary.ingested.report.messages_stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_waits_and_then_polls_again() {
    let fake = FakeTelegram::start();
    fake.push("message", text_from_ada(1, "after the conflict"));
    fake.fail_next("getUpdates", Fault::Conflict);
    let started = Instant::now();
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    assert!(started.elapsed() >= Duration::from_millis(290));
    let (_, _, summary) = running.stop().await;
    assert_eq!(summary.ingested.report.messages_stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_waited_for() {
    let fake = FakeTelegram::start();
    fake.push("message", text_from_ada(1, "slow"));
    fake.fail_next("getUpdates", Fault::Slow(Duration::from_millis(500)));
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (_, _, summary) = running.stop().await;
    assert_eq!(summary.ingested.report.messages_stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_a_long_poll_at_once() {
    let fake = FakeTelegram::start();
    let running =
        start_with(&fake, CrmService::new(Arc::new(MemoryStore::new())), PollerConfig { long_poll: Duration::from_secs(30), ..config() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let (_, _, summary) = running.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(summary.batches, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_stops_polling() {
    let fake = FakeTelegram::start();
    let service = CrmService::new(Arc::new(MemoryStore::new()));
    let api = TelegramApi::new(&fake.api_url(), "999:wrong");
    let (_stop, shutdown) = watch::channel(false);
    let summary =
        tokio::time::timeout(Duration::from_secs(5), Poller::new(api, TelegramIngest::new(service, None, None), config()).run(shutdown))
            .await
            .unwrap();
    assert_eq!(summary.batches, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_batches_keep_every_message_exactly_once() {
    let fake = FakeTelegram::start();
    for i in 0..450 {
        fake.push("message", text_from_ada(i, &format!("message {i}")));
        if i % 50 == 0 {
            fake.push("message", text_from_ada(i, &format!("message {i}")));
        }
    }
    fake.fail_next("getUpdates", Fault::ServerError(502));
    let running = start(&fake);
    assert!(fake.wait_until_confirmed(Duration::from_secs(20)).await);
    let (service, owner, summary) = running.stop().await;
    assert_eq!(message_count(&service, owner).await, 450);
    assert_eq!(summary.ingested.report.duplicates, 9);
    assert!(summary.batches >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_lease_one_of_two_pollers_polls_and_the_other_takes_over_when_it_stops() {
    let fake = FakeTelegram::start();
    let service = CrmService::new(Arc::new(MemoryStore::new()));
    let leased = |holder: &str| PollerConfig { lease: Some(PollLease { holder: holder.into(), ttl: Duration::from_secs(3) }), ..config() };
    let a = start_with(&fake, service.clone(), leased("a"));
    assert!(
        tokio::time::timeout(Duration::from_secs(5), async {
            while fake.calls_of("getUpdates").is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok()
    );
    let b = start_with(&fake, service.clone(), leased("b"));
    for i in 1..=3 {
        fake.push("message", text_from_ada(i, "while both run"));
    }
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.conflicts(), 0, "the standby never calls getUpdates");

    // A graceful stop releases the lease: the standby takes over without waiting for it to expire.
    let (_, owner_a, _) = a.stop().await;
    let stopped = Instant::now();
    for i in 4..=6 {
        fake.push("message", text_from_ada(i, "after the first stopped"));
    }
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    assert!(stopped.elapsed() < Duration::from_secs(3), "took {:?}: the lease was not released", stopped.elapsed());
    let (service, owner_b, _) = b.stop().await;
    // Each poller files what it stored under its own default owner: a double poll would show twice.
    let (by_a, by_b) = (message_count(&service, owner_a).await, message_count(&service, owner_b).await);
    assert_eq!((by_a, by_b), (3, 3), "every update stored once, by whichever instance held the lease");
}

/// A store that refuses the updates whose text holds `☠` (as if a record they need did not
/// decode), under a poller.
fn refusing() -> (Arc<RefusingStore>, CrmService) {
    let store = Arc::new(RefusingStore::new(Arc::new(MemoryStore::new())));
    store.refuse_text("☠");
    let service = CrmService::new(store.clone());
    (store, service)
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_update_is_parked_with_its_raw_json_and_polling_moves_on() {
    let fake = FakeTelegram::start();
    let (store, service) = refusing();
    fake.push("message", text_from_ada(1, "Guten Morgen"));
    let poison = fake.push("message", text_from_ada(2, "Rechnung ☠ Nr. 4711"));
    let last = fake.push("message", text_from_ada(3, "Noch da?"));
    let running = start_with(&fake, service, config());
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await, "the poller stalled on the refused update");
    assert_eq!(fake.last_offset(), Some(last + 1));

    // Capture goes on after it.
    fake.push("message", text_from_ada(4, "Hallo?"));
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (service, owner, summary) = running.stop().await;
    assert_eq!(message_count(&service, owner).await, 3, "the refused update's neighbours are stored");
    assert_eq!((summary.ingested.parked, summary.ingested.dropped, summary.refused_batches), (1, 0, 1));
    assert_eq!(service.polling_offset().await.unwrap(), Some(last + 2));

    let parked = service.parked_updates(None, 10).await.unwrap();
    assert_eq!(parked.iter().map(|p| p.update_id).collect::<Vec<_>>(), [poison]);
    let raw: serde_json::Value = serde_json::from_str(&parked[0].raw).unwrap();
    assert_eq!(raw["update_id"], poison);
    assert_eq!(raw["message"]["text"], "Rechnung ☠ Nr. 4711");
    assert_eq!(raw["message"]["from"]["first_name"], "Ada");
    assert!(parked[0].error.contains("does not decode"), "{}", parked[0].error);

    // Still refused: a replay counts the attempt. Once the cause is gone it is stored once.
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(BOT_ID));
    let still = ingest.retry_all_parked().await.unwrap();
    assert_eq!((still.stored.len(), still.refused.len()), (0, 1));
    assert_eq!(service.parked_update(poison).await.unwrap().attempts, 2);
    store.accept_all();
    let replayed = ingest.retry_all_parked().await.unwrap();
    assert_eq!(replayed.stored, [poison]);
    assert_eq!(service.parked_count().await.unwrap(), 0);
    assert_eq!(ingest.retry_all_parked().await.unwrap(), Default::default());
    assert_eq!(message_count(&service, owner).await, 4);
    let texts = all_texts(&service, owner).await;
    assert_eq!(texts.iter().filter(|t| t.contains('☠')).count(), 1, "stored exactly once: {texts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_parks_nothing_and_the_batch_is_fetched_again() {
    let fake = FakeTelegram::start();
    let (store, service) = refusing();
    store.set_unavailable(true);
    fake.push("message", text_from_ada(1, "Guten Morgen"));
    let last = fake.push("message", text_from_ada(2, "Noch da?"));
    let running = start_with(&fake, service.clone(), config());
    wait_for("three failed ingests", async || store.refusals() >= 3).await;
    assert_eq!(service.parked_count().await.unwrap(), 0, "a passing failure parks nothing");
    assert_eq!(fake.last_offset(), None, "nothing confirmed while the store is down");
    assert!(fake.calls_of("getUpdates").len() >= 3, "the batch is fetched again");

    store.set_unavailable(false);
    assert!(fake.wait_until_confirmed(Duration::from_secs(10)).await);
    let (service, owner, summary) = running.stop().await;
    assert_eq!(message_count(&service, owner).await, 2);
    assert_eq!(service.parked_count().await.unwrap(), 0);
    assert_eq!(summary.ingested.parked, 0);
    assert!(summary.retries >= 3, "{summary:?}");
    assert_eq!(service.polling_offset().await.unwrap(), Some(last + 1));
}

async fn all_texts(service: &CrmService, owner: AvatarId) -> Vec<String> {
    let page = service.list_conversations(owner, &ConversationFilter::default(), &PageRequest::first(200).unwrap()).await.unwrap();
    let mut texts = Vec::new();
    for c in page.items {
        let messages = service.messages(owner, c.id, &PageRequest::first(200).unwrap()).await.unwrap();
        texts.extend(messages.items.into_iter().map(|m| m.content));
    }
    texts
}
