//! What a message shows beyond its text, in the domain's terms: forward origin, quote, reply in
//! another chat, formatting (UTF-16 offsets converted to characters), album, topic, Business flags.

use std::str::FromStr;

use serde_json::Value;
use telegcrm_domain::model::{Poll, PollOption};
use telegcrm_domain::{EntityKind, ExternalReply, ForwardKind, ForwardOrigin, MessageDetails, Quote, TextEntity};

use crate::content::full_name;
use crate::wire::{Entity, Labelled, Message};

/// The details of `m`, whose text as captured is `text` (its text or caption).
pub fn details_of(m: &Message, text: &str) -> MessageDetails {
    // Entities belong to the text or the caption; a description the CRM wrote has none.
    let raw = if m.text.as_deref() == Some(text) {
        m.entities.as_deref()
    } else if m.caption.as_deref() == Some(text) {
        m.caption_entities.as_deref()
    } else {
        None
    };
    let topic_name = ["forum_topic_created", "forum_topic_edited"]
        .iter()
        .find_map(|k| m.rest.get(*k)?.get("name")?.as_str().map(str::to_owned))
        .filter(|n| !n.is_empty());
    MessageDetails {
        forward: match &m.forward_origin {
            Some(origin) => origin_of(origin),
            None => legacy_origin(m).as_ref().and_then(origin_of),
        }
        .map(Box::new),
        quote: m
            .quote
            .as_ref()
            .filter(|q| !q.text.is_empty())
            .map(|q| Box::new(Quote { text: q.text.clone(), position: u32::try_from(q.position).unwrap_or(0), is_manual: q.is_manual })),
        external_reply: m.external_reply.as_ref().and_then(|r| {
            Some(Box::new(ExternalReply {
                origin: origin_of(r.origin.as_ref()?)?,
                chat_id: r.chat.as_ref().map(|c| c.id),
                chat_title: r.chat.as_ref().and_then(|c| c.title.clone()),
                message_id: r.message_id,
            }))
        }),
        entities: raw.map(|es| entities_of(text, es)).unwrap_or_default(),
        media_group_id: m.media_group_id.clone().filter(|id| !id.is_empty()),
        topic_id: if m.is_topic_message == Some(true) { m.message_thread_id } else { None },
        topic_name,
        reactions: Vec::new(),
        sent_by_business_bot: m.business_connection_id.is_some() && m.sender_business_bot.is_some(),
        from_offline: m.is_from_offline == Some(true),
        poll: m.poll.as_ref().map(|p| {
            Box::new(Poll {
                question: p.question.clone(),
                options: p
                    .options
                    .iter()
                    .map(|o| PollOption {
                        text: o.text().to_owned(),
                        voters: match o {
                            Labelled::Object { voter_count, .. } => *voter_count,
                            Labelled::Plain(_) => 0,
                        },
                    })
                    .collect(),
                total_voters: p.total_voter_count,
                is_quiz: p.kind.as_deref() == Some("quiz"),
                multiple_answers: p.allows_multiple_answers == Some(true),
                is_anonymous: p.is_anonymous != Some(false),
                is_closed: p.is_closed == Some(true),
            })
        }),
    }
}

/// Telegram's entities of `text` with their UTF-16 offsets turned into character offsets.
/// Entities of kinds the CRM does not know, or that do not fall on character boundaries within
/// the text, are left out.
pub fn entities_of(text: &str, raw: &[Entity]) -> Vec<TextEntity> {
    // The UTF-16 offset at which each character starts, and the end.
    let mut starts: Vec<usize> = Vec::with_capacity(text.len() + 1);
    let mut at = 0;
    for c in text.chars() {
        starts.push(at);
        at += c.len_utf16();
    }
    starts.push(at);
    let char_at = |utf16: i64| usize::try_from(utf16).ok().and_then(|u| starts.binary_search(&u).ok());
    let mut out: Vec<TextEntity> = raw
        .iter()
        .filter_map(|e| {
            let kind = EntityKind::from_str(&e.kind).ok()?;
            let start = char_at(e.offset)?;
            let end = char_at(e.offset.checked_add(e.length)?)?;
            Some(TextEntity {
                kind,
                offset: u32::try_from(start).ok()?,
                length: u32::try_from(end.checked_sub(start)?).ok()?,
                url: e.url.clone().filter(|_| kind == EntityKind::TextLink),
                user_id: e.user.as_ref().map(|u| u.id).filter(|_| kind == EntityKind::TextMention),
                language: e.language.clone().filter(|_| kind == EntityKind::Pre),
            })
        })
        .collect();
    let chars = u32::try_from(starts.len() - 1).unwrap_or(u32::MAX);
    MessageDetails::tidy_entities(&mut out, chars);
    out
}

