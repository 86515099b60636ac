//! Ports: what the domain needs from the outside world. Adapters implement them.
//!
//! Every store method takes the owner and never returns another owner's record: tenant isolation
//! holds at the lowest level, so no caller can forget it. The one exception is
//! [`FollowUpStore::due_followups`], the reminder job's view across owners.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DirectoryError, GatewayError, StoreError};
use crate::event::{IngestBatch, IngestReport};
use crate::ids::{AvatarId, ContactId, ConversationId, FollowUpId};
use crate::model::{
    Activity, Contact, ContactChange, Conversation, ConversationChange, FollowUp, FollowUpChange, Message, Note, ParkedUpdate,
};
use crate::page::{Page, PageRequest};
use crate::search::{SearchFilters, SearchQuery};
use crate::tag::Tag;
use crate::values::{ContactCategory, ConversationStatus, FollowUpView, Priority};

/// Which conversations a listing shows (all optional, ANDed). Lists are newest `lastMessageAt` first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationFilter {
    /// Only this status.
    pub status: Option<ConversationStatus>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only with this tag.
    pub tag: Option<Tag>,
    /// Only with unread messages.
    pub unread_only: bool,
    /// Only this contact's.
    pub contact_id: Option<ContactId>,
    /// Only those assigned to this member, or to nobody.
    #[serde(default)]
    pub assignee: Option<Assignee>,
}

/// Whose conversations a filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Assignee {
    /// Conversations nobody is assigned to.
    Nobody,
    /// Conversations assigned to this member.
    Member(AvatarId),
}

impl Assignee {
    /// What a filter names (`assignee=`): `me` (the caller), `none`, or a member's avatar id.
    pub fn parse(text: &str, me: AvatarId) -> Result<Self, crate::ParseError> {
        match text.trim() {
            "me" => Ok(Self::Member(me)),
            "none" => Ok(Self::Nobody),
            other => other.parse::<AvatarId>().map(Self::Member).map_err(|_| crate::ParseError::Invalid {
                field: "assignee",
                value: crate::error::clip(other),
                expected: "me, none or a member's avatar id",
            }),
        }
    }

    /// Whether a conversation assigned to `current` is kept.
    pub fn matches(self, current: Option<AvatarId>) -> bool {
        match self {
            Self::Nobody => current.is_none(),
            Self::Member(a) => current == Some(a),
        }
    }
}

impl ConversationFilter {
    /// Whether a conversation passes the filter (for stores that filter in memory).
    pub fn matches(&self, c: &Conversation) -> bool {
        self.status.is_none_or(|s| c.status == s)
            && self.priority.is_none_or(|p| c.priority == p)
            && self.tag.as_ref().is_none_or(|t| c.tags.contains(t))
            && (!self.unread_only || c.unread_count > 0)
            && self.contact_id.is_none_or(|id| c.contact_id == Some(id))
            && self.assignee.is_none_or(|a| a.matches(c.assignee_avatar_id))
    }
}

/// Which contacts a listing shows. Lists are most recently contacted first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFilter {
    /// Text found (case- and accent-insensitively) in first or last name, username, company or email.
    pub q: Option<String>,
    /// Only this category.
    pub category: Option<ContactCategory>,
    /// Only with this tag.
    pub tag: Option<Tag>,
}

impl ContactFilter {
    /// Whether a contact passes the filter (for stores that filter in memory).
    pub fn matches(&self, c: &Contact) -> bool {
        let q_ok = self.q.as_deref().map(crate::text::fold).is_none_or(|q| {
            [Some(&c.first_name), c.last_name.as_ref(), c.username.as_ref(), c.company.as_ref(), c.email.as_ref()]
                .into_iter()
                .flatten()
                .any(|field| crate::text::fold(field).contains(&q))
        });
        q_ok && self.category.is_none_or(|k| c.category == Some(k)) && self.tag.as_ref().is_none_or(|t| c.tags.contains(t))
    }
}

/// Which follow-ups a listing shows. Lists are soonest `dueAt` first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpFilter {
    /// Pending (overdue included), overdue, completed, cancelled or all.
    pub view: FollowUpView,
    /// Only this conversation's.
    pub conversation_id: Option<ConversationId>,
    /// "Now", for the overdue view.
    pub now: DateTime<Utc>,
}

