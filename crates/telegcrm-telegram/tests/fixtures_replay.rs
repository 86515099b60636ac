//! Every real Bot API update of the fixtures (`crates/telegcrm-testkit/fixtures/telegram/
//! bot_updates/`, taken from the test suites of six Telegram libraries and Telegram's docs; see
//! its MANIFEST.md) through what the webhook runs: each body parses (no error), and each update
//! of a kind the CRM handles is kept, not skipped, and maps to an event — older shapes included.

use std::path::Path;

use chrono::{TimeZone, Utc};
use telegcrm_domain::event::InboundEvent;
use telegcrm_domain::{AvatarId, MessageType};
use telegcrm_telegram::map::map_update;
use telegcrm_telegram::{ALLOWED_UPDATES, MapContext, parse_webhook_body};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../telegcrm-testkit/fixtures/telegram/bot_updates");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    out.sort();
    out
}

#[test]
fn every_fixture_update_of_a_handled_kind_is_kept_and_maps() {
    let owner = AvatarId::new();
    let ctx = MapContext { owner, bot_id: Some(7_000_000_001), business_user_id: None };
    let now = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
    let all = fixtures();
    assert!(all.len() >= 50, "{} fixtures", all.len());
    let mut dropped = Vec::new();
    let mut kept = 0;
    for (name, bytes) in &all {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let handled = value.as_object().is_some_and(|o| o.keys().any(|k| ALLOWED_UPDATES.contains(&k.as_str())));
        match parse_webhook_body(bytes) {
            Err(e) => panic!("{name}: the webhook would answer 400: {e}"),
            Ok(Some(update)) => {
                let _ = map_update(&update, &ctx, now);
                kept += 1;
            }
            Ok(None) if handled => dropped.push(name.clone()),
            Ok(None) => {}
        }
    }
    assert!(dropped.is_empty(), "updates of handled kinds dropped whole: {dropped:?}");
    assert!(kept >= 30, "{kept} kept");
}

#[test]
fn a_document_in_the_older_shape_without_file_unique_id_is_captured_with_its_file() {
    let bytes = fixtures().into_iter().find(|(n, _)| n == "tgdocs__message_document.json").expect("the fixture").1;
    let update = parse_webhook_body(&bytes).expect("parses").expect("kept, not skipped");
    let ctx = MapContext { owner: AvatarId::new(), bot_id: Some(7_000_000_001), business_user_id: None };
    let InboundEvent::Message(m) = map_update(&update, &ctx, Utc::now()) else { panic!("a message") };
    assert_eq!(m.message_type, MessageType::Document);
    let media = m.media.expect("the file");
    assert_eq!(media.file_id, "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX");
    assert_eq!(media.file_unique_id, "", "Telegram did not send one");
    assert_eq!(
        (media.file_name.as_deref(), media.mime_type.as_deref(), media.file_size),
        (Some("Testfile.pdf"), Some("application/pdf"), Some(536_392))
    );
}
