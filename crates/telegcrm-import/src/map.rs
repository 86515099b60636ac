//! An export's chats and messages in the CRM's terms: the Bot API's chat ids, the owner's own
//! messages told apart, text flattened, media described, service messages as sentences.
//!
//! Every field is read tolerantly: one of an odd type degrades that field only.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use telegcrm_domain::event::{CapturedMessage, ChatInfo, TelegramUser};
use telegcrm_domain::{
    AvatarId, ChatKey, ChatType, Direction, EntityKind, ForwardKind, ForwardOrigin, Media, MessageDetails, MessageType, TextEntity,
};

use crate::parse::{ChatHeader, Me};

/// Bot API chat ids of supergroups and channels are `-(10^12 + bare id)`: `-100…`.
const CHANNEL_BASE: i64 = 1_000_000_000_000;
/// Exports before 2021 shifted ids by peer type: basic groups by 2^32, channels by 2^33.
const LEGACY_CHAT_SHIFT: i64 = 1 << 32;
const LEGACY_CHANNEL_SHIFT: i64 = 1 << 33;

/// Why something in the export is not imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// `replies`, `verification_codes` and unknown chat types: not a chat one can message.
    NotAChat,
    /// Saved Messages of a single-chat export without `--me`.
    SavedMessagesWithoutMe,
    /// A chat without an `id`.
    ChatWithoutId,
    /// `"type": "unsupported"` (only an id survives).
    Unsupported,
    /// No `id`, or no date.
    Incomplete,
}

impl Skip {
    /// How the summary names it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAChat => "not a chat (Replies, Verification Codes, unknown type)",
            Self::SavedMessagesWithoutMe => "Saved Messages without --me",
            Self::ChatWithoutId => "chat without an id",
            Self::Unsupported => "unsupported message",
            Self::Incomplete => "message without an id or a date",
        }
    }
}

/// A chat as the CRM keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chat {
    /// The chat, keyed as live capture keys it.
    pub info: ChatInfo,
    /// `bot_chat`: the other side is a bot.
    pub with_bot: bool,
}

/// The chat of `header` for `owner`. A personal chat is keyed with `business_connection` (the
/// owner's Telegram Business connection), or [`ChatKey::IMPORTED_PERSONAL`] before there is one,
/// so that history and live capture meet in either order.
pub fn chat(header: &ChatHeader, owner: AvatarId, me: Option<&Me>, business_connection: Option<&str>) -> Result<Chat, Skip> {
    let id = header.id.ok_or(Skip::ChatWithoutId)?;
    let title = header.name.clone();
    let (chat_id, chat_type, counterpart, with_bot) = match header.kind.as_str() {
        "personal_chat" | "bot_chat" => {
            let with_bot = header.kind == "bot_chat";
            let mut user = user(id, header.name.as_deref());
            user.is_bot = with_bot;
            (id, ChatType::Private, Some(user), with_bot)
        }
        "saved_messages" => (me.ok_or(Skip::SavedMessagesWithoutMe)?.user_id, ChatType::Private, None, false),
        "private_group" => (-unshift(id, LEGACY_CHAT_SHIFT), ChatType::Group, None, false),
        "private_supergroup" | "public_supergroup" => {
            (-(CHANNEL_BASE + unshift(id, LEGACY_CHANNEL_SHIFT)), ChatType::Supergroup, None, false)
        }
        "private_channel" | "public_channel" => (-(CHANNEL_BASE + unshift(id, LEGACY_CHANNEL_SHIFT)), ChatType::Channel, None, false),
        _ => return Err(Skip::NotAChat),
    };
    // A personal chat is the owner's own chat with the person: keyed with the owner's Business
    // connection, or, before there is one, as imported, so that live Business capture joins it
    // later (never as the bot's chat with that person).
    let business_connection_id =
        (header.kind == "personal_chat").then(|| business_connection.unwrap_or(ChatKey::IMPORTED_PERSONAL).to_owned());
    let title = if header.kind == "saved_messages" { Some("Saved Messages".to_owned()) } else { title };
    Ok(Chat { info: ChatInfo { key: ChatKey { owner, chat_id, business_connection_id }, chat_type, title, counterpart }, with_bot })
}

