//! What Telegram shows around a message's text (forward origin, quote, formatting, album, topic,
//! reactions, Business flags): kept by every store exactly as captured, and changed only by the
//! domain's rules.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use telegcrm_domain::event::{CapturedMessage, CapturedReaction, InboundEvent, ReactionChange};
use telegcrm_domain::model::{Poll, PollOption};
use telegcrm_domain::ports::Store;
use telegcrm_domain::{EntityKind, ExternalReply, ForwardKind, ForwardOrigin, MessageDetails, Quote, Reaction, TextEntity};

use super::Crm;
use crate::fixtures::{at, edit, incoming, msg, private_chat, zoe};

fn entity(kind: EntityKind, offset: u32, length: u32) -> TextEntity {
    TextEntity { kind, offset, length, url: None, user_id: None, language: None }
}

fn origin(kind: ForwardKind, name: &str, date: Option<DateTime<Utc>>) -> ForwardOrigin {
    ForwardOrigin {
        kind,
        name: name.to_owned(),
        telegram_id: Some(-1_001_234),
        username: None,
        message_id: Some(9),
        author_signature: None,
        date,
    }
}

/// Every kind of detail at once, with text that is not ASCII (offsets are in characters).
fn detailed(m: CapturedMessage) -> CapturedMessage {
    let details = MessageDetails {
        forward: Some(Box::new(ForwardOrigin {
            username: Some("news".into()),
            author_signature: Some("Éd".into()),
            ..origin(ForwardKind::Channel, "Новости", Some(at(-60)))
        })),
        quote: Some(Box::new(Quote { text: "the <b>part</b>".into(), position: 3, is_manual: true })),
        external_reply: Some(Box::new(ExternalReply {
            origin: origin(ForwardKind::Chat, "Team", None),
            chat_id: Some(-1_001_234),
            chat_title: Some("Team".into()),
            message_id: Some(5),
        })),
        entities: vec![
            entity(EntityKind::Bold, 0, 4),
            TextEntity { url: Some("https://example.test/?a=1&b=<2>".into()), ..entity(EntityKind::TextLink, 5, 3) },
            TextEntity { language: Some("rust".into()), ..entity(EntityKind::Pre, 9, 2) },
            TextEntity { user_id: Some(42), ..entity(EntityKind::TextMention, 0, 2) },
        ],
        media_group_id: Some("13579246801".into()),
        topic_id: Some(77),
        topic_name: Some("Заказы".into()),
        reactions: Vec::new(),
        sent_by_business_bot: true,
        from_offline: true,
        poll: Some(Box::new(Poll {
            question: "Lieferung: Montag oder Dienstag?".into(),
            options: vec![PollOption { text: "Montag".into(), voters: 3 }, PollOption { text: "Dienstag 🚚".into(), voters: 0 }],
            total_voters: 3,
            is_quiz: false,
            multiple_answers: true,
            is_anonymous: false,
            is_closed: true,
        })),
    };
    CapturedMessage { details, ..m }
}

/// A message's details read back exactly as captured; an edit changes its formatting and keeps
/// everything else.
pub async fn message_details_read_back_as_captured(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = detailed(incoming(&chat, 1, "Zoë 🙂 hi ok", at(1)));
    let plain = incoming(&chat, 2, "plain", at(2));
    crm.ingest([msg(m.clone()), msg(plain)]).await;
    let stored = crm.messages(&chat).await;
    let by_id = |id: i64| stored.iter().find(|s| s.telegram_message_id == id).cloned().unwrap();
    assert_eq!(by_id(1).details, m.details);
    assert!(by_id(2).details.is_empty());

    let mut edited = edit(&m, "Zoë 🙂 hi ok!", at(3));
    if let InboundEvent::Edit(e) = &mut edited {
        e.message.details.entities = vec![entity(EntityKind::Italic, 4, 1)];
    }
    assert_eq!(crm.ingest([edited]).await.edits_applied, 1);
    let after = crm.messages(&chat).await.into_iter().find(|s| s.telegram_message_id == 1).unwrap();
    assert_eq!(after.details.entities, vec![entity(EntityKind::Italic, 4, 1)]);
    assert_eq!(MessageDetails { entities: m.details.entities.clone(), ..after.details }, m.details, "the rest stays");
}

