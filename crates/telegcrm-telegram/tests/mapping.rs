//! Mapping Telegram updates to inbound events: every update kind, every message type.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use telegcrm_domain::event::{CapturedMessage, InboundEvent};
use telegcrm_domain::{AvatarId, ChatType, Direction, EntityKind, ForwardKind, MessageType};
use telegcrm_telegram::map::{MapContext, map_update};
use telegcrm_telegram::parse_update;
use telegcrm_testkit::fake_telegram::BOT_ID;
use telegcrm_testkit::fake_telegram::updates::*;
use uuid::Uuid;

fn owner() -> AvatarId {
    AvatarId::from_uuid(Uuid::from_u128(0x0190_a8f2_7c4e_7d3a_9b1e_2f4c_6d8e_0a1b))
}

fn ctx() -> MapContext {
    MapContext { owner: owner(), bot_id: Some(BOT_ID), business_user_id: None }
}

fn business_ctx() -> MapContext {
    MapContext { business_user_id: Some(GRACE_ID), ..ctx() }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(DATE + 3600, 0).unwrap()
}

fn event(update: Value, ctx: &MapContext) -> InboundEvent {
    map_update(&parse_update(update).unwrap(), ctx, now())
}

fn captured(update: Value) -> CapturedMessage {
    match event(update, &ctx()) {
        InboundEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Ada's message to the bot carrying `field: value` instead of text.
fn ada_sends(field: &str, value: Value) -> CapturedMessage {
    captured(update(1, "message", with(message(20, private_chat(&ada()), Some(ada())), field, value)))
}

fn in_supergroup(from: Value, field: &str, value: Value) -> CapturedMessage {
    captured(update(1, "message", with(message(30, supergroup(), Some(from)), field, value)))
}

#[test]
fn text_from_a_user_to_the_bot_is_incoming_with_sender_and_counterpart() {
    let m = captured(message_update(1));
    assert_eq!(m.direction, Direction::Incoming);
    assert_eq!(m.message_type, MessageType::Text);
    assert_eq!(m.text, "Hello, I need help with my order asap");
    assert_eq!(m.telegram_message_id, 10);
    assert_eq!(m.chat.key.owner, owner());
    assert_eq!(m.chat.key.chat_id, ADA_ID);
    assert_eq!(m.chat.key.business_connection_id, None);
    assert_eq!(m.chat.chat_type, ChatType::Private);
    assert_eq!(m.chat.title.as_deref(), Some("Ada Lovelace"));
    let sender = m.sender.unwrap();
    assert_eq!((sender.id, sender.username.as_deref(), sender.language_code.as_deref()), (ADA_ID, Some("ada_l"), Some("en")));
    assert_eq!(m.chat.counterpart.unwrap().id, ADA_ID);
    assert_eq!(m.sent_at, DateTime::from_timestamp(DATE, 0).unwrap());
    assert_eq!(m.media, None);
}

#[test]
fn a_message_our_bot_sent_is_outgoing_and_its_counterpart_comes_from_the_chat() {
    let m = captured(update(1, "message", with(message(11, private_chat(&ada()), Some(bot_user())), "text", json!("Hi Ada"))));
    assert_eq!(m.direction, Direction::Outgoing);
    let counterpart = m.chat.counterpart.unwrap();
    assert_eq!((counterpart.id, counterpart.first_name.as_str(), counterpart.is_bot), (ADA_ID, "Ada", false));
}

#[test]
fn photo_keeps_the_largest_size_and_the_caption() {
    let m = captured(update(
        1,
        "message",
        with(with(message(20, private_chat(&ada()), Some(ada())), "photo", photo_sizes()), "caption", json!("Receipt")),
    ));
    assert_eq!(m.message_type, MessageType::Photo);
    assert_eq!(m.text, "Receipt");
    let media = m.media.unwrap();
    assert_eq!(media.file_id, "AgACAgQAAxkBAAIBs_large");
    assert_eq!(media.file_unique_id, "AQADs3");
    assert_eq!((media.width, media.height, media.file_size), (Some(1280), Some(853), Some(86_000)));
}

#[test]
fn video_carries_dimensions_duration_name_mime_and_size() {
    let m = ada_sends("video", video());
    assert_eq!(m.message_type, MessageType::Video);
    let media = m.media.unwrap();
    assert_eq!((media.width, media.height, media.duration), (Some(1920), Some(1080), Some(42)));
    assert_eq!(
        (media.file_name.as_deref(), media.mime_type.as_deref(), media.file_size),
        (Some("demo.mp4"), Some("video/mp4"), Some(5_242_880))
    );
}

#[test]
fn animation_wins_over_the_document_telegram_sends_with_it() {
    let msg = with(with(message(20, private_chat(&ada()), Some(ada())), "animation", animation()), "document", document());
    let m = captured(update(1, "message", msg));
    assert_eq!(m.message_type, MessageType::Animation);
    assert_eq!(m.media.unwrap().file_id, "CgACAgQAAxkBAAIBw_anim");
}

#[test]
fn audio_without_caption_shows_performer_and_title() {
    let m = ada_sends("audio", audio());
    assert_eq!(m.message_type, MessageType::Audio);
    assert_eq!(m.text, "Nina Simone — Feeling Good");
    assert_eq!(m.media.unwrap().duration, Some(215));
}

#[test]
fn voice_note_has_duration_and_mime_type() {
    let m = ada_sends("voice", voice());
    assert_eq!(m.message_type, MessageType::Voice);
    let media = m.media.unwrap();
    assert_eq!((media.duration, media.mime_type.as_deref()), (Some(7), Some("audio/ogg")));
}

#[test]
fn video_note_diameter_is_its_width_and_height() {
    let m = ada_sends("video_note", video_note());
    assert_eq!(m.message_type, MessageType::VideoNote);
    let media = m.media.unwrap();
    assert_eq!((media.width, media.height, media.duration), (Some(384), Some(384), Some(9)));
}

#[test]
fn document_has_its_file_name() {
    let m = ada_sends("document", document());
    assert_eq!(m.message_type, MessageType::Document);
    assert_eq!(m.media.unwrap().file_name.as_deref(), Some("Invoice 2024-05.pdf"));
}

#[test]
fn sticker_shows_its_emoji() {
    let m = ada_sends("sticker", sticker());
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Sticker, "😂"));
    assert_eq!(m.media.unwrap().width, Some(512));
}

