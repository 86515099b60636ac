//! Errors of the domain, one enum per boundary.

use thiserror::Error;

/// A value from outside (a string, a number) that does not make a valid domain value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The value has the wrong form.
    #[error("invalid {field} {value:?}: expected {expected}")]
    Invalid {
        /// The field, named as in the API (camelCase).
        field: &'static str,
        /// The offending value, shortened when long.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
}

/// What a store port can fail with, in the caller's terms.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The record would break a uniqueness rule.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached or refused the operation for a passing reason.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds data it cannot read (corruption, unknown schema, bad value).
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the store refused this data, so that trying the same write again fails the same
    /// way: a uniqueness rule or a value it cannot keep (`Conflict`), a record it cannot read
    /// (`Corrupt`). `Unavailable` is a passing failure (connection lost, writer busy, contention
    /// that outlasted the store's own retries): the caller retries and nothing is parked.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Conflict(_) | Self::Corrupt(_))
    }
}

/// What an OASIS avatar look-up can fail with.
#[derive(Debug, Error)]
pub enum DirectoryError {
    /// OASIS could not be reached, timed out or answered with an error.
    #[error("OASIS avatar directory failed: {0}")]
    Upstream(String),
}

/// What sending through Telegram can fail with.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// Telegram refused the request; `description` is Telegram's own words.
    #[error("Telegram refused: {description}")]
    Refused {
        /// Telegram's error description.
        description: String,
    },
    /// Telegram could not be reached or failed.
    #[error("Telegram is unavailable: {0}")]
    Unavailable(String),
    /// No bot token is configured, so nothing can be sent.
    #[error("sending is disabled: no Telegram bot token is configured")]
    NotConfigured,
    /// A file is larger than bots may download from Telegram.
    #[error("the file is larger than the {} MB Telegram lets bots download", max_bytes / (1024 * 1024))]
    FileTooLarge {
        /// The limit.
        max_bytes: u64,
    },
}

/// The kind of record an operation did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A conversation.
    Conversation,
    /// A message.
    Message,
    /// A contact.
    Contact,
    /// A follow-up.
    FollowUp,
    /// An OASIS avatar.
    Avatar,
    /// An update the store refused, parked.
    ParkedUpdate,
    /// An import job.
    ImportJob,
    /// A message's file (the message has none).
    Media,
    /// A workspace (the caller is not a member of it).
    Workspace,
    /// A member of a workspace.
    Member,
    /// A canned reply.
    CannedReply,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Conversation => "conversation",
            Self::Message => "message",
            Self::Contact => "contact",
            Self::FollowUp => "follow-up",
            Self::Avatar => "avatar",
            Self::ParkedUpdate => "parked update",
            Self::ImportJob => "import job",
            Self::Media => "file of message",
            Self::Workspace => "workspace",
            Self::Member => "member",
            Self::CannedReply => "canned reply",
        })
    }
}

/// What a CRM service operation can fail with.
#[derive(Debug, Error)]
pub enum CrmError {
    /// No such record for this caller (another owner's record looks exactly like this).
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for.
        entity: Entity,
        /// The id or key asked for.
        id: String,
    },
    /// The request is well formed but means something invalid.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, named as in the API.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The caller's role in the workspace does not allow this ([`crate::values::Role::may`]).
    #[error("{} may not {} in this workspace", role.with_article(), action.describe())]
    Forbidden {
        /// The caller's role.
        role: crate::values::Role,
        /// What was refused.
        action: crate::model::Action,
    },
    /// The request clashes with what is there (a member invited twice).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// OASIS failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Telegram failed or refused.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl CrmError {
    pub(crate) fn not_found(entity: Entity, id: impl ToString) -> Self {
        Self::NotFound { entity, id: id.to_string() }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }
}

/// Shortens a user-supplied value for an error message (never echo megabytes back).
pub(crate) fn clip(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}
