//! Reminders reach the owner's linked Telegram account through the real Bot API client and a
//! fake Bot API server.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::event::{CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::service::NewFollowUp;
use telegcrm_domain::{AvatarId, ChatKey, ChatType, CrmService, Direction, MessageType, PageRequest};
use telegcrm_server::reminders::{Round, remind_once};
use telegcrm_store_memory::MemoryStore;
use telegcrm_telegram::{TelegramApi, TelegramSender};
use telegcrm_testkit::clock::ManualClock;
use telegcrm_testkit::fake_telegram::FakeTelegram;

async fn setup(link_owner: bool) -> (CrmService, Arc<ManualClock>, FakeTelegram, TelegramSender, AvatarId) {
    let owner = AvatarId::new();
    let clock = Arc::new(ManualClock::monday_morning());
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock.clone());
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
    };
    service.ingest(vec![InboundEvent::Message(msg)], vec![]).await.unwrap();
    if link_owner {
        let code = service.create_link_code(owner, "telegcrm_bot").await.unwrap();
        let me = TelegramUser { id: 777, first_name: "Owner".into(), ..Default::default() };
        assert_eq!(service.redeem_link_code(&code.code, &me).await.unwrap(), Some(owner));
    }
    let conv = service.list_conversations(owner, &Default::default(), &PageRequest::default()).await.unwrap().items.remove(0);
    let due = clock.now_for_tests() + Duration::hours(1);
    service
        .create_followup(
            owner,
            NewFollowUp { conversation_id: conv.id, title: "Call Zoë".into(), description: None, due_at: due, priority: None },
        )
        .await
        .unwrap();
    let fake = FakeTelegram::start();
    let sender = TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()));
    (service, clock, fake, sender, owner)
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
    assert_eq!(remind_once(&service, &sender).await, Round::default(), "nothing is due yet");
    assert!(fake.calls_of("sendMessage").is_empty());

    clock.advance(Duration::hours(2));
    assert_eq!(remind_once(&service, &sender).await, Round { sent: 1, ..Round::default() });
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    let params = &calls[0].params;
    assert_eq!(params["chat_id"], 777, "sent to the owner's own chat: {params}");
    assert!(params["text"].as_str().unwrap().contains("Call Zoë"), "{params}");
    assert!(params["text"].as_str().unwrap().contains("Conversation: Zoë"), "{params}");

    assert_eq!(remind_once(&service, &sender).await, Round::default(), "reminded once");
    let pending = service.pending_followups(owner, &PageRequest::default()).await.unwrap();
    assert!(pending.items[0].reminded_at.is_some());
    assert!(pending.items[0].is_overdue);
}

#[tokio::test]
async fn an_owner_without_a_linked_account_is_not_reminded_and_it_stays_due() {
    let (service, clock, fake, sender, owner) = setup(false).await;
    clock.advance(Duration::hours(2));
    assert_eq!(remind_once(&service, &sender).await, Round { unlinked: 1, ..Round::default() });
    assert!(fake.calls_of("sendMessage").is_empty());
    let pending = service.pending_followups(owner, &PageRequest::default()).await.unwrap();
    assert!(pending.items[0].reminded_at.is_none());
}
