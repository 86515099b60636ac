//! Spreadsheets: contacts or conversations, one row each, with a header row (RFC 4180, UTF-8).
//!
//! A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
//! a carriage return) is written with a leading `'`, so that a hostile name or message preview
//! stays text when the file is opened (OWASP "CSV injection"). Times are RFC 3339 in UTC; tags
//! are joined with `, `.

use chrono::{DateTime, SecondsFormat, Utc};
use telegcrm_domain::{AvatarId, Contact, Conversation, Record, Tag};

use crate::{Encoder, ExportError, Table, encode_error};

/// The contacts table's columns.
pub const CONTACT_COLUMNS: &[&str] = &[
    "id",
    "telegramId",
    "firstName",
    "lastName",
    "username",
    "phoneNumber",
    "email",
    "company",
    "jobTitle",
    "website",
    "category",
    "relationshipStatus",
    "tags",
    "totalMessages",
    "lastContactedAt",
    "linkedOasisAvatarId",
    "notes",
    "createdAt",
    "updatedAt",
];

/// The conversations table's columns.
pub const CONVERSATION_COLUMNS: &[&str] = &[
    "id",
    "telegramChatId",
    "chatType",
    "title",
    "contactId",
    "contactName",
    "contactUsername",
    "status",
    "priority",
    "tags",
    "unreadCount",
    "messageCount",
    "lastMessageAt",
    "lastMessagePreview",
    "summary",
    "businessConnectionId",
    "createdAt",
    "updatedAt",
];

/// A cell as a spreadsheet will show it: formulas defused.
pub fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn opt(v: Option<&str>) -> String {
    v.map(cell).unwrap_or_default()
}

fn tags(t: &[Tag]) -> String {
    cell(&t.iter().map(Tag::as_str).collect::<Vec<_>>().join(", "))
}

fn contact_row(c: &Contact) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.telegram_id.to_string(),
        cell(&c.first_name),
        opt(c.last_name.as_deref()),
        opt(c.username.as_deref()),
        opt(c.phone_number.as_deref()),
        opt(c.email.as_deref()),
        opt(c.company.as_deref()),
        opt(c.job_title.as_deref()),
        opt(c.website.as_deref()),
        c.category.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        c.relationship_status.as_str().to_owned(),
        tags(&c.tags),
        c.total_messages.to_string(),
        time(c.last_contacted_at),
        c.linked_oasis_avatar_id.map(|a| a.to_string()).unwrap_or_default(),
        opt(c.notes.as_deref()),
        time(c.created_at),
        time(c.updated_at),
    ]
}

fn conversation_row(c: &Conversation) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.telegram_chat_id.to_string(),
        c.chat_type.as_str().to_owned(),
        opt(c.title.as_deref()),
        c.contact_id.map(|id| id.to_string()).unwrap_or_default(),
        opt(c.contact_name.as_deref()),
        opt(c.contact_username.as_deref()),
        c.status.as_str().to_owned(),
        c.priority.as_str().to_owned(),
        tags(&c.tags),
        c.unread_count.to_string(),
        c.message_count.to_string(),
        time(c.last_message_at),
        opt(c.last_message_preview.as_deref()),
        opt(c.summary.as_deref()),
        opt(c.business_connection_id.as_deref()),
        time(c.created_at),
        time(c.updated_at),
    ]
}

/// The CSV encoder of one table.
#[derive(Debug)]
pub(crate) struct Csv {
    table: Table,
}

impl Csv {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    fn row<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(&mut self, out: &mut Vec<u8>, row: I) -> Result<(), ExportError> {
        // A writer per row over the chunk being filled (a row is small; the chunk is the buffer).
        let mut writer = csv::WriterBuilder::new().buffer_capacity(1024).from_writer(&mut *out);
        writer.write_record(row).map_err(|e| encode_error(self.table.as_str(), e))?;
        writer.flush()?;
        Ok(())
    }
}

impl Encoder for Csv {
    fn begin(&mut self, out: &mut Vec<u8>, _owner: AvatarId) -> Result<(), ExportError> {
        let columns = match self.table {
            Table::Contacts => CONTACT_COLUMNS,
            Table::Conversations => CONVERSATION_COLUMNS,
        };
        self.row(out, columns)
    }

    fn record(&mut self, out: &mut Vec<u8>, record: &Record) -> Result<(), ExportError> {
        match (self.table, record) {
            (Table::Contacts, Record::Contact(c)) => self.row(out, contact_row(c)),
            (Table::Conversations, Record::Conversation(c)) => self.row(out, conversation_row(c)),
            _ => Ok(()),
        }
    }

    fn end(&mut self, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}