impl FollowUpFilter {
    /// Whether a follow-up passes the filter (for stores that filter in memory).
    pub fn matches(&self, f: &FollowUp) -> bool {
        use crate::values::FollowUpStatus as S;
        let view_ok = match self.view {
            FollowUpView::Pending => f.status == S::Pending,
            FollowUpView::Overdue => f.overdue_at(self.now),
            FollowUpView::Completed => f.status == S::Completed,
            FollowUpView::Cancelled => f.status == S::Cancelled,
            FollowUpView::All => true,
        };
        view_ok && self.conversation_id.is_none_or(|id| f.conversation_id == id)
    }
}

/// Conversations of one owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// One conversation, if the owner has it.
    async fn get_conversation(&self, owner: AvatarId, id: ConversationId) -> Result<Option<Conversation>, StoreError>;
    /// Several conversations at once (missing or foreign ids are left out; order not kept).
    async fn get_conversations(&self, owner: AvatarId, ids: &[ConversationId]) -> Result<Vec<Conversation>, StoreError>;
    /// A page of conversations, newest `lastMessageAt` first (ties: id descending).
    async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError>;
    /// Applies a change atomically ([`ConversationChange::apply`]); marking read also marks every
    /// message of the conversation read. `None` when the owner has no such conversation.
    async fn update_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError>;
    /// Every owner that has a conversation or a contact, each once, in no particular order
    /// (for maintenance across owners, such as `telegcrm check`).
    async fn list_owners(&self) -> Result<Vec<AvatarId>, StoreError>;
}

/// Messages of one owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// A page of a conversation's messages, newest `sentAt` first (ties: id descending). Deleted
    /// messages are included (marked). An unknown or foreign conversation gives an empty page.
    async fn list_messages(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError>;
    /// One message by its Telegram id within a conversation.
    async fn find_message(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        telegram_message_id: i64,
    ) -> Result<Option<Message>, StoreError>;
}

/// Contacts of one owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// One contact.
    async fn get_contact(&self, owner: AvatarId, id: ContactId) -> Result<Option<Contact>, StoreError>;
    /// A page of contacts, most recently contacted first (ties: id descending).
    async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, StoreError>;
    /// Applies a hand edit atomically ([`ContactChange::apply`]).
    async fn update_contact(
        &self,
        owner: AvatarId,
        id: ContactId,
        change: &ContactChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Contact>, StoreError>;
}

/// Follow-ups.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FollowUpStore: Send + Sync {
    /// Stores a new follow-up.
    async fn insert_followup(&self, followup: &FollowUp) -> Result<(), StoreError>;
    /// One follow-up (with `isOverdue` false: the service computes it).
    async fn get_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<Option<FollowUp>, StoreError>;
    /// Applies a change atomically ([`FollowUpChange::apply`]).
    async fn update_followup(
        &self,
        owner: AvatarId,
        id: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError>;
    /// Deletes one; whether it existed.
    async fn delete_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<bool, StoreError>;
    /// A page of follow-ups, soonest `dueAt` first (ties: id ascending).
    async fn list_followups(&self, owner: AvatarId, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, StoreError>;
    /// Pending follow-ups of every owner but `skip_owners` that are due at `now` and not yet
    /// reminded, soonest first (ties: id ascending).
    async fn due_followups(&self, now: DateTime<Utc>, limit: usize, skip_owners: &[AvatarId]) -> Result<Vec<FollowUp>, StoreError>;
}

/// Internal notes on conversations (append-only).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NoteStore: Send + Sync {
    /// Keeps a new note.
    async fn insert_note(&self, note: &Note) -> Result<(), StoreError>;
    /// A page of one conversation's notes, newest first (ties: id descending).
    async fn list_notes(&self, owner: AvatarId, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, StoreError>;
    /// A page of the owner's notes that mention `avatar`, newest first (ties: id descending).
    async fn list_mentions(&self, owner: AvatarId, avatar: AvatarId, page: &PageRequest) -> Result<Page<Note>, StoreError>;
}

/// The activity log (append-only).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Keeps a new entry.
    async fn append_activity(&self, entry: &Activity) -> Result<(), StoreError>;
    /// A page of the owner's entries, newest first (ties: id descending); only one
    /// conversation's when `conversation` is given.
    async fn list_activity(
        &self,
        owner: AvatarId,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, StoreError>;
}

/// Full-text search candidates.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Up to `max` of the owner's messages that match every clause of `query` (an empty query
    /// matches all) and pass `filters`, newest `sentAt` first. Deleted messages never match.
    /// The service ranks these; stores only find them, so every store ranks alike.
    async fn search_candidates(
        &self,
        owner: AvatarId,
        query: &SearchQuery,
        filters: &SearchFilters,
        max: usize,
    ) -> Result<Vec<Message>, StoreError>;
}