/// A legacy type-shifted id back to the bare id.
fn unshift(id: i64, shift: i64) -> i64 {
    if (shift..shift + LEGACY_CHAT_SHIFT).contains(&id) { id - shift } else { id }
}

/// A user known by id and display name: the name splits at its first space into first and last.
fn user(id: i64, name: Option<&str>) -> TelegramUser {
    let name = name.unwrap_or("").trim();
    let (first, last) = match name.split_once(' ') {
        Some((f, l)) if !l.trim().is_empty() => (f.to_owned(), Some(l.trim().to_owned())),
        _ => (name.to_owned(), None),
    };
    TelegramUser { id, first_name: first, last_name: last, ..TelegramUser::default() }
}

/// Who sent a message: `"user123"`, `"channel123"`, `"chat123"`, or a bare (legacy) number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    User(i64),
    Other,
}

fn peer(v: Option<&Value>) -> Option<Peer> {
    match v? {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("user") {
                id.parse().ok().map(Peer::User)
            } else {
                (s.starts_with("channel") || s.starts_with("chat")).then_some(Peer::Other)
            }
        }
        Value::Number(n) => n.as_i64().map(|id| if id < LEGACY_CHAT_SHIFT { Peer::User(id) } else { Peer::Other }),
        _ => None,
    }
}

/// How dates without a timezone are read.
#[derive(Clone, Copy, Debug)]
pub struct Dates {
    /// `--timezone`: the zone of the computer that made the export.
    pub timezone: Option<Tz>,
}

/// A fatal problem with one message: the import stops, saying why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fatal {
    /// A message has only a local `date`, and no `--timezone` was given.
    #[error(
        "message {message_id} has only a local date ({date:?}, no `date_unixtime`: an export older than June 2022); pass --timezone with the zone of the computer that made the export, e.g. --timezone Europe/Berlin"
    )]
    NeedsTimezone {
        /// The message's id.
        message_id: i64,
        /// Its `date`, as written.
        date: String,
    },
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn int_of(v: &Value, key: &str) -> Option<i64> {
    let field = v.get(key)?;
    field.as_i64().or_else(|| field.as_str().and_then(|s| s.parse().ok()))
}

fn u32_of(v: &Value, key: &str) -> Option<u32> {
    int_of(v, key).and_then(|n| u32::try_from(n).ok())
}

/// `<key>_unixtime`, else `<key>` as a local time in `dates.timezone`.
fn date_of(v: &Value, key: &str, message_id: i64, dates: Dates) -> Result<Option<DateTime<Utc>>, Fatal> {
    if let Some(t) = int_of(v, &format!("{key}_unixtime")) {
        return Ok(DateTime::from_timestamp(t, 0));
    }
    let Some(local) = str_of(v, key) else { return Ok(None) };
    let Ok(naive) = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S") else { return Ok(None) };
    let Some(tz) = dates.timezone else {
        return Err(Fatal::NeedsTimezone { message_id, date: local.to_owned() });
    };
    // A time skipped by a DST change does not exist; one repeated is taken the first time.
    Ok(tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)))
}

/// The message's text: a string, or an array of plain strings and `{type, text}` runs.
pub fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.as_str()),
                other => other.get("text").and_then(Value::as_str),
            })
            .collect(),
        _ => String::new(),
    }
}

/// The exporter's placeholder for a file it did not save.
fn is_placeholder(path: &str) -> bool {
    path.starts_with('(') && path.ends_with(')')
}

fn media_of(v: &Value, path_key: &str) -> Media {
    let file_name = str_of(v, "file_name")
        .map(str::to_owned)
        .or_else(|| str_of(v, path_key).filter(|p| !is_placeholder(p)).and_then(|p| p.rsplit('/').next()).map(str::to_owned));
    Media {
        // An export has no Bot API file ids: the file cannot be fetched from Telegram.
        file_id: String::new(),
        file_unique_id: String::new(),
        mime_type: str_of(v, "mime_type").map(str::to_owned),
        file_size: int_of(v, "file_size").or_else(|| int_of(v, "photo_file_size")).and_then(|n| u64::try_from(n).ok()),
        file_name,
        width: u32_of(v, "width"),
        height: u32_of(v, "height"),
        duration: u32_of(v, "duration_seconds"),
    }
}

