//! A streaming reader of Telegram Desktop's `result.json`: it walks the document and hands out
//! the owner, each chat's header and each message as it goes, so memory stays bounded by one
//! message whatever the size of the export.
//!
//! Both shapes are read: a single-chat export (the root is the chat) and a full-account export
//! (`personal_information`, then `chats.list` and `left_chats.list`). See
//! `../shared/fixtures/telegram/DESKTOP_EXPORT_FORMAT.md` and docs/import.md.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The exporting account (`personal_information`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Me {
    /// Telegram user id.
    pub user_id: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
}

/// A chat's header: what precedes its messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatHeader {
    /// `name` (absent for Saved Messages, `null` for a deleted account).
    pub name: Option<String>,
    /// `type`: `personal_chat`, `private_supergroup`, ...
    pub kind: String,
    /// The bare id (no `-100` prefix), or a legacy type-shifted one.
    pub id: Option<i64>,
}

/// What the reader finds, in document order.
#[derive(Debug)]
pub enum Item {
    /// The exporting account.
    Me(Me),
    /// A chat starts; its messages follow.
    Chat(ChatHeader),
    /// One message of the current chat, as the exporter wrote it.
    Message(Value),
}

/// Reads `source` to the end, calling `sink` for each item. The sink's error stops the reading
/// and is returned as is.
pub fn read_export<R: Read>(source: R, sink: &mut dyn FnMut(Item) -> Result<(), String>) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(source);
    de.deserialize_map(Root { sink }).map_err(|e| e.to_string())?;
    de.end().map_err(|e| format!("after the export's root object: {e}"))
}

fn me_of(v: &Value) -> Option<Me> {
    let user_id = v.get("user_id")?.as_i64()?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    Some(Me {
        user_id,
        first_name: text("first_name").unwrap_or_default(),
        last_name: text("last_name"),
        username: text("username").map(|u| u.trim_start_matches('@').to_owned()),
    })
}

/// The root: a chat (single-chat export) or the account (full export).
struct Root<'s> {
    sink: &'s mut dyn FnMut(Item) -> Result<(), String>,
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Telegram Desktop export (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut chat = ChatState::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "personal_information" => {
                    let v: Value = map.next_value()?;
                    if let Some(me) = me_of(&v) {
                        (self.sink)(Item::Me(me)).map_err(de::Error::custom)?;
                    }
                }
                "chats" | "left_chats" => map.next_value_seed(Section { sink: &mut *self.sink })?,
                _ => chat.field(&key, &mut map, &mut *self.sink)?,
            }
        }
        // A root that named a chat but had no messages is still a chat.
        chat.finish(&mut *self.sink).map_err(de::Error::custom)
    }
}

/// A chat's fields as they come: the header, then its messages.
#[derive(Default)]
struct ChatState {
    header: ChatHeader,
    /// Any header field was seen (so this object is a chat).
    named: bool,
    started: bool,
}

impl ChatState {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        sink: &mut dyn FnMut(Item) -> Result<(), String>,
    ) -> Result<(), A::Error> {
        match key {
            "name" => {
                self.header.name = map.next_value::<Option<Value>>()?.and_then(|v| v.as_str().map(str::to_owned));
                self.named = true;
            }
            "type" => {
                self.header.kind = map.next_value::<Option<Value>>()?.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                self.named = true;
            }
            "id" => {
                self.header.id = map.next_value::<Option<Value>>()?.and_then(|v| v.as_i64());
                self.named = true;
            }
            "messages" => {
                if self.started {
                    return Err(de::Error::custom("a chat has two `messages` arrays"));
                }
                if self.header.kind.is_empty() {
                    return Err(de::Error::custom(
                        "a chat's `messages` come before its `type`; Telegram Desktop writes `name`, `type` and `id` first, so this file was rewritten by another program",
                    ));
                }
                self.started = true;
                sink(Item::Chat(self.header.clone())).map_err(de::Error::custom)?;
                map.next_value_seed(Messages { sink })?;
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn finish(self, sink: &mut dyn FnMut(Item) -> Result<(), String>) -> Result<(), String> {
        if self.named && !self.started { sink(Item::Chat(self.header)) } else { Ok(()) }
    }
}

/// `chats` / `left_chats`: `{ "about": ..., "list": [chat, ...] }`.
struct Section<'s> {
    sink: &'s mut dyn FnMut(Item) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for Section<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Section<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a section with a `list` of chats")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "list" {
                map.next_value_seed(Chats { sink: &mut *self.sink })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `[chat, ...]`.
struct Chats<'s> {
    sink: &'s mut dyn FnMut(Item) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for Chats<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Chats<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of chats")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Chat { sink: &mut *self.sink })?.is_some() {}
        Ok(())
    }
}

