//! Arbitrary bytes as a Telegram Desktop `result.json`, through the path `telegcrm import
//! telegram-export` takes: the escape-repairing reader, the streaming parser, and the mapping of
//! each chat and message, with and without a time zone. None may panic.
#![no_main]

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use libfuzzer_sys::fuzz_target;
use telegcrm_domain::AvatarId;
use telegcrm_import::map::{self, Dates};
use telegcrm_import::parse::{Item, Me, read_export};
use telegcrm_import::reader::ExportReader;

fuzz_target!(|data: &[u8]| {
    let owner = AvatarId::from_uuid(uuid::Uuid::from_u128(0x0190_a8f2_7c4e_7d3a_9b1e_2f4c_6d8e_0a1b));
    let reader = ExportReader::new(data, Arc::new(AtomicU64::new(0)));
    let mut me: Option<Me> = None;
    let mut chat = None;
    let _ = read_export(reader, &mut |item| {
        match item {
            Item::Me(found) => me = Some(found),
            Item::Chat(header) => chat = Some(map::chat(&header, owner, me.as_ref(), Some("bc-fuzz"))),
            Item::Message(v) => {
                if let Some(Ok(c)) = &chat {
                    for timezone in [None, Some(chrono_tz::Europe::Berlin)] {
                        let _ = map::message(&v, c, me.as_ref(), Dates { timezone });
                    }
                }
            }
        }
        Ok(())
    });
});