/// The type, media and text of an ordinary message.
fn content_of(v: &Value) -> (MessageType, Option<Media>, String) {
    let caption = text_of(v.get("text"));
    let or_caption = |described: String| if caption.is_empty() { described } else { caption.clone() };
    if v.get("photo").is_some() {
        return (MessageType::Photo, Some(media_of(v, "photo")), caption);
    }
    if v.get("file").is_some() || v.get("media_type").is_some() {
        let t = match str_of(v, "media_type") {
            Some("sticker") => MessageType::Sticker,
            Some("video_message") => MessageType::VideoNote,
            Some("voice_message") => MessageType::Voice,
            Some("animation") => MessageType::Animation,
            Some("video_file") => MessageType::Video,
            Some("audio_file") => MessageType::Audio,
            _ => MessageType::Document,
        };
        let text = match t {
            MessageType::Sticker => or_caption(str_of(v, "sticker_emoji").unwrap_or_default().to_owned()),
            MessageType::Audio => {
                or_caption([str_of(v, "performer"), str_of(v, "title")].into_iter().flatten().collect::<Vec<_>>().join(" — "))
            }
            _ => caption.clone(),
        };
        return (t, Some(media_of(v, "file")), text);
    }
    if let Some(c) = v.get("contact_information") {
        let name =
            [str_of(c, "first_name"), str_of(c, "last_name")].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        let text =
            [Some(name.as_str()), str_of(c, "phone_number")].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
        return (MessageType::Contact, None, or_caption(text));
    }
    if let Some(place) = str_of(v, "place_name") {
        let text = [Some(place), str_of(v, "address")].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
        return (MessageType::Venue, None, or_caption(text));
    }
    if let Some(l) = v.get("location_information") {
        let coord = |k| l.get(k).and_then(Value::as_f64).map(|x| x.to_string()).unwrap_or_default();
        return (MessageType::Location, None, or_caption(format!("{}, {}", coord("latitude"), coord("longitude"))));
    }
    if let Some(p) = v.get("poll") {
        let answers: Vec<String> =
            p.get("answers").and_then(Value::as_array).into_iter().flatten().map(|a| text_of(a.get("text"))).collect();
        return (MessageType::Poll, None, format!("{} ({})", text_of(p.get("question")), answers.join(" / ")));
    }
    for (key, word) in [
        ("todo_list", "checklist"),
        ("game_title", "game"),
        ("invoice_information", "invoice"),
        ("giveaway_information", "giveaway"),
        ("giveaway_results", "giveaway winners"),
        ("paid_stars_amount", "paid media"),
    ] {
        if v.get(key).is_some() {
            return (MessageType::Other, None, or_caption(format!("[{word}]")));
        }
    }
    (MessageType::Text, None, caption)
}

