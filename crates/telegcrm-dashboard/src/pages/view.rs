//! View models: what templates show, already formatted (templates only escape and lay out).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use telegcrm_domain::{ChatType, Conversation, EntityKind, FollowUp, Message, MessageType, Priority, TextEntity};

use crate::web::PageError;

/// A `<select>` option.
#[derive(Debug, Clone)]
pub struct Opt {
    /// The value sent.
    pub value: &'static str,
    /// The word shown: the value with a capital first letter ("urgent" shows as "Urgent").
    pub label: String,
    /// Whether chosen.
    pub selected: bool,
}

/// Options from a list of values, `current` selected.
pub fn opts(all: impl IntoIterator<Item = &'static str>, current: &str) -> Vec<Opt> {
    all.into_iter().map(|value| Opt { value, label: capitalized(value), selected: value == current }).collect()
}

/// `value` with its first letter in upper case.
pub(crate) fn capitalized(value: &str) -> String {
    let mut chars = value.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A time shown relatively, with the absolute UTC time for `<time datetime title>`.
#[derive(Debug, Clone)]
pub struct When {
    /// RFC 3339.
    pub iso: String,
    /// `2026-03-02 09:00 UTC`.
    pub abs: String,
    /// `5 min ago`, `in 2 h`.
    pub rel: String,
}

/// Formats a time relative to `now`.
pub fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> When {
    let secs = (now - t).num_seconds();
    let (n, future) = if secs >= 0 { (secs, false) } else { (-secs, true) };
    let iso = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let abs = t.format("%Y-%m-%d %H:%M UTC").to_string();
    let amount = if n < 60 {
        return When { iso, abs, rel: "just now".into() };
    } else if n < 3600 {
        format!("{} min", n / 60)
    } else if n < 86_400 {
        format!("{} h", n / 3600)
    } else if n < 86_400 * 60 {
        format!("{} d", n / 86_400)
    } else {
        let rel = t.format("%Y-%m-%d").to_string();
        return When { iso, abs, rel };
    };
    let rel = if future { format!("in {amount}") } else { format!("{amount} ago") };
    When { iso, abs, rel }
}

/// The name a conversation goes by.
pub fn conversation_title(c: &Conversation) -> String {
    c.title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| c.contact_name.clone())
        .or_else(|| c.contact_username.as_ref().map(|u| format!("@{u}")))
        .unwrap_or_else(|| format!("Chat {}", c.telegram_chat_id))
}

/// An inbox row.
#[derive(Debug, Clone)]
pub struct ConvItem {
    /// Id.
    pub id: String,
    /// Title or contact name.
    pub title: String,
    /// private, group...
    pub chat_type: &'static str,
    /// Last message preview.
    pub preview: String,
    /// Last activity.
    pub when: When,
    /// Unread count.
    pub unread: u32,
    /// Priority word.
    pub priority: &'static str,
    /// Status word.
    pub status: &'static str,
    /// Tags.
    pub tags: Vec<String>,
    /// Why nothing arrives any more, in a word or two (the bot removed or blocked, the group
    /// moved); `None` for a chat that works.
    pub standing: Option<&'static str>,
    /// Who answers it, when someone does: "you" or the member's name ([`ConvItem::with_assignee`]).
    pub assignee: Option<String>,
}

impl ConvItem {
    /// From a conversation.
    pub fn new(c: &Conversation, now: DateTime<Utc>) -> Self {
        Self {
            id: c.id.to_string(),
            title: conversation_title(c),
            chat_type: c.chat_type.as_str(),
            preview: c.last_message_preview.clone().unwrap_or_default(),
            when: when(c.last_message_at, now),
            unread: c.unread_count,
            priority: c.priority.as_str(),
            status: c.status.as_str(),
            tags: c.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            standing: c.silence().map(telegcrm_domain::model::Silence::label),
            assignee: None,
        }
    }

    /// With the name of its assignee, as the team's roster calls it.
    #[must_use]
    pub fn with_assignee(mut self, c: &Conversation, roster: &super::team::Roster) -> Self {
        self.assignee = c.assignee_avatar_id.map(|a| roster.name_of(a));
        self
    }
}

/// One earlier version of an edited message.
#[derive(Debug, Clone)]
pub struct EditView {
    /// The text before.
    pub text: String,
    /// When it was replaced.
    pub at: String,
}