fn reaction(chat: &telegcrm_domain::event::ChatInfo, id: i64, user: i64, old: &[&str], new: &[&str]) -> InboundEvent {
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
    InboundEvent::Reaction(CapturedReaction {
        chat: chat.key.clone(),
        telegram_message_id: id,
        change: ReactionChange::User { user_id: Some(user), old: names(old), new: names(new) },
    })
}

/// Reactions change the message they are on, nothing else: counts per reaction, each person once,
/// Telegram's totals replace the counts, and a message whose last reaction goes reads back with
/// none. A reaction to a message the store does not hold is ignored.
pub async fn reactions_change_the_message_only(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Offer attached", at(1)))]).await;
    let before = crm.conversation(&chat).await;
    let report = crm
        .ingest([reaction(&chat, 1, 7, &[], &["👍"]), reaction(&chat, 1, 8, &[], &["👍", "🔥"]), reaction(&chat, 1, 7, &[], &["👍"])])
        .await;
    assert_eq!((report.reactions_applied, report.ignored), (2, 1), "a replayed change counts once");
    let m = crm.messages(&chat).await.remove(0);
    assert_eq!(
        m.details.reactions,
        vec![Reaction { emoji: "👍".into(), count: 2, user_ids: vec![7, 8] }, Reaction { emoji: "🔥".into(), count: 1, user_ids: vec![8] }]
    );
    let after = crm.conversation(&chat).await;
    assert_eq!(
        (after.unread_count, after.message_count, after.last_message_at),
        (before.unread_count, before.message_count, before.last_message_at)
    );

    let totals = InboundEvent::Reaction(CapturedReaction {
        chat: chat.key.clone(),
        telegram_message_id: 1,
        change: ReactionChange::Counts(vec![("🔥".into(), 12), ("custom:5368324170671202286".into(), 1)]),
    });
    assert_eq!(crm.ingest([totals, reaction(&chat, 99, 7, &[], &["👍"])]).await.ignored, 1, "no message 99");
    let m = crm.messages(&chat).await.remove(0);
    let counts: Vec<(&str, u32)> = m.details.reactions.iter().map(|r| (r.emoji.as_str(), r.count)).collect();
    assert_eq!(counts, vec![("🔥", 12), ("custom:5368324170671202286", 1)]);

    let cleared = InboundEvent::Reaction(CapturedReaction {
        chat: chat.key.clone(),
        telegram_message_id: 1,
        change: ReactionChange::Counts(Vec::new()),
    });
    crm.ingest([cleared]).await;
    assert!(crm.messages(&chat).await.remove(0).details.is_empty());
}

/// One forum topic's messages page through newest first, each once, none of another topic, on
/// the store's own cursor (`CrmService::topic_messages`).
pub async fn a_topics_messages_page_through_each_once(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = telegcrm_domain::event::ChatInfo {
        chat_type: telegcrm_domain::ChatType::Supergroup,
        ..crate::fixtures::group_chat(crm.owner, -1_007, "Forum")
    };
    let events = (1..=30).map(|i| {
        let topic = [None, Some(7), Some(8)][(i % 3) as usize];
        let m = incoming(&chat, i, &format!("message {i}"), at(i));
        msg(CapturedMessage { details: MessageDetails { topic_id: topic, ..MessageDetails::default() }, ..m })
    });
    crm.ingest(events.collect::<Vec<_>>()).await;
    let conv = crm.conversation(&chat).await;
    let seen = super::all_pages(4, async |p| crm.service.topic_messages(crm.owner, conv.id, 7, &p).await.unwrap()).await;
    let ids: Vec<i64> = seen.iter().map(|m| m.telegram_message_id).collect();
    let want: Vec<i64> = (1..=30).rev().filter(|i| i % 3 == 1).collect();
    assert_eq!(ids, want);
    let first = crm.service.topic_messages(crm.owner, conv.id, 7, &telegcrm_domain::PageRequest::first(3).unwrap()).await.unwrap();
    assert!(first.items.len() <= 3 && first.next_cursor.is_some());
    let other = crm.other_owner();
    assert!(
        other.service.topic_messages(other.owner, conv.id, 7, &telegcrm_domain::PageRequest::default()).await.is_err(),
        "another owner's conversation is not found"
    );
}
