//! Parsing updates one by one: known kinds parse, unknown kinds are skipped, garbage is rejected.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use telegcrm_telegram::update::parse_batch;
use telegcrm_telegram::{UpdateError, parse_update, parse_update_bytes, parse_webhook_body};
use telegcrm_testkit::fake_telegram::updates::*;

#[test]
fn every_handled_kind_parses_to_its_kind() {
    let fixtures = [
        (message_update(1), "message"),
        (edited_message_update(2), "edited_message"),
        (channel_post_update(3), "channel_post"),
        (edited_channel_post_update(4), "edited_channel_post"),
        (business_connection_update(5, true), "business_connection"),
        (business_message_update(6, 40, false, "hi"), "business_message"),
        (edited_business_message_update(7, 40, "hi!"), "edited_business_message"),
        (deleted_business_messages_update(8, &[40]), "deleted_business_messages"),
    ];
    for (value, kind) in fixtures {
        let update = parse_update_bytes(value.to_string().as_bytes()).unwrap();
        assert_eq!(update.kind.name(), kind);
    }
}

#[test]
fn unknown_update_kinds_are_unsupported_not_errors_of_the_batch() {
    let batch = parse_batch(vec![message_update(1), chat_boost_update(2), future_kind_update(3), channel_post_update(4)]);
    assert_eq!(batch.updates.len(), 2);
    assert_eq!(batch.unsupported, 2);
    assert_eq!(batch.next_offset(), Some(5));
}

#[test]
fn unknown_fields_anywhere_are_ignored() {
    let mut value = message_update(1);
    value["brand_new_top_level_field"] = json!({"x": 1});
    value["message"]["some_future_field"] = json!([1, 2, 3]);
    value["message"]["from"]["future_flag"] = json!(true);
    assert_eq!(parse_update(value).unwrap().kind.name(), "message");
}

#[test]
fn a_handled_kind_with_a_broken_body_is_invalid_and_skipped() {
    let broken = json!({"update_id": 2, "message": {"message_id": 5, "chat": "not a chat"}});
    assert!(matches!(parse_update(broken.clone()), Err(UpdateError::Invalid { update_id: 2, kind: "message", .. })));
    let batch = parse_batch(vec![message_update(1), broken, message_update(3)]);
    assert_eq!((batch.updates.len(), batch.invalid), (2, 1));
}

#[test]
fn garbage_is_a_clear_error() {
    let err = parse_update_bytes(b"GET / HTTP/1.1").unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
    assert!(matches!(parse_update_bytes(b"[]"), Err(UpdateError::NotAnUpdate(_))));
    assert!(matches!(parse_update_bytes(br#"{"update_id":"seven","message":{}}"#), Err(UpdateError::NotAnUpdate(_))));
}

#[test]
fn webhook_body_of_an_unknown_kind_is_skipped_and_garbage_is_an_error() {
    assert!(parse_webhook_body(chat_boost_update(9).to_string().as_bytes()).unwrap().is_none());
    assert!(parse_webhook_body(message_update(9).to_string().as_bytes()).unwrap().is_some());
    assert!(parse_webhook_body(b"not json").is_err());
}
