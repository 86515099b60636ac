//! OASIS holons (REFERENCE.md §2): a JSON array, one holon per line, each carrying its whole
//! record in `metaData` (`{"kind":…,"record":{…}}`) so that an OASIS application reads the
//! common fields and a restore reads the record (docs/export.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use telegcrm_domain::{AvatarId, Record};
use uuid::Uuid;

use crate::{Encoder, ExportError, encode_error};

/// The OASIS type every holon is written with: the generic `Holon`, which every OASIS build
/// knows; what the record is, `metaData.kind` says.
pub const HOLON_TYPE: &str = "Holon";

/// One holon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holon {
    /// The record's id.
    pub id: Uuid,
    /// A readable name: the contact's or conversation's name, a follow-up's title, "Message N".
    pub name: String,
    /// A readable description: the message's text, the conversation's summary, ...
    pub description: String,
    /// [`HOLON_TYPE`].
    pub holon_type: String,
    /// The record, as the NDJSON format writes it.
    pub meta_data: Record,
    /// The holon it belongs to: a message's or follow-up's conversation, a conversation's
    /// contact; the nil UUID when none (OASIS ids are never null).
    pub parent_holon_id: Uuid,
    /// The owner.
    pub created_by_avatar_id: AvatarId,
    /// When the record was made (a message: sent).
    pub created_date: DateTime<Utc>,
    /// When it last changed (a message: edited or deleted).
    pub modified_date: DateTime<Utc>,
    /// 1, and one more per kept edit of a message.
    pub version: u64,
}

impl Holon {
    /// The holon of a record.
    pub fn of(record: &Record) -> Self {
        let (id, name, description, parent, created, modified, version) = match record {
            Record::Contact(c) => (
                c.id.as_uuid(),
                c.display_name(),
                [c.company.as_deref(), c.job_title.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", "),
                Uuid::nil(),
                c.created_at,
                c.updated_at,
                1,
            ),
            Record::Conversation(c) => (
                c.id.as_uuid(),
                c.title.clone().or_else(|| c.contact_name.clone()).unwrap_or_else(|| format!("Chat {}", c.telegram_chat_id)),
                c.summary.clone().unwrap_or_default(),
                c.contact_id.map_or(Uuid::nil(), |id| id.as_uuid()),
                c.created_at,
                c.updated_at,
                1,
            ),
            Record::Message(m) => (
                m.id.as_uuid(),
                format!("Message {}", m.telegram_message_id),
                m.content.clone(),
                m.conversation_id.as_uuid(),
                m.sent_at,
                m.deleted_at.or(m.edited_at).unwrap_or(m.sent_at),
                1 + m.edits.len() as u64,
            ),
            Record::FollowUp(f) => (
                f.id.as_uuid(),
                f.title.clone(),
                f.description.clone().unwrap_or_default(),
                f.conversation_id.as_uuid(),
                f.created_at,
                f.updated_at,
                1,
            ),
        };
        Self {
            id,
            name,
            description,
            holon_type: HOLON_TYPE.to_owned(),
            meta_data: record.clone(),
            parent_holon_id: parent,
            created_by_avatar_id: record.owner(),
            created_date: created,
            modified_date: modified,
            version,
        }
    }
}

/// The holons encoder.
#[derive(Debug, Default)]
pub(crate) struct Holons {
    written: bool,
}

impl Encoder for Holons {
    fn begin(&mut self, out: &mut Vec<u8>, _owner: AvatarId) -> Result<(), ExportError> {
        out.push(b'[');
        Ok(())
    }

    fn record(&mut self, out: &mut Vec<u8>, record: &Record) -> Result<(), ExportError> {
        out.extend_from_slice(if self.written { b",\n" } else { b"\n" });
        self.written = true;
        serde_json::to_writer(&mut *out, &Holon::of(record)).map_err(|e| encode_error(record.kind(), e))
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        out.extend_from_slice(b"\n]\n");
        Ok(())
    }
}
