//! The indexes, created at start: only those missing by name. Several instances may do this at
//! once; a loser of that race gets an error its caller ([`crate::open::with_retry`]) retries, and
//! the retry lists the indexes again and finds the winner's.

use bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use crate::collections::{ACTIVITY, CONTACTS, CONVERSATIONS, FOLLOWUPS, MESSAGES, NOTES};
use crate::open::AttemptError;

/// MongoDB's error code for a collection that does not exist.
const NAMESPACE_NOT_FOUND: i32 = 26;

/// One index: collection, name, keys, unique.
pub(crate) struct IndexSpec {
    /// Collection.
    pub collection: &'static str,
    /// Index name.
    pub name: &'static str,
    /// Keys.
    pub keys: Document,
    /// Unique.
    pub unique: bool,
}

/// Every index the store needs (docs/operations.md says what each is for).
pub(crate) fn specs() -> Vec<IndexSpec> {
    let spec = |collection, name, keys, unique| IndexSpec { collection, name, keys, unique };
    vec![
        // One conversation per chat of an owner (business chats are distinct from the bot's own).
        spec(CONVERSATIONS, "chat_key", doc! { "ownerAvatarId": 1, "telegramChatId": 1, "businessConnectionId": 1 }, true),
        // The inbox: newest first, keyset pages.
        spec(CONVERSATIONS, "inbox", doc! { "ownerAvatarId": 1, "lastMessageAt": -1, "_id": -1 }, false),
        spec(CONVERSATIONS, "inbox_by_status", doc! { "ownerAvatarId": 1, "status": 1, "lastMessageAt": -1 }, false),
        spec(CONVERSATIONS, "inbox_by_tag", doc! { "ownerAvatarId": 1, "tagKeys": 1, "lastMessageAt": -1 }, false),
        spec(CONVERSATIONS, "by_contact", doc! { "ownerAvatarId": 1, "contactId": 1 }, false),
        // "Mine" and "Unassigned" in a team's inbox.
        spec(CONVERSATIONS, "inbox_by_assignee", doc! { "ownerAvatarId": 1, "assigneeAvatarId": 1, "lastMessageAt": -1 }, false),
        // A conversation's notes and a member's mentions, newest first.
        spec(NOTES, "notes_timeline", doc! { "ownerAvatarId": 1, "conversationId": 1, "createdAt": -1, "_id": -1 }, false),
        spec(NOTES, "notes_mentions", doc! { "ownerAvatarId": 1, "mentions": 1, "createdAt": -1 }, false),
        // The activity log, newest first per workspace and per conversation.
        spec(ACTIVITY, "activity_recent", doc! { "ownerAvatarId": 1, "at": -1, "_id": -1 }, false),
        spec(ACTIVITY, "activity_conversation", doc! { "ownerAvatarId": 1, "conversationId": 1, "at": -1, "_id": -1 }, false),
        // One message per Telegram message of a chat: what makes redelivery a no-op.
        spec(MESSAGES, "message_key", doc! { "conversationId": 1, "telegramMessageId": 1 }, true),
        // A conversation's timeline, newest first.
        spec(MESSAGES, "timeline", doc! { "conversationId": 1, "sentAt": -1, "_id": -1 }, false),
        // Search: messages holding every word (multikey), then by recency.
        spec(MESSAGES, "search_terms", doc! { "ownerAvatarId": 1, "terms": 1 }, false),
        spec(MESSAGES, "search_recent", doc! { "ownerAvatarId": 1, "sentAt": -1, "_id": -1 }, false),
        // One contact per Telegram user of an owner.
        spec(CONTACTS, "contact_key", doc! { "ownerAvatarId": 1, "telegramId": 1 }, true),
        spec(CONTACTS, "recent_contacts", doc! { "ownerAvatarId": 1, "lastContactedAt": -1, "_id": -1 }, false),
        // Follow-up lists (soonest first) and the reminder job.
        spec(FOLLOWUPS, "followups_by_status", doc! { "ownerAvatarId": 1, "status": 1, "dueAt": 1, "_id": 1 }, false),
        spec(FOLLOWUPS, "followups_by_conversation", doc! { "ownerAvatarId": 1, "conversationId": 1, "dueAt": 1 }, false),
        spec(FOLLOWUPS, "followups_due", doc! { "status": 1, "remindedAt": 1, "dueAt": 1 }, false),
    ]
}

/// Creates every missing index (idempotent), one `createIndexes` command per index.
///
/// One per command because of FerretDB 1.24: its `createIndexes` skips requested indexes that
/// already exist by deleting them from its working list at their position in the request
/// (`validateIndexesForCreation`, `slices.Delete(filtered, i, i+1)`), so a request naming two or
/// more indexes that exist panics ("slice bounds out of range") and FerretDB closes the
/// connection. That is exactly what happens when instances start together: both list no
/// indexes, one creates them, the other asks for all of them again. With one index per command
/// the late one is simply ignored, as on MongoDB. Whatever else a race causes (an error from a
/// concurrent creator) is retried by the caller, which lists the indexes again.
pub(crate) async fn create_all(db: &Database) -> Result<(), AttemptError> {
    for collection in [CONVERSATIONS, MESSAGES, CONTACTS, FOLLOWUPS, NOTES, ACTIVITY] {
        let coll = db.collection::<Document>(collection);
        let existing = match coll.list_index_names().await {
            Ok(names) => names,
            // A collection that does not exist yet has no indexes.
            Err(e) if matches!(&*e.kind, mongodb::error::ErrorKind::Command(c) if c.code == NAMESPACE_NOT_FOUND) => Vec::new(),
            Err(e) => return Err(AttemptError::ctx(format!("listing the indexes of {collection}"))(e)),
        };
        for s in specs().into_iter().filter(|s| s.collection == collection && !existing.iter().any(|n| n == s.name)) {
            let options = IndexOptions::builder().name(s.name.to_owned()).unique(s.unique.then_some(true)).build();
            let model = IndexModel::builder().keys(s.keys).options(options).build();
            coll.create_index(model).await.map_err(AttemptError::ctx(format!("creating the index {} of {collection}", s.name)))?;
        }
    }
    Ok(())
}
