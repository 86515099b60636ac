//! CrmService operations that reach OASIS or Telegram, with those ports mocked (mockall) and the
//! in-memory store underneath.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mockall::predicate::eq;
use telegcrm_domain::Access;
use telegcrm_domain::event::{CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::ports::{Avatar, AvatarRef, MockAvatarDirectory, MockClock, MockTelegramGateway, OutgoingText, SentMessage};
use telegcrm_domain::{
    AvatarId, ChatKey, ChatType, ContactId, Conversation, ConversationStatus, CrmError, CrmService, Direction, DirectoryError, Entity,
    GatewayError, MessageType, PageRequest,
};
use telegcrm_store_memory::MemoryStore;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn clock() -> Arc<MockClock> {
    let mut c = MockClock::new();
    c.expect_now().return_const(t(12, 0));
    Arc::new(c)
}

fn zoe() -> TelegramUser {
    TelegramUser {
        id: 5001,
        first_name: "Zoë".into(),
        last_name: Some("Ünal".into()),
        username: Some("zoe_u".into()),
        ..Default::default()
    }
}

fn incoming(owner: AvatarId, bc: Option<&str>, id: i64, text: &str) -> InboundEvent {
    InboundEvent::Message(CapturedMessage {
        chat: ChatInfo {
            key: ChatKey { owner, chat_id: 5001, business_connection_id: bc.map(str::to_owned) },
            chat_type: ChatType::Private,
            title: Some("Zoë Ünal".into()),
            counterpart: Some(zoe()),
        },
        telegram_message_id: id,
        direction: Direction::Incoming,
        sender: Some(zoe()),
        text: text.into(),
        message_type: MessageType::Text,
        media: None,
        reply_to_telegram_message_id: None,
        sent_at: t(10, id as u32),
        details: Default::default(),
    })
}

async fn seeded(service: &CrmService, owner: AvatarId, bc: Option<&str>) -> Conversation {
    service.ingest(vec![incoming(owner, bc, 1, "Hello"), incoming(owner, bc, 2, "Are you there?")], vec![]).await.unwrap();
    let page = service.list_conversations(owner, &Default::default(), &PageRequest::default()).await.unwrap();
    page.items.into_iter().next().unwrap()
}

fn first_contact_id(conv: &Conversation) -> ContactId {
    conv.contact_id.unwrap()
}

#[tokio::test]
async fn sending_goes_through_the_business_connection_and_is_stored_as_outgoing() {
    let owner = AvatarId::new();
    let mut gateway = MockTelegramGateway::new();
    gateway
        .expect_send_text()
        .with(eq(OutgoingText {
            chat_id: 5001,
            business_connection_id: Some("bc-77".to_owned()),
            text: "On my way".into(),
            reply_to_message_id: None,
        }))
        .times(1)
        .returning(|out| {
            Ok(SentMessage {
                telegram_message_id: 99,
                sent_at: t(11, 0),
                text: out.text,
                sender: None,
                message_type: MessageType::Text,
                media: None,
            })
        });
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    let conv = seeded(&service, owner, Some("bc-77")).await;
    assert_eq!(conv.unread_count, 2);

    let sent = service.send_message(&Access::owner(owner), conv.id, "  On my way ").await.unwrap();
    assert_eq!(sent.direction, Direction::Outgoing);
    assert_eq!(sent.telegram_message_id, 99);
    assert!(sent.is_read);

    let after = service.conversation(owner, conv.id).await.unwrap();
    assert_eq!(after.unread_count, 0);
    assert_eq!(after.status, ConversationStatus::Waiting);
    assert_eq!(after.message_count, 3);
}

#[tokio::test]
async fn an_imported_personal_chat_is_answered_through_the_owners_business_connection_only() {
    let owner = AvatarId::new();
    let mut gateway = MockTelegramGateway::new();
    gateway
        .expect_send_text()
        .with(eq(OutgoingText {
            chat_id: 5001,
            business_connection_id: Some("bc-now".to_owned()),
            text: "Hello again".into(),
            reply_to_message_id: None,
        }))
        .times(1)
        .returning(|out| {
            Ok(SentMessage {
                telegram_message_id: 77,
                sent_at: t(11, 0),
                text: out.text,
                sender: None,
                message_type: MessageType::Text,
                media: None,
            })
        });
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    let conv = seeded(&service, owner, Some(ChatKey::IMPORTED_PERSONAL)).await;

    // No connection yet: the bot must not write to the person from its own account.
    let err = service.send_message(&Access::owner(owner), conv.id, "Hello again").await.unwrap_err();
    assert!(matches!(err, CrmError::Invalid { field: "conversation", .. }), "{err}");
    assert!(err.to_string().contains("Telegram Business"), "{err}");

    let connect = |is_enabled, can_reply, minute| {
        InboundEvent::BusinessConnection(telegcrm_domain::event::BusinessConnection {
            id: "bc-now".into(),
            owner,
            user: zoe(),
            user_chat_id: 5001,
            is_enabled,
            can_reply,
            rights: Default::default(),
            date: t(10, minute),
        })
    };
    // A connection without the right to reply, or turned off, is refused before Telegram is
    // asked (the gateway expects exactly one call: the one that succeeds below).
    service.ingest(vec![connect(true, false, 20)], vec![]).await.unwrap();
    let err = service.send_message(&Access::owner(owner), conv.id, "Hello again").await.unwrap_err();
    assert!(err.to_string().contains("Reply to messages"), "{err}");
    service.ingest(vec![connect(false, true, 25)], vec![]).await.unwrap();
    let err = service.send_message(&Access::owner(owner), conv.id, "Hello again").await.unwrap_err();
    assert!(err.to_string().contains("turned off"), "{err}");
    service.ingest(vec![connect(true, true, 30)], vec![]).await.unwrap();
    let sent = service.send_message(&Access::owner(owner), conv.id, "Hello again").await.unwrap();
    assert_eq!((sent.conversation_id, sent.telegram_message_id), (conv.id, 77));
    assert_eq!(service.conversation(owner, conv.id).await.unwrap().message_count, 3);
}

#[tokio::test]
async fn telegram_refusal_is_an_error_and_stores_nothing() {
    let owner = AvatarId::new();
    let mut gateway = MockTelegramGateway::new();
    gateway.expect_send_text().returning(|_| Err(GatewayError::Refused { description: "Forbidden: bot was blocked by the user".into() }));
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    let conv = seeded(&service, owner, None).await;

    let err = service.send_message(&Access::owner(owner), conv.id, "hi").await.unwrap_err();
    assert!(matches!(&err, CrmError::Gateway(GatewayError::Refused { description }) if description.contains("blocked")), "{err}");
    assert_eq!(service.conversation(owner, conv.id).await.unwrap().message_count, 2);
}

#[tokio::test]
async fn empty_text_and_foreign_conversations_never_reach_telegram() {
    let owner = AvatarId::new();
    let mut gateway = MockTelegramGateway::new();
    gateway.expect_send_text().never();
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    let conv = seeded(&service, owner, None).await;

    assert!(matches!(service.send_message(&Access::owner(owner), conv.id, "   ").await, Err(CrmError::Invalid { field: "text", .. })));
    assert!(matches!(
        service.send_message(&Access::owner(owner), conv.id, &"x".repeat(4097)).await,
        Err(CrmError::Invalid { field: "text", .. })
    ));
    let stranger = AvatarId::new();
    assert!(matches!(
        service.send_message(&Access::owner(stranger), conv.id, "hi").await,
        Err(CrmError::NotFound { entity: Entity::Conversation, .. })
    ));
}

#[tokio::test]
async fn sending_without_a_gateway_says_it_is_not_configured() {
    let owner = AvatarId::new();
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock());
    let conv = seeded(&service, owner, None).await;
    assert!(matches!(
        service.send_message(&Access::owner(owner), conv.id, "hi").await,
        Err(CrmError::Gateway(GatewayError::NotConfigured))
    ));
}

