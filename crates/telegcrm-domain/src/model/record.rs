//! One stored record of any kind: what an export writes and a restore reads back
//! (`telegcrm export`, `telegcrm import telegcrm-export`; docs/export.md).

use serde::{Deserialize, Serialize};

use super::{Contact, Conversation, FollowUp, Message};
use crate::ids::AvatarId;

/// A contact, conversation, message (with its edits) or follow-up, exactly as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Record {
    /// A contact.
    Contact(Contact),
    /// A conversation.
    Conversation(Conversation),
    /// A message, with its edit history and deletion mark.
    Message(Message),
    /// A follow-up.
    #[serde(rename = "followup")]
    FollowUp(FollowUp),
}

impl Record {
    /// The kind's name, as exports write it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Contact(_) => "contact",
            Self::Conversation(_) => "conversation",
            Self::Message(_) => "message",
            Self::FollowUp(_) => "followup",
        }
    }

    /// Whose record it is.
    pub fn owner(&self) -> AvatarId {
        match self {
            Self::Contact(c) => c.owner_avatar_id,
            Self::Conversation(c) => c.owner_avatar_id,
            Self::Message(m) => m.owner_avatar_id,
            Self::FollowUp(f) => f.owner_avatar_id,
        }
    }

    /// Gives the record to another owner (a restore into another avatar's CRM); ids stay.
    pub fn rehome(&mut self, owner: AvatarId) {
        match self {
            Self::Contact(c) => c.owner_avatar_id = owner,
            Self::Conversation(c) => c.owner_avatar_id = owner,
            Self::Message(m) => m.owner_avatar_id = owner,
            Self::FollowUp(f) => f.owner_avatar_id = owner,
        }
    }

    /// The record as an export writes it: a follow-up's `isOverdue` is worked out when it is
    /// read, not stored, so an export writes it `false` and two exports of the same store agree.
    #[must_use]
    pub fn as_exported(mut self) -> Self {
        if let Self::FollowUp(f) = &mut self {
            f.is_overdue = false;
        }
        self
    }
}