/// A service message as a sentence, as Telegram shows it.
pub fn service_text(v: &Value) -> String {
    let actor = str_of(v, "actor").filter(|s| !s.is_empty()).unwrap_or("Deleted Account");
    let title = str_of(v, "title").unwrap_or_default();
    let members = || {
        v.get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|m| m.as_str().unwrap_or("Deleted Account"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seconds = |k| int_of(v, k).map(|s| format!(" ({})", duration(s))).unwrap_or_default();
    let Some(action) = str_of(v, "action") else {
        return str_of(v, "information_text").map_or_else(|| format!("{actor}: service message"), str::to_owned);
    };
    match action {
        "joined_telegram" => format!("{actor} joined Telegram"),
        "phone_call" | "conference_call" => {
            let word = if action == "phone_call" { "call" } else { "group call" };
            match str_of(v, "discard_reason") {
                Some("missed") => format!("Missed {word} from {actor}"),
                Some("busy") => format!("Declined {word} from {actor}"),
                _ => format!("A {word} from {actor}{}", seconds("duration_seconds")),
            }
        }
        "create_group" => format!("{actor} created the group “{title}”"),
        "create_channel" => format!("{actor} created the channel “{title}”"),
        "edit_group_title" => format!("{actor} changed the title to “{title}”"),
        "edit_group_photo" => format!("{actor} changed the group photo"),
        "delete_group_photo" => format!("{actor} removed the group photo"),
        "invite_members" => format!("{actor} added {}", members()),
        "remove_members" => format!("{actor} removed {}", members()),
        "join_group_by_link" => format!("{actor} joined the group via an invite link"),
        "join_group_by_request" => format!("{actor} was accepted into the group"),
        "migrate_to_supergroup" => format!("{actor} upgraded the group to a supergroup"),
        "migrate_from_group" => format!("The supergroup was created from the group “{title}”"),
        "pin_message" => format!("{actor} pinned a message"),
        "clear_history" => "History was cleared".to_owned(),
        "take_screenshot" => format!("{actor} took a screenshot"),
        "topic_created" => format!("{actor} created the topic “{title}”"),
        "topic_edit" => format!("{actor} renamed the topic to “{}”", str_of(v, "new_title").unwrap_or_default()),
        "group_call" => format!("{actor} started a video chat{}", seconds("duration")),
        "group_call_scheduled" => format!("{actor} scheduled a video chat"),
        "invite_to_group_call" => format!("{actor} invited {} to the video chat", members()),
        "set_messages_ttl" => match int_of(v, "period") {
            Some(0) | None => format!("{actor} turned off auto-delete"),
            Some(p) => format!("{actor} set messages to auto-delete after {}", duration(p)),
        },
        "edit_chat_theme" => format!("{actor} changed the chat theme"),
        "score_in_game" => format!("{actor} scored {}", int_of(v, "score").unwrap_or(0)),
        "send_payment" => format!("{actor} paid"),
        other => format!("{actor}: {}", other.replace('_', " ")),
    }
}

fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// One message of `chat`, or why it is skipped; `Err` stops the import.
pub fn message(v: &Value, chat: &Chat, me: Option<&Me>, dates: Dates) -> Result<Result<Imported, Skip>, Fatal> {
    let Some(id) = int_of(v, "id") else { return Ok(Err(Skip::Incomplete)) };
    let kind = str_of(v, "type").unwrap_or("message");
    if kind == "unsupported" {
        return Ok(Err(Skip::Unsupported));
    }
    let Some(sent_at) = date_of(v, "date", id, dates)? else { return Ok(Err(Skip::Incomplete)) };
    let edited_at = date_of(v, "edited", id, dates)?;
    let service = kind == "service";
    let from = peer(v.get(if service { "actor_id" } else { "from_id" }));
    let name = str_of(v, if service { "actor" } else { "from" });
    let outgoing = matches!((from, me), (Some(Peer::User(id)), Some(me)) if id == me.user_id);
    let sender = match from {
        Some(Peer::User(uid)) if outgoing && me.is_some_and(|m| !m.first_name.is_empty()) => me.map(|m| TelegramUser {
            id: uid,
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            username: m.username.clone(),
            ..TelegramUser::default()
        }),
        Some(Peer::User(uid)) => {
            let mut u = user(uid, name);
            u.is_bot = chat.with_bot && chat.info.key.chat_id == uid;
            Some(u)
        }
        // Channel posts and anonymous admins: the chat speaks.
        _ => None,
    };
    let (message_type, media, text) = if service { (MessageType::Service, None, service_text(v)) } else { content_of(v) };
    let message = CapturedMessage {
        chat: chat.info.clone(),
        telegram_message_id: id,
        direction: if outgoing { Direction::Outgoing } else { Direction::Incoming },
        sender,
        details: MessageDetails {
            entities: entities_of(v, &text),
            // The export names the original sender only: as much as Telegram tells of a hidden user.
            forward: str_of(v, "forwarded_from").filter(|f| !f.is_empty()).map(|name| {
                Box::new(ForwardOrigin {
                    kind: ForwardKind::HiddenUser,
                    name: name.to_owned(),
                    telegram_id: None,
                    username: None,
                    message_id: None,
                    author_signature: None,
                    date: None,
                })
            }),
            ..MessageDetails::default()
        },
        text,
        message_type,
        media,
        reply_to_telegram_message_id: int_of(v, "reply_to_message_id").filter(|_| v.get("reply_to_peer_id").is_none()),
        sent_at,
    };
    Ok(Ok(Imported { message, edited_at }))
}

/// The formatting of a message's `text`, from the export's `text_entities` (consecutive runs,
/// each with one type, no offsets): offsets are counted along the runs, in characters. None when
/// the runs do not spell the text.
fn entities_of(v: &Value, text: &str) -> Vec<TextEntity> {
    let Some(runs) = v.get("text_entities").and_then(Value::as_array) else { return Vec::new() };
    let mut out = Vec::new();
    let (mut at, mut spelled) = (0u32, String::new());
    for run in runs {
        let piece = str_of(run, "text").unwrap_or_default();
        let length = u32::try_from(piece.chars().count()).unwrap_or(u32::MAX);
        let kind = match str_of(run, "type").unwrap_or_default() {
            "link" => Some(EntityKind::Url),
            "phone" => Some(EntityKind::PhoneNumber),
            "mention_name" => Some(EntityKind::TextMention),
            "blockquote" if run.get("collapsed").and_then(Value::as_bool) == Some(true) => Some(EntityKind::ExpandableBlockquote),
            other => other.parse::<EntityKind>().ok(),
        };
        if let Some(kind) = kind.filter(|_| length > 0) {
            out.push(TextEntity {
                kind,
                offset: at,
                length,
                url: str_of(run, "href").map(str::to_owned).filter(|_| kind == EntityKind::TextLink),
                user_id: int_of(run, "user_id").filter(|_| kind == EntityKind::TextMention),
                language: str_of(run, "language").filter(|l| !l.is_empty()).map(str::to_owned),
            });
        }
        at = at.saturating_add(length);
        spelled.push_str(piece);
    }
    if spelled != text {
        return Vec::new();
    }
    MessageDetails::tidy_entities(&mut out, at);
    out
}

/// A message ready for the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The message as live capture would have described it.
    pub message: CapturedMessage,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn owner() -> AvatarId {
        AvatarId::new()
    }

    fn header(kind: &str, id: i64) -> ChatHeader {
        ChatHeader { name: Some("Bob Stone".into()), kind: kind.into(), id: Some(id) }
    }

    const UTC_DATES: Dates = Dates { timezone: Some(chrono_tz::UTC) };

    #[test]
    fn chat_ids_are_the_bot_apis() {
        let id = |kind, bare| chat(&header(kind, bare), owner(), None, None).map(|c| (c.info.key.chat_id, c.info.chat_type));
        assert_eq!(id("personal_chat", 700), Ok((700, ChatType::Private)));
        assert_eq!(id("private_group", 42), Ok((-42, ChatType::Group)));
        assert_eq!(id("public_supergroup", 1_292_077_344), Ok((-1_001_292_077_344, ChatType::Supergroup)));
        assert_eq!(id("private_channel", 1_292_077_344), Ok((-1_001_292_077_344, ChatType::Channel)));
        // The 2020 exporter's type-shifted ids.
        assert_eq!(id("private_channel", 9_882_011_936), Ok((-1_001_292_077_344, ChatType::Channel)));
        assert_eq!(id("private_group", 42 + (1 << 32)), Ok((-42, ChatType::Group)));
        assert_eq!(id("replies", 1), Err(Skip::NotAChat));
        assert_eq!(id("saved_messages", 1), Err(Skip::SavedMessagesWithoutMe));
    }

    #[test]
    fn only_personal_chats_take_the_business_connection() {
        let personal = chat(&header("personal_chat", 7), owner(), None, Some("bc1")).expect("chat");
        assert_eq!(personal.info.key.business_connection_id.as_deref(), Some("bc1"));
        let counterpart = personal.info.counterpart.expect("counterpart");
        assert_eq!((counterpart.first_name.as_str(), counterpart.last_name.as_deref()), ("Bob", Some("Stone")));
        assert_eq!(chat(&header("bot_chat", 7), owner(), None, Some("bc1")).expect("chat").info.key.business_connection_id, None);
        // Before any connection: the owner's own chat, not the bot's chat with Bob.
        let early = chat(&header("personal_chat", 7), owner(), None, None).expect("chat");
        assert!(early.info.key.is_imported_personal(), "{:?}", early.info.key);
        assert_eq!(chat(&header("bot_chat", 7), owner(), None, None).expect("chat").info.key.business_connection_id, None);
    }

    #[test]
    fn own_messages_are_outgoing_and_others_incoming() {
        let me = Me { user_id: 1, first_name: "Ann".into(), ..Me::default() };
        let c = chat(&header("personal_chat", 7), owner(), Some(&me), None).expect("chat");
        let mine = json!({"id": 5, "type": "message", "date_unixtime": "1652135033", "from": "Ann", "from_id": "user1", "text": "hi"});
        let m = message(&mine, &c, Some(&me), Dates { timezone: None }).expect("ok").expect("kept").message;
        assert_eq!(m.direction, Direction::Outgoing);
        assert_eq!(m.sent_at.timestamp(), 1_652_135_033);
        let theirs = json!({"id": 6, "type": "message", "date_unixtime": 1_652_135_034, "from": "Bob Stone", "from_id": 7, "text": "yo"});
        let m = message(&theirs, &c, Some(&me), UTC_DATES).expect("ok").expect("kept").message;
        assert_eq!((m.direction, m.sender.map(|s| s.id)), (Direction::Incoming, Some(7)));
    }

    #[test]
    fn local_dates_need_a_timezone() {
        let c = chat(&header("personal_chat", 7), owner(), None, None).expect("chat");
        let v = json!({"id": 9, "type": "message", "date": "2020-11-12T12:53:52", "edited": "2020-11-12T13:00:00", "text": ""});
        let err = message(&v, &c, None, Dates { timezone: None }).expect_err("fatal");
        assert!(err.to_string().contains("--timezone"), "{err}");
        let berlin = Dates { timezone: Some(chrono_tz::Europe::Berlin) };
        let m = message(&v, &c, None, berlin).expect("ok").expect("kept");
        assert_eq!(m.message.sent_at.to_rfc3339(), "2020-11-12T11:53:52+00:00");
        assert_eq!(m.edited_at.map(|t| t.to_rfc3339()).as_deref(), Some("2020-11-12T12:00:00+00:00"));
    }

    #[test]
    fn content_types_texts_and_skips() {
        let c = chat(&header("private_group", 3), owner(), None, None).expect("chat");
        let kept = |v: Value| message(&v, &c, None, UTC_DATES).expect("ok").expect("kept").message;
        let base = |extra: Value| {
            let mut v = json!({"id": 1, "type": "message", "date_unixtime": "1600000000", "from": "Eve", "from_id": "user3"});
            v.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
            v
        };
        let m = kept(base(json!({"text": [{"type": "bold", "text": "Big"}, " deal", ""]})));
        assert_eq!((m.message_type, m.text.as_str()), (MessageType::Text, "Big deal"));
        let m = kept(base(
            json!({"photo": "(File not included. Change data exporting settings to download.)", "width": 960, "height": 1280, "text": "look"}),
        ));
        let media = m.media.expect("media");
        assert_eq!((m.message_type, media.width, media.file_name), (MessageType::Photo, Some(960), None));
        let m = kept(base(
            json!({"file": "voice_messages/audio_1.ogg", "media_type": "voice_message", "mime_type": "audio/ogg", "duration_seconds": 4, "text": ""}),
        ));
        let media = m.media.expect("media");
        assert_eq!((m.message_type, media.file_name.as_deref(), media.duration), (MessageType::Voice, Some("audio_1.ogg"), Some(4)));
        assert_eq!(kept(base(json!({"file": "files/a.pdf", "text": ""}))).message_type, MessageType::Document);
        let m = kept(base(json!({"file": "s.webp", "media_type": "sticker", "sticker_emoji": "😀"})));
        assert_eq!((m.message_type, m.text.as_str()), (MessageType::Sticker, "😀"));
        let m = kept(base(json!({"poll": {"question": "Lunch?", "answers": [{"text": "Yes"}, {"text": "No"}]}, "text": ""})));
        assert_eq!(m.text, "Lunch? (Yes / No)");
        let m = kept(base(json!({"forwarded_from": "Carol", "text": "fyi"})));
        let origin = m.details.forward.as_ref().expect("forward origin");
        assert_eq!((m.text.as_str(), origin.kind, origin.name.as_str()), ("fyi", ForwardKind::HiddenUser, "Carol"));
        let m = kept(base(json!({
            "text": ["Zoë ", {"type": "bold", "text": "🙂 big"}, " see ", {"type": "text_link", "text": "here", "href": "https://x.test"}],
            "text_entities": [{"type": "plain", "text": "Zoë "}, {"type": "bold", "text": "🙂 big"}, {"type": "plain", "text": " see "},
                              {"type": "text_link", "text": "here", "href": "https://x.test"}]
        })));
        let es: Vec<(EntityKind, u32, u32, Option<&str>)> =
            m.details.entities.iter().map(|e| (e.kind, e.offset, e.length, e.url.as_deref())).collect();
        assert_eq!(es, vec![(EntityKind::Bold, 4, 5, None), (EntityKind::TextLink, 14, 4, Some("https://x.test"))]);
        let m = kept(base(json!({"text": "re", "reply_to_message_id": 77})));
        assert_eq!(m.reply_to_telegram_message_id, Some(77));
        let m = kept(base(json!({"text": "re", "reply_to_message_id": 77, "reply_to_peer_id": "channel5"})));
        assert_eq!(m.reply_to_telegram_message_id, None);
        let m = kept(
            json!({"id": 2, "type": "service", "date_unixtime": "1600000000", "actor": null, "actor_id": "user9", "action": "invite_members", "members": ["Ann", null]}),
        );
        assert_eq!((m.message_type, m.text.as_str()), (MessageType::Service, "Deleted Account added Ann, Deleted Account"));
        // An odd sub-field degrades that field only.
        let m = kept(base(json!({"photo": 5, "width": "wide", "text": {"odd": true}})));
        assert_eq!((m.message_type, m.media.expect("media").width, m.text.as_str()), (MessageType::Photo, None, ""));
        let skip = |v: Value| message(&v, &c, None, UTC_DATES).expect("ok").expect_err("skipped");
        assert_eq!(skip(json!({"id": 3, "type": "unsupported"})), Skip::Unsupported);
        assert_eq!(skip(json!({"type": "message", "date_unixtime": "1"})), Skip::Incomplete);
        assert_eq!(skip(json!({"id": 4, "type": "message"})), Skip::Incomplete);
    }

    #[test]
    fn service_sentences() {
        let s = |v: Value| service_text(&v);
        assert_eq!(s(json!({"actor": "Bob", "action": "joined_telegram"})), "Bob joined Telegram");
        assert_eq!(s(json!({"actor": "Bob", "action": "phone_call", "duration_seconds": 75})), "A call from Bob (1 min 15 s)");
        assert_eq!(s(json!({"actor": "Bob", "action": "phone_call", "discard_reason": "missed"})), "Missed call from Bob");
        assert_eq!(s(json!({"actor": "Chan", "action": "create_channel", "title": "News"})), "Chan created the channel “News”");
        assert_eq!(s(json!({"actor": "Bob", "information_text": "Bob did a custom thing"})), "Bob did a custom thing");
        assert_eq!(s(json!({"actor": "Bob", "action": "boost_apply"})), "Bob: boost apply");
    }
}