/// A run of a message's text with one formatting: the classes of every entity covering it, and
/// the link it is part of, if any (the template escapes the text and the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunView {
    /// The text.
    pub text: String,
    /// `fmt-bold fmt-italic ...`, empty for plain text.
    pub classes: String,
    /// Where a link goes (only http, https, mailto and tg links).
    pub href: Option<String>,
}

/// Splits a message's text into runs by its entities ([`telegcrm_domain::model::runs`]).
pub fn run_views(text: &str, entities: &[TextEntity]) -> Vec<RunView> {
    telegcrm_domain::model::runs(text, entities)
        .into_iter()
        .map(|r| {
            let classes = r.entities.iter().map(|e| format!("fmt-{}", e.kind.as_str().replace('_', "-"))).collect::<Vec<_>>().join(" ");
            let href = r.entities.iter().find_map(|e| match e.kind {
                EntityKind::TextLink => e.url.clone().filter(|u| safe_link(u)),
                EntityKind::Url if safe_link(r.text) => Some(r.text.to_owned()),
                EntityKind::Email => Some(format!("mailto:{}", r.text)),
                EntityKind::Mention => Some(format!("https://t.me/{}", r.text.trim_start_matches('@'))),
                _ => None,
            });
            RunView { text: r.text.to_owned(), classes, href }
        })
        .collect()
}

/// Whether a link may be followed from the dashboard: web, mail and Telegram links only (never
/// `javascript:` or `data:`).
fn safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tg://"].iter().any(|p| lower.starts_with(p))
}

/// A message in the timeline.
#[derive(Debug, Clone)]
pub struct MsgView {
    /// Message id (element id `m-{id}`).
    pub id: String,
    /// `in`, `out` or `service`.
    pub side: &'static str,
    /// Sender name (groups).
    pub sender: Option<String>,
    /// Sent.
    pub when: When,
    /// Media description.
    pub media: Option<String>,
    /// The quoted message (reply).
    pub reply: Option<String>,
    /// Earlier versions.
    pub edits: Vec<EditView>,
    /// Whether edited.
    pub edited: bool,
    /// Whether deleted in Telegram.
    pub deleted: bool,
    /// The text in formatting runs.
    pub runs: Vec<RunView>,
    /// "Forwarded from …", for forwards.
    pub forward: Option<String>,
    /// The quoted part of the replied-to message.
    pub quote: Option<String>,
    /// "In reply to … in <chat>", for replies to other chats.
    pub external_reply: Option<String>,
    /// Reactions, as `(emoji, count)`; custom emoji show as ★.
    pub reactions: Vec<(String, u32)>,
    /// The forum topic: its name when a loaded message names it, else `#id`.
    pub topic: Option<String>,
    /// The forum topic's id.
    pub topic_id: Option<i64>,
    /// A poll: its question, options with votes and share (percent), and a summary line.
    pub poll: Option<PollView>,
    /// The album id, when the message is part of one.
    pub album: Option<String>,
    /// Whether the message continues the album of the message before it (shown as one).
    pub album_more: bool,
    /// Chips for Business messages: "sent by bot", "away message".
    pub flags: Vec<&'static str>,
    /// Telegram's id of the message in its chat (the media, edit and delete links name it).
    pub tg_id: i64,
    /// How the file is shown: `image`, `audio`, `video`, `download`, or `too_large` (over what
    /// bots may download); `None` without a file.
    pub file: Option<&'static str>,
    /// The file's name, for its download link.
    pub file_name: String,
    /// Where the dashboard serves the file.
    pub media_url: String,
    /// Whether the owner may edit it from here (the domain's rule).
    pub editable: bool,
    /// Whether the owner may delete it from here (the domain's rule; a Business connection's
    /// rights are checked on the way).
    pub deletable: bool,
    /// The internal notes written after the message before it and before this one.
    pub notes_before: Vec<NoteView>,
}

/// An internal note in the timeline.
#[derive(Debug, Clone)]
pub struct NoteView {
    /// Its id (`#n-{id}`).
    pub id: String,
    /// Who wrote it: "you" or the member's name.
    pub author: String,
    /// The text (escaped by the template).
    pub text: String,
    /// When written.
    pub when: When,
    /// Whether it mentions the reader.
    pub mentions_me: bool,
}

impl NoteView {
    /// From a note, naming its author from the team's roster.
    pub fn new(n: &telegcrm_domain::Note, roster: &super::team::Roster, me: telegcrm_domain::AvatarId, now: DateTime<Utc>) -> Self {
        Self {
            id: n.id.to_string(),
            author: roster.name_of(n.author_avatar_id),
            text: n.text.clone(),
            when: when(n.created_at, now),
            mentions_me: n.mentions.contains(&me),
        }
    }
}

