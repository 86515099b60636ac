//! Realistic inbound events, built by small helpers so that a test says only what matters to it.
//!
//! People have real Unicode names, chats have the ids Telegram gives them (a private chat's id is
//! the user's id, groups are negative), media carries the metadata Telegram sends. Times are
//! minutes after [`base`], Monday 2026-03-02 09:00 UTC — the instant [`crate::clock::ManualClock::monday_morning`]
//! starts at.

use chrono::{DateTime, Duration, TimeZone, Utc};
use telegcrm_domain::event::{BusinessConnection, CapturedDeletion, CapturedEdit, CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::service::ReceivedUpdate;
use telegcrm_domain::{AvatarId, ChatKey, ChatType, Direction, Media, MessageType, Tag};

/// Monday 2026-03-02 09:00:00 UTC: minute 0 of every fixture.
pub fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// `minutes` after [`base`] (negative goes back).
pub fn at(minutes: i64) -> DateTime<Utc> {
    base() + Duration::minutes(minutes)
}

/// A fresh owner (an OASIS avatar).
pub fn owner() -> AvatarId {
    AvatarId::new()
}

/// A tag; panics on an invalid one.
pub fn tag(text: &str) -> Tag {
    Tag::parse(text).unwrap()
}

/// A Telegram user.
pub fn user(id: i64, first_name: &str, last_name: Option<&str>, username: Option<&str>) -> TelegramUser {
    TelegramUser {
        id,
        is_bot: false,
        first_name: first_name.to_owned(),
        last_name: last_name.map(str::to_owned),
        username: username.map(str::to_owned),
        language_code: None,
        phone_number: None,
    }
}

/// Zoë Ünal (@zoe_unal), who writes in German.
pub fn zoe() -> TelegramUser {
    TelegramUser { language_code: Some("de".into()), ..user(5_001_234_567, "Zoë", Some("Ünal"), Some("zoe_unal")) }
}

/// Алексей Смирнов (@alexey_smirnov), who writes in Russian.
pub fn alexey() -> TelegramUser {
    TelegramUser {
        language_code: Some("ru".into()), ..user(5_002_345_678, "Алексей", Some("Смирнов"), Some("alexey_smirnov"))
    }
}

/// Mariana García, who has no username.
pub fn mariana() -> TelegramUser {
    TelegramUser { language_code: Some("es".into()), ..user(5_003_456_789, "Mariana", Some("García"), None) }
}

/// 李小龍 (@xiaolong_li).
pub fn xiaolong() -> TelegramUser {
    TelegramUser { language_code: Some("zh-hans".into()), ..user(5_004_567_890, "小龍", Some("李"), Some("xiaolong_li")) }
}

/// The owner's own Telegram account (Inès Moreau), the sender of outgoing business messages.
pub fn ines() -> TelegramUser {
    TelegramUser { language_code: Some("fr".into()), ..user(1_234_567, "Inès", Some("Moreau"), Some("ines_moreau")) }
}

/// Our bot.
pub fn bot() -> TelegramUser {
    TelegramUser { is_bot: true, ..user(7_000_000_001, "Telegcrm", None, Some("telegcrm_bot")) }
}

/// The `n`th of many distinct made-up customers (for pagination and bulk cases).
pub fn customer(n: i64) -> TelegramUser {
    user(6_000_000_000 + n, &format!("Kundin {n}"), Some("Müller"), Some(&format!("kundin_{n}")))
}

/// The bot's own private chat with `with` (no business connection).
pub fn private_chat(owner: AvatarId, with: &TelegramUser) -> ChatInfo {
    ChatInfo {
        key: ChatKey { owner, chat_id: with.id, business_connection_id: None },
        chat_type: ChatType::Private,
        title: Some(with.full_name()),
        counterpart: Some(with.clone()),
    }
}

/// The owner's personal chat with `with`, seen through a Telegram Business connection.
pub fn business_chat(owner: AvatarId, with: &TelegramUser, connection_id: &str) -> ChatInfo {
    let mut chat = private_chat(owner, with);
    chat.key.business_connection_id = Some(connection_id.to_owned());
    chat
}

/// A supergroup (Telegram gives these ids below -10^12).
pub fn group_chat(owner: AvatarId, chat_id: i64, title: &str) -> ChatInfo {
    ChatInfo {
        key: ChatKey { owner, chat_id, business_connection_id: None },
        chat_type: ChatType::Supergroup,
        title: Some(title.to_owned()),
        counterpart: None,
    }
}

/// A text message. Incoming ones come from the chat's counterpart; outgoing ones from [`ines`].
pub fn text(chat: &ChatInfo, telegram_message_id: i64, direction: Direction, text: &str, sent_at: DateTime<Utc>) -> CapturedMessage {
    let sender = match direction {
        Direction::Incoming => chat.counterpart.clone(),
        Direction::Outgoing => Some(ines()),
    };
    CapturedMessage {
        chat: chat.clone(),
        telegram_message_id,
        direction,
        sender,
        text: text.to_owned(),
        message_type: MessageType::Text,
        media: None,
        reply_to_telegram_message_id: None,
        sent_at,
        details: Default::default(),
    }
}

/// An incoming text message.
pub fn incoming(chat: &ChatInfo, telegram_message_id: i64, body: &str, sent_at: DateTime<Utc>) -> CapturedMessage {
    text(chat, telegram_message_id, Direction::Incoming, body, sent_at)
}

/// An outgoing text message.
pub fn outgoing(chat: &ChatInfo, telegram_message_id: i64, body: &str, sent_at: DateTime<Utc>) -> CapturedMessage {
    text(chat, telegram_message_id, Direction::Outgoing, body, sent_at)
}

/// The same message from another sender (group chats).
pub fn from(mut message: CapturedMessage, sender: &TelegramUser) -> CapturedMessage {
    message.sender = Some(sender.clone());
    message
}

/// An incoming photo with a caption, carrying the metadata Telegram gives its largest size.
pub fn photo(chat: &ChatInfo, telegram_message_id: i64, caption: &str, sent_at: DateTime<Utc>) -> CapturedMessage {
    CapturedMessage {
        message_type: MessageType::Photo,
        media: Some(Media {
            file_id: format!("AgACAgIAAxkBAAIC{telegram_message_id}2Xy9_mJ4-photo-w1280"),
            file_unique_id: format!("AQADf7wxG{telegram_message_id}B0Ut-"),
            mime_type: None,
            file_size: Some(153_244),
            file_name: None,
            width: Some(1280),
            height: Some(960),
            duration: None,
        }),
        ..incoming(chat, telegram_message_id, caption, sent_at)
    }
}

/// An incoming PDF document with a caption.
pub fn document(chat: &ChatInfo, telegram_message_id: i64, file_name: &str, caption: &str, sent_at: DateTime<Utc>) -> CapturedMessage {
    CapturedMessage {
        message_type: MessageType::Document,
        media: Some(Media {
            file_id: format!("BQACAgIAAxkBAAIC{telegram_message_id}ZfR0-document"),
            file_unique_id: format!("AgADq0{telegram_message_id}Ut"),
            mime_type: Some("application/pdf".into()),
            file_size: Some(482_113),
            file_name: Some(file_name.to_owned()),
            width: None,
            height: None,
            duration: None,
        }),
        ..incoming(chat, telegram_message_id, caption, sent_at)
    }
}

/// A new message event.
pub fn msg(message: CapturedMessage) -> InboundEvent {
    InboundEvent::Message(message)
}

/// An edit: `message` now reads `new_text`, edited at `edited_at`.
pub fn edit(message: &CapturedMessage, new_text: &str, edited_at: DateTime<Utc>) -> InboundEvent {
    InboundEvent::Edit(CapturedEdit { message: CapturedMessage { text: new_text.to_owned(), ..message.clone() }, edited_at })
}

/// Telegram Business says these messages of `chat` were deleted.
pub fn deletion(chat: &ChatInfo, telegram_message_ids: &[i64], deleted_at: DateTime<Utc>) -> InboundEvent {
    InboundEvent::Deletion(CapturedDeletion { chat: chat.key.clone(), telegram_message_ids: telegram_message_ids.to_vec(), deleted_at })
}

/// The owner connected the bot to their account (Telegram Business), as [`ines`].
pub fn business_connection(owner: AvatarId, connection_id: &str, date: DateTime<Utc>) -> InboundEvent {
    let user = ines();
    InboundEvent::BusinessConnection(BusinessConnection {
        id: connection_id.to_owned(),
        owner,
        user_chat_id: user.id,
        user,
        is_enabled: true,
        can_reply: true,
        rights: Default::default(),
        date,
    })
}

/// A private message as Telegram delivers it: `update_id`, the raw update JSON a poller or the
/// webhook received (the shape of the Bot API's `message` update), and the event it maps to.
pub fn received(update_id: i64, message: CapturedMessage) -> ReceivedUpdate {
    let sender = message.sender.clone().unwrap_or_default();
    let raw = serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": message.telegram_message_id,
            "from": {"id": sender.id, "is_bot": sender.is_bot, "first_name": sender.first_name, "last_name": sender.last_name, "username": sender.username},
            "chat": {"id": message.chat.key.chat_id, "type": "private", "first_name": sender.first_name, "last_name": sender.last_name},
            "date": message.sent_at.timestamp(),
            "text": message.text,
        }
    })
    .to_string();
    ReceivedUpdate { update_id, raw, events: vec![msg(message)] }
}
