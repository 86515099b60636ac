//! Pure mapping from Telegram updates to the domain's inbound events.
//!
//! Who owns what is decided before mapping (see [`crate::ownership`]) and passed in as a
//! [`MapContext`], so these functions do no I/O.

use chrono::{DateTime, Utc};
use telegcrm_domain::event::{
    BusinessConnection, BusinessRights, CapturedDeletion, CapturedEdit, CapturedMembership, CapturedMessage, CapturedMigration,
    CapturedReaction, ChatInfo, InboundEvent, ReactionChange, TelegramUser,
};
use telegcrm_domain::{AvatarId, BotMembershipState, ChatKey, ChatType, Direction};

use crate::content::content_of;
use crate::details::details_of;
use crate::update::{Update, UpdateKind};
use crate::wire::{self, Message};

/// What mapping needs to know beyond the update itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapContext {
    /// The avatar that owns the update's chat.
    pub owner: AvatarId,
    /// Our bot's user id: messages it sent are outgoing.
    pub bot_id: Option<i64>,
    /// For business updates, the Telegram user of the connection (the business account), when known.
    pub business_user_id: Option<i64>,
}

/// Maps an update to its event; `now` dates deletions (Telegram does not say when they happened).
pub fn map_update(update: &Update, ctx: &MapContext, now: DateTime<Utc>) -> InboundEvent {
    match &update.kind {
        UpdateKind::Message(m) | UpdateKind::ChannelPost(m) => match map_migration(m, ctx) {
            Some(migration) => InboundEvent::Migration(Box::new(migration)),
            None => InboundEvent::Message(map_message(m, ctx)),
        },
        UpdateKind::BusinessMessage(m) => InboundEvent::Message(map_message(m, ctx)),
        UpdateKind::MyChatMember(u) => InboundEvent::Membership(map_membership(u, ctx.owner)),
        UpdateKind::EditedMessage(m) | UpdateKind::EditedChannelPost(m) | UpdateKind::EditedBusinessMessage(m) => {
            InboundEvent::Edit(map_edit(m, ctx))
        }
        UpdateKind::BusinessConnection(c) => InboundEvent::BusinessConnection(map_business_connection(c, ctx.owner)),
        UpdateKind::DeletedBusinessMessages(d) => InboundEvent::Deletion(map_deletion(d, ctx.owner, now)),
        UpdateKind::MessageReaction(r) => InboundEvent::Reaction(CapturedReaction {
            chat: ChatKey { owner: ctx.owner, chat_id: r.chat.id, business_connection_id: None },
            telegram_message_id: r.message_id,
            change: ReactionChange::User {
                user_id: r.user.as_ref().map(|u| u.id),
                old: r.old_reaction.iter().filter_map(wire::ReactionType::name).collect(),
                new: r.new_reaction.iter().filter_map(wire::ReactionType::name).collect(),
            },
        }),
        UpdateKind::MessageReactionCount(r) => InboundEvent::Reaction(CapturedReaction {
            chat: ChatKey { owner: ctx.owner, chat_id: r.chat.id, business_connection_id: None },
            telegram_message_id: r.message_id,
            change: ReactionChange::Counts(r.reactions.iter().filter_map(|c| Some((c.kind.name()?, c.total_count))).collect()),
        }),
    }
}

/// A message as the CRM captures it.
pub fn map_message(m: &Message, ctx: &MapContext) -> CapturedMessage {
    let content = content_of(m);
    let direction = direction_of(m, ctx);
    let chat_type = chat_type_of(&m.chat);
    let counterpart = (chat_type == ChatType::Private).then(|| counterpart_of(m, direction));
    let title = match &counterpart {
        Some(user) => Some(user.full_name()).filter(|n| !n.is_empty()),
        None => m.chat.title.clone(),
    };
    CapturedMessage {
        chat: ChatInfo {
            key: ChatKey { owner: ctx.owner, chat_id: m.chat.id, business_connection_id: m.business_connection_id.clone() },
            chat_type,
            title,
            counterpart,
        },
        telegram_message_id: m.message_id,
        direction,
        // A message sent on behalf of a chat (channel, anonymous admin) has a placeholder `from`.
        sender: if m.sender_chat.is_some() { None } else { m.from.as_ref().map(user_of) },
        text: content.text.clone(),
        message_type: content.message_type,
        media: content.media,
        reply_to_telegram_message_id: m.reply_to_message.as_ref().map(|r| r.message_id),
        sent_at: timestamp(m.date),
        details: details_of(m, &content.text),
    }
}

/// The bot's new standing in a chat. Telegram's `creator` counts as an administrator, and a
/// `restricted` bot that is no longer a member as one that left; an unknown status as a member
/// (updates keep arriving, so the bot is evidently there).
pub fn map_membership(u: &wire::ChatMemberUpdated, owner: AvatarId) -> CapturedMembership {
    let state = match u.new_chat_member.status.as_str() {
        "creator" | "administrator" => BotMembershipState::Administrator,
        "restricted" if u.new_chat_member.is_member == Some(false) => BotMembershipState::Left,
        "restricted" => BotMembershipState::Restricted,
        "left" => BotMembershipState::Left,
        "kicked" => BotMembershipState::Kicked,
        _ => BotMembershipState::Member,
    };
    let chat_type = chat_type_of(&u.chat);
    let counterpart = (chat_type == ChatType::Private).then(|| chat_user(&u.chat));
    let title = match &counterpart {
        Some(user) => Some(user.full_name()).filter(|n| !n.is_empty()),
        None => u.chat.title.clone(),
    };
    CapturedMembership {
        chat: ChatInfo { key: ChatKey { owner, chat_id: u.chat.id, business_connection_id: None }, chat_type, title, counterpart },
        state,
        changed_by: u.from.as_ref().map(user_of),
        at: timestamp(u.date),
    }
}