#[test]
fn location_shows_its_coordinates() {
    let m = ada_sends("location", json!({"latitude": 51.5, "longitude": -0.12}));
    assert_eq!((m.message_type, m.text.as_str(), m.media), (MessageType::Location, "51.5, -0.12", None));
}

#[test]
fn venue_wins_over_its_location() {
    let msg = with(
        with(message(20, private_chat(&ada()), Some(ada())), "venue", venue()),
        "location",
        json!({"latitude": 51.5194, "longitude": -0.127}),
    );
    let m = captured(update(1, "message", msg));
    assert_eq!(m.message_type, MessageType::Venue);
    assert_eq!(m.text, "British Museum, Great Russell St, London WC1B 3DG");
}

#[test]
fn shared_contact_shows_name_and_phone() {
    let m = ada_sends("contact", json!({"phone_number": "+447700900123", "first_name": "Charles", "last_name": "Babbage"}));
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Contact, "Charles Babbage, +447700900123"));
}

#[test]
fn poll_shows_question_and_options() {
    let m = ada_sends("poll", poll());
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Poll, "Which plan fits you? (Basic / Pro)"));
    let p = m.details.poll.expect("the poll as data");
    assert_eq!((p.question.as_str(), p.options.len()), ("Which plan fits you?", 2));
    let odd = ada_sends("poll", json!({"question": "Q", "options": ["a", {"text": "b", "voter_count": "many"}], "total_voter_count": -1}));
    let p = odd.details.poll.expect("an odd poll keeps what it can");
    assert_eq!((p.options[1].text.as_str(), p.options[1].voters, p.total_voters), ("b", 0, 0));
}

#[test]
fn dice_shows_emoji_and_value() {
    let m = ada_sends("dice", json!({"emoji": "🎯", "value": 6}));
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Dice, "🎯 6"));
}

#[test]
fn a_story_or_an_unknown_content_is_other() {
    assert_eq!(ada_sends("story", json!({"chat": channel(), "id": 17})).text, "Story from Telegcrm News");
    assert_eq!(ada_sends("story", json!({"id": 17})).text, "Story", "a story of a chat not named");
    assert_eq!(ada_sends("game", json!({"description": "no title"})).text, "[game]", "an odd shape shows the kind's word");
    let m = ada_sends("hologram", json!({"size": 3}));
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Other, "[message]"));
}

#[test]
fn every_content_sample_maps_to_its_type() {
    for (expected, field, value) in content_samples() {
        let m = ada_sends(field, value);
        assert_eq!(m.message_type.as_str(), expected, "field {field}");
    }
}