#[tokio::test]
async fn linking_a_contact_resolves_the_avatar_through_oasis() {
    let owner = AvatarId::new();
    let linked = AvatarId::new();
    let mut directory = MockAvatarDirectory::new();
    directory
        .expect_find_avatar()
        .with(eq(AvatarRef::Username("zoe".into())))
        .times(1)
        .returning(move |_| Ok(Some(Avatar { id: linked, username: Some("zoe".into()), email: None, full_name: None })));
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_directory(Arc::new(directory));
    let conv = seeded(&service, owner, None).await;
    let contact =
        service.link_contact_avatar(&Access::owner(owner), first_contact_id(&conv), &AvatarRef::Username("zoe".into())).await.unwrap();
    assert_eq!(contact.linked_oasis_avatar_id, Some(linked));

    let unlinked = service.unlink_contact_avatar(&Access::owner(owner), contact.id).await.unwrap();
    assert_eq!(unlinked.linked_oasis_avatar_id, None);
}

#[tokio::test]
async fn an_unknown_avatar_is_not_found_and_oasis_failure_is_a_directory_error() {
    let owner = AvatarId::new();
    let mut directory = MockAvatarDirectory::new();
    directory.expect_find_avatar().with(eq(AvatarRef::Email("nobody@example.com".into()))).returning(|_| Ok(None));
    directory
        .expect_find_avatar()
        .with(eq(AvatarRef::Email("down@example.com".into())))
        .returning(|_| Err(DirectoryError::Upstream("connection refused".into())));
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_directory(Arc::new(directory));
    let conv = seeded(&service, owner, None).await;
    let contact = first_contact_id(&conv);

    let err =
        service.link_contact_avatar(&Access::owner(owner), contact, &AvatarRef::Email("nobody@example.com".into())).await.unwrap_err();
    assert!(matches!(err, CrmError::NotFound { entity: Entity::Avatar, .. }), "{err}");
    let err = service.link_contact_avatar(&Access::owner(owner), contact, &AvatarRef::Email("down@example.com".into())).await.unwrap_err();
    assert!(matches!(err, CrmError::Directory(_)), "{err}");
    assert_eq!(service.contact(owner, contact).await.unwrap().linked_oasis_avatar_id, None);
}

