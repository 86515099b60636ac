//! Enumerated values of the CRM. Each parses from its API string with an error that lists what is accepted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, clip};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The API string of this value.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // By hand: the derive cannot read a `rename` given through a macro fragment.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($text) { return Ok(Self::$variant); })+
                Err(ParseError::Invalid {
                    field: $field,
                    value: clip(s),
                    expected: concat!("one of ", $($text, " "),+),
                })
            }
        }
    };
}

string_enum!(
    /// How much a conversation or follow-up matters. Ordered: `Low < Medium < High < Urgent`.
    Priority, "priority", {
        /// Can wait.
        Low = "low",
        /// The default.
        Medium = "medium",
        /// Important.
        High = "high",
        /// Needs an answer now.
        Urgent = "urgent",
    }
);

impl Priority {
    /// A number that orders priorities (0 = low .. 3 = urgent), for stores that sort or compare in SQL.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
            Self::Urgent => 3,
        }
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

// The macro derives for every enum alike; only Priority has a default.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Self::Medium
    }
}

string_enum!(
    /// Where a conversation stands.
    ConversationStatus, "status", {
        /// The other side spoke last, or the owner is working on it.
        Active = "active",
        /// Put away; a new incoming message brings it back.
        Archived = "archived",
        /// The owner answered and waits for the other side.
        Waiting = "waiting",
    }
);

string_enum!(
    /// The kind of Telegram chat.
    ChatType, "chatType", {
        /// One-to-one.
        Private = "private",
        /// A basic group.
        Group = "group",
        /// A supergroup.
        Supergroup = "supergroup",
        /// A channel.
        Channel = "channel",
    }
);

string_enum!(
    /// The bot's standing in a chat, as Telegram last reported it (`my_chat_member`).
    BotMembershipState, "botMembership", {
        /// In the chat: messages arrive and sending works.
        Member = "member",
        /// An administrator (or the creator) of the chat.
        Administrator = "administrator",
        /// In the chat with restrictions set by an administrator.
        Restricted = "restricted",
        /// Not in the chat any more: it left or was removed without a ban.
        Left = "left",
        /// Removed and banned from a group, or blocked by the person of a private chat.
        Kicked = "kicked",
    }
);

impl BotMembershipState {
    /// Whether the bot is in the chat (messages can arrive and be sent).
    pub fn is_present(self) -> bool {
        !matches!(self, Self::Left | Self::Kicked)
    }
}

string_enum!(
    /// Who a forwarded message came from (Telegram's `MessageOrigin` types).
    ForwardKind, "forwardKind", {
        /// A Telegram user.
        User = "user",
        /// A user whose privacy settings hide their account: only a name is known.
        HiddenUser = "hidden_user",
        /// A group, on behalf of itself (an anonymous admin).
        Chat = "chat",
        /// A channel post.
        Channel = "channel",
    }
);
string_enum!(
    /// What a stretch of text is (Telegram's `MessageEntity` types).
    EntityKind, "entityKind", {
        /// Bold.
        Bold = "bold",
        /// Italic.
        Italic = "italic",
        /// Underlined.
        Underline = "underline",
        /// Struck through.
        Strikethrough = "strikethrough",
        /// Hidden until clicked.
        Spoiler = "spoiler",
        /// Inline code.
        Code = "code",
        /// A code block.
        Pre = "pre",
        /// A quotation.
        Blockquote = "blockquote",
        /// A quotation shown folded.
        ExpandableBlockquote = "expandable_blockquote",
        /// A clickable text with a URL.
        TextLink = "text_link",
        /// A mention of a user without a username.
        TextMention = "text_mention",
        /// `@username`.
        Mention = "mention",
        /// `#hashtag`.
        Hashtag = "hashtag",
        /// `$USD`.
        Cashtag = "cashtag",
        /// `/start`.
        BotCommand = "bot_command",
        /// A URL in the text.
        Url = "url",
        /// An e-mail address.
        Email = "email",
        /// A phone number.
        PhoneNumber = "phone_number",
        /// A custom emoji (shown as its fallback character).
        CustomEmoji = "custom_emoji",
    }
);
string_enum!(
    /// What a message carries.
    MessageType, "messageType", {
        /// Plain text.
        Text = "text",
        /// A photo.
        Photo = "photo",
        /// A video.
        Video = "video",
        /// A GIF or silent video.
        Animation = "animation",
        /// A music file.
        Audio = "audio",
        /// A voice note.
        Voice = "voice",
        /// A round video note.
        VideoNote = "video_note",
        /// Any other file.
        Document = "document",
        /// A sticker.
        Sticker = "sticker",
        /// A location.
        Location = "location",
        /// A venue.
        Venue = "venue",
        /// A shared contact.
        Contact = "contact",
        /// A poll.
        Poll = "poll",
        /// A dice roll.
        Dice = "dice",
        /// A service message (members joined or left, title changed, ...).
        Service = "service",
        /// Anything else.
        Other = "other",
    }
);

