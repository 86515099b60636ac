//! What Telegram shows around a message's text: where it was forwarded from, what it quotes or
//! answers in another chat, its formatting, its album and forum topic, its reactions, and who in
//! a Business chat sent it.
//!
//! Offsets and lengths are counted in Unicode scalar values (Rust `char`s) of the message's text,
//! not in Telegram's UTF-16 code units: the Telegram adapter converts them once, so every reader
//! (the dashboard, REST clients, exports) slices the text the same way.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::values::{EntityKind, ForwardKind};

/// Who a forwarded message first came from (Telegram's `forward_origin`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForwardOrigin {
    /// A user, a user who hides their account, a chat (anonymous admin) or a channel.
    pub kind: ForwardKind,
    /// The name Telegram shows: the user's full name or the chat's title.
    pub name: String,
    /// The user's or chat's Telegram id, when Telegram gives it (not for hidden users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram_id: Option<i64>,
    /// The user's or chat's username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The original message's id in its channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    /// The signature of the post's author, for channels and anonymous admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_signature: Option<String>,
    /// When the original message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateTime<Utc>>,
}

/// The part of the replied-to message that a reply quotes (Telegram's `quote`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quoted text.
    pub text: String,
    /// Where the quote starts in the replied-to message's text, in characters.
    #[serde(default)]
    pub position: u32,
    /// Whether the sender chose the quote by hand (otherwise Telegram added it).
    #[serde(default)]
    pub is_manual: bool,
}

/// A reply to a message of another chat, or of a topic (Telegram's `external_reply`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExternalReply {
    /// Who sent the replied-to message.
    pub origin: ForwardOrigin,
    /// The other chat's id, when Telegram gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// The other chat's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_title: Option<String>,
    /// The replied-to message's id in that chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
}

/// A stretch of a message's text with a format or a meaning (Telegram's `MessageEntity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TextEntity {
    /// What it is.
    pub kind: EntityKind,
    /// Where it starts, in characters (Unicode scalar values) of the text.
    pub offset: u32,
    /// How long it is, in characters.
    pub length: u32,
    /// The target of a `text_link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The user of a `text_mention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// The programming language of a `pre` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// How many reacted with one reaction, and whether the owner's side did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    /// The emoji, `custom:<id>` for a custom emoji, or `paid` for a paid (star) reaction.
    pub emoji: String,
    /// How many reacted with it.
    pub count: u32,
    /// The Telegram users known to have reacted with it (from per-user updates; anonymous
    /// reactions of channels and large groups are only counted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<i64>,
}

/// Everything Telegram shows about a message beyond its text and media. Empty for a plain
/// message; every field is optional so that older data and other sources read as "not known".
/// The rare, larger parts are boxed, so that a plain message stays small in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessageDetails {
    /// Where a forwarded message came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Box<ForwardOrigin>>,
    /// The part of the replied-to message this reply quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Box<Quote>>,
    /// The message of another chat this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reply: Option<Box<ExternalReply>>,
    /// Formatting and links of the text, in text order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<TextEntity>,
    /// The album it belongs to: messages with the same id are shown as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_group_id: Option<String>,
    /// The forum topic it was sent in (the id of the topic's first message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<i64>,
    /// The topic name a `forum_topic_created` or `forum_topic_edited` service message sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// Reactions, most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// In a Business chat: sent by the bot on the owner's behalf, not typed by the owner.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sent_by_business_bot: bool,
    /// In a Business chat: an away or greeting message Telegram sent while the owner was offline.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_offline: bool,
    /// A poll: its question, options and votes as Telegram last showed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Box<Poll>>,
}

/// A poll (Telegram's `Poll`), as the message carrying it showed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    /// The question.
    pub question: String,
    /// The options, in Telegram's order.
    pub options: Vec<PollOption>,
    /// People who voted.
    #[serde(default)]
    pub total_voters: u32,
    /// A quiz (one correct answer) rather than a regular poll.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_quiz: bool,
    /// Whether voters may choose several options.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple_answers: bool,
    /// Whether voters stay anonymous.
    #[serde(default = "yes")]
    pub is_anonymous: bool,
    /// Whether it no longer takes votes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_closed: bool,
}

fn yes() -> bool {
    true
}

/// One option of a poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PollOption {
    /// Its text.
    pub text: String,
    /// Votes for it.
    #[serde(default)]
    pub voters: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

