//! Entities to and from BSON documents. Field names are CONTRACT.md's camelCase; `_id` holds the
//! `id` as a UUID string; times are BSON dates (millisecond precision).
//!
//! Extra fields the store keeps for its queries: `tagKeys` (lower-cased tags) on conversations and
//! contacts, `terms` (folded words of the content) on messages; `rev` (revision) and `txn`/`txnNew`
//! (the ingest journal holding the record) are written by the store around these (see `revision`).

mod read;

use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use telegcrm_domain::model::{ChatState, CustomFields, Media, MessageDetails, MessageEdit};
use telegcrm_domain::tag::Tag;
use telegcrm_domain::{Contact, Conversation, FollowUp, Message, StoreError};

pub(crate) use read::Reader;

/// A time as a BSON date (millisecond precision).
pub(crate) fn date(at: DateTime<Utc>) -> Bson {
    Bson::DateTime(bson::DateTime::from_chrono(at))
}

/// A time cut to what a BSON date keeps, so comparisons in Rust agree with the stored value.
pub(crate) fn ms(at: DateTime<Utc>) -> DateTime<Utc> {
    bson::DateTime::from_chrono(at).to_chrono()
}

/// An optional time as a BSON date or null.
pub(crate) fn opt_date(at: Option<DateTime<Utc>>) -> Bson {
    at.map_or(Bson::Null, date)
}

/// An optional string as a string or null.
pub(crate) fn opt_str(s: Option<&str>) -> Bson {
    s.map_or(Bson::Null, |s| Bson::String(s.to_owned()))
}

/// Anything displayable as a string.
pub(crate) fn text(v: impl ToString) -> Bson {
    Bson::String(v.to_string())
}

/// An optional displayable value as a string or null.
pub(crate) fn opt_text<T: ToString>(v: Option<T>) -> Bson {
    v.map_or(Bson::Null, |v| Bson::String(v.to_string()))
}

