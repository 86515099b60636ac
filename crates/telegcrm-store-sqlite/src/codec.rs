//! How domain values sit in columns: ids as 16-byte blobs, times as nanoseconds since the epoch,
//! entities other than messages as a JSON document next to the columns that are queried.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telegcrm_domain::model::{Media, MessageDetails, MessageEdit};
use telegcrm_domain::{Message, StoreError};
use uuid::Uuid;

/// Bits of a message rowid below the millisecond of `sent_at` (a million messages per millisecond).
const SLOT_BITS: u32 = 20;
/// Millisecond range a rowid can carry (about the years 1691 to 2248).
const MAX_MS: i64 = (i64::MAX >> SLOT_BITS) - 1;
const MIN_MS: i64 = i64::MIN >> SLOT_BITS;

/// The first rowid of `at`'s millisecond. Rowids grow with `sent_at`, so rowid order is sentAt
/// order up to the millisecond; times beyond the representable range share its ends.
pub fn message_key(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis().clamp(MIN_MS, MAX_MS) << SLOT_BITS
}

/// The last rowid of `at`'s millisecond.
pub fn message_key_end(at: DateTime<Utc>) -> i64 {
    message_key(at) + (1 << SLOT_BITS) - 1
}

/// Anything stored as a 16-byte id.
pub trait AsUuid {
    /// The UUID.
    fn uuid(&self) -> Uuid;
}

macro_rules! as_uuid {
    ($($t:ty),*) => {$(
        impl AsUuid for $t {
            fn uuid(&self) -> Uuid {
                self.as_uuid()
            }
        }
    )*};
}
as_uuid!(
    telegcrm_domain::AvatarId,
    telegcrm_domain::ConversationId,
    telegcrm_domain::ContactId,
    telegcrm_domain::FollowUpId,
    telegcrm_domain::NoteId,
    telegcrm_domain::ActivityId,
    telegcrm_domain::MessageId
);

impl AsUuid for Uuid {
    fn uuid(&self) -> Uuid {
        *self
    }
}

/// An id column.
pub fn id(u: impl AsUuid) -> [u8; 16] {
    u.uuid().into_bytes()
}

/// Reads an id column.
pub fn get_id<T: From<Uuid>>(row: &Row<'_>, col: usize) -> rusqlite::Result<T> {
    let bytes: [u8; 16] = row.get(col)?;
    Ok(T::from(Uuid::from_bytes(bytes)))
}

/// A time column: nanoseconds since the epoch (lossless for 1677..2262).
pub fn time(t: DateTime<Utc>) -> Result<i64, StoreError> {
    t.timestamp_nanos_opt().ok_or_else(|| StoreError::Conflict(format!("time {t} is outside the range the store keeps (1677-2262)")))
}

/// An optional time column.
pub fn opt_time(t: Option<DateTime<Utc>>) -> Result<Option<i64>, StoreError> {
    t.map(time).transpose()
}

/// Reads a time column.
pub fn from_nanos(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

/// An entity as its JSON document.
pub fn to_doc<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode a record: {e}")))
}

/// An entity from its JSON document.
pub fn from_doc<T: DeserializeOwned>(doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("a stored record does not decode: {e}")))
}

/// Maps an SQLite error to the store's terms, saying what was being done.
pub fn db(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::ConstraintViolation) => StoreError::Conflict(format!("{what}: {e}")),
            Some(C::DatabaseCorrupt | C::NotADatabase) => StoreError::Corrupt(format!("{what}: {e}")),
            _ => match e {
                rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
                    StoreError::Corrupt(format!("{what}: {e}"))
                }
                _ => StoreError::Unavailable(format!("{what}: {e}")),
            },
        }
    }
}

/// The message columns, in the order [`read_message`] expects them (`m` aliases `messages`).
pub const MESSAGE_COLUMNS: &str = "m.id, m.owner, m.conversation_id, m.telegram_message_id, m.direction, m.from_telegram_id, \
     m.from_name, m.content, m.message_type, m.media, m.reply_to, m.sent_at, m.edited_at, m.edits, m.deleted_at, m.is_read, m.rowid, m.details";

/// A message row read with [`MESSAGE_COLUMNS`], and its rowid.
#[derive(Debug)]
pub struct MessageRow {
    /// The rowid (sort key).
    pub rowid: i64,
    /// The message.
    pub message: Message,
}

fn text_value<T: std::str::FromStr>(row: &Row<'_>, col: usize) -> rusqlite::Result<T> {
    let s: String = row.get(col)?;
    s.parse().map_err(|_| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, format!("bad value {s:?}").into()))
}

fn json_value<T: DeserializeOwned>(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(col)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, e.into())))
        .transpose()
}

/// Reads a message row.
pub fn read_message(row: &Row<'_>) -> rusqlite::Result<MessageRow> {
    let message = Message {
        id: get_id(row, 0)?,
        owner_avatar_id: get_id(row, 1)?,
        conversation_id: get_id(row, 2)?,
        telegram_message_id: row.get(3)?,
        direction: text_value(row, 4)?,
        from_telegram_id: row.get(5)?,
        from_name: row.get(6)?,
        content: row.get(7)?,
        message_type: text_value(row, 8)?,
        media: json_value::<Media>(row, 9)?,
        reply_to_telegram_message_id: row.get(10)?,
        sent_at: from_nanos(row.get(11)?),
        edited_at: row.get::<_, Option<i64>>(12)?.map(from_nanos),
        edits: json_value::<Vec<MessageEdit>>(row, 13)?.unwrap_or_default(),
        deleted_at: row.get::<_, Option<i64>>(14)?.map(from_nanos),
        is_read: row.get(15)?,
        details: json_value::<MessageDetails>(row, 17)?.unwrap_or_default(),
    };
    Ok(MessageRow { rowid: row.get(16)?, message })
}

/// The JSON of a message's media, or NULL.
pub fn media_json(m: &Message) -> Result<Option<String>, StoreError> {
    m.media.as_ref().map(to_doc).transpose()
}

/// The JSON of a message's details, or NULL when it has none.
pub fn details_json(m: &Message) -> Result<Option<String>, StoreError> {
    if m.details.is_empty() { Ok(None) } else { to_doc(&m.details).map(Some) }
}

/// The JSON of a message's earlier texts, or NULL when it was never edited.
pub fn edits_json(m: &Message) -> Result<Option<String>, StoreError> {
    if m.edits.is_empty() { Ok(None) } else { to_doc(&m.edits).map(Some) }
}