impl MessageDetails {
    /// Whether nothing is known beyond the text (stores may keep no details at all then).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Keeps only entities that fit the text (`text_chars` characters long), sorted by start and
    /// then by length (longest first, so that an enclosing entity opens before those inside it).
    pub fn tidy_entities(entities: &mut Vec<TextEntity>, text_chars: u32) {
        entities.retain(|e| e.length > 0 && e.offset.checked_add(e.length).is_some_and(|end| end <= text_chars));
        entities.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length), e.kind.as_str()));
        entities.dedup();
    }

    /// Sets the reactions from one person's change: `user` now reacts with `new` instead of
    /// `old` (Telegram's `message_reaction`). Counts never go below zero; a reaction nobody has
    /// left goes. Returns whether anything changed.
    pub fn apply_reaction_change(&mut self, user: Option<i64>, old: &[String], new: &[String]) -> bool {
        let (old_set, new_set): (BTreeSet<&String>, BTreeSet<&String>) = (old.iter().collect(), new.iter().collect());
        let mut changed = false;
        for emoji in old_set.difference(&new_set) {
            if let Some(r) = self.reactions.iter_mut().find(|r| &r.emoji == *emoji) {
                let had = user.is_some_and(|u| r.user_ids.contains(&u));
                // A user we never saw react is only taken off when counts came from elsewhere.
                if user.is_none() || had || r.user_ids.len() < r.count as usize {
                    r.count = r.count.saturating_sub(1);
                    changed = true;
                }
                if let Some(u) = user {
                    r.user_ids.retain(|id| *id != u);
                }
            }
        }
        for emoji in new_set.difference(&old_set) {
            match self.reactions.iter_mut().find(|r| &r.emoji == *emoji) {
                Some(r) if user.is_some_and(|u| r.user_ids.contains(&u)) => {}
                Some(r) => {
                    r.count += 1;
                    r.user_ids.extend(user);
                    changed = true;
                }
                None => {
                    self.reactions.push(Reaction { emoji: (*emoji).clone(), count: 1, user_ids: user.into_iter().collect() });
                    changed = true;
                }
            }
        }
        self.reactions.retain(|r| r.count > 0);
        self.sort_reactions();
        changed
    }

    /// Sets the totals Telegram counted (`message_reaction_count`, for anonymous reactions):
    /// the counts are Telegram's, the known users are kept where their reaction is still there.
    /// Returns whether anything changed.
    pub fn set_reaction_counts(&mut self, totals: &[(String, u32)]) -> bool {
        let before = self.reactions.clone();
        self.reactions = totals
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(emoji, count)| {
                let mut user_ids = before.iter().find(|r| &r.emoji == emoji).map(|r| r.user_ids.clone()).unwrap_or_default();
                user_ids.truncate(*count as usize);
                Reaction { emoji: emoji.clone(), count: *count, user_ids }
            })
            .collect();
        self.sort_reactions();
        self.reactions != before
    }

    fn sort_reactions(&mut self) {
        // A message has a handful of reactions: cloning the key costs nothing that matters.
        self.reactions.sort_by_key(|r| (std::cmp::Reverse(r.count), r.emoji.clone()));
    }
}

/// A run of a text with the same formatting: a slice of the text and the entities that cover
/// all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run<'a> {
    /// The run's text.
    pub text: &'a str,
    /// The entities covering it, outermost first.
    pub entities: Vec<&'a TextEntity>,
}

/// Splits `text` into runs at every entity boundary, so a renderer can format each run by the
/// entities that cover it; overlapping and nested entities are both handled. Entities that do
/// not fit the text are ignored.
pub fn runs<'a>(text: &'a str, entities: &'a [TextEntity]) -> Vec<Run<'a>> {
    // Byte offset of every char boundary, plus the end.
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let chars = bounds.len() - 1;
    let fits = |e: &TextEntity| e.length > 0 && (e.offset as usize + e.length as usize) <= chars;
    let mut cuts: BTreeSet<usize> = [0, chars].into_iter().collect();
    for e in entities.iter().filter(|e| fits(e)) {
        cuts.insert(e.offset as usize);
        cuts.insert(e.offset as usize + e.length as usize);
    }
    let cuts: Vec<usize> = cuts.into_iter().collect();
    cuts.windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| {
            let (start, end) = (w[0], w[1]);
            let mut covering: Vec<&TextEntity> =
                entities.iter().filter(|e| fits(e) && e.offset as usize <= start && end <= e.offset as usize + e.length as usize).collect();
            covering.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
            Run { text: &text[bounds[start]..bounds[end]], entities: covering }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: EntityKind, offset: u32, length: u32) -> TextEntity {
        TextEntity { kind, offset, length, url: None, user_id: None, language: None }
    }

    #[test]
    fn runs_split_at_every_boundary_of_nested_and_overlapping_entities() {
        let es = [entity(EntityKind::Bold, 0, 5), entity(EntityKind::Italic, 3, 4)];
        let runs = runs("Zoë🙂 ok!", &es);
        let shape: Vec<(&str, Vec<EntityKind>)> = runs.iter().map(|r| (r.text, r.entities.iter().map(|e| e.kind).collect())).collect();
        assert_eq!(
            shape,
            vec![
                ("Zoë", vec![EntityKind::Bold]),
                ("🙂 ", vec![EntityKind::Bold, EntityKind::Italic]),
                ("ok", vec![EntityKind::Italic]),
                ("!", vec![]),
            ]
        );
    }

    #[test]
    fn entities_outside_the_text_are_ignored_and_tidied_away() {
        let mut es = vec![entity(EntityKind::Bold, 2, 10), entity(EntityKind::Code, 0, 0), entity(EntityKind::Italic, 0, 2)];
        assert_eq!(runs("abc", &es).len(), 2);
        MessageDetails::tidy_entities(&mut es, 3);
        assert_eq!(es, vec![entity(EntityKind::Italic, 0, 2)]);
    }

    #[test]
    fn reaction_changes_count_each_user_once_and_never_go_negative() {
        let mut d = MessageDetails::default();
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(d.apply_reaction_change(Some(1), &[], &s(&["👍"])));
        assert!(!d.apply_reaction_change(Some(1), &[], &s(&["👍"])), "a replayed change counts once");
        assert!(d.apply_reaction_change(Some(2), &[], &s(&["👍", "🔥"])));
        assert_eq!(d.reactions[0], Reaction { emoji: "👍".into(), count: 2, user_ids: vec![1, 2] });
        assert!(d.apply_reaction_change(Some(1), &s(&["👍"]), &s(&["🔥"])));
        assert_eq!(d.reactions.iter().map(|r| (r.emoji.as_str(), r.count)).collect::<Vec<_>>(), vec![("🔥", 2), ("👍", 1)]);
        assert!(!d.apply_reaction_change(Some(9), &s(&["❤"]), &[]), "taking off what was never there changes nothing");
        assert!(d.set_reaction_counts(&[("🔥".into(), 5)]));
        assert_eq!(d.reactions, vec![Reaction { emoji: "🔥".into(), count: 5, user_ids: vec![2, 1] }]);
    }
}
