//! Reminders reach the owner's linked Telegram account through the real Bot API client and a
//! fake Bot API server.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::event::{CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::service::NewFollowUp;
use telegcrm_domain::service::ReminderRound as Round;
use telegcrm_domain::{Access, AvatarId, ChatKey, ChatType, CrmService, Direction, MessageType, PageRequest};
use telegcrm_server::reminders::remind_once;
use telegcrm_store_memory::MemoryStore;
use telegcrm_telegram::{TelegramApi, TelegramSender};
use telegcrm_testkit::clock::ManualClock;
use telegcrm_testkit::fake_telegram::FakeTelegram;

async fn setup(link_owner: bool) -> (CrmService, Arc<ManualClock>, FakeTelegram, TelegramSender, AvatarId) {
    let owner = AvatarId::new();
    let clock = Arc::new(ManualClock::monday_morning());
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock.clone());
    owner_with_followups(&service, &clock, owner, link_owner.then_some(777), &["Call Zoë"], Duration::hours(1)).await;
    let fake = FakeTelegram::start();
    let sender = TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()));
    (service, clock, fake, sender, owner)
}

/// A conversation of `owner` with Zoë and one follow-up per title, due `due_in` from now; with
/// `link`, the owner's Telegram account (that id) is linked through a real link code.
async fn owner_with_followups(
    service: &CrmService,
    clock: &ManualClock,
    owner: AvatarId,
    link: Option<i64>,
    titles: &[&str],
    due_in: Duration,
) {
    let zoe = TelegramUser { id: 5001, first_name: "Zoë".into(), ..Default::default() };
    let msg = CapturedMessage {
        chat: ChatInfo {
            key: ChatKey { owner, chat_id: 5001, business_connection_id: None },
            chat_type: ChatType::Private,
            title: Some("Zoë".into()),
            counterpart: Some(zoe.clone()),
        },
        telegram_message_id: 1,
        direction: Direction::Incoming,
        sender: Some(zoe),
        text: "Ping me on Friday".into(),
        message_type: MessageType::Text,
        media: None,
        reply_to_telegram_message_id: None,
        sent_at: clock.now_for_tests(),
        details: Default::default(),
    };
    service.ingest(vec![InboundEvent::Message(msg)], vec![]).await.unwrap();
    if let Some(id) = link {
        let code = service.create_link_code(owner, "telegcrm_bot").await.unwrap();
        let me = TelegramUser { id, first_name: "Owner".into(), ..Default::default() };
        assert_eq!(service.redeem_link_code(&code.code, &me).await.unwrap(), Some(owner));
    }
    let conv = service.list_conversations(owner, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    let due = clock.now_for_tests() + due_in;
    for title in titles {
        let new = NewFollowUp { conversation_id: conv.id, title: (*title).into(), description: None, due_at: due, priority: None };
        service.create_followup(&Access::owner(owner), new).await.unwrap();
    }
}

trait Now {
    fn now_for_tests(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for ManualClock {
    fn now_for_tests(&self) -> chrono::DateTime<chrono::Utc> {
        telegcrm_domain::ports::Clock::now(self)
    }
}

#[tokio::test]
async fn a_due_followup_is_sent_to_the_owners_telegram_once() {
    let (service, clock, fake, sender, owner) = setup(true).await;
    assert_eq!(remind_once(&service, &sender, "instance-a").await, Round::default(), "nothing is due yet");
    assert!(fake.calls_of("sendMessage").is_empty());

    clock.advance(Duration::hours(2));
    assert_eq!(remind_once(&service, &sender, "instance-a").await, Round { sent: 1, ..Round::default() });
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    let params = &calls[0].params;
    assert_eq!(params["chat_id"], 777, "sent to the owner's own chat: {params}");
    assert!(params["text"].as_str().unwrap().contains("Call Zoë"), "{params}");
    assert!(params["text"].as_str().unwrap().contains("Conversation: Zoë"), "{params}");

    assert_eq!(remind_once(&service, &sender, "instance-a").await, Round::default(), "reminded once");
    let pending = service.pending_followups(owner, &PageRequest::default()).await.unwrap();
    assert!(pending.items[0].reminded_at.is_some());
    assert!(pending.items[0].is_overdue);
}

#[tokio::test]
async fn an_owner_without_a_linked_account_is_not_reminded_and_it_stays_due() {
    let (service, clock, fake, sender, owner) = setup(false).await;
    clock.advance(Duration::hours(2));
    assert_eq!(remind_once(&service, &sender, "instance-a").await, Round { unlinked: 1, ..Round::default() });
    assert!(fake.calls_of("sendMessage").is_empty());
    let pending = service.pending_followups(owner, &PageRequest::default()).await.unwrap();
    assert!(pending.items[0].reminded_at.is_none());
}

#[tokio::test]
async fn an_owner_with_a_thousand_unlinked_due_followups_does_not_delay_another_owners_reminder() {
    let clock = Arc::new(ManualClock::monday_morning());
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock.clone());
    let titles: Vec<String> = (0..1000).map(|i| format!("Unlinked {i}")).collect();
    let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
    // The unlinked owner's follow-ups fall due first, so they come first in due order.
    owner_with_followups(&service, &clock, AvatarId::new(), None, &titles, Duration::minutes(10)).await;
    owner_with_followups(&service, &clock, AvatarId::new(), Some(888), &["Call back"], Duration::minutes(50)).await;
    let fake = FakeTelegram::start();
    let sender = TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()));
    clock.advance(Duration::hours(1));

    let round = remind_once(&service, &sender, "instance-a").await;
    assert_eq!(round.sent, 1, "{round:?}");
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].params["chat_id"], 888);
    assert!(round.unlinked >= 1 && round.unlinked <= 100, "the unlinked owner's follow-ups are passed over in one page: {round:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_send_each_reminder_exactly_once() {
    let clock = Arc::new(ManualClock::monday_morning());
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock.clone());
    let mut expected = 0;
    for (i, owner_chat) in [901, 902, 903].into_iter().enumerate() {
        let titles: Vec<String> = (0..10).map(|n| format!("Owner {i} task {n}")).collect();
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        owner_with_followups(&service, &clock, AvatarId::new(), Some(owner_chat), &titles, Duration::minutes(5)).await;
        expected += titles.len();
    }
    let fake = FakeTelegram::start();
    let sender = TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()));
    clock.advance(Duration::hours(1));

    // Two instances over one store, at the same moment, several rounds each.
    let (a, b) = tokio::join!(
        async {
            let mut sent = 0;
            for _ in 0..3 {
                sent += remind_once(&service, &sender, "instance-a").await.sent;
            }
            sent
        },
        async {
            let mut sent = 0;
            for _ in 0..3 {
                sent += remind_once(&service, &sender, "instance-b").await.sent;
            }
            sent
        }
    );
    assert_eq!(a + b, expected, "a: {a}, b: {b}");
    let mut texts: Vec<String> = fake.calls_of("sendMessage").iter().map(|c| c.params["text"].as_str().unwrap().to_owned()).collect();
    assert_eq!(texts.len(), expected, "each reminder reaches Telegram once");
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), expected, "no reminder twice");
}
