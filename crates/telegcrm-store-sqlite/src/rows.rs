//! Reads and writes of single records inside a transaction, shared by ingest and the ports.

use rusqlite::{Connection, OptionalExtension, params};
use telegcrm_domain::model::ChatKey;
use telegcrm_domain::{AvatarId, Contact, ContactId, Conversation, ConversationId, FollowUp, FollowUpId, Message, StoreError};

use crate::codec::{self, MESSAGE_COLUMNS, MessageRow, db, from_doc, id, opt_time, time, to_doc};
use crate::schema::index_text;

/// The JSON document of the one row `sql` selects (`SELECT doc ...`), decoded.
fn one_doc<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    what: &'static str,
) -> Result<Option<T>, StoreError> {
    let doc: Option<String> = conn.prepare_cached(sql).and_then(|mut s| s.query_row(params, |r| r.get(0)).optional()).map_err(db(what))?;
    doc.as_deref().map(from_doc).transpose()
}

/// The conversation with a chat key.
pub fn find_conversation(conn: &Connection, key: &ChatKey) -> Result<Option<Conversation>, StoreError> {
    one_doc(
        conn,
        "SELECT doc FROM conversations WHERE owner = ?1 AND chat_id = ?2 AND business_connection_id = ?3",
        params![id(key.owner), key.chat_id, key.business_connection_id.as_deref().unwrap_or("")],
        "finding a conversation",
    )
}

/// One of the owner's conversations by id.
pub fn get_conversation(conn: &Connection, owner: AvatarId, cid: ConversationId) -> Result<Option<Conversation>, StoreError> {
    one_doc(conn, "SELECT doc FROM conversations WHERE id = ?1 AND owner = ?2", params![id(cid), id(owner)], "reading a conversation")
}

/// Inserts or replaces a conversation, its queried columns and its tags.
pub fn write_conversation(conn: &Connection, c: &Conversation, insert: bool) -> Result<(), StoreError> {
    let sql = if insert {
        "INSERT INTO conversations (owner, chat_id, business_connection_id, contact_id, priority, status, unread_count, \
         last_message_at, doc, id, assignee) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    } else {
        // The chat key (owner, chat, business connection) never changes: leaving it out of SET
        // spares rewriting its unique index on every update.
        "UPDATE conversations SET contact_id = ?4, priority = ?5, status = ?6, unread_count = ?7, last_message_at = ?8, doc = ?9, \
         assignee = ?11 WHERE id = ?10 AND owner = ?1 AND chat_id = ?2 AND business_connection_id = ?3"
    };
    let (at, doc) = (time(c.last_message_at)?, to_doc(c)?);
    conn.prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(params![
                id(c.owner_avatar_id),
                c.telegram_chat_id,
                c.business_connection_id.as_deref().unwrap_or(""),
                c.contact_id.map(id),
                c.priority.rank(),
                c.status.as_str(),
                c.unread_count,
                at,
                doc,
                id(c.id),
                c.assignee_avatar_id.map(id),
            ])
        })
        .map_err(db("writing a conversation"))?;
    if !insert {
        conn.prepare_cached("DELETE FROM conversation_tags WHERE conversation_id = ?1")
            .and_then(|mut s| s.execute(params![id(c.id)]))
            .map_err(db("writing conversation tags"))?;
    }
    for tag in &c.tags {
        conn.prepare_cached("INSERT OR IGNORE INTO conversation_tags (conversation_id, owner, tag) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![id(c.id), id(c.owner_avatar_id), tag.key()]))
            .map_err(db("writing conversation tags"))?;
    }
    Ok(())
}

/// The owner's contact for a Telegram user.
pub fn find_contact(conn: &Connection, owner: AvatarId, telegram_id: i64) -> Result<Option<Contact>, StoreError> {
    one_doc(conn, "SELECT doc FROM contacts WHERE owner = ?1 AND telegram_id = ?2", params![id(owner), telegram_id], "finding a contact")
}

/// One of the owner's contacts by id.
pub fn get_contact(conn: &Connection, owner: AvatarId, cid: ContactId) -> Result<Option<Contact>, StoreError> {
    one_doc(conn, "SELECT doc FROM contacts WHERE id = ?1 AND owner = ?2", params![id(cid), id(owner)], "reading a contact")
}

