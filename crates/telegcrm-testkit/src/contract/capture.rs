//! Capture rules: what ingesting Telegram messages, edits and deletions does to the CRM.

use std::sync::Arc;

use telegcrm_domain::event::{BusinessConnection, CapturedMessage, HistoricalMessage, InboundEvent};
use telegcrm_domain::model::MAX_KEPT_EDITS;
use telegcrm_domain::ports::Store;
use telegcrm_domain::{ConversationStatus, Direction, MessageEdit, MessageType, Priority};

use super::Crm;
use crate::fixtures::{at, business_connection, deletion, document, edit, incoming, msg, outgoing, photo, private_chat, zoe};

/// Redelivery of a stored message (owner, chat, connection, id) changes nothing.
pub async fn same_message_twice_is_stored_once(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let hello = incoming(&chat, 101, "Hallo! Haben Sie das Angebot bekommen?", at(1));
    let first = crm.ingest([msg(hello.clone())]).await;
    let before = crm.conversation(&chat).await;
    let again = crm.ingest([msg(hello)]).await;
    assert_eq!(first.messages_stored, 1);
    assert_eq!((again.messages_stored, again.duplicates), (0, 1));
    assert_eq!(crm.conversation(&chat).await, before);
    assert_eq!((before.message_count, before.unread_count), (1, 1));
    assert_eq!(crm.messages(&chat).await.len(), 1);
    assert_eq!(crm.contact(zoe().id).await.total_messages, 1);
    assert_eq!(crm.conversations(&Default::default()).await.len(), 1);
}

/// A batch that carries the same message twice stores it once.
pub async fn same_message_twice_in_one_batch_is_stored_once(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let a = incoming(&chat, 1, "Guten Morgen", at(1));
    let b = incoming(&chat, 2, "Können wir telefonieren?", at(2));
    let report = crm.ingest([msg(a.clone()), msg(a), msg(b)]).await;
    assert_eq!((report.messages_stored, report.duplicates), (2, 1));
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.message_count, conv.unread_count), (2, 2));
    let ids: Vec<i64> = crm.messages(&chat).await.iter().map(|m| m.telegram_message_id).collect();
    assert_eq!(ids, [2, 1]);
}

/// Telegram redelivering an already read message does not make it unread again.
pub async fn redelivery_after_reading_leaves_the_conversation_read(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 5, "Danke für die schnelle Antwort!", at(1));
    crm.ingest([msg(m.clone())]).await;
    crm.clock.set(at(10));
    let id = crm.conversation(&chat).await.id;
    let read = crm.service.mark_read(&crm.me(), id).await.unwrap();
    crm.ingest([msg(m)]).await;
    let after = crm.conversation(&chat).await;
    assert_eq!(after, read);
    assert_eq!(after.unread_count, 0);
    assert!(crm.message(&chat, 5).await.is_read);
}

/// An edit keeps each earlier text in `edits`, oldest first, and sets `editedAt`.
pub async fn edit_keeps_the_earlier_text_in_history(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 7, "Treffen um 10 Uhr?", at(1));
    crm.ingest([msg(m.clone())]).await;
    let r1 = crm.ingest([edit(&m, "Treffen um 11 Uhr?", at(5))]).await;
    let r2 = crm.ingest([edit(&m, "Treffen um 11:30 Uhr?", at(8))]).await;
    assert_eq!((r1.edits_applied, r2.edits_applied), (1, 1));
    let stored = crm.message(&chat, 7).await;
    assert_eq!(stored.content, "Treffen um 11:30 Uhr?");
    assert_eq!(stored.edited_at, Some(at(8)));
    assert_eq!(
        stored.edits,
        [
            MessageEdit { content: "Treffen um 10 Uhr?".into(), edited_at: at(5), omitted_before: 0 },
            MessageEdit { content: "Treffen um 11 Uhr?".into(), edited_at: at(8), omitted_before: 0 },
        ]
    );
    assert_eq!(stored.sent_at, at(1));
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.message_count, conv.unread_count), (1, 1), "an edit is not a new message");
    assert_eq!(conv.last_message_preview.as_deref(), Some("Treffen um 11:30 Uhr?"));
}

