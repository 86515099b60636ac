//! View models: what templates show, already formatted (templates only escape and lay out).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use telegcrm_domain::{ChatType, Conversation, FollowUp, Message, MessageType, Priority};

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
fn capitalized(value: &str) -> String {
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
        }
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

/// A message in the timeline.
#[derive(Debug, Clone)]
pub struct MsgView {
    /// Message id (element id `m-{id}`).
    pub id: String,
    /// `in`, `out` or `service`.
    pub side: &'static str,
    /// Sender name (groups).
    pub sender: Option<String>,
    /// Text.
    pub text: String,
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
    pub fn new(m: &Message, chat_type: ChatType, now: DateTime<Utc>, quoted: impl Fn(i64) -> Option<String>) -> Self {
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
            text: m.content.clone(),
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
        }
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
