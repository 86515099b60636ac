//! What Telegram says about a chat itself, beyond its messages: the bot's standing in it
//! (`my_chat_member`), and a group's move to a supergroup (`migrate_to_chat_id`).
//!
//! A group that becomes a supergroup is a new chat to Telegram, with its own message numbering
//! (the supergroup's messages start again at 1). Its conversation is therefore not renumbered:
//! the group's conversation keeps its history and points to the supergroup's
//! (`migratedToChatId`), and the supergroup's conversation carries on the CRM's work (tags,
//! priority, summary, custom fields) and points back (`migratedFromChatId`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Conversation;
use crate::ids::ConversationId;
use crate::tag::{MAX_TAGS, add_tag};
use crate::values::{BotMembershipState, ChatType, ConversationStatus};

/// The bot's standing in a chat, as Telegram last reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BotMembership {
    /// Member, administrator, restricted, left or kicked.
    pub state: BotMembershipState,
    /// When Telegram says it changed.
    pub since: DateTime<Utc>,
    /// Who changed it (the administrator who removed the bot, the person who blocked it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

/// Why Telegram no longer delivers in a chat ([`Conversation::silence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    /// The group became a supergroup.
    MovedToSupergroup,
    /// The person of a private chat blocked the bot.
    BlockedByPerson,
    /// The bot was removed from the channel.
    RemovedFromChannel,
    /// The bot was removed (and banned) from the group.
    RemovedFromGroup,
    /// The bot left the group, or was removed without a ban.
    LeftGroup,
}

impl Silence {
    /// A word or two for it (an inbox chip).
    pub fn label(self) -> &'static str {
        match self {
            Self::MovedToSupergroup => "moved to a supergroup",
            Self::BlockedByPerson => "blocked the bot",
            Self::RemovedFromChannel | Self::RemovedFromGroup => "bot removed",
            Self::LeftGroup => "bot left",
        }
    }
}

/// What Telegram says about the chat itself: the bot's standing in it, and a group's move to a
/// supergroup (the group's conversation keeps its history; the supergroup's carries on the work).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatState {
    /// The bot's standing, once Telegram reported a change of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_membership: Option<BotMembership>,
    /// The supergroup this group became: new messages arrive in that chat's conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_to_chat_id: Option<i64>,
    /// The supergroup's conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_to_conversation_id: Option<ConversationId>,
    /// The group this supergroup was, whose conversation holds the earlier history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from_chat_id: Option<i64>,
    /// The group's conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from_conversation_id: Option<ConversationId>,
}

impl ChatState {
    /// Whether Telegram said nothing about the chat itself.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Conversation {
    /// Records the bot's new standing in the chat; `false` when it is what is stored already
    /// (a redelivered update) or older than it.
    pub fn record_membership(
        &mut self,
        state: BotMembershipState,
        changed_by: Option<String>,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        if let Some(known) = &self.chat_state.bot_membership
            && (known.since > at || (known.since == at && known.state == state))
        {
            return false;
        }
        self.chat_state.bot_membership = Some(BotMembership { state, since: at, changed_by });
        self.updated_at = now;
        true
    }

    /// Why Telegram no longer delivers in this chat, if it does not: the group moved, or the
    /// bot was removed or blocked. (A Business chat does not depend on the bot's membership; its
    /// connection has rules of its own, [`crate::event::BusinessConnection`].)
    pub fn silence(&self) -> Option<Silence> {
        if self.chat_state.migrated_to_chat_id.is_some() {
            return Some(Silence::MovedToSupergroup);
        }
        let state = self
            .chat_state
            .bot_membership
            .as_ref()
            .map(|m| m.state)
            .filter(|s| !s.is_present() && self.business_connection_id.is_none())?;
        Some(match (self.chat_type, state) {
            (ChatType::Private, _) => Silence::BlockedByPerson,
            (ChatType::Channel, _) => Silence::RemovedFromChannel,
            (_, BotMembershipState::Kicked) => Silence::RemovedFromGroup,
            _ => Silence::LeftGroup,
        })
    }

    /// Why the CRM cannot send in this chat, in words for the owner; `None` when it may try.
    pub fn refusal_to_send(&self) -> Option<String> {
        let silence = self.silence()?;
        let membership = self.chat_state.bot_membership.as_ref();
        let by = membership.and_then(|m| m.changed_by.as_deref()).map(|n| format!(" by {n}")).unwrap_or_default();
        let on = membership.map(|m| m.since.format("%Y-%m-%d").to_string()).unwrap_or_default();
        Some(match silence {
            Silence::MovedToSupergroup => format!(
                "this group became a supergroup (chat {}); Telegram no longer delivers here: send in the supergroup's conversation",
                self.chat_state.migrated_to_chat_id.unwrap_or_default()
            ),
            Silence::BlockedByPerson => format!("this person blocked the bot on {on}; Telegram delivers nothing until they unblock it"),
            Silence::RemovedFromChannel => {
                format!("the bot was removed from this channel{by} on {on}; add it back in Telegram to post here")
            }
            Silence::RemovedFromGroup => format!("the bot was removed from this group{by} on {on}; add it back in Telegram to send here"),
            Silence::LeftGroup => format!("the bot left this group on {on}; add it back in Telegram to send here"),
        })
    }