/// An activity entry as a line: who did what, when, and where it happened.
#[derive(Debug, Clone)]
pub struct ActivityView {
    /// "you" or the member's name.
    pub who: String,
    /// What they did ("set the priority to high").
    pub what: String,
    /// When.
    pub when: When,
    /// The conversation or contact page it concerns.
    pub link: Option<String>,
}

impl ActivityView {
    /// From an entry, naming people from the team's roster.
    pub fn new(a: &telegcrm_domain::Activity, roster: &super::team::Roster, now: DateTime<Utc>) -> Self {
        let member = a.member_avatar_id.map(|m| roster.name_of(m)).unwrap_or_default();
        let link = match (a.conversation_id, a.contact_id) {
            (Some(c), _) => Some(format!("/conversations/{c}")),
            (None, Some(c)) => Some(format!("/contacts/{c}")),
            _ => None,
        };
        Self { who: roster.name_of(a.actor_avatar_id), what: a.phrase(&member), when: when(a.at, now), link }
    }
}

/// Puts each note (oldest first) before the first message sent after it; the notes newer than
/// every message are returned, to follow the last one.
pub fn place_notes(views: &mut [MsgView], sent: &[DateTime<Utc>], notes: Vec<(DateTime<Utc>, NoteView)>) -> Vec<NoteView> {
    let mut tail = Vec::new();
    for (at, note) in notes {
        match sent.iter().position(|s| *s > at) {
            Some(i) if i < views.len() => views[i].notes_before.push(note),
            _ => tail.push(note),
        }
    }
    tail
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

impl MsgView {
    /// From a message; `quoted` finds the replied-to message's preview.
    /// `business` says the chat is a Business chat; `connection` is its connection when known
    /// (its rights decide which actions are offered).
    pub fn new(
        m: &Message,
        chat_type: ChatType,
        business: bool,
        connection: Option<&telegcrm_domain::event::BusinessConnection>,
        now: DateTime<Utc>,
        quoted: impl Fn(i64) -> Option<String>,
    ) -> Self {
        let service = m.message_type == MessageType::Service;
        let group = matches!(chat_type, ChatType::Group | ChatType::Supergroup);
        let media = m.media.as_ref().map(|md| {
            let mut parts = vec![m.message_type.as_str().replace('_', " ")];
            if let Some(n) = &md.file_name {
                parts.push(n.clone());
            }
            if let Some(s) = md.file_size {
                parts.push(size(s));
            }
            if let Some(d) = md.duration {
                parts.push(format!("{}:{:02}", d / 60, d % 60));
            }
            parts.join(" · ")
        });
        let side = if service {
            "service"
        } else if m.direction == telegcrm_domain::Direction::Incoming {
            "in"
        } else {
            "out"
        };
        Self {
            id: m.id.to_string(),
            side,
            sender: if group && !service { m.from_name.clone() } else { None },
            when: when(m.sent_at, now),
            media,
            reply: m.reply_to_telegram_message_id.map(|r| quoted(r).unwrap_or_else(|| "an earlier message".into())),
            edits: m
                .edits
                .iter()
                .map(|e| EditView { text: e.content.clone(), at: e.edited_at.format("%Y-%m-%d %H:%M UTC").to_string() })
                .collect(),
            edited: m.edited_at.is_some(),
            deleted: m.deleted_at.is_some(),
            runs: run_views(&m.content, &m.details.entities),
            forward: m.details.forward.as_ref().map(|f| {
                let name = if f.name.is_empty() { "a hidden account" } else { f.name.as_str() };
                match &f.author_signature {
                    Some(sig) if !sig.is_empty() => format!("Forwarded from {name} ({sig})"),
                    _ => format!("Forwarded from {name}"),
                }
            }),
            quote: m.details.quote.as_ref().map(|q| q.text.clone()),
            external_reply: m.details.external_reply.as_ref().map(|r| match &r.chat_title {
                Some(t) if t != &r.origin.name => format!("{} in {t}", r.origin.name),
                _ => r.origin.name.clone(),
            }),
            reactions: m
                .details
                .reactions
                .iter()
                .map(|r| {
                    (
                        if r.emoji.starts_with("custom:") {
                            "★".to_owned()
                        } else if r.emoji == "paid" {
                            "⭐".to_owned()
                        } else {
                            r.emoji.clone()
                        },
                        r.count,
                    )
                })
                .collect(),
            topic: m.details.topic_id.map(|t| format!("#{t}")),
            topic_id: m.details.topic_id,
            poll: m.details.poll.as_deref().map(PollView::new),
            album: m.details.media_group_id.clone(),
            album_more: false,
            notes_before: Vec::new(),
            flags: [(m.details.sent_by_business_bot, "sent by bot"), (m.details.from_offline, "away message")]
                .into_iter()
                .filter_map(|(on, word)| on.then_some(word))
                .collect(),
            tg_id: m.telegram_message_id,
            file: m.media.as_ref().map(|md| {
                if md.file_size.is_some_and(|n| n > telegcrm_domain::service::MAX_BOT_DOWNLOAD_BYTES) {
                    "too_large"
                } else {
                    match m.message_type {
                        MessageType::Photo | MessageType::Sticker => "image",
                        MessageType::Voice | MessageType::Audio => "audio",
                        MessageType::Video | MessageType::VideoNote | MessageType::Animation => "video",
                        _ => "download",
                    }
                }
            }),
            file_name: m.media.as_ref().and_then(|md| md.file_name.clone()).unwrap_or_else(|| m.message_type.as_str().replace('_', " ")),
            media_url: format!("/conversations/{}/messages/{}/media", m.conversation_id, m.telegram_message_id),
            editable: m.refusal_to_edit(now).is_none() && connection.is_none_or(|c| c.refusal_to_send().is_none()),
            deletable: m.refusal_to_delete(business, now).is_none() && connection.is_none_or(|c| c.refusal_to_delete(m).is_none()),
        }
    }
}

/// Names each message's topic by the topic's service message (`forum_topic_created` or
/// `_edited`, the latest wins) when one of `messages` (the views' messages, in order) is one.
pub fn name_topics(views: &mut [MsgView], messages: &[Message]) {
    let names: std::collections::HashMap<i64, &str> =
        messages.iter().filter_map(|m| Some((m.details.topic_id?, m.details.topic_name.as_deref()?))).collect();
    for (v, m) in views.iter_mut().zip(messages) {
        if let Some(name) = m.details.topic_id.and_then(|t| names.get(&t)) {
            v.topic = Some((*name).to_owned());
        }
    }
}

/// The topics of the views, in the order they first appear, with their names (as
/// [`name_topics`] set them) and whether each is `shown`.
pub fn topics(views: &[MsgView], shown: Option<i64>) -> Vec<(i64, String, bool)> {
    let mut out: Vec<(i64, String, bool)> = Vec::new();
    for v in views {
        if let (Some(id), Some(name)) = (v.topic_id, &v.topic)
            && !out.iter().any(|(t, _, _)| *t == id)
        {
            out.push((id, name.clone(), shown == Some(id)));
        }
    }
    out
}

/// Marks each message that continues the album of the one before it, so that the timeline
/// shows an album as one.
pub fn join_albums(views: &mut [MsgView]) {
    for i in 1..views.len() {
        let same = views[i].album.is_some() && views[i].album == views[i - 1].album && views[i].side == views[i - 1].side;
        views[i].album_more = same;
    }
}

/// A poll as the timeline shows it.
#[derive(Debug, Clone)]
pub struct PollView {
    /// The question.
    pub question: String,
    /// Each option: text, votes, share of the votes in percent.
    pub options: Vec<(String, u32, u32)>,
    /// "12 votes · quiz · closed".
    pub summary: String,
}

impl PollView {
    fn new(p: &telegcrm_domain::model::Poll) -> Self {
        let votes: u32 = p.options.iter().map(|o| o.voters).sum();
        let options = p
            .options
            .iter()
            .map(|o| (o.text.clone(), o.voters, if votes == 0 { 0 } else { (u64::from(o.voters) * 100 / u64::from(votes)) as u32 }))
            .collect();
        let mut parts = vec![format!("{} vote{}", p.total_voters, if p.total_voters == 1 { "" } else { "s" })];
        parts.extend(
            [(p.is_quiz, "quiz"), (p.multiple_answers, "several answers"), (!p.is_anonymous, "public votes"), (p.is_closed, "closed")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, w)| w.to_owned()),
        );
        Self { question: p.question.clone(), options, summary: parts.join(" · ") }
    }
}