/// One chat object of a list.
struct Chat<'s> {
    sink: &'s mut dyn FnMut(Item) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for Chat<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Chat<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chat object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut chat = ChatState { named: true, ..ChatState::default() };
        while let Some(key) = map.next_key::<String>()? {
            chat.field(&key, &mut map, &mut *self.sink)?;
        }
        chat.finish(&mut *self.sink).map_err(de::Error::custom)
    }
}

/// A chat's `messages`, handed out one at a time.
struct Messages<'s> {
    sink: &'s mut dyn FnMut(Item) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for Messages<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of messages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(message) = seq.next_element::<Value>()? {
            (self.sink)(Item::Message(message)).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(json: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        read_export(json.as_bytes(), &mut |item| {
            out.push(match item {
                Item::Me(me) => format!("me {}", me.user_id),
                Item::Chat(c) => format!("chat {} {:?}", c.kind, c.id),
                Item::Message(m) => format!("message {}", m["id"]),
            });
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_both_shapes_in_order() {
        let single = r#"{"name":"Bob","type":"personal_chat","id":7,"messages":[{"id":1},{"id":2}]}"#;
        assert_eq!(items(single).expect("single"), ["chat personal_chat Some(7)", "message 1", "message 2"]);
        let full = r#"{"about":"x","personal_information":{"user_id":5,"first_name":"A"},
            "chats":{"about":"y","list":[{"name":"C","type":"private_group","id":9,"messages":[{"id":3}]},
            {"type":"saved_messages","id":5,"messages":[]}]},
            "left_chats":{"list":[{"name":"L","type":"public_channel","id":11,"messages":[{"id":4}]}]},
            "other_data":{"deep":[1,2,{"a":null}]}}"#;
        assert_eq!(
            items(full).expect("full"),
            ["me 5", "chat private_group Some(9)", "message 3", "chat saved_messages Some(5)", "chat public_channel Some(11)", "message 4"]
        );
    }

    #[test]
    fn a_chat_without_messages_is_still_reported() {
        assert_eq!(items(r#"{"chats":{"list":[{"name":"E","type":"bot_chat","id":1}]}}"#).expect("ok"), ["chat bot_chat Some(1)"]);
    }

    #[test]
    fn bad_documents_give_errors_that_say_where() {
        let err = items(r#"{"messages":[{"id":1}],"type":"personal_chat","id":1}"#).expect_err("messages first");
        assert!(err.contains("before its `type`"), "{err}");
        let err = items(r#"{"name":"Bob","type":"personal_chat","id":7,"messages":[{"id":1},"#).expect_err("truncated");
        assert!(err.contains("EOF") && err.contains("line 1"), "{err}");
        assert!(items("[1,2]").expect_err("not an object").contains("invalid type"));
        assert!(items(r#"{"id":1,"type":"x","messages":[]} trailing"#).is_err());
    }

    #[test]
    fn the_sinks_error_stops_the_reading() {
        let mut seen = 0;
        let err = read_export(&br#"{"type":"personal_chat","id":1,"messages":[{"id":1},{"id":2}]}"#[..], &mut |item| {
            seen += 1;
            if matches!(item, Item::Message(_)) { Err("stop here".to_owned()) } else { Ok(()) }
        })
        .expect_err("stopped");
        assert!(err.starts_with("stop here"), "{err}");
        assert_eq!(seen, 2);
    }
}
