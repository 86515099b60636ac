//! What a message carries: its type, its file metadata and its readable text.

use telegcrm_domain::{Media, MessageType};

use crate::service::service_text;
use crate::wire::{File, Message};

/// Content kinds the CRM stores as `other`, with the word shown when they have no caption.
const OTHER_CONTENT: &[(&str, &str)] = &[
    ("story", "story"),
    ("game", "game"),
    ("invoice", "invoice"),
    ("giveaway", "giveaway"),
    ("giveaway_winners", "giveaway winners"),
    ("paid_media", "paid media"),
    ("checklist", "checklist"),
];

/// A message's type, file metadata and text (caption, or a readable description).
#[derive(Clone, Debug, PartialEq)]
pub struct Content {
    /// What it carries.
    pub message_type: MessageType,
    /// File metadata of media messages.
    pub media: Option<Media>,
    /// Text, caption, or a description of non-text content.
    pub text: String,
}

/// Reads what a message carries. Animations are checked before documents and venues before
/// locations, because Telegram sends both fields for those.
pub fn content_of(m: &Message) -> Content {
    let caption = || m.caption.clone().unwrap_or_default();
    let file = |t, f: &File| Content { message_type: t, media: Some(media_of(f)), text: caption() };
    let plain = |t, text: String| Content { message_type: t, media: None, text };

    if let Some(text) = &m.text {
        plain(MessageType::Text, text.clone())
    } else if let Some(largest) = m.photo.as_deref().and_then(largest_photo) {
        file(MessageType::Photo, largest)
    } else if let Some(f) = &m.video {
        file(MessageType::Video, f)
    } else if let Some(f) = &m.animation {
        file(MessageType::Animation, f)
    } else if let Some(f) = &m.audio {
        let mut c = file(MessageType::Audio, f);
        if c.text.is_empty() {
            c.text = audio_label(f);
        }
        c
    } else if let Some(f) = &m.voice {
        file(MessageType::Voice, f)
    } else if let Some(f) = &m.video_note {
        file(MessageType::VideoNote, f)
    } else if let Some(f) = &m.document {
        file(MessageType::Document, f)
    } else if let Some(f) = &m.sticker {
        let mut c = file(MessageType::Sticker, f);
        c.text = f.emoji.clone().unwrap_or_default();
        c
    } else if let Some(v) = &m.venue {
        let text = [v.title.as_str(), v.address.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
        plain(MessageType::Venue, text)
    } else if let Some(l) = &m.location {
        plain(MessageType::Location, format!("{}, {}", l.latitude, l.longitude))
    } else if let Some(c) = &m.contact {
        let name = full_name(&c.first_name, c.last_name.as_deref());
        let text = [name.as_str(), c.phone_number.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
        plain(MessageType::Contact, text)
    } else if let Some(p) = &m.poll {
        let options: Vec<&str> = p.options.iter().map(|o| o.text()).collect();
        plain(MessageType::Poll, format!("{} ({})", p.question, options.join(" / ")))
    } else if let Some(d) = &m.dice {
        plain(MessageType::Dice, format!("{} {}", d.emoji, d.value))
    } else if let Some(text) = service_text(m) {
        plain(MessageType::Service, text)
    } else {
        let word = OTHER_CONTENT.iter().find(|(key, _)| m.rest.contains_key(*key)).map_or("message", |(_, word)| *word);
        let text = m.caption.clone().filter(|c| !c.trim().is_empty()).or_else(|| readable_other(m)).unwrap_or_else(|| format!("[{word}]"));
        plain(MessageType::Other, text)
    }
}

/// A sentence for content the CRM keeps as `other`: whose story, a checklist's tasks, a
/// giveaway's winners, a paid post's price, an invoice, a game. `None` when the fields are not
/// there in the shape expected (then the kind's word is shown).
fn readable_other(m: &Message) -> Option<String> {
    use serde_json::Value;
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64);
    let name = |u: &Value| {
        str_of(u, "title").or_else(|| str_of(u, "first_name").map(|f| full_name(&f, u.get("last_name").and_then(Value::as_str))))
    };
    if let Some(story) = m.rest.get("story") {
        return Some(match story.get("chat").and_then(name) {
            Some(who) => format!("Story from {who}"),
            None => "Story".to_owned(),
        });
    }
    if let Some(list) = m.rest.get("checklist") {
        let tasks: Vec<String> = list
            .get("tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let done = ["completed_by_user", "completed_by_chat", "completion_date"]
                    .iter()
                    .any(|k| t.get(*k).is_some_and(|v| !v.is_null() && v != 0));
                Some(format!("{} {}", if done { "☑" } else { "☐" }, str_of(t, "text")?))
            })
            .collect();
        let title = str_of(list, "title").unwrap_or_else(|| "Checklist".to_owned());
        return Some(if tasks.is_empty() { title } else { format!("{title}: {}", tasks.join(" · ")) });
    }
    if let Some(g) = m.rest.get("giveaway") {
        let winners = n(g, "winner_count")?;
        let mut text = format!("Giveaway: {winners} winner{}", if winners == 1 { "" } else { "s" });
        if let Some(at) = g.get("winners_selection_date").and_then(Value::as_i64).and_then(|d| chrono::DateTime::from_timestamp(d, 0)) {
            text.push_str(&format!(", drawn {}", at.format("%Y-%m-%d")));
        }
        if let Some(prize) = str_of(g, "prize_description") {
            text.push_str(&format!(" — {prize}"));
        }
        return Some(text);
    }
    if let Some(w) = m.rest.get("giveaway_winners") {
        let names: Vec<String> = w.get("winners").and_then(Value::as_array).into_iter().flatten().filter_map(name).collect();
        return Some(if names.is_empty() { "Giveaway winners".to_owned() } else { format!("Giveaway winners: {}", names.join(", ")) });
    }
    if let Some(p) = m.rest.get("paid_media") {
        return Some(match n(p, "star_count") {
            Some(stars) => format!("Paid media, {stars} ⭐"),
            None => "Paid media".to_owned(),
        });
    }
    if let Some(i) = m.rest.get("invoice") {
        let title = str_of(i, "title").unwrap_or_else(|| "Invoice".to_owned());
        let (amount, currency) = (n(i, "total_amount")?, str_of(i, "currency")?);
        let price = if currency == "XTR" { format!("{amount} ⭐") } else { format!("{}.{:02} {currency}", amount / 100, amount % 100) };
        return Some(format!("Invoice: {title}, {price}"));
    }
    m.rest.get("game").and_then(|g| str_of(g, "title")).map(|t| format!("Game: {t}"))
}