/// A message edited past the history cap keeps its text as sent and the latest versions, and
/// counts the versions it dropped.
pub async fn edit_history_is_capped_keeping_the_first_and_latest_versions(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 7, "version 0", at(1));
    crm.ingest([msg(m.clone())]).await;
    let edits = MAX_KEPT_EDITS + 10;
    for n in 1..=edits {
        crm.ingest([edit(&m, &format!("version {n}"), at(1 + n as i64))]).await;
    }
    let stored = crm.message(&chat, 7).await;
    assert_eq!(stored.content, format!("version {edits}"));
    assert_eq!(stored.edits.len(), MAX_KEPT_EDITS, "the history is capped");
    assert_eq!(stored.edits[0].content, "version 0", "the text as sent is kept");
    assert_eq!(stored.edits[0].omitted_before, 0);
    assert_eq!(stored.edits[1].omitted_before, 10, "the dropped versions are counted where they were");
    assert_eq!(stored.edits[1].content, "version 11");
    assert_eq!(stored.edits.last().unwrap().content, format!("version {}", edits - 1));
    assert_eq!(stored.edit_count(), edits as u64);
}

/// The same edit delivered again, or an edit older than the last one applied, changes nothing.
pub async fn replayed_or_stale_edit_changes_nothing(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 7, "Preis: 120 €", at(1));
    crm.ingest([msg(m.clone())]).await;
    crm.ingest([edit(&m, "Preis: 150 €", at(5))]).await;
    let before = crm.message(&chat, 7).await;
    let replay = crm.ingest([edit(&m, "Preis: 150 €", at(5))]).await;
    let stale = crm.ingest([edit(&m, "Preis: 130 €", at(3))]).await;
    assert_eq!((replay.edits_applied, replay.ignored), (0, 1));
    assert_eq!((stale.edits_applied, stale.ignored), (0, 1));
    assert_eq!(crm.message(&chat, 7).await, before);
    assert_eq!(before.edits.len(), 1);
}

/// An edit of a message never seen stores the message as it now reads.
pub async fn edit_of_an_unseen_message_stores_it(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 42, "Bestellung: 12 Stück", at(1));
    let report = crm.ingest([edit(&m, "Bestellung: 15 Stück", at(9))]).await;
    assert_eq!(report.messages_stored, 1);
    let stored = crm.message(&chat, 42).await;
    assert_eq!(stored.content, "Bestellung: 15 Stück");
    assert_eq!(stored.edited_at, Some(at(9)));
    assert!(stored.edits.is_empty());
    assert_eq!(crm.conversation(&chat).await.message_count, 1);
}

/// A deletion sets `deletedAt` and keeps the content; the message stays in the conversation.
pub async fn deletion_keeps_content_and_sets_deleted_at(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([
        msg(incoming(&chat, 1, "Meine IBAN ist DE89 3704 0044 0532 0130 00", at(1))),
        msg(incoming(&chat, 2, "Sorry, falsch", at(2))),
    ])
    .await;
    let report = crm.ingest([deletion(&chat, &[1], at(20))]).await;
    assert_eq!(report.deletions_applied, 1);
    let deleted = crm.message(&chat, 1).await;
    assert_eq!(deleted.deleted_at, Some(at(20)));
    assert_eq!(deleted.content, "Meine IBAN ist DE89 3704 0044 0532 0130 00");
    assert_eq!(crm.message(&chat, 2).await.deleted_at, None);
    assert_eq!(crm.messages(&chat).await.len(), 2);
    let again = crm.ingest([deletion(&chat, &[1], at(30))]).await;
    assert_eq!((again.deletions_applied, again.ignored), (0, 1));
    assert_eq!(crm.message(&chat, 1).await.deleted_at, Some(at(20)), "the first deletion time stays");
}