/// A follow-up row.
#[derive(Debug, Clone)]
pub struct FollowView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Due.
    pub due: When,
    /// `YYYY-MM-DDTHH:MM` for the edit form.
    pub due_input: String,
    /// Overdue now.
    pub overdue: bool,
    /// pending, completed, cancelled.
    pub status: &'static str,
    /// Whether still pending.
    pub pending: bool,
    /// Its conversation.
    pub conversation_id: String,
    /// Priority word.
    pub priority: &'static str,
}

impl FollowView {
    /// From a follow-up (with `is_overdue` computed by the service).
    pub fn new(f: &FollowUp, now: DateTime<Utc>) -> Self {
        Self {
            id: f.id.to_string(),
            title: f.title.clone(),
            description: f.description.clone().unwrap_or_default(),
            due: when(f.due_at, now),
            due_input: f.due_at.format("%Y-%m-%dT%H:%M").to_string(),
            overdue: f.is_overdue,
            status: f.status.as_str(),
            pending: f.status == telegcrm_domain::FollowUpStatus::Pending,
            conversation_id: f.conversation_id.to_string(),
            priority: f.priority.as_str(),
        }
    }
}

/// Every priority, lowest first.
pub fn priorities() -> impl Iterator<Item = &'static str> {
    Priority::ALL.iter().map(|p| p.as_str())
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Parses a `datetime-local` value (taken as UTC) or an RFC 3339 time.
pub fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc());
        }
    }
    Err(format!("{field}: expected a date and time such as 2026-03-02T09:00 (UTC), got {s:?}"))
}