/// Small key/value state (polling offsets, business connections, link codes) and leases.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StateStore: Send + Sync {
    /// A value.
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a value.
    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Removes a value and returns it, atomically (single-use codes).
    async fn take_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Takes or renews the lease `name` for `holder` until `now + ttl`; succeeds when it is free,
    /// expired, or already this holder's. Whether `holder` holds it now.
    async fn acquire_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError>;
    /// Gives the lease up if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}

/// Applying inbound events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Applies a batch by the capture rules (see [`crate::ingest`]) and its state writes, all or
    /// nothing. When it returns `Ok`, the batch is durable. Applying the same batch again changes
    /// nothing.
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError>;
}

/// Updates the store refused, kept as received (see [`ParkedUpdate`]). Across owners: parked
/// updates are the operator's, not an avatar's. The service decides when to park and what a
/// record holds; stores keep, find and count records.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ParkedStore: Send + Sync {
    /// Stores a parked update, replacing the one with the same update id.
    async fn put_parked(&self, parked: &ParkedUpdate) -> Result<(), StoreError>;
    /// The parked update with this id.
    async fn get_parked(&self, update_id: i64) -> Result<Option<ParkedUpdate>, StoreError>;
    /// Up to `limit` parked updates with ids above `after` (all when `None`), lowest id first.
    async fn list_parked(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, StoreError>;
    /// How many updates are parked.
    async fn count_parked(&self) -> Result<u64, StoreError>;
    /// Removes a parked update; whether it was there.
    async fn delete_parked(&self, update_id: i64) -> Result<bool, StoreError>;
    /// Adds `n` to the count of refused updates that were not parked (the cap was reached),
    /// atomically: concurrent additions all count.
    async fn add_dropped(&self, n: u64) -> Result<(), StoreError>;
    /// The count of refused updates that were not parked, since the store was made.
    async fn dropped_count(&self) -> Result<u64, StoreError>;
}

/// A whole store: every store port, plus a health check.
#[async_trait]
pub trait Store:
    ConversationStore
    + MessageStore
    + ContactStore
    + FollowUpStore
    + SearchStore
    + StateStore
    + IngestStore
    + ParkedStore
    + NoteStore
    + ActivityStore
{
    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The time. Injected so that tests control it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// An OASIS avatar, as the directory describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Avatar {
    /// Avatar id.
    pub id: AvatarId,
    /// Username.
    pub username: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Display name.
    pub full_name: Option<String>,
}

/// How a user names an avatar to link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AvatarRef {
    /// By id.
    Id(AvatarId),
    /// By username.
    Username(String),
    /// By email.
    Email(String),
}

impl AvatarRef {
    /// What one typed field names: an avatar id when it is a UUID, an email when it has an `@`,
    /// else a username.
    pub fn from_input(text: &str) -> Self {
        let text = text.trim();
        match text.parse::<AvatarId>() {
            Ok(id) => Self::Id(id),
            Err(_) if text.contains('@') => Self::Email(text.to_owned()),
            Err(_) => Self::Username(text.to_owned()),
        }
    }
}

impl std::fmt::Display for AvatarRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(a) => a.fmt(f),
            Self::Username(u) => f.write_str(u),
            Self::Email(e) => f.write_str(e),
        }
    }
}

/// OASIS avatar look-ups.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AvatarDirectory: Send + Sync {
    /// The avatar named, or `None` when OASIS knows no such avatar.
    async fn find_avatar(&self, by: &AvatarRef) -> Result<Option<Avatar>, DirectoryError>;
}

/// A message Telegram accepted from us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    /// Telegram's message id.
    pub telegram_message_id: i64,
    /// When Telegram says it was sent (for an edit: when it was edited).
    pub sent_at: DateTime<Utc>,
    /// The text as Telegram stored it.
    pub text: String,
    /// Our bot, as the sender.
    pub sender: Option<crate::event::TelegramUser>,
    /// What it carries (text, or the photo or document sent).
    pub message_type: crate::values::MessageType,
    /// The file, as Telegram keeps it, for a photo or document.
    pub media: Option<crate::model::Media>,
}

