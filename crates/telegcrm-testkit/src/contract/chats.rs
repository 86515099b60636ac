//! What Telegram says about a chat itself: the bot's standing in it (`my_chat_member`) and a
//! group's move to a supergroup (`migrate_to_chat_id`). Kept by every store as the domain's
//! rules set it.

use std::sync::Arc;

use telegcrm_domain::event::{CapturedMembership, CapturedMigration, ChatInfo, InboundEvent};
use telegcrm_domain::ports::Store;
use telegcrm_domain::service::ConversationUpdate;
use telegcrm_domain::{BotMembershipState, ChatType, ConversationStatus, Priority};

use super::Crm;
use crate::fixtures::{alexey, at, group_chat, incoming, msg, private_chat, tag, zoe};

fn membership(chat: &ChatInfo, state: BotMembershipState, minutes: i64) -> InboundEvent {
    InboundEvent::Membership(CapturedMembership { chat: chat.clone(), state, changed_by: Some(alexey()), at: at(minutes) })
}

/// The bot removed from a group marks its conversation (who, when), and its order and unread
/// count stay; re-added, the mark says so. A bot added to a chat never seen opens it; one removed
/// from a chat never seen leaves no trace. A blocked bot in a private chat is marked too.
pub async fn the_bots_standing_in_a_chat_is_kept(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let sales = group_chat(crm.owner, -100, "Sales");
    crm.ingest([msg(incoming(&sales, 1, "Hi all", at(1)))]).await;
    let before = crm.conversation(&sales).await;
    let report = crm.ingest([membership(&sales, BotMembershipState::Kicked, 5), membership(&sales, BotMembershipState::Kicked, 5)]).await;
    assert_eq!((report.chat_changes, report.ignored), (1, 1), "a redelivery counts once");
    let after = crm.conversation(&sales).await;
    let m = after.chat_state.bot_membership.clone().expect("the mark");
    assert_eq!((m.state, m.since, m.changed_by.as_deref()), (BotMembershipState::Kicked, at(5), Some("Алексей Смирнов")));
    assert_eq!((after.unread_count, after.last_message_at, after.message_count), (before.unread_count, before.last_message_at, 1));
    assert!(after.refusal_to_send().is_some());

    crm.ingest([membership(&sales, BotMembershipState::Administrator, 9)]).await;
    let back = crm.conversation(&sales).await;
    assert_eq!(back.chat_state.bot_membership.as_ref().map(|m| m.state), Some(BotMembershipState::Administrator));
    assert_eq!(back.refusal_to_send(), None);

    let new_group = group_chat(crm.owner, -200, "Partners");
    let gone = group_chat(crm.owner, -300, "Never seen");
    let report =
        crm.ingest([membership(&new_group, BotMembershipState::Member, 10), membership(&gone, BotMembershipState::Left, 10)]).await;
    assert_eq!((report.chat_changes, report.ignored), (1, 1));
    let opened = crm.conversation(&new_group).await;
    assert_eq!((opened.message_count, opened.title.as_deref()), (0, Some("Partners")));
    assert!(crm.find_conversation(&gone).await.is_none());

    let private = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&private, 1, "Thanks", at(2))), membership(&private, BotMembershipState::Kicked, 12)]).await;
    let blocked = crm.conversation(&private).await;
    assert!(blocked.refusal_to_send().is_some_and(|why| why.contains("blocked")));
    assert_eq!(blocked.contact_name.as_deref(), Some("Zoë Ünal"), "the contact stays linked");
}

/// A group that becomes a supergroup: the group's conversation keeps its history and is
/// archived, pointing to the supergroup; the supergroup's conversation takes over the tags,
/// the priority and the summary, points back, and numbers its messages afresh without meeting
/// the group's. Telegram says it in both chats (each notice is stored as a message): the second
/// time moves nothing.
pub async fn a_group_moved_to_a_supergroup_carries_its_work_over(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let group = group_chat(crm.owner, -100, "Sales");
    crm.ingest([msg(incoming(&group, 1, "Old news", at(1))), msg(incoming(&group, 2, "More", at(2)))]).await;
    let old = crm.conversation(&group).await;
    let change = ConversationUpdate {
        priority: Some(Priority::High),
        tags: Some(vec![tag("deal")]),
        summary: Some(Some("Q3 order".into())),
        ..Default::default()
    };
    crm.service.update_conversation(&crm.me(), old.id, change).await.unwrap();

    let supergroup = ChatInfo { chat_type: ChatType::Supergroup, ..group_chat(crm.owner, -1_000_000_000_100, "Sales") };
    // Telegram says it in the group (`migrate_to_chat_id`) and in the supergroup (`migrate_from_chat_id`).
    let said_in = |chat: &ChatInfo, id: i64| {
        InboundEvent::Migration(Box::new(CapturedMigration {
            message: incoming(chat, id, "upgraded the group to a supergroup", at(3)),
            from: group.key.clone(),
            to: supergroup.clone(),
        }))
    };
    let report =
        crm.ingest([said_in(&group, 3), said_in(&supergroup, 1), msg(incoming(&supergroup, 2, "First in the supergroup", at(4)))]).await;
    assert_eq!((report.chat_changes, report.messages_stored), (1, 3), "the second notice moves nothing");

    let old = crm.conversation(&group).await;
    assert_eq!(
        (old.status, old.chat_state.migrated_to_chat_id, old.message_count),
        (ConversationStatus::Archived, Some(-1_000_000_000_100), 3)
    );
    assert_eq!(crm.messages(&group).await.len(), 3, "the history stays where Telegram numbered it");
    let new = crm.conversation(&supergroup).await;
    assert_eq!(new.chat_state.migrated_from_chat_id, Some(-100));
    assert_eq!((new.priority, new.tags.clone(), new.summary.as_deref()), (Priority::High, vec![tag("deal")], Some("Q3 order")));
    assert_eq!(crm.message(&supergroup, 2).await.content, "First in the supergroup");
    assert_eq!(crm.message(&group, 2).await.content, "More", "the group's message 2 is its own");
    assert!(old.refusal_to_send().is_some() && new.refusal_to_send().is_none());
    assert_eq!((old.chat_state.migrated_to_conversation_id, new.chat_state.migrated_from_conversation_id), (Some(new.id), Some(old.id)));

    // A supergroup's notice about a group never seen: its message is stored, nothing moves.
    let elsewhere = group_chat(crm.owner, -1_000_000_000_555, "Elsewhere");
    let report = crm
        .ingest([InboundEvent::Migration(Box::new(CapturedMigration {
            message: incoming(&elsewhere, 1, "upgraded the group to a supergroup", at(5)),
            from: telegcrm_domain::ChatKey { chat_id: -555, ..group.key.clone() },
            to: elsewhere.clone(),
        }))])
        .await;
    assert_eq!((report.messages_stored, report.chat_changes), (1, 0));
    assert!(crm.conversation(&elsewhere).await.chat_state.is_empty());
}
