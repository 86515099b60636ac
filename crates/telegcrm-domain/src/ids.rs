//! Identifier newtypes: a `ConversationId` can never be passed where a `ContactId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| ParseError::Invalid {
                    field: $field,
                    value: crate::error::clip(s),
                    expected: "a UUID such as 0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b",
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

uuid_id!(
    /// An OASIS avatar: the owner of CRM data, or an avatar a contact is linked to.
    AvatarId,
    "avatarId"
);
uuid_id!(
    /// A conversation (one Telegram chat of one owner).
    ConversationId,
    "conversationId"
);
uuid_id!(
    /// A stored message.
    MessageId,
    "messageId"
);
uuid_id!(
    /// A contact of one owner.
    ContactId,
    "contactId"
);
uuid_id!(
    /// A follow-up reminder.
    FollowUpId,
    "followUpId"
);
uuid_id!(
    /// An internal note on a conversation.
    NoteId,
    "noteId"
);
uuid_id!(
    /// An entry of a workspace's activity log.
    ActivityId,
    "activityId"
);
uuid_id!(
    /// A canned reply of a workspace.
    CannedReplyId,
    "cannedReplyId"
);
uuid_id!(
    /// An import job (an uploaded export imported in the background).
    ImportJobId,
    "importJobId"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_string_form() {
        let id = ConversationId::new();
        let back: ConversationId = id.to_string().parse().unwrap();
        assert_eq!(id, back);
    }

    #[test]
    fn malformed_id_names_the_field_and_the_value() {
        let err = "not-a-uuid".parse::<ContactId>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("contactId"), "{text}");
        assert!(text.contains("not-a-uuid"), "{text}");
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = MessageId::new();
        let b = MessageId::new();
        assert!(a < b);
    }
}