/// A counter as a 64-bit integer.
pub(crate) fn count(n: u64) -> Bson {
    Bson::Int64(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Tags as given.
pub(crate) fn tags(tags: &[Tag]) -> Bson {
    Bson::Array(tags.iter().map(|t| Bson::String(t.as_str().to_owned())).collect())
}

/// Tags' comparison keys (what filters match).
pub(crate) fn tag_keys(tags: &[Tag]) -> Bson {
    Bson::Array(tags.iter().map(|t| Bson::String(t.key().to_owned())).collect())
}

/// Custom fields as a sub-document.
pub(crate) fn custom_fields(fields: &CustomFields) -> Result<Bson, StoreError> {
    Document::try_from(fields.clone())
        .map(Bson::Document)
        .map_err(|e| StoreError::Conflict(format!("customFields cannot be stored in MongoDB: {e}")))
}

/// The distinct folded words of a text, for the search index.
pub(crate) fn search_terms(content: &str) -> Bson {
    let mut terms = telegcrm_domain::text::terms(content);
    terms.sort_unstable();
    terms.dedup();
    Bson::Array(terms.into_iter().map(Bson::String).collect())
}

/// A conversation's document.
pub(crate) fn conversation_doc(c: &Conversation) -> Result<Document, StoreError> {
    Ok(doc! {
        "_id": text(c.id),
        "ownerAvatarId": text(c.owner_avatar_id),
        "telegramChatId": c.telegram_chat_id,
        "businessConnectionId": opt_str(c.business_connection_id.as_deref()),
        "chatType": c.chat_type.as_str(),
        "title": opt_str(c.title.as_deref()),
        "contactId": opt_text(c.contact_id),
        "contactName": opt_str(c.contact_name.as_deref()),
        "contactUsername": opt_str(c.contact_username.as_deref()),
        "priority": c.priority.as_str(),
        "priorityManual": c.priority_manual,
        "tags": tags(&c.tags),
        "tagKeys": tag_keys(&c.tags),
        "status": c.status.as_str(),
        "unreadCount": i64::from(c.unread_count),
        "messageCount": count(c.message_count),
        "lastMessageAt": date(c.last_message_at),
        "lastMessagePreview": opt_str(c.last_message_preview.as_deref()),
        "lastReadAt": opt_date(c.last_read_at),
        "summary": opt_str(c.summary.as_deref()),
        "customFields": custom_fields(&c.custom_fields)?,
        "createdAt": date(c.created_at),
        "updatedAt": date(c.updated_at),
        "assigneeAvatarId": opt_text(c.assignee_avatar_id),
        "chatState": chat_state_doc(&c.chat_state),
    })
}

/// What Telegram said about the chat itself, as a camelCase subdocument written by its serde
/// form (times as strings, as in message details); null when it said nothing.
fn chat_state_doc(s: &ChatState) -> Bson {
    if s.is_empty() {
        return Bson::Null;
    }
    // Plain data (ids, a state name, a time): serialising cannot fail.
    bson::serialize_to_document(s).map_or(Bson::Null, Bson::Document)
}

/// A conversation from its document.
pub(crate) fn conversation_from(d: &Document) -> Result<Conversation, StoreError> {
    let r = Reader::new(d, "conversation");
    let custom_fields = match r.opt_doc("customFields")? {
        Some(fields) => match Bson::Document(fields.clone()).into_relaxed_extjson() {
            serde_json::Value::Object(map) => map,
            _ => CustomFields::new(),
        },
        None => CustomFields::new(),
    };
    Ok(Conversation {
        id: r.uuid("_id")?,
        owner_avatar_id: r.uuid("ownerAvatarId")?,
        telegram_chat_id: r.i64("telegramChatId")?,
        business_connection_id: r.opt_str("businessConnectionId")?,
        chat_type: r.parse("chatType")?,
        title: r.opt_str("title")?,
        contact_id: r.opt_uuid("contactId")?,
        contact_name: r.opt_str("contactName")?,
        contact_username: r.opt_str("contactUsername")?,
        priority: r.parse("priority")?,
        priority_manual: r.bool("priorityManual")?,
        tags: r.tags("tags")?,
        status: r.parse("status")?,
        unread_count: r.count("unreadCount")?,
        message_count: r.count("messageCount")?,
        last_message_at: r.date("lastMessageAt")?,
        last_message_preview: r.opt_str("lastMessagePreview")?,
        last_read_at: r.opt_date("lastReadAt")?,
        summary: r.opt_str("summary")?,
        custom_fields,
        created_at: r.date("createdAt")?,
        updated_at: r.date("updatedAt")?,
        assignee_avatar_id: r.opt_uuid("assigneeAvatarId")?,
        chat_state: match r.opt_doc("chatState")? {
            Some(d) => {
                bson::deserialize_from_document(d.clone()).map_err(|e| StoreError::Corrupt(format!("conversation chat state: {e}")))?
            }
            None => ChatState::default(),
        },
    })
}

fn media_doc(m: &Media) -> Document {
    let opt_num = |n: Option<u32>| n.map_or(Bson::Null, |n| Bson::Int64(i64::from(n)));
    doc! {
        "fileId": &m.file_id,
        "fileUniqueId": &m.file_unique_id,
        "mimeType": opt_str(m.mime_type.as_deref()),
        "fileSize": m.file_size.map_or(Bson::Null, count),
        "fileName": opt_str(m.file_name.as_deref()),
        "width": opt_num(m.width),
        "height": opt_num(m.height),
        "duration": opt_num(m.duration),
    }
}

/// A message's media as BSON (null when none).
pub(crate) fn opt_media(m: Option<&Media>) -> Bson {
    m.map_or(Bson::Null, |m| Bson::Document(media_doc(m)))
}

fn media_from(d: &Document) -> Result<Media, StoreError> {
    let r = Reader::new(d, "message media");
    Ok(Media {
        file_id: r.str("fileId")?,
        file_unique_id: r.str("fileUniqueId")?,
        mime_type: r.opt_str("mimeType")?,
        file_size: r.opt_i64("fileSize")?.map(|n| u64::try_from(n).unwrap_or(0)),
        file_name: r.opt_str("fileName")?,
        width: r.opt_u32("width")?,
        height: r.opt_u32("height")?,
        duration: r.opt_u32("duration")?,
    })
}

/// A message's earlier texts as BSON.
pub(crate) fn edits(edits: &[MessageEdit]) -> Bson {
    Bson::Array(
        edits
            .iter()
            .map(|e| {
                let mut d = doc! { "content": &e.content, "editedAt": date(e.edited_at) };
                if e.omitted_before > 0 {
                    d.insert("omittedBefore", i64::from(e.omitted_before));
                }
                Bson::Document(d)
            })
            .collect(),
    )
}

/// A message's details (forward origin, formatting, reactions, ...) as a camelCase subdocument
/// written by their serde form; null when there are none, so that a change back to none is
/// written too.
fn details_doc(d: &MessageDetails) -> Bson {
    if d.is_empty() {
        return Bson::Null;
    }
    // The details are plain data (strings, numbers, booleans, lists): serialising cannot fail.
    bson::serialize_to_document(d).map_or(Bson::Null, Bson::Document)
}

fn details_from(d: &Document) -> Result<MessageDetails, StoreError> {
    bson::deserialize_from_document(d.clone()).map_err(|e| StoreError::Corrupt(format!("message details: {e}")))
}

/// A message's document (with its search terms).
pub(crate) fn message_doc(m: &Message) -> Document {
    doc! {
        "_id": text(m.id),
        "ownerAvatarId": text(m.owner_avatar_id),
        "conversationId": text(m.conversation_id),
        "telegramMessageId": m.telegram_message_id,
        "direction": m.direction.as_str(),
        "fromTelegramId": m.from_telegram_id.map_or(Bson::Null, Bson::Int64),
        "fromName": opt_str(m.from_name.as_deref()),
        "content": &m.content,
        "messageType": m.message_type.as_str(),
        "media": opt_media(m.media.as_ref()),
        "replyToTelegramMessageId": m.reply_to_telegram_message_id.map_or(Bson::Null, Bson::Int64),
        "sentAt": date(m.sent_at),
        "editedAt": opt_date(m.edited_at),
        "edits": edits(&m.edits),
        "deletedAt": opt_date(m.deleted_at),
        "isRead": m.is_read,
        "details": details_doc(&m.details),
        "terms": search_terms(&m.content),
    }
}

/// A message from its document.
pub(crate) fn message_from(d: &Document) -> Result<Message, StoreError> {
    let r = Reader::new(d, "message");
    let edits = r
        .array("edits")?
        .iter()
        .map(|e| match e {
            Bson::Document(e) => {
                let er = Reader::new(e, "message edit");
                let omitted_before = er.opt_u32("omittedBefore")?.unwrap_or(0);
                Ok(MessageEdit { content: er.str("content")?, edited_at: er.date("editedAt")?, omitted_before })
            }
            _ => Err(StoreError::Corrupt("message edit is not a document".into())),
        })
        .collect::<Result<_, _>>()?;
    Ok(Message {
        id: r.uuid("_id")?,
        owner_avatar_id: r.uuid("ownerAvatarId")?,
        conversation_id: r.uuid("conversationId")?,
        telegram_message_id: r.i64("telegramMessageId")?,
        direction: r.parse("direction")?,
        from_telegram_id: r.opt_i64("fromTelegramId")?,
        from_name: r.opt_str("fromName")?,
        content: r.opt_str("content")?.unwrap_or_default(),
        message_type: r.parse("messageType")?,
        media: r.opt_doc("media")?.map(media_from).transpose()?,
        reply_to_telegram_message_id: r.opt_i64("replyToTelegramMessageId")?,
        sent_at: r.date("sentAt")?,
        edited_at: r.opt_date("editedAt")?,
        edits,
        deleted_at: r.opt_date("deletedAt")?,
        is_read: r.bool("isRead")?,
        details: r.opt_doc("details")?.map(details_from).transpose()?.unwrap_or_default(),
    })
}

/// A contact's document.
pub(crate) fn contact_doc(c: &Contact) -> Document {
    doc! {
        "_id": text(c.id),
        "ownerAvatarId": text(c.owner_avatar_id),
        "telegramId": c.telegram_id,
        "firstName": &c.first_name,
        "lastName": opt_str(c.last_name.as_deref()),
        "username": opt_str(c.username.as_deref()),
        "languageCode": opt_str(c.language_code.as_deref()),
        "phoneNumber": opt_str(c.phone_number.as_deref()),
        "company": opt_str(c.company.as_deref()),
        "jobTitle": opt_str(c.job_title.as_deref()),
        "email": opt_str(c.email.as_deref()),
        "website": opt_str(c.website.as_deref()),
        "notes": opt_str(c.notes.as_deref()),
        "category": opt_text(c.category),
        "tags": tags(&c.tags),
        "tagKeys": tag_keys(&c.tags),
        "relationshipStatus": c.relationship_status.as_str(),
        "totalMessages": count(c.total_messages),
        "lastContactedAt": date(c.last_contacted_at),
        "linkedOasisAvatarId": opt_text(c.linked_oasis_avatar_id),
        "createdAt": date(c.created_at),
        "updatedAt": date(c.updated_at),
    }
}

/// A contact from its document.
pub(crate) fn contact_from(d: &Document) -> Result<Contact, StoreError> {
    let r = Reader::new(d, "contact");
    Ok(Contact {
        id: r.uuid("_id")?,
        owner_avatar_id: r.uuid("ownerAvatarId")?,
        telegram_id: r.i64("telegramId")?,
        first_name: r.opt_str("firstName")?.unwrap_or_default(),
        last_name: r.opt_str("lastName")?,
        username: r.opt_str("username")?,
        language_code: r.opt_str("languageCode")?,
        phone_number: r.opt_str("phoneNumber")?,
        company: r.opt_str("company")?,
        job_title: r.opt_str("jobTitle")?,
        email: r.opt_str("email")?,
        website: r.opt_str("website")?,
        notes: r.opt_str("notes")?,
        category: r.opt_parse("category")?,
        tags: r.tags("tags")?,
        relationship_status: r.parse("relationshipStatus")?,
        total_messages: r.count("totalMessages")?,
        last_contacted_at: r.date("lastContactedAt")?,
        linked_oasis_avatar_id: r.opt_uuid("linkedOasisAvatarId")?,
        created_at: r.date("createdAt")?,
        updated_at: r.date("updatedAt")?,
    })
}

/// A follow-up's document (`isOverdue` is computed when read, never stored).
pub(crate) fn followup_doc(f: &FollowUp) -> Document {
    doc! {
        "_id": text(f.id),
        "ownerAvatarId": text(f.owner_avatar_id),
        "conversationId": text(f.conversation_id),
        "title": &f.title,
        "description": opt_str(f.description.as_deref()),
        "dueAt": date(f.due_at),
        "priority": f.priority.as_str(),
        "status": f.status.as_str(),
        "completedAt": opt_date(f.completed_at),
        "snoozedUntil": opt_date(f.snoozed_until),
        "remindedAt": opt_date(f.reminded_at),
        "createdAt": date(f.created_at),
        "updatedAt": date(f.updated_at),
    }
}

/// A follow-up from its document.
pub(crate) fn followup_from(d: &Document) -> Result<FollowUp, StoreError> {
    let r = Reader::new(d, "follow-up");
    Ok(FollowUp {
        id: r.uuid("_id")?,
        owner_avatar_id: r.uuid("ownerAvatarId")?,
        conversation_id: r.uuid("conversationId")?,
        title: r.opt_str("title")?.unwrap_or_default(),
        description: r.opt_str("description")?,
        due_at: r.date("dueAt")?,
        priority: r.parse("priority")?,
        status: r.parse("status")?,
        is_overdue: false,
        completed_at: r.opt_date("completedAt")?,
        snoozed_until: r.opt_date("snoozedUntil")?,
        reminded_at: r.opt_date("remindedAt")?,
        created_at: r.date("createdAt")?,
        updated_at: r.date("updatedAt")?,
    })
}