#[tokio::test]
async fn another_owners_contact_is_not_found_before_oasis_is_asked() {
    let owner = AvatarId::new();
    let mut directory = MockAvatarDirectory::new();
    directory.expect_find_avatar().never();
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_directory(Arc::new(directory));
    let conv = seeded(&service, owner, None).await;
    let err = service
        .link_contact_avatar(&Access::owner(AvatarId::new()), first_contact_id(&conv), &AvatarRef::Id(AvatarId::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, CrmError::NotFound { entity: Entity::Contact, .. }), "{err}");
}

#[tokio::test]
async fn the_service_stamps_changes_with_its_clock() {
    let owner = AvatarId::new();
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock());
    let conv = seeded(&service, owner, None).await;
    assert_eq!(conv.updated_at, t(12, 0));
    let read = service.mark_read(&Access::owner(owner), conv.id).await.unwrap();
    assert_eq!(read.last_read_at, Some(t(12, 0)));
    assert_eq!(read.unread_count, 0);
}

/// A Business connection that may reply, read and delete what the bot sent, but not the owner's
/// own messages.
fn connection_with_rights(owner: AvatarId, id: &str) -> InboundEvent {
    InboundEvent::BusinessConnection(telegcrm_domain::event::BusinessConnection {
        id: id.into(),
        owner,
        user: zoe(),
        user_chat_id: 5001,
        is_enabled: true,
        can_reply: true,
        rights: telegcrm_domain::event::BusinessRights {
            can_read_messages: true,
            can_delete_sent_messages: true,
            can_delete_all_messages: false,
        },
        date: t(9, 0),
    })
}

