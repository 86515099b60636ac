//! Service messages (members joining, title changes, pins, ...) as readable text.

use serde_json::Value;

use crate::content::full_name;
use crate::wire::{Message, User};

/// Service fields whose presence alone says what happened, with the sentence shown.
const SIMPLE_SERVICE: &[(&str, &str)] = &[
    ("new_chat_photo", "changed the chat photo"),
    ("delete_chat_photo", "removed the chat photo"),
    ("group_chat_created", "created the group"),
    ("supergroup_chat_created", "created the group"),
    ("channel_chat_created", "created the channel"),
    ("migrate_to_chat_id", "upgraded the group to a supergroup"),
    ("migrate_from_chat_id", "upgraded the group to a supergroup"),
    ("forum_topic_edited", "edited the topic"),
    ("forum_topic_closed", "closed the topic"),
    ("forum_topic_reopened", "reopened the topic"),
    ("general_forum_topic_hidden", "hid the General topic"),
    ("general_forum_topic_unhidden", "showed the General topic"),
    ("video_chat_scheduled", "scheduled a video chat"),
    ("video_chat_started", "started a video chat"),
    ("video_chat_ended", "ended the video chat"),
    ("video_chat_participants_invited", "invited people to the video chat"),
    ("users_shared", "shared users with the bot"),
    ("chat_shared", "shared a chat with the bot"),
    ("write_access_allowed", "allowed the bot to write"),
    ("connected_website", "logged in on a website with Telegram"),
    ("proximity_alert_triggered", "is nearby"),
    ("boost_added", "boosted the chat"),
    ("chat_background_set", "changed the chat background"),
    ("giveaway_created", "started a giveaway"),
    ("giveaway_completed", "completed a giveaway"),
    ("successful_payment", "paid"),
    ("refunded_payment", "was refunded"),
    ("gift", "sent a gift"),
    ("unique_gift", "sent a gift"),
    ("web_app_data", "sent data from a web app"),
    ("checklist_tasks_done", "marked checklist tasks done"),
    ("checklist_tasks_added", "added checklist tasks"),
    ("paid_message_price_changed", "changed the price of messages"),
    ("direct_message_price_changed", "changed the price of direct messages"),
    ("suggested_post_approved", "approved a suggested post"),
    ("suggested_post_approval_failed", "could not approve a suggested post"),
    ("suggested_post_declined", "declined a suggested post"),
    ("suggested_post_paid", "was paid for a suggested post"),
    ("suggested_post_refunded", "refunded a suggested post"),
    ("chat_owner_left", "left the chat they owned"),
    ("chat_owner_changed", "handed the chat to a new owner"),
    ("gift_upgrade_sent", "upgraded a gift"),
];

/// The sentence for a service message, or `None` when the message is not one.
pub fn service_text(m: &Message) -> Option<String> {
    let actor = actor_name(m);
    let by = |verb: &str| if actor.is_empty() { capitalise(verb) } else { format!("{actor} {verb}") };
    if let Some(members) = m.new_chat_members.as_deref().filter(|v| !v.is_empty()) {
        let names = join_names(members);
        let joined_themselves = members.len() == 1 && m.from.as_ref().is_none_or(|f| f.id == members[0].id);
        return Some(if joined_themselves || actor.is_empty() { format!("{names} joined") } else { format!("{actor} added {names}") });
    }
    if let Some(left) = &m.left_chat_member {
        let name = user_name(left);
        let by_themselves = m.from.as_ref().is_none_or(|f| f.id == left.id);
        return Some(if by_themselves || actor.is_empty() { format!("{name} left") } else { format!("{actor} removed {name}") });
    }
    if let Some(title) = &m.new_chat_title {
        return Some(by(&format!("changed the title to “{title}”")));
    }
    if let Some(pinned) = &m.pinned_message {
        let text = pinned.text.as_deref().or(pinned.caption.as_deref()).unwrap_or("").trim();
        return Some(if text.is_empty() { by("pinned a message") } else { by(&format!("pinned “{}”", clip(text, 60))) });
    }
    if let Some(timer) = m.rest.get("message_auto_delete_timer_changed") {
        let secs = timer.get("message_auto_delete_time").and_then(Value::as_i64).unwrap_or(0);
        return Some(if secs == 0 { by("turned off auto-delete") } else { by(&format!("set messages to auto-delete after {secs} s")) });
    }
    if let Some(topic) = m.rest.get("forum_topic_created") {
        let name = topic.get("name").and_then(Value::as_str).unwrap_or("");
        return Some(by(&format!("created the topic “{name}”")));
    }
    SIMPLE_SERVICE.iter().find(|(key, _)| m.rest.contains_key(*key)).map(|(_, verb)| by(verb))
}

fn actor_name(m: &Message) -> String {
    match (&m.sender_chat, &m.from) {
        (Some(chat), _) => chat.title.clone().unwrap_or_default(),
        (None, Some(user)) => user_name(user),
        (None, None) => String::new(),
    }
}

fn user_name(u: &User) -> String {
    full_name(&u.first_name, u.last_name.as_deref())
}

fn join_names(users: &[User]) -> String {
    let names: Vec<String> = users.iter().map(user_name).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max).chain(std::iter::once('…')).collect() }
}