#[test]
fn reply_keeps_the_answered_message_id() {
    let msg = with(text_from_ada(21, "Yes"), "reply_to_message", message(20, private_chat(&ada()), Some(bot_user())));
    assert_eq!(captured(update(1, "message", msg)).reply_to_telegram_message_id, Some(20));
}

#[test]
fn forward_origin_is_data_and_the_text_stays_the_senders() {
    let from_user = json!({"type": "user", "date": DATE, "sender_user": carl()});
    let m = captured(update(1, "message", with(text_from_ada(22, "look"), "forward_origin", from_user)));
    let f = m.details.forward.expect("forward origin");
    assert_eq!((m.text.as_str(), f.kind, f.name.as_str(), f.telegram_id), ("look", ForwardKind::User, "Карл", Some(CARL_ID)));
    assert_eq!(f.date.map(|d| d.timestamp()), Some(DATE));
    let from_channel = json!({"type": "channel", "date": DATE, "chat": channel(), "message_id": 9, "author_signature": "Ed"});
    let f = captured(update(1, "message", with(text_from_ada(23, "news"), "forward_origin", from_channel))).details.forward.unwrap();
    assert_eq!(
        (f.kind, f.name.as_str(), f.message_id, f.username.as_deref(), f.author_signature.as_deref()),
        (ForwardKind::Channel, "Telegcrm News", Some(9), Some("telegcrm_news"), Some("Ed"))
    );
    let hidden = json!({"type": "hidden_user", "date": DATE, "sender_user_name": "Mystery"});
    let f = captured(update(1, "message", with(text_from_ada(24, "psst"), "forward_origin", hidden))).details.forward.unwrap();
    assert_eq!((f.kind, f.name.as_str(), f.telegram_id), (ForwardKind::HiddenUser, "Mystery", None));
    let odd = json!({"type": "hologram", "date": DATE});
    let m = captured(update(1, "message", with(text_from_ada(25, "??"), "forward_origin", odd)));
    assert_eq!((m.text.as_str(), m.details.forward), ("??", None), "an origin of an unknown type loses the origin only");
}

#[test]
fn quotes_external_replies_albums_topics_and_formatting_are_kept() {
    let mut msg = text_from_ada(30, "🙂 Bold and a link");
    msg["entities"] = json!([{"type": "bold", "offset": 3, "length": 4}, {"type": "text_link", "offset": 14, "length": 4, "url": "https://t.me/x"},
                              {"type": "some_future_style", "offset": 0, "length": 2}]);
    msg["quote"] = json!({"text": "the part", "position": 4, "is_manual": true});
    msg["external_reply"] =
        json!({"origin": {"type": "channel", "date": DATE, "chat": channel(), "message_id": 5}, "chat": channel(), "message_id": 5});
    msg["media_group_id"] = json!("13579");
    msg["message_thread_id"] = json!(77);
    msg["is_topic_message"] = json!(true);
    let d = captured(update(1, "message", msg)).details;
    let es: Vec<(EntityKind, u32, u32, Option<&str>)> = d.entities.iter().map(|e| (e.kind, e.offset, e.length, e.url.as_deref())).collect();
    assert_eq!(
        es,
        vec![(EntityKind::Bold, 2, 4, None), (EntityKind::TextLink, 13, 4, Some("https://t.me/x"))],
        "UTF-16 offsets in characters"
    );
    let q = d.quote.unwrap();
    assert_eq!((q.text.as_str(), q.position, q.is_manual), ("the part", 4, true));
    let r = d.external_reply.unwrap();
    assert_eq!((r.origin.name.as_str(), r.chat_id, r.message_id), ("Telegcrm News", Some(CHANNEL_ID), Some(5)));
    assert_eq!((d.media_group_id.as_deref(), d.topic_id), (Some("13579"), Some(77)));

    // A reply thread outside a forum is not a topic; odd sub-fields lose themselves only.
    let mut msg = text_from_ada(31, "in a thread");
    msg["message_thread_id"] = json!(12);
    msg["entities"] = json!("not a list");
    msg["quote"] = json!(7);
    msg["media_group_id"] = json!({"x": 1});
    let m = captured(update(1, "message", msg));
    assert_eq!(m.text, "in a thread");
    assert!(m.details.is_empty(), "{:?}", m.details);

    // Caption entities format a caption.
    let mut photo = with(message(32, private_chat(&ada()), Some(ada())), "photo", photo_sizes());
    photo["caption"] = json!("Price list");
    photo["caption_entities"] = json!([{"type": "italic", "offset": 6, "length": 4}]);
    let d = captured(update(1, "message", photo)).details;
    assert_eq!(d.entities.iter().map(|e| (e.kind, e.offset, e.length)).collect::<Vec<_>>(), vec![(EntityKind::Italic, 6, 4)]);
}