/// Inserts or replaces a contact.
pub fn write_contact(conn: &Connection, c: &Contact, insert: bool) -> Result<(), StoreError> {
    let sql = if insert {
        "INSERT INTO contacts (owner, telegram_id, last_contacted_at, doc, id) VALUES (?1, ?2, ?3, ?4, ?5)"
    } else {
        "UPDATE contacts SET last_contacted_at = ?3, doc = ?4 WHERE id = ?5 AND owner = ?1 AND telegram_id = ?2"
    };
    let (at, doc) = (time(c.last_contacted_at)?, to_doc(c)?);
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params![id(c.owner_avatar_id), c.telegram_id, at, doc, id(c.id)]))
        .map_err(db("writing a contact"))?;
    Ok(())
}

/// A message by its Telegram id within a conversation.
pub fn find_message(conn: &Connection, cid: ConversationId, telegram_message_id: i64) -> Result<Option<MessageRow>, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ?1 AND m.telegram_message_id = ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params![id(cid), telegram_message_id], codec::read_message).optional())
        .map_err(db("finding a message"))
}

/// A change to the full-text index, queued while a batch is applied and written at its end.
///
/// FTS5 flushes its pending terms to a new on-disk segment at every statement savepoint, and
/// SQLite opens one for most writes that follow (an insert checking a foreign key, say). Written
/// between the other statements, each message would become a segment of its own, which FTS5 then
/// has to merge; written together at the end, a batch becomes one segment.
#[derive(Debug)]
pub enum FtsOp {
    /// Index the words of a message.
    Index(i64, String),
    /// Drop a message from the index.
    Unindex(i64),
}

/// Applies queued index changes: their net effect per message, removals first, then additions,
/// each in ascending rowid order. FTS5 also flushes its pending terms when a write goes to a lower
/// rowid than the one before, or switches between removing and adding; in this order neither
/// happens within a batch.
pub fn apply_fts(conn: &Connection, ops: &mut Vec<FtsOp>) -> Result<(), StoreError> {
    // rowid -> (indexed before the batch, what it holds at the end)
    let mut net: std::collections::BTreeMap<i64, (bool, Option<String>)> = std::collections::BTreeMap::new();
    for op in ops.drain(..) {
        match op {
            FtsOp::Index(rowid, content) => net.entry(rowid).or_insert((false, None)).1 = Some(content),
            FtsOp::Unindex(rowid) => net.entry(rowid).or_insert((true, None)).1 = None,
        }
    }
    for (&rowid, _) in net.iter().filter(|(_, (before, _))| *before) {
        conn.prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")
            .and_then(|mut s| s.execute(params![rowid]))
            .map_err(db("unindexing a message"))?;
    }
    for (rowid, (_, content)) in net {
        if let Some(content) = content {
            index_message(conn, rowid, &content)?;
        }
    }
    Ok(())
}

/// Inserts a message under a rowid in its `sentAt` millisecond, and queues the indexing of its
/// words on `fts`.
pub fn insert_message(conn: &Connection, m: &Message, fts: &mut Vec<FtsOp>) -> Result<(), StoreError> {
    let (first, last) = (codec::message_key(m.sent_at), codec::message_key_end(m.sent_at));
    let taken: Option<i64> = conn
        .prepare_cached("SELECT max(rowid) FROM messages WHERE rowid BETWEEN ?1 AND ?2")
        .and_then(|mut s| s.query_row(params![first, last], |r| r.get(0)))
        .map_err(db("placing a message"))?;
    let rowid = match taken {
        None => first,
        Some(r) if r < last => r + 1,
        Some(_) => return Err(StoreError::Conflict(format!("more than a million messages sent in the millisecond of {}", m.sent_at))),
    };
    let (media, edits, details) = (codec::media_json(m)?, codec::edits_json(m)?, codec::details_json(m)?);
    let (sent, edited, deleted) = (time(m.sent_at)?, opt_time(m.edited_at)?, opt_time(m.deleted_at)?);
    conn.prepare_cached(
        "INSERT INTO messages (rowid, id, owner, conversation_id, telegram_message_id, direction, from_telegram_id, from_name, \
         content, message_type, media, reply_to, sent_at, edited_at, edits, deleted_at, is_read, details) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .and_then(|mut s| {
        s.execute(params![
            rowid,
            id(m.id),
            id(m.owner_avatar_id),
            id(m.conversation_id),
            m.telegram_message_id,
            m.direction.as_str(),
            m.from_telegram_id,
            m.from_name,
            m.content,
            m.message_type.as_str(),
            media,
            m.reply_to_telegram_message_id,
            sent,
            edited,
            edits,
            deleted,
            m.is_read,
            details,
        ])
    })
    .map_err(db("storing a message"))?;
    if m.deleted_at.is_none() {
        fts.push(FtsOp::Index(rowid, m.content.clone()));
    }
    Ok(())
}