/// The forward of a message in the shape before Bot API 7.0 (`forward_from`,
/// `forward_from_chat`, `forward_sender_name`, `forward_date`, ...), as the `MessageOrigin` it
/// stands for. Some senders put a channel in `forward_from`: a sender with a title is a chat.
fn legacy_origin(m: &Message) -> Option<Value> {
    let get = |k: &str| m.rest.get(k).filter(|v| !v.is_null());
    let date = get("forward_date")?.as_i64()?;
    let mut o = serde_json::Map::new();
    o.insert("date".into(), date.into());
    if let Some(chat) = get("forward_from_chat").or_else(|| get("forward_from").filter(|f| f.get("title").is_some())) {
        let channel = chat.get("type").and_then(Value::as_str) == Some("channel");
        o.insert("type".into(), if channel { "channel" } else { "chat" }.into());
        o.insert(if channel { "chat" } else { "sender_chat" }.into(), chat.clone());
        if let Some(id) = get("forward_from_message_id").and_then(Value::as_i64).filter(|id| *id > 0) {
            o.insert("message_id".into(), id.into());
        }
        if let Some(signature) = get("forward_signature") {
            o.insert("author_signature".into(), signature.clone());
        }
    } else if let Some(user) = get("forward_from") {
        o.insert("type".into(), "user".into());
        o.insert("sender_user".into(), user.clone());
    } else {
        o.insert("type".into(), "hidden_user".into());
        o.insert("sender_user_name".into(), get("forward_sender_name")?.clone());
    }
    Some(Value::Object(o))
}

/// A `MessageOrigin` (of a forward or an external reply) in the domain's terms.
pub fn origin_of(origin: &Value) -> Option<ForwardOrigin> {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = ForwardKind::from_str(origin.get("type")?.as_str()?).ok()?;
    let who = match kind {
        ForwardKind::User => origin.get("sender_user"),
        ForwardKind::Chat => origin.get("sender_chat"),
        ForwardKind::Channel => origin.get("chat"),
        ForwardKind::HiddenUser => None,
    };
    let name = match (kind, who) {
        (ForwardKind::HiddenUser, _) => str_at(origin, "sender_user_name").unwrap_or_default(),
        (ForwardKind::User, Some(u)) => full_name(&str_at(u, "first_name").unwrap_or_default(), str_at(u, "last_name").as_deref()),
        (_, Some(c)) => str_at(c, "title").unwrap_or_default(),
        (_, None) => String::new(),
    };
    Some(ForwardOrigin {
        kind,
        name,
        telegram_id: who.and_then(|w| w.get("id")?.as_i64()),
        username: who.and_then(|w| str_at(w, "username")),
        message_id: origin.get("message_id").and_then(Value::as_i64),
        author_signature: str_at(origin, "author_signature"),
        date: origin.get("date").and_then(Value::as_i64).and_then(|d| chrono::DateTime::from_timestamp(d, 0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: &str, offset: i64, length: i64) -> Entity {
        Entity { kind: kind.into(), offset, length, ..Entity::default() }
    }

    #[test]
    fn utf16_offsets_become_character_offsets_past_emoji_and_astral_letters() {
        // "🙂" and "𝐀" are two UTF-16 units each, one character each.
        let text = "🙂 Hi 𝐀bold!";
        let es = entities_of(text, &[entity("bold", 6, 6), entity("italic", 3, 2), entity("sparkles", 0, 1)]);
        let slices: Vec<(EntityKind, String)> =
            es.iter().map(|e| (e.kind, text.chars().skip(e.offset as usize).take(e.length as usize).collect())).collect();
        assert_eq!(slices, vec![(EntityKind::Italic, "Hi".to_owned()), (EntityKind::Bold, "𝐀bold".to_owned())]);
    }

    #[test]
    fn entities_splitting_a_surrogate_pair_or_past_the_end_are_left_out() {
        assert!(entities_of("🙂x", &[entity("bold", 1, 2), entity("bold", 0, 9), entity("code", -1, 2)]).is_empty());
    }

    #[test]
    fn origins_of_each_kind() {
        let user = origin_of(
            &serde_json::json!({"type": "user", "date": 1700000000, "sender_user": {"id": 7, "first_name": "Zoë", "last_name": "K"}}),
        )
        .unwrap();
        assert_eq!((user.kind, user.name.as_str(), user.telegram_id), (ForwardKind::User, "Zoë K", Some(7)));
        let hidden = origin_of(&serde_json::json!({"type": "hidden_user", "date": 1, "sender_user_name": "Anon"})).unwrap();
        assert_eq!((hidden.kind, hidden.name.as_str(), hidden.telegram_id), (ForwardKind::HiddenUser, "Anon", None));
        let channel = origin_of(
            &serde_json::json!({"type": "channel", "date": 1, "message_id": 42, "chat": {"id": -100, "title": "News", "type": "channel"}}),
        )
        .unwrap();
        assert_eq!((channel.name.as_str(), channel.message_id), ("News", Some(42)));
        assert!(origin_of(&serde_json::json!({"type": "carrier_pigeon"})).is_none());
    }
}