/// A text to send to a chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingText {
    /// The chat.
    pub chat_id: i64,
    /// The business connection to send through (on the business account's behalf), if any.
    pub business_connection_id: Option<String>,
    /// The text.
    pub text: String,
    /// The message of the chat this one answers.
    pub reply_to_message_id: Option<i64>,
}

/// A file to send to a chat, from a file on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingFile {
    /// The chat.
    pub chat_id: i64,
    /// The business connection to send through, if any.
    pub business_connection_id: Option<String>,
    /// Where the file is; its file name is the one Telegram shows.
    pub path: std::path::PathBuf,
    /// As a photo (Telegram recompresses it and shows it inline), else as a document.
    pub as_photo: bool,
    /// The caption.
    pub caption: Option<String>,
    /// The message of the chat this one answers.
    pub reply_to_message_id: Option<i64>,
}

/// Sending, editing, deleting and reading through Telegram, and fetching its files.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TelegramGateway: Send + Sync {
    /// Sends a text to a chat, through the business connection when one is given.
    async fn send_text(&self, text: OutgoingText) -> Result<SentMessage, GatewayError>;

    /// Sends a photo or a document, through the business connection when one is given.
    async fn send_file(&self, file: OutgoingFile) -> Result<SentMessage, GatewayError>;

    /// Replaces the text of a message the owner or the bot sent; the answer's `sent_at` is when
    /// Telegram says it was edited.
    async fn edit_text(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        message_id: i64,
        text: String,
    ) -> Result<SentMessage, GatewayError>;

    /// Deletes messages of a chat, on the business account's behalf when a connection is given.
    async fn delete_messages(
        &self,
        chat_id: i64,
        business_connection_id: Option<String>,
        message_ids: Vec<i64>,
    ) -> Result<(), GatewayError>;

    /// Marks an incoming message of a business chat read in the owner's Telegram.
    async fn read_business_message(&self, business_connection_id: String, chat_id: i64, message_id: i64) -> Result<(), GatewayError>;

    /// The bytes of a file Telegram holds, refused past `max_bytes`.
    async fn fetch_file(&self, file_id: String, max_bytes: u64) -> Result<Vec<u8>, GatewayError>;
}

/// Files fetched from Telegram, kept so that showing a photo again does not download it again.
/// A cache may forget anything at any time (it has a size cap); failing to read or keep a file
/// is the cache's to log, never an error of the operation that uses it.
#[async_trait]
pub trait FileCache: Send + Sync {
    /// The bytes kept under `key`, if any.
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Keeps `bytes` under `key`.
    async fn put(&self, key: &str, bytes: &[u8]);
}

#[cfg(test)]
mod tests {
    use super::AvatarRef;

    #[test]
    fn one_typed_field_names_an_avatar_by_id_email_or_username() {
        let id = "4f6b1f3e-2c1d-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(AvatarRef::from_input(&format!(" {id} ")), AvatarRef::Id(id.parse().unwrap()));
        assert_eq!(AvatarRef::from_input("ada@example.org"), AvatarRef::Email("ada@example.org".into()));
        assert_eq!(AvatarRef::from_input(" bob "), AvatarRef::Username("bob".into()));
        // Not quite a UUID: a username, looked up as typed.
        assert_eq!(AvatarRef::from_input("4f6b1f3e-2c1d"), AvatarRef::Username("4f6b1f3e-2c1d".into()));
    }

    #[test]
    fn an_assignee_filter_is_me_none_or_a_member() {
        use super::Assignee;
        let me: crate::AvatarId = "4f6b1f3e-2c1d-4e5f-8a9b-0c1d2e3f4a5b".parse().unwrap();
        let other: crate::AvatarId = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0b2c".parse().unwrap();
        assert_eq!(Assignee::parse("me", me).unwrap(), Assignee::Member(me));
        assert_eq!(Assignee::parse(" none ", me).unwrap(), Assignee::Nobody);
        assert_eq!(Assignee::parse(&other.to_string(), me).unwrap(), Assignee::Member(other));
        let e = Assignee::parse("<script>", me).unwrap_err().to_string();
        assert!(e.contains("assignee") && e.contains("me, none"), "{e}");
        assert!(Assignee::Nobody.matches(None) && !Assignee::Nobody.matches(Some(me)));
        assert!(
            Assignee::Member(me).matches(Some(me)) && !Assignee::Member(me).matches(Some(other)) && !Assignee::Member(me).matches(None)
        );
    }
}