/// Deleting messages that were never stored stores nothing.
pub async fn deletion_of_an_unknown_message_changes_nothing(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let report = crm.ingest([deletion(&chat, &[9, 10], at(5))]).await;
    assert_eq!((report.deletions_applied, report.ignored), (0, 2));
    assert!(crm.find_conversation(&chat).await.is_none(), "a deletion opens no conversation");
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    let before = crm.conversation(&chat).await;
    let report = crm.ingest([deletion(&chat, &[999], at(6))]).await;
    assert_eq!(report.ignored, 1);
    assert_eq!(crm.conversation(&chat).await, before);
    assert_eq!(crm.messages(&chat).await.len(), 1);
}

/// The unread count has no ceiling (the original stopped counting at ten).
pub async fn unread_count_goes_past_ten(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    for batch in 0..5 {
        let events = (0..5).map(|i| {
            let n = batch * 5 + i + 1;
            msg(incoming(&chat, n, &format!("Nachricht Nummer {n}"), at(n)))
        });
        crm.ingest(events).await;
    }
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.unread_count, conv.message_count), (25, 25));
    assert_eq!(crm.messages(&chat).await.iter().filter(|m| !m.is_read).count(), 25);
}

/// A new incoming message brings an archived or waiting conversation back to active.
pub async fn incoming_message_reactivates_archived_and_waiting_conversations(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    let id = crm.conversation(&chat).await.id;
    assert_eq!(crm.service.set_status(&crm.me(), id, ConversationStatus::Archived).await.unwrap().status, ConversationStatus::Archived);
    crm.ingest([msg(incoming(&chat, 2, "Noch da?", at(2)))]).await;
    assert_eq!(crm.conversation(&chat).await.status, ConversationStatus::Active);
    crm.service.set_status(&crm.me(), id, ConversationStatus::Waiting).await.unwrap();
    crm.ingest([msg(incoming(&chat, 3, "Hallo?", at(3)))]).await;
    assert_eq!(crm.conversation(&chat).await.status, ConversationStatus::Active);
}