#[tokio::test]
async fn business_replies_edits_deletes_and_reads_go_to_telegram_as_the_rights_allow() {
    let owner = AvatarId::new();
    let bc = || Some("bc-r".to_owned());
    let mut gateway = MockTelegramGateway::new();
    gateway
        .expect_send_text()
        .with(eq(OutgoingText { chat_id: 5001, business_connection_id: bc(), text: "Friday?".into(), reply_to_message_id: Some(2) }))
        .times(1)
        .returning(|out| {
            Ok(SentMessage {
                telegram_message_id: 99,
                sent_at: t(11, 0),
                text: out.text,
                sender: None,
                message_type: MessageType::Text,
                media: None,
            })
        });
    gateway.expect_edit_text().with(eq(5001), eq(bc()), eq(99), eq("Friday, 10:00?".to_owned())).times(1).returning(|_, _, id, text| {
        Ok(SentMessage { telegram_message_id: id, sent_at: t(11, 5), text, sender: None, message_type: MessageType::Text, media: None })
    });
    gateway.expect_delete_messages().with(eq(5001), eq(bc()), eq(vec![99])).times(1).returning(|_, _, _| Ok(()));
    // The newest incoming message is marked read; Telegram refusing it is logged and the CRM's own
    // read state stands.
    gateway
        .expect_read_business_message()
        .with(eq("bc-r".to_owned()), eq(5001), eq(3))
        .times(1)
        .returning(|_, _, _| Err(GatewayError::Refused { description: "Bad Request: BUSINESS_PEER_USAGE_MISSING".into() }));
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    service.ingest(vec![connection_with_rights(owner, "bc-r")], vec![]).await.unwrap();
    let conv = seeded(&service, owner, Some("bc-r")).await;

    let err = service.send_reply(&Access::owner(owner), conv.id, "Friday?", Some(404)).await.unwrap_err();
    assert!(matches!(err, CrmError::Invalid { field: "replyToTelegramMessageId", .. }), "{err}");
    let sent = service.send_reply(&Access::owner(owner), conv.id, "Friday?", Some(2)).await.unwrap();
    assert_eq!((sent.reply_to_telegram_message_id, sent.details.sent_by_business_bot), (Some(2), true));

    let err = service.edit_message(&Access::owner(owner), conv.id, 1, "not mine").await.unwrap_err();
    assert!(err.to_string().contains("only your own"), "{err}");
    assert_eq!(
        service.edit_message(&Access::owner(owner), conv.id, 99, "Friday?").await.unwrap().edits.len(),
        0,
        "the same text calls nobody"
    );
    let edited = service.edit_message(&Access::owner(owner), conv.id, 99, " Friday, 10:00? ").await.unwrap();
    assert_eq!((edited.content.as_str(), edited.edits[0].content.as_str()), ("Friday, 10:00?", "Friday?"));

    // The owner typed this one in Telegram: the connection may not delete it.
    let mut typed = incoming(owner, Some("bc-r"), 50, "See you");
    if let InboundEvent::Message(m) = &mut typed {
        m.direction = Direction::Outgoing;
    }
    service.ingest(vec![typed], vec![]).await.unwrap();
    let err = service.delete_message(&Access::owner(owner), conv.id, 50).await.unwrap_err();
    assert!(err.to_string().contains("Delete all messages"), "{err}");
    let deleted = service.delete_message(&Access::owner(owner), conv.id, 99).await.unwrap();
    assert!(deleted.deleted_at.is_some());
    assert!(service.delete_message(&Access::owner(owner), conv.id, 99).await.unwrap_err().to_string().contains("deleted already"));

    service.ingest(vec![incoming(owner, Some("bc-r"), 3, "ok")], vec![]).await.unwrap();
    let read = service.mark_read(&Access::owner(owner), conv.id).await.unwrap();
    assert_eq!(read.unread_count, 0);
}

#[tokio::test]
async fn files_are_checked_before_telegram_and_go_as_photos_only_when_they_are_pictures() {
    let owner = AvatarId::new();
    let mut gateway = MockTelegramGateway::new();
    gateway.expect_send_file().withf(|f| !f.as_photo && f.caption.is_none()).times(1).returning(|f| {
        Ok(SentMessage {
            telegram_message_id: 70,
            sent_at: t(11, 0),
            text: String::new(),
            sender: None,
            message_type: MessageType::Document,
            media: Some(telegcrm_domain::Media {
                file_name: f.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                ..Default::default()
            }),
        })
    });
    let service = CrmService::new(Arc::new(MemoryStore::new())).with_clock(clock()).with_gateway(Arc::new(gateway));
    let conv = seeded(&service, owner, None).await;
    let file = |name: &str, size: u64, caption: &str| telegcrm_domain::service::FileToSend {
        path: std::path::PathBuf::from(format!("/tmp/x/{name}")),
        size,
        caption: caption.into(),
        reply_to: None,
    };
    assert!(file("a.JPG", 10, "").as_photo() && file("b.webp", 10, "").as_photo());
    assert!(!file("c.jpg", telegcrm_domain::service::MAX_PHOTO_BYTES + 1, "").as_photo(), "a large picture goes as a document");
    assert!(!file("d.svg", 10, "").as_photo() && !file("e", 10, "").as_photo());
    for (f, field) in
        [(file("a.pdf", 0, ""), "file"), (file("a.pdf", 51 << 20, ""), "file"), (file("a.pdf", 9, &"x".repeat(1025)), "caption")]
    {
        let err = service.send_file(&Access::owner(owner), conv.id, f).await.unwrap_err();
        assert!(matches!(err, CrmError::Invalid { field: f, .. } if f == field), "{err}");
    }
    let sent = service.send_file(&Access::owner(owner), conv.id, file("offer.pdf", 9, "  ")).await.unwrap();
    assert_eq!((sent.message_type, sent.media.and_then(|m| m.file_name)), (MessageType::Document, Some("offer.pdf".into())));
}