#[test]
fn topic_names_come_from_their_service_messages() {
    let mut created =
        with(message(40, supergroup(), Some(ada())), "forum_topic_created", json!({"name": "Orders", "icon_color": 7_322_096}));
    created["message_thread_id"] = json!(40);
    created["is_topic_message"] = json!(true);
    let d = captured(update(1, "message", created)).details;
    assert_eq!((d.topic_id, d.topic_name.as_deref()), (Some(40), Some("Orders")));
}

#[test]
fn member_joining_is_a_service_message() {
    let m = in_supergroup(ada(), "new_chat_members", json!([ada()]));
    assert_eq!((m.message_type, m.text.as_str()), (MessageType::Service, "Ada Lovelace joined"));
}

#[test]
fn member_added_by_someone_names_both() {
    let m = in_supergroup(carl(), "new_chat_members", json!([ada(), grace()]));
    assert_eq!(m.text, "Карл added Ada Lovelace and Grace Hopper");
}

#[test]
fn member_leaving_and_being_removed_are_service_messages() {
    assert_eq!(in_supergroup(ada(), "left_chat_member", ada()).text, "Ada Lovelace left");
    assert_eq!(in_supergroup(carl(), "left_chat_member", ada()).text, "Карл removed Ada Lovelace");
}

#[test]
fn title_change_pin_and_creation_are_service_messages() {
    assert_eq!(in_supergroup(carl(), "new_chat_title", json!("Beta 2")).text, "Карл changed the title to “Beta 2”");
    let pinned = with(message(5, supergroup(), Some(ada())), "text", json!("Meeting at 10"));
    assert_eq!(in_supergroup(carl(), "pinned_message", pinned).text, "Карл pinned “Meeting at 10”");
    assert_eq!(in_supergroup(carl(), "group_chat_created", json!(true)).text, "Карл created the group");
    assert_eq!(
        in_supergroup(carl(), "forum_topic_created", json!({"name": "Support", "icon_color": 1})).text,
        "Карл created the topic “Support”"
    );
    assert_eq!(in_supergroup(carl(), "video_chat_started", json!({})).message_type, MessageType::Service);
}

#[test]
fn group_message_has_title_sender_and_no_counterpart() {
    let m = in_supergroup(carl(), "text", json!("Всем привет"));
    assert_eq!(m.chat.chat_type, ChatType::Supergroup);
    assert_eq!(m.chat.title.as_deref(), Some("Telegcrm Beta Testers"));
    assert_eq!(m.chat.counterpart, None);
    assert_eq!(m.sender.unwrap().first_name, "Карл");
    assert_eq!(m.direction, Direction::Incoming);
}

#[test]
fn basic_group_is_a_group() {
    let m = captured(update(1, "message", with(message(3, group(), Some(ada())), "text", json!("hi"))));
    assert_eq!(m.chat.chat_type, ChatType::Group);
}

#[test]
fn anonymous_admin_has_no_sender() {
    let msg = with(
        with(
            message(31, supergroup(), Some(json!({"id": 1_087_968_824, "is_bot": true, "first_name": "Group"}))),
            "sender_chat",
            supergroup(),
        ),
        "text",
        json!("Rules updated"),
    );
    let m = captured(update(1, "message", msg));
    assert_eq!(m.sender, None);
    assert_eq!(m.sender_name().as_deref(), Some("Telegcrm Beta Testers"));
}

#[test]
fn channel_post_has_no_sender_and_the_channel_title() {
    let m = captured(channel_post_update(1));
    assert_eq!((m.chat.chat_type, m.chat.title.as_deref()), (ChatType::Channel, Some("Telegcrm News")));
    assert_eq!((m.sender.as_ref(), m.direction), (None, Direction::Incoming));
    assert_eq!(m.text, "Release 1.2 is out");
}

#[test]
fn edited_message_is_an_edit_dated_by_edit_date() {
    let InboundEvent::Edit(e) = event(edited_message_update(1), &ctx()) else { panic!() };
    assert_eq!(e.edited_at, DateTime::from_timestamp(DATE + 60, 0).unwrap());
    assert_eq!(e.message.text, "Hello, I need help with my order #42 asap");
    assert_eq!(e.message.telegram_message_id, 10);
}