/// The owner answering zeroes unread, marks the answer read and waits for the other side.
pub async fn outgoing_message_zeroes_unread_and_waits_for_the_other_side(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest((1..=3).map(|n| msg(incoming(&chat, n, "Frage", at(n))))).await;
    crm.ingest([msg(outgoing(&chat, 4, "Bonjour Zoë, je regarde ça.", at(4)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!(conv.unread_count, 0);
    assert_eq!(conv.status, ConversationStatus::Waiting);
    assert_eq!(conv.last_read_at, Some(at(4)));
    assert_eq!(conv.message_count, 4);
    let answer = crm.message(&chat, 4).await;
    assert!(answer.is_read);
    assert_eq!(answer.direction, Direction::Outgoing);
    assert_eq!(answer.from_name.as_deref(), Some("Inès Moreau"));
    crm.ingest([msg(incoming(&chat, 5, "Merci!", at(5)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.unread_count, conv.status), (1, ConversationStatus::Active));
}

/// Marking read zeroes unread and marks every message read; later messages count again.
pub async fn mark_read_zeroes_unread_and_marks_every_message_read(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest((1..=3).map(|n| msg(incoming(&chat, n, "Eine Frage", at(n))))).await;
    crm.clock.set(at(10));
    let id = crm.conversation(&chat).await.id;
    let conv = crm.service.mark_read(&crm.me(), id).await.unwrap();
    assert_eq!((conv.unread_count, conv.last_read_at), (0, Some(at(10))));
    assert!(crm.messages(&chat).await.iter().all(|m| m.is_read));
    crm.ingest([msg(incoming(&chat, 4, "Noch eine", at(11)))]).await;
    assert_eq!(crm.conversation(&chat).await.unread_count, 1);
    assert!(!crm.message(&chat, 4).await.is_read);
}

/// A message delivered late, older than the newest, does not become the preview.
pub async fn late_older_message_does_not_replace_the_preview(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 2, "Zweite Nachricht", at(10)))]).await;
    crm.ingest([msg(incoming(&chat, 1, "Erste Nachricht (verspätet)", at(5)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!(conv.last_message_at, at(10));
    assert_eq!(conv.last_message_preview.as_deref(), Some("Zweite Nachricht"));
    assert_eq!(conv.message_count, 2);
    let order: Vec<i64> = crm.messages(&chat).await.iter().map(|m| m.telegram_message_id).collect();
    assert_eq!(order, [2, 1], "messages list newest sentAt first, whatever the arrival order");
}

/// A photo keeps its caption as content and Telegram's file metadata.
pub async fn photo_caption_and_media_metadata_are_kept(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let p = photo(&chat, 11, "Das Typenschild vom Gerät 📷", at(1));
    let d = document(&chat, 12, "Rechnung_2026-03.pdf", "", at(2));
    crm.ingest([msg(p.clone()), msg(d.clone())]).await;
    let stored = crm.message(&chat, 11).await;
    assert_eq!(stored.message_type, MessageType::Photo);
    assert_eq!(stored.content, "Das Typenschild vom Gerät 📷");
    assert_eq!(stored.media, p.media);
    let doc = crm.message(&chat, 12).await;
    assert_eq!(doc.message_type, MessageType::Document);
    assert_eq!(doc.media, d.media);
    assert_eq!(doc.media.and_then(|m| m.file_name).as_deref(), Some("Rechnung_2026-03.pdf"));
    assert_eq!(crm.conversation(&chat).await.last_message_preview.as_deref(), Some("[document]"));
}

/// State written with a batch (the polling offset) is stored with it.
pub async fn batch_state_is_written_with_the_batch(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let events = vec![msg(incoming(&chat, 1, "Hallo", at(1)))];
    crm.service.ingest(events, vec![("telegram:update_offset".into(), "812345679".into())]).await.unwrap();
    assert_eq!(crm.store.get_state("telegram:update_offset").await.unwrap().as_deref(), Some("812345679"));
    assert_eq!(crm.conversation(&chat).await.message_count, 1);
    crm.service.ingest(Vec::new(), vec![("telegram:update_offset".into(), "812345680".into())]).await.unwrap();
    assert_eq!(crm.store.get_state("telegram:update_offset").await.unwrap().as_deref(), Some("812345680"));
}

/// A business connection is kept in state under its key, readable back.
pub async fn business_connection_is_kept_in_state(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let event = business_connection(crm.owner, "bc-Zx81kQ", at(0));
    let report = crm.ingest([event.clone()]).await;
    assert_eq!(report.connections, 1);
    let InboundEvent::BusinessConnection(expected) = event else { unreachable!() };
    let json = crm.store.get_state(&BusinessConnection::state_key("bc-Zx81kQ")).await.unwrap().unwrap();
    let stored: BusinessConnection = serde_json::from_str(&json).unwrap();
    assert_eq!(stored, expected);
}

fn history(message: CapturedMessage) -> InboundEvent {
    InboundEvent::History(HistoricalMessage { message, edited_at: None })
}

/// History (an import) older than what is stored arrives read, detects no priority, keeps the
/// status, preview and profile, and is stored once even when it came live too.
pub async fn older_history_arrives_read_and_changes_nothing_that_shows(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 50, "Alles klar, danke", at(50)))]).await;
    let id = crm.conversation(&chat).await.id;
    crm.service.set_status(&crm.me(), id, ConversationStatus::Archived).await.unwrap();
    let before = crm.conversation(&chat).await;
    let mut renamed = zoe();
    renamed.first_name = "Z.".into();
    let mut old = incoming(&chat, 10, "URGENT: bitte sofort anrufen", at(10));
    old.sender = Some(renamed);
    let report =
        crm.ingest([history(old), history(outgoing(&chat, 11, "Mache ich", at(11))), history(incoming(&chat, 50, "again", at(50)))]).await;
    assert_eq!((report.messages_stored, report.duplicates), (2, 1));
    let after = crm.conversation(&chat).await;
    assert_eq!((after.status, after.priority, after.unread_count), (ConversationStatus::Archived, Priority::Medium, before.unread_count));
    assert_eq!((after.message_count, after.last_message_at, &after.last_message_preview), (3, at(50), &before.last_message_preview));
    assert!(crm.message(&chat, 10).await.is_read);
    assert_eq!(crm.message(&chat, 50).await.content, "Alles klar, danke", "the live copy is kept");
    let contact = crm.contact(zoe().id).await;
    assert_eq!((contact.first_name.as_str(), contact.total_messages), (zoe().first_name.as_str(), 3));
}

/// History newer than everything stored moves the conversation as a live message would, but
/// still arrives read; history into a new conversation opens it read.
pub async fn newer_history_moves_the_conversation_but_arrives_read(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([history(incoming(&chat, 1, "Hallo", at(1))), history(outgoing(&chat, 2, "Guten Tag", at(2)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.message_count, conv.unread_count, conv.status), (2, 0, ConversationStatus::Waiting));
    assert_eq!(conv.last_message_preview.as_deref(), Some("Guten Tag"));
    crm.ingest([history(incoming(&chat, 3, "Wann passt es?", at(3)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.status, conv.unread_count, conv.last_message_at), (ConversationStatus::Active, 0, at(3)));
    // A live message older than the history counts as read; a newer one is unread.
    crm.ingest([msg(incoming(&chat, 0, "ganz alt", at(0))), msg(incoming(&chat, 4, "Hallo?", at(4)))]).await;
    assert_eq!(crm.conversation(&chat).await.unread_count, 1);
    assert!(crm.message(&chat, 0).await.is_read);
}

/// A personal chat imported before the owner's Business connection was known and the same chat
/// delivered live through the connection later are one conversation, and a message that came both
/// ways is stored once; edits and deletions through the connection find it too.
pub async fn business_chat_joins_the_chat_imported_before_the_connection(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let mut imported = private_chat(crm.owner, &zoe());
    imported.key.business_connection_id = Some(telegcrm_domain::ChatKey::IMPORTED_PERSONAL.to_owned());
    crm.ingest([history(incoming(&imported, 1, "Hallo", at(1))), history(outgoing(&imported, 2, "Guten Tag", at(2)))]).await;
    let before = crm.conversation(&imported).await;

    let live = crate::fixtures::business_chat(crm.owner, &zoe(), "bc-7");
    let report = crm.ingest([msg(incoming(&live, 2, "Guten Tag", at(2))), msg(incoming(&live, 3, "Wann passt es?", at(3)))]).await;
    assert_eq!((report.messages_stored, report.duplicates), (1, 1));
    crm.ingest([edit(&incoming(&live, 3, "Wann passt es?", at(3)), "Wann passt es Ihnen?", at(4)), deletion(&live, &[1], at(5))]).await;
    let all = crm.conversations(&Default::default()).await;
    assert_eq!(all.len(), 1, "one conversation: {all:?}");
    let after = &all[0];
    assert_eq!(after.id, before.id);
    assert_eq!((after.message_count, after.unread_count, after.last_message_at), (3, 1, at(3)));
    assert_eq!(crm.message(&imported, 3).await.content, "Wann passt es Ihnen?");
    assert!(crm.message(&imported, 1).await.deleted_at.is_some());
    // The bot's own chat with Zoe stays another conversation.
    let bot_chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&bot_chat, 1, "/start", at(6)))]).await;
    assert_eq!(crm.conversations(&Default::default()).await.len(), 2);
}