    /// Marks this group as moved to the supergroup `to`: it is archived (Telegram sends nothing
    /// more here) and keeps its history. `false` when it was marked already.
    pub fn migrate_to(&mut self, to: &Conversation, now: DateTime<Utc>) -> bool {
        if self.chat_state.migrated_to_chat_id == Some(to.telegram_chat_id) {
            return false;
        }
        self.chat_state.migrated_to_chat_id = Some(to.telegram_chat_id);
        self.chat_state.migrated_to_conversation_id = Some(to.id);
        self.status = ConversationStatus::Archived;
        self.updated_at = now;
        true
    }

    /// Carries the CRM's work on the group `from` over to this, its supergroup: tags are joined
    /// (up to [`MAX_TAGS`]), the higher priority is kept (pinned if either was), and the
    /// summary and custom fields fill what this conversation does not have yet. `false` when
    /// it was carried over already.
    pub fn continue_from(&mut self, from: &Conversation, now: DateTime<Utc>) -> bool {
        if self.chat_state.migrated_from_chat_id == Some(from.telegram_chat_id) {
            return false;
        }
        self.chat_state.migrated_from_chat_id = Some(from.telegram_chat_id);
        self.chat_state.migrated_from_conversation_id = Some(from.id);
        for tag in &from.tags {
            if self.tags.len() < MAX_TAGS {
                add_tag(&mut self.tags, tag.clone());
            }
        }
        if from.priority > self.priority {
            self.priority = from.priority;
        }
        self.priority_manual |= from.priority_manual;
        if self.summary.is_none() {
            self.summary.clone_from(&from.summary);
        }
        for (key, value) in &from.custom_fields {
            self.custom_fields.entry(key.clone()).or_insert_with(|| value.clone());
        }
        if self.title.is_none() {
            self.title.clone_from(&from.title);
        }
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AvatarId;
    use crate::Tag;
    use crate::model::ChatKey;
    use crate::values::Priority;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn group(chat_id: i64) -> Conversation {
        let key = ChatKey { owner: AvatarId::new(), chat_id, business_connection_id: None };
        Conversation::open(&key, ChatType::Group, Some("Sales".into()), None, at(0))
    }

    #[test]
    fn a_removed_bot_refuses_sending_and_says_who_removed_it() {
        let mut c = group(-5);
        assert_eq!(c.refusal_to_send(), None);
        assert!(c.record_membership(BotMembershipState::Kicked, Some("Ann Admin".into()), at(10), at(11)));
        let why = c.refusal_to_send().unwrap();
        assert!(why.contains("removed from this group by Ann Admin"), "{why}");
        assert!(!c.record_membership(BotMembershipState::Kicked, Some("Ann Admin".into()), at(10), at(12)), "a redelivery changes nothing");
        assert!(!c.record_membership(BotMembershipState::Member, None, at(5), at(12)), "an older report does not win");
        assert!(c.record_membership(BotMembershipState::Member, None, at(20), at(21)));
        assert_eq!(c.refusal_to_send(), None, "re-added: sending works again");
    }

    #[test]
    fn the_silence_of_a_chat_names_why_and_a_business_chat_has_none_from_membership() {
        let mut c = group(-5);
        assert_eq!(c.silence(), None);
        c.record_membership(BotMembershipState::Left, None, at(1), at(1));
        assert_eq!(c.silence().map(Silence::label), Some("bot left"));
        c.record_membership(BotMembershipState::Kicked, None, at(2), at(2));
        assert_eq!(c.silence(), Some(Silence::RemovedFromGroup));
        c.business_connection_id = Some("bc".into());
        assert_eq!(c.silence(), None, "a Business chat does not depend on the bot's membership");
        c.chat_state.migrated_to_chat_id = Some(-1005);
        assert_eq!(c.silence(), Some(Silence::MovedToSupergroup));
    }

    #[test]
    fn a_blocked_bot_in_a_private_chat_says_the_person_blocked_it() {
        let key = ChatKey { owner: AvatarId::new(), chat_id: 42, business_connection_id: None };
        let mut c = Conversation::open(&key, ChatType::Private, None, None, at(0));
        c.record_membership(BotMembershipState::Kicked, None, at(3), at(3));
        assert!(c.refusal_to_send().unwrap().contains("blocked the bot"));
    }

    #[test]
    fn a_migrated_group_is_archived_and_its_work_carries_over_once() {
        let mut old = group(-5);
        old.tags = vec![Tag::parse("vip").unwrap()];
        old.priority = Priority::High;
        old.priority_manual = true;
        old.summary = Some("Big deal".into());
        old.custom_fields.insert("deal".into(), serde_json::json!(5));
        let mut new = group(-1005);
        new.custom_fields.insert("deal".into(), serde_json::json!(7));

        assert!(new.continue_from(&old, at(1)));
        assert!(old.migrate_to(&new, at(1)));
        assert_eq!(
            (old.chat_state.migrated_to_conversation_id, new.chat_state.migrated_from_conversation_id),
            (Some(new.id), Some(old.id))
        );
        assert_eq!(old.status, ConversationStatus::Archived);
        assert!(old.refusal_to_send().unwrap().contains("supergroup"));
        assert_eq!(new.chat_state.migrated_from_chat_id, Some(-5));
        assert_eq!((new.priority, new.priority_manual), (Priority::High, true));
        assert_eq!(new.tags, old.tags);
        assert_eq!(new.summary.as_deref(), Some("Big deal"));
        assert_eq!(new.custom_fields["deal"], 7, "the supergroup's own value stays");
        assert!(!new.continue_from(&old, at(2)) && !old.migrate_to(&new.clone(), at(2)), "the second service message changes nothing");
    }
}