string_enum!(
    /// Which way a message went, seen from the owner.
    Direction, "direction", {
        /// From the other side to the owner.
        Incoming = "incoming",
        /// From the owner (or the bot on the owner's behalf).
        Outgoing = "outgoing",
    }
);

string_enum!(
    /// The state of a follow-up.
    FollowUpStatus, "status", {
        /// Still to do (overdue ones included).
        Pending = "pending",
        /// Done.
        Completed = "completed",
        /// Dropped.
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// A business category for a contact.
    ContactCategory, "category", {
        /// Pays us.
        Client = "client",
        /// Might pay us.
        Prospect = "prospect",
        /// Works with us.
        Partner = "partner",
        /// We pay them.
        Vendor = "vendor",
        /// Anything else.
        Other = "other",
    }
);

string_enum!(
    /// How the relationship with a contact stands.
    RelationshipStatus, "relationshipStatus", {
        /// Just appeared.
        New = "new",
        /// In touch.
        Active = "active",
        /// Gone quiet.
        Inactive = "inactive",
    }
);

string_enum!(
    /// Which follow-ups a listing shows.
    FollowUpView, "status", {
        /// Pending ones, overdue included.
        Pending = "pending",
        /// Pending ones whose due time has passed.
        Overdue = "overdue",
        /// Completed ones.
        Completed = "completed",
        /// Cancelled ones.
        Cancelled = "cancelled",
        /// Every follow-up.
        All = "all",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_value_round_trips_through_its_string() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), *p);
        }
        for t in MessageType::ALL {
            assert_eq!(t.as_str().parse::<MessageType>().unwrap(), *t);
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
    }

    #[test]
    fn parsing_ignores_case_and_surrounding_space() {
        assert_eq!(" URGENT ".parse::<Priority>().unwrap(), Priority::Urgent);
        assert_eq!("Waiting".parse::<ConversationStatus>().unwrap(), ConversationStatus::Waiting);
    }

    #[test]
    fn unknown_value_error_lists_the_accepted_values() {
        let text = "critical".parse::<Priority>().unwrap_err().to_string();
        assert!(text.contains("priority"), "{text}");
        assert!(text.contains("low medium high urgent"), "{text}");
    }

    #[test]
    fn priorities_are_ordered_by_urgency() {
        assert!(Priority::Low < Priority::Medium);
        assert!(Priority::High < Priority::Urgent);
        assert_eq!(Priority::ALL.iter().max(), Some(&Priority::Urgent));
    }
}

string_enum!(
    /// What a person changed, as the activity log records it ([`crate::model::Activity`]).
    ActivityKind, "kind", {
        /// Set a conversation's priority.
        Priority = "priority",
        /// Set a conversation's status.
        Status = "status",
        /// Added a tag to a conversation.
        TagAdded = "tag_added",
        /// Removed a tag from a conversation.
        TagRemoved = "tag_removed",
        /// Changed a conversation's tags, summary or custom fields at once.
        ConversationEdited = "conversation_edited",
        /// Assigned a conversation (or took it, or let it go).
        Assigned = "assigned",
        /// Changed a contact's fields.
        ContactEdited = "contact_edited",
        /// Linked a contact to an OASIS avatar.
        ContactLinked = "contact_linked",
        /// Unlinked a contact from its OASIS avatar.
        ContactUnlinked = "contact_unlinked",
        /// Created a follow-up.
        FollowUpCreated = "followup_created",
        /// Changed a follow-up.
        FollowUpEdited = "followup_edited",
        /// Completed a follow-up.
        FollowUpCompleted = "followup_completed",
        /// Cancelled a follow-up.
        FollowUpCancelled = "followup_cancelled",
        /// Snoozed a follow-up.
        FollowUpSnoozed = "followup_snoozed",
        /// Deleted a follow-up.
        FollowUpDeleted = "followup_deleted",
        /// Invited a member.
        MemberAdded = "member_added",
        /// Changed a member's role.
        MemberRoleChanged = "member_role_changed",
        /// Removed a member (or left).
        MemberRemoved = "member_removed",
    }
);

string_enum!(
    /// A person's role in a workspace. The owner is the avatar whose CRM it is; the others are
    /// members it (or an admin) invited. What each may do is [`Role::may`].
    Role, "role", {
        /// The avatar whose CRM it is: everything.
        Owner = "owner",
        /// Everything but what only the owner may do (linking the workspace's Telegram account).
        Admin = "admin",
        /// Works conversations: replies, priority, status, tags, follow-ups, contacts, assignment to self.
        Agent = "agent",
        /// Reads only.
        Viewer = "viewer",
    }
);
