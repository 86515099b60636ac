//! Realistic Telegram update JSON, shaped as Telegram sends it — fields the CRM ignores and
//! fields newer than our parser included — for every update kind the CRM handles and every
//! message type.

use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME};

/// Ada's Telegram user id (a customer who writes to the bot or to the business account).
pub const ADA_ID: i64 = 381_234_567;
/// Grace's Telegram user id (the business account owner who connects the bot).
pub const GRACE_ID: i64 = 529_876_543;
/// Carl's Telegram user id (a group member).
pub const CARL_ID: i64 = 604_112_233;
/// A supergroup.
pub const SUPERGROUP_ID: i64 = -1_001_987_654_321;
/// A basic group.
pub const GROUP_ID: i64 = -4_123_456_789;
/// A channel.
pub const CHANNEL_ID: i64 = -1_001_555_666_777;
/// The business connection id.
pub const CONNECTION_ID: &str = "AAG0ZXN0LWJ1c2luZXNzLWNvbm5lY3Rpb24";
/// A date (2024-05-01T10:00:00Z).
pub const DATE: i64 = 1_714_557_600;

/// Ada, a customer (with fields the CRM does not read).
pub fn ada() -> Value {
    json!({"id": ADA_ID, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace", "username": "ada_l",
           "language_code": "en", "is_premium": true, "added_to_attachment_menu": false})
}

/// Grace, the business account owner.
pub fn grace() -> Value {
    json!({"id": GRACE_ID, "is_bot": false, "first_name": "Grace", "last_name": "Hopper", "username": "grace_h", "language_code": "en"})
}

/// Carl, a group member with a Cyrillic name.
pub fn carl() -> Value {
    json!({"id": CARL_ID, "is_bot": false, "first_name": "Карл", "language_code": "ru"})
}

/// Our bot, as `getMe` and sent messages show it.
pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Telegcrm Test Bot", "username": BOT_USERNAME,
           "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
           "can_connect_to_business": true, "has_main_web_app": false})
}

/// The private chat with a user (Telegram copies the user's names into the chat).
pub fn private_chat(user: &Value) -> Value {
    let mut chat = json!({"id": user["id"], "type": "private", "first_name": user["first_name"]});
    for key in ["last_name", "username"] {
        if let Some(v) = user.get(key) {
            chat[key] = v.clone();
        }
    }
    chat
}

/// A supergroup chat.
pub fn supergroup() -> Value {
    json!({"id": SUPERGROUP_ID, "title": "Telegcrm Beta Testers", "type": "supergroup", "is_forum": false})
}

/// A basic group chat.
pub fn group() -> Value {
    json!({"id": GROUP_ID, "title": "Sales team", "type": "group", "all_members_are_administrators": true})
}

/// A channel chat.
pub fn channel() -> Value {
    json!({"id": CHANNEL_ID, "title": "Telegcrm News", "username": "telegcrm_news", "type": "channel"})
}

/// A message skeleton without content.
pub fn message(message_id: i64, chat: Value, from: Option<Value>) -> Value {
    let mut m = json!({"message_id": message_id, "date": DATE, "chat": chat});
    if let Some(from) = from {
        m["from"] = from;
    }
    m
}

/// `message` with `key` set to `value` (builder style).
pub fn with(mut message: Value, key: &str, value: Value) -> Value {
    message[key] = value;
    message
}

/// A text message from Ada to the bot, with entities and link preview options.
pub fn text_from_ada(message_id: i64, text: &str) -> Value {
    let m = with(message(message_id, private_chat(&ada()), Some(ada())), "text", json!(text));
    let m =
        with(m, "entities", json!([{"offset": 0, "length": 1, "type": "bold"}, {"offset": 0, "length": 1, "type": "some_future_entity"}]));
    with(m, "link_preview_options", json!({"is_disabled": true}))
}

/// A whole update.
pub fn update(update_id: i64, kind: &str, body: Value) -> Value {
    json!({ "update_id": update_id, kind: body })
}

/// `message`: Ada writes to the bot.
pub fn message_update(update_id: i64) -> Value {
    update(update_id, "message", text_from_ada(10, "Hello, I need help with my order asap"))
}

