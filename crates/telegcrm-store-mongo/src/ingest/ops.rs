//! The capture rules of `Conversation::record_message`, `Conversation::raise_priority`,
//! `Conversation::refresh_preview` and `Contact::record_message` as update statements with atomic
//! operators. Run in order against the stored document, they give what the domain methods give
//! on the same document, whatever other writers did before.

use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use telegcrm_domain::{ConversationStatus, Direction, Priority, RelationshipStatus};

use crate::codec::date;
use crate::write::statement;

/// Raises the priority to `detected` unless pinned by hand; never lowers it.
pub(crate) fn raise_priority(id: &Bson, detected: Option<Priority>) -> Option<Document> {
    let detected = detected?;
    let lower: Vec<&str> = Priority::ALL.iter().filter(|p| **p < detected).map(|p| p.as_str()).collect();
    if lower.is_empty() {
        return None;
    }
    Some(statement(
        doc! { "_id": id.clone(), "priorityManual": { "$ne": true }, "priority": { "$in": lower } },
        doc! { "$set": { "priority": detected.as_str() } },
        false,
    ))
}

/// A new message recorded in conversation `id` (see `Conversation::record_message`).
/// `link` is the contact fields a private conversation takes from its counterpart.
pub(crate) fn conversation_recorded(
    id: &Bson,
    direction: Direction,
    sent_at: DateTime<Utc>,
    preview: &str,
    detected: Option<Priority>,
    now: DateTime<Utc>,
    link: Option<Document>,
) -> Vec<Document> {
    let t = date(sent_at);
    let status = match direction {
        Direction::Incoming => ConversationStatus::Active,
        Direction::Outgoing => ConversationStatus::Waiting,
    };
    // Only a message not older than the newest one moves the preview and the status. This runs
    // before the count changes: a conversation without messages takes any message as newest.
    let newest = statement(
        doc! { "_id": id.clone(), "$or": [ { "messageCount": 0 }, { "lastMessageAt": { "$lte": t.clone() } } ] },
        doc! { "$set": { "lastMessageAt": t.clone(), "lastMessagePreview": preview, "status": status.as_str() } },
        false,
    );
    let read = match direction {
        // Unread only when sent after the last read point.
        Direction::Incoming => statement(
            doc! { "_id": id.clone(), "$or": [ { "lastReadAt": Bson::Null }, { "lastReadAt": { "$lt": t.clone() } } ] },
            doc! { "$inc": { "unreadCount": 1_i64 } },
            false,
        ),
        Direction::Outgoing => {
            statement(doc! { "_id": id.clone() }, doc! { "$set": { "unreadCount": 0_i64 }, "$max": { "lastReadAt": t.clone() } }, false)
        }
    };
    let mut set = doc! { "updatedAt": date(now) };
    if let Some(link) = link {
        set.extend(link);
    }
    let count = statement(doc! { "_id": id.clone() }, doc! { "$inc": { "messageCount": 1_i64 }, "$set": set }, false);
    let mut out = vec![newest, read, count];
    out.extend(raise_priority(id, detected));
    out
}

/// An edit applied to a message of conversation `id` sent at `sent_at`.
pub(crate) fn conversation_edited(
    id: &Bson,
    sent_at: DateTime<Utc>,
    preview: &str,
    detected: Option<Priority>,
    now: DateTime<Utc>,
) -> Vec<Document> {
    let mut out: Vec<Document> = raise_priority(id, detected).into_iter().collect();
    out.push(statement(
        doc! { "_id": id.clone(), "lastMessageAt": date(sent_at) },
        doc! { "$set": { "lastMessagePreview": preview } },
        false,
    ));
    out.push(statement(doc! { "_id": id.clone() }, doc! { "$set": { "updatedAt": date(now) } }, false));
    out
}

/// A message exchanged with contact `id` (see `Contact::record_message`).
pub(crate) fn contact_recorded(id: &Bson, direction: Direction, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Document> {
    let mut out = vec![statement(
        doc! { "_id": id.clone() },
        doc! { "$inc": { "totalMessages": 1_i64 }, "$max": { "lastContactedAt": date(sent_at) }, "$set": { "updatedAt": date(now) } },
        false,
    )];
    if direction == Direction::Outgoing {
        out.push(statement(
            doc! { "_id": id.clone(), "relationshipStatus": RelationshipStatus::New.as_str() },
            doc! { "$set": { "relationshipStatus": RelationshipStatus::Active.as_str() } },
            false,
        ));
    }
    out
}