/// The largest photo size (by area, then file size). Telegram lists sizes smallest first, but
/// the order is not promised.
pub fn largest_photo(sizes: &[File]) -> Option<&File> {
    sizes.iter().max_by_key(|f| (u64::from(f.width.unwrap_or(0)) * u64::from(f.height.unwrap_or(0)), f.file_size.unwrap_or(0)))
}

/// File metadata in the domain's terms. A video note's diameter is its width and height.
pub fn media_of(f: &File) -> Media {
    Media {
        file_id: f.file_id.clone(),
        file_unique_id: f.file_unique_id.clone(),
        mime_type: f.mime_type.clone(),
        file_size: f.file_size,
        file_name: f.file_name.clone(),
        width: f.width.or(f.length),
        height: f.height.or(f.length),
        duration: f.duration,
    }
}

fn audio_label(f: &File) -> String {
    match (&f.performer, &f.title) {
        (Some(p), Some(t)) => format!("{p} — {t}"),
        (None, Some(t)) => t.clone(),
        _ => f.file_name.clone().unwrap_or_default(),
    }
}

/// "First Last", or just "First".
pub fn full_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(l) if !l.is_empty() && !first.is_empty() => format!("{first} {l}"),
        Some(l) if !l.is_empty() => l.to_owned(),
        _ => first.to_owned(),
    }
}