/// Parses a `date` value as that day's start in UTC.
pub fn parse_date(field: &str, s: &str) -> Result<DateTime<Utc>, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{field}: expected a date such as 2026-03-02, got {s:?}"))
}

/// Parses an optional value with the domain's parser; bad input is a clear error.
pub fn opt_parse<T: std::str::FromStr<Err = telegcrm_domain::ParseError>>(v: Option<&str>) -> Result<Option<T>, PageError> {
    v.map(T::from_str).transpose().map_err(|e| PageError::Invalid(None, e.to_string()))
}

/// A piece of a search snippet: plain or highlighted text (both escaped by the template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The text.
    pub text: String,
    /// Whether it is a match.
    pub mark: bool,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Splits the domain's snippet (escaped text with `<mark>` around matches) into plain parts, so
/// the template escapes every character itself and only adds `<mark>` elements.
pub fn snippet_parts(snippet: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = snippet;
    while let Some(start) = rest.find("<mark>") {
        if start > 0 {
            parts.push(Part { text: unescape(&rest[..start]), mark: false });
        }
        let after = &rest[start + 6..];
        let end = after.find("</mark>").unwrap_or(after.len());
        parts.push(Part { text: unescape(&after[..end]), mark: true });
        rest = after.get(end + 7..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(Part { text: unescape(rest), mark: false });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_runs_carry_their_classes_and_only_safe_links() {
        let e = |kind, offset, length, url: Option<&str>| TextEntity {
            kind,
            offset,
            length,
            url: url.map(str::to_owned),
            user_id: None,
            language: None,
        };
        let runs = run_views(
            "Zoë bold <x> link @ada",
            &[
                e(EntityKind::Bold, 4, 8, None),
                e(EntityKind::Italic, 9, 3, None),
                e(EntityKind::TextLink, 13, 4, Some("JavaScript:alert(1)")),
                e(EntityKind::Mention, 18, 4, None),
            ],
        );
        let shape: Vec<(&str, &str, Option<&str>)> =
            runs.iter().map(|r| (r.text.as_str(), r.classes.as_str(), r.href.as_deref())).collect();
        assert_eq!(
            shape,
            vec![
                ("Zoë ", "", None),
                ("bold ", "fmt-bold", None),
                ("<x>", "fmt-bold fmt-italic", None),
                (" ", "", None),
                ("link", "fmt-text-link", None),
                (" ", "", None),
                ("@ada", "fmt-mention", Some("https://t.me/ada")),
            ]
        );
    }

    #[test]
    fn snippets_split_into_marked_and_plain_text_with_markup_unescaped_for_the_template() {
        let parts = snippet_parts("&lt;b&gt;<mark>Price</mark>&lt;/b&gt; &amp; <mark>x</mark>");
        assert_eq!(
            parts,
            vec![
                Part { text: "<b>".into(), mark: false },
                Part { text: "Price".into(), mark: true },
                Part { text: "</b> & ".into(), mark: false },
                Part { text: "x".into(), mark: true },
            ]
        );
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(when(now - chrono::Duration::minutes(5), now).rel, "5 min ago");
        assert_eq!(when(now + chrono::Duration::hours(3), now).rel, "in 3 h");
        assert_eq!(when(now, now).abs, "2026-03-02 12:00 UTC");
    }
}