/// Replaces a message's changing fields and keeps the full-text index in step: an edit reindexes
/// it, a deletion drops it from the index (both queued on `fts`).
pub fn update_message(conn: &Connection, m: &Message, old: &Message, fts: &mut Vec<FtsOp>) -> Result<(), StoreError> {
    let (media, edits, details) = (codec::media_json(m)?, codec::edits_json(m)?, codec::details_json(m)?);
    let (edited, deleted) = (opt_time(m.edited_at)?, opt_time(m.deleted_at)?);
    let rowid: Option<i64> = conn
        .prepare_cached(
            "UPDATE messages SET from_telegram_id = ?3, from_name = ?4, content = ?5, message_type = ?6, media = ?7, reply_to = ?8, \
             edited_at = ?9, edits = ?10, deleted_at = ?11, is_read = ?12, details = ?13 \
             WHERE conversation_id = ?1 AND telegram_message_id = ?2 RETURNING rowid",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    id(m.conversation_id),
                    m.telegram_message_id,
                    m.from_telegram_id,
                    m.from_name,
                    m.content,
                    m.message_type.as_str(),
                    media,
                    m.reply_to_telegram_message_id,
                    edited,
                    edits,
                    deleted,
                    m.is_read,
                    details,
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .map_err(db("updating a message"))?;
    let Some(rowid) = rowid else {
        return Err(StoreError::Conflict(format!("message {} is not stored", m.id)));
    };
    let was_indexed = old.deleted_at.is_none();
    let indexed = m.deleted_at.is_none();
    if was_indexed && (!indexed || old.content != m.content) {
        fts.push(FtsOp::Unindex(rowid));
    }
    if indexed && (!was_indexed || old.content != m.content) {
        fts.push(FtsOp::Index(rowid, m.content.clone()));
    }
    Ok(())
}

fn index_message(conn: &Connection, rowid: i64, content: &str) -> Result<(), StoreError> {
    let text = index_text(content);
    if text.is_empty() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO messages_fts (rowid, terms) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![rowid, text]))
        .map_err(db("indexing a message"))?;
    Ok(())
}

/// Sets a state value.
pub fn put_state(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .and_then(|mut s| s.execute(params![key, value]))
        .map_err(db("writing state"))?;
    Ok(())
}

/// One of the owner's follow-ups by id.
pub fn get_followup(conn: &Connection, owner: AvatarId, fid: FollowUpId) -> Result<Option<FollowUp>, StoreError> {
    one_doc(conn, "SELECT doc FROM followups WHERE id = ?1 AND owner = ?2", params![id(fid), id(owner)], "reading a follow-up")
}

/// Inserts or replaces a follow-up (`isOverdue` is computed when read, never stored).
pub fn write_followup(conn: &Connection, f: &FollowUp, insert: bool) -> Result<(), StoreError> {
    let mut stored = f.clone();
    stored.is_overdue = false;
    let sql = if insert {
        "INSERT INTO followups (owner, conversation_id, status, due_at, reminded_at, doc, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    } else {
        "UPDATE followups SET owner = ?1, conversation_id = ?2, status = ?3, due_at = ?4, reminded_at = ?5, doc = ?6 WHERE id = ?7"
    };
    let (due, reminded, doc) = (time(f.due_at)?, opt_time(f.reminded_at)?, to_doc(&stored)?);
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params![id(f.owner_avatar_id), id(f.conversation_id), f.status.as_str(), due, reminded, doc, id(f.id)]))
        .map_err(db("writing a follow-up"))?;
    Ok(())
}