/// A group's move to a supergroup, from either of its service messages: `migrate_to_chat_id`
/// in the group, `migrate_from_chat_id` in the supergroup. `None` for other messages.
pub fn map_migration(m: &Message, ctx: &MapContext) -> Option<CapturedMigration> {
    // Some libraries write absent ids as 0: no chat has id 0.
    let id_of = |field: &str| m.rest.get(field).and_then(serde_json::Value::as_i64).filter(|id| *id != 0);
    let key = |chat_id| ChatKey { owner: ctx.owner, chat_id, business_connection_id: None };
    let (from, to) = match (id_of("migrate_to_chat_id"), id_of("migrate_from_chat_id")) {
        (Some(to), _) => (m.chat.id, to),
        (None, Some(from)) => (from, m.chat.id),
        (None, None) => return None,
    };
    Some(CapturedMigration {
        message: map_message(m, ctx),
        from: key(from),
        to: ChatInfo { key: key(to), chat_type: ChatType::Supergroup, title: m.chat.title.clone(), counterpart: None },
    })
}

/// An edited message as the CRM captures it; dated by `edit_date` (or `date` when absent).
pub fn map_edit(m: &Message, ctx: &MapContext) -> CapturedEdit {
    CapturedEdit { message: map_message(m, ctx), edited_at: timestamp(m.edit_date.unwrap_or(m.date)) }
}

/// A business connection change, owned by `owner`.
pub fn map_business_connection(c: &wire::BusinessConnection, owner: AvatarId) -> BusinessConnection {
    BusinessConnection {
        id: c.id.clone(),
        owner,
        user: user_of(&c.user),
        user_chat_id: c.user_chat_id,
        is_enabled: c.is_enabled,
        can_reply: c.rights.as_ref().map(|r| r.can_reply).or(c.can_reply).unwrap_or(false),
        rights: c
            .rights
            .as_ref()
            .map(|r| BusinessRights {
                can_read_messages: r.can_read_messages,
                can_delete_sent_messages: r.can_delete_sent_messages,
                can_delete_all_messages: r.can_delete_all_messages,
            })
            .unwrap_or_default(),
        date: timestamp(c.date),
    }
}

/// Deleted business messages; `now` is when we learned of it.
pub fn map_deletion(d: &wire::BusinessMessagesDeleted, owner: AvatarId, now: DateTime<Utc>) -> CapturedDeletion {
    CapturedDeletion {
        chat: ChatKey { owner, chat_id: d.chat.id, business_connection_id: Some(d.business_connection_id.clone()) },
        telegram_message_ids: d.message_ids.clone(),
        deleted_at: now,
    }
}

/// Which way a message went, seen from the owner.
///
/// Business messages are the owner's own when the business account sent them (or our bot on its
/// behalf); when the connection is unknown, a private chat's id is the other person's, so a sender
/// other than the chat is the owner. Elsewhere only what our bot sent is outgoing.
pub fn direction_of(m: &Message, ctx: &MapContext) -> Direction {
    let from = m.from.as_ref().map(|u| u.id);
    let outgoing = if m.business_connection_id.is_some() {
        m.sender_business_bot.is_some()
            || match ctx.business_user_id {
                Some(owner) => from == Some(owner),
                None => chat_type_of(&m.chat) == ChatType::Private && from.is_some_and(|id| id != m.chat.id),
            }
    } else {
        ctx.bot_id.is_some() && from == ctx.bot_id
    };
    if outgoing { Direction::Outgoing } else { Direction::Incoming }
}

/// The other person of a private chat: the sender of an incoming message when it is the chat's
/// user, else the person the chat's own fields describe.
fn counterpart_of(m: &Message, direction: Direction) -> TelegramUser {
    match &m.from {
        Some(from) if direction == Direction::Incoming && from.id == m.chat.id => user_of(from),
        _ => chat_user(&m.chat),
    }
}

/// The person of a private chat, as the chat's own fields describe them.
fn chat_user(chat: &wire::Chat) -> TelegramUser {
    TelegramUser {
        id: chat.id,
        is_bot: false,
        first_name: chat.first_name.clone().unwrap_or_default(),
        last_name: chat.last_name.clone(),
        username: chat.username.clone(),
        language_code: None,
        phone_number: None,
    }
}

/// A Telegram user in the domain's terms.
pub fn user_of(u: &wire::User) -> TelegramUser {
    TelegramUser {
        id: u.id,
        is_bot: u.is_bot,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        language_code: u.language_code.clone(),
        phone_number: None,
    }
}

/// The chat's kind; an unknown kind counts as a group.
pub fn chat_type_of(chat: &wire::Chat) -> ChatType {
    match chat.kind.as_str() {
        "private" => ChatType::Private,
        "supergroup" => ChatType::Supergroup,
        "channel" => ChatType::Channel,
        _ => ChatType::Group,
    }
}

fn timestamp(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}