/// `edited_message`: Ada corrects her text.
pub fn edited_message_update(update_id: i64) -> Value {
    let m = with(text_from_ada(10, "Hello, I need help with my order #42 asap"), "edit_date", json!(DATE + 60));
    update(update_id, "edited_message", m)
}

/// `channel_post`: a post in our channel (no `from`, `sender_chat` is the channel).
pub fn channel_post_update(update_id: i64) -> Value {
    let m = with(message(300, channel(), None), "sender_chat", channel());
    let m = with(m, "author_signature", json!("Grace Hopper"));
    update(update_id, "channel_post", with(m, "text", json!("Release 1.2 is out")))
}

/// `edited_channel_post`.
pub fn edited_channel_post_update(update_id: i64) -> Value {
    let m = with(message(300, channel(), None), "sender_chat", channel());
    let m = with(m, "edit_date", json!(DATE + 120));
    update(update_id, "edited_channel_post", with(m, "text", json!("Release 1.2.1 is out")))
}

/// `business_connection`: Grace connects the bot to her account (rights as Bot API 9 sends them).
pub fn business_connection_update(update_id: i64, enabled: bool) -> Value {
    update(
        update_id,
        "business_connection",
        json!({"id": CONNECTION_ID, "user": grace(), "user_chat_id": GRACE_ID, "date": DATE, "is_enabled": enabled,
               "rights": {"can_reply": true, "can_read_messages": true, "can_delete_all_messages": false}}),
    )
}

/// A business message in Grace's private chat with Ada; `from_owner` picks the side.
pub fn business_message(message_id: i64, from_owner: bool, text: &str) -> Value {
    let from = if from_owner { grace() } else { ada() };
    let m = with(message(message_id, private_chat(&ada()), Some(from)), "business_connection_id", json!(CONNECTION_ID));
    with(m, "text", json!(text))
}

/// `business_message`: Ada writes to Grace.
pub fn business_message_update(update_id: i64, message_id: i64, from_owner: bool, text: &str) -> Value {
    update(update_id, "business_message", business_message(message_id, from_owner, text))
}

/// `edited_business_message`.
pub fn edited_business_message_update(update_id: i64, message_id: i64, text: &str) -> Value {
    update(update_id, "edited_business_message", with(business_message(message_id, false, text), "edit_date", json!(DATE + 30)))
}

/// `deleted_business_messages`.
pub fn deleted_business_messages_update(update_id: i64, message_ids: &[i64]) -> Value {
    update(
        update_id,
        "deleted_business_messages",
        json!({"business_connection_id": CONNECTION_ID, "chat": private_chat(&ada()), "message_ids": message_ids}),
    )
}

/// Ada reacts 👍 to message `message_id` of her chat with the bot.
pub fn message_reaction_update(update_id: i64, message_id: i64) -> Value {
    update(
        update_id,
        "message_reaction",
        json!({"chat": private_chat(&ada()), "message_id": message_id, "user": ada(), "date": DATE,
               "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}),
    )
}

/// An update kind of today's Bot API that the CRM does not handle (a chat boost).
pub fn chat_boost_update(update_id: i64) -> Value {
    update(
        update_id,
        "chat_boost",
        json!({"chat": channel(), "boost": {"boost_id": "b1", "add_date": DATE, "expiration_date": DATE + 86_400,
               "source": {"source": "premium", "user": ada()}}}),
    )
}

/// An update kind from the future.
pub fn future_kind_update(update_id: i64) -> Value {
    update(update_id, "holographic_call", json!({"id": "x", "hologram": {"size": 3}}))
}

/// Content fields for every message type, as `(expected message type, field, value)`.
pub fn content_samples() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("text", "text", json!("Привет! Can we talk tomorrow?")),
        ("photo", "photo", photo_sizes()),
        ("video", "video", video()),
        ("animation", "animation", animation()),
        ("audio", "audio", audio()),
        ("voice", "voice", voice()),
        ("video_note", "video_note", video_note()),
        ("document", "document", document()),
        ("sticker", "sticker", sticker()),
        ("location", "location", json!({"latitude": 51.507_351, "longitude": -0.127_758, "horizontal_accuracy": 12.5})),
        ("venue", "venue", venue()),
        (
            "contact",
            "contact",
            json!({"phone_number": "+447700900123", "first_name": "Charles", "last_name": "Babbage", "user_id": 700_100_200, "vcard": "BEGIN:VCARD\nEND:VCARD"}),
        ),
        ("poll", "poll", poll()),
        ("dice", "dice", json!({"emoji": "🎲", "value": 5})),
        ("other", "story", json!({"chat": channel(), "id": 17})),
    ]
}