#[test]
fn edited_channel_post_is_an_edit() {
    let InboundEvent::Edit(e) = event(edited_channel_post_update(1), &ctx()) else { panic!() };
    assert_eq!((e.message.chat.key.chat_id, e.message.text.as_str()), (CHANNEL_ID, "Release 1.2.1 is out"));
}

#[test]
fn business_connection_reads_rights_and_user() {
    let InboundEvent::BusinessConnection(c) = event(business_connection_update(1, true), &ctx()) else { panic!() };
    assert_eq!((c.id.as_str(), c.owner, c.user.id, c.user_chat_id), (CONNECTION_ID, owner(), GRACE_ID, GRACE_ID));
    assert!(c.is_enabled && c.can_reply);
    // The fixture allows reading and forbids deleting everything (Bot API 9.0 rights).
    assert!(c.rights.can_read_messages && !c.rights.can_delete_all_messages && !c.rights.can_delete_sent_messages);
    assert_eq!(c.date, DateTime::from_timestamp(DATE, 0).unwrap());
}

#[test]
fn business_connection_reads_the_older_can_reply_field() {
    let body = json!({"id": "c1", "user": grace(), "user_chat_id": GRACE_ID, "date": DATE, "can_reply": true, "is_enabled": false});
    let InboundEvent::BusinessConnection(c) = event(update(1, "business_connection", body), &ctx()) else { panic!() };
    assert!(c.can_reply && !c.is_enabled);
    assert_eq!(c.rights, Default::default(), "older connections name no other rights");
}

#[test]
fn business_message_from_the_customer_is_incoming() {
    let InboundEvent::Message(m) = event(business_message_update(1, 40, false, "Is the shop open?"), &business_ctx()) else { panic!() };
    assert_eq!(m.direction, Direction::Incoming);
    assert_eq!(m.chat.key.business_connection_id.as_deref(), Some(CONNECTION_ID));
    assert_eq!(m.chat.key.chat_id, ADA_ID);
    assert_eq!(m.chat.counterpart.unwrap().id, ADA_ID);
}

#[test]
fn business_message_from_the_owner_is_outgoing_and_the_counterpart_is_the_customer() {
    let InboundEvent::Message(m) = event(business_message_update(1, 41, true, "Yes, until 6"), &business_ctx()) else { panic!() };
    assert_eq!(m.direction, Direction::Outgoing);
    assert_eq!(m.sender.unwrap().id, GRACE_ID);
    let counterpart = m.chat.counterpart.unwrap();
    assert_eq!((counterpart.id, counterpart.username.as_deref()), (ADA_ID, Some("ada_l")));
}

#[test]
fn business_message_direction_without_a_known_connection_follows_the_chat() {
    let InboundEvent::Message(out) = event(business_message_update(1, 41, true, "mine"), &ctx()) else { panic!() };
    let InboundEvent::Message(inc) = event(business_message_update(2, 42, false, "theirs"), &ctx()) else { panic!() };
    assert_eq!((out.direction, inc.direction), (Direction::Outgoing, Direction::Incoming));
}

#[test]
fn business_message_sent_by_our_bot_for_the_owner_is_outgoing() {
    let msg = with(business_message(43, true, "Auto-reply: back soon"), "sender_business_bot", bot_user());
    let InboundEvent::Message(m) = event(update(1, "business_message", msg), &business_ctx()) else { panic!() };
    assert_eq!(m.direction, Direction::Outgoing);
}

#[test]
fn edited_business_message_is_an_edit_in_the_business_chat() {
    let InboundEvent::Edit(e) = event(edited_business_message_update(1, 40, "Is the shop open today?"), &business_ctx()) else { panic!() };
    assert_eq!(e.message.chat.key.business_connection_id.as_deref(), Some(CONNECTION_ID));
    assert_eq!(e.edited_at, DateTime::from_timestamp(DATE + 30, 0).unwrap());
}

#[test]
fn deleted_business_messages_are_a_deletion_dated_now() {
    let InboundEvent::Deletion(d) = event(deleted_business_messages_update(1, &[40, 41]), &business_ctx()) else { panic!() };
    assert_eq!(d.telegram_message_ids, vec![40, 41]);
    assert_eq!((d.chat.chat_id, d.chat.business_connection_id.as_deref(), d.chat.owner), (ADA_ID, Some(CONNECTION_ID), owner()));
    assert_eq!(d.deleted_at, now());
}