/// Photo sizes, smallest first, as Telegram sends them.
pub fn photo_sizes() -> Value {
    json!([
        {"file_id": "AgACAgQAAxkBAAIBs_small", "file_unique_id": "AQADs1", "file_size": 1_426, "width": 90, "height": 60},
        {"file_id": "AgACAgQAAxkBAAIBs_medium", "file_unique_id": "AQADs2", "file_size": 19_812, "width": 320, "height": 213},
        {"file_id": "AgACAgQAAxkBAAIBs_large", "file_unique_id": "AQADs3", "file_size": 86_000, "width": 1280, "height": 853}
    ])
}

/// A video with a thumbnail.
pub fn video() -> Value {
    json!({"file_id": "BAACAgIAAxkBAAIBv_video", "file_unique_id": "AgADv1", "width": 1920, "height": 1080, "duration": 42,
           "file_name": "demo.mp4", "mime_type": "video/mp4", "file_size": 5_242_880,
           "thumbnail": {"file_id": "thumb", "file_unique_id": "t1", "width": 320, "height": 180}})
}

/// An animation (Telegram also sends it as `document`).
pub fn animation() -> Value {
    json!({"file_id": "CgACAgQAAxkBAAIBw_anim", "file_unique_id": "AgADw1", "width": 480, "height": 270, "duration": 3,
           "file_name": "party.gif.mp4", "mime_type": "video/mp4", "file_size": 301_212})
}

/// An audio file.
pub fn audio() -> Value {
    json!({"file_id": "CQACAgIAAxkBAAIBx_audio", "file_unique_id": "AgADx1", "duration": 215, "performer": "Nina Simone",
           "title": "Feeling Good", "file_name": "feeling-good.mp3", "mime_type": "audio/mpeg", "file_size": 3_441_000})
}

/// A voice note.
pub fn voice() -> Value {
    json!({"file_id": "AwACAgIAAxkBAAIBy_voice", "file_unique_id": "AgADy1", "duration": 7, "mime_type": "audio/ogg", "file_size": 18_433})
}

/// A round video note (`length` is its diameter).
pub fn video_note() -> Value {
    json!({"file_id": "DQACAgIAAxkBAAIBz_note", "file_unique_id": "AgADz1", "length": 384, "duration": 9, "file_size": 402_112})
}

/// A document.
pub fn document() -> Value {
    json!({"file_id": "BQACAgIAAxkBAAIB0_doc", "file_unique_id": "AgAD01", "file_name": "Invoice 2024-05.pdf",
           "mime_type": "application/pdf", "file_size": 88_204})
}

/// A sticker.
pub fn sticker() -> Value {
    json!({"file_id": "CAACAgIAAxkBAAIB1_sticker", "file_unique_id": "AgAD11", "type": "regular", "width": 512, "height": 512,
           "is_animated": false, "is_video": false, "emoji": "😂", "set_name": "HotCherry", "file_size": 24_050})
}

/// A venue (Telegram also sends its `location`).
pub fn venue() -> Value {
    json!({"location": {"latitude": 51.5194, "longitude": -0.127}, "title": "British Museum",
           "address": "Great Russell St, London WC1B 3DG", "foursquare_id": "4ac518cef964a520f6a520e3"})
}

/// A poll.
pub fn poll() -> Value {
    json!({"id": "5432101234567890", "question": "Which plan fits you?",
           "options": [{"text": "Basic", "voter_count": 0}, {"text": "Pro", "voter_count": 0}],
           "total_voter_count": 0, "is_closed": false, "is_anonymous": true, "type": "regular", "allows_multiple_answers": false})
}
