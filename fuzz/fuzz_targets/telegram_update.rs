//! Arbitrary bytes as a webhook body, through the path the webhook takes: parse the body, then map
//! the update to the domain's event. Neither may panic; a body that parses must map.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use telegcrm_domain::AvatarId;
use telegcrm_telegram::map::map_update;
use telegcrm_telegram::{MapContext, parse_webhook_body};

fuzz_target!(|data: &[u8]| {
    let Ok(Some(update)) = parse_webhook_body(data) else { return };
    let owner = AvatarId::from_uuid(uuid::Uuid::from_u128(0x0190_a8f2_7c4e_7d3a_9b1e_2f4c_6d8e_0a1b));
    let now = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap_or_default();
    // Mapped as a bot update and as a business update of a known business account.
    for ctx in [
        MapContext { owner, bot_id: Some(7_000_000_001), business_user_id: None },
        MapContext { owner, bot_id: Some(7_000_000_001), business_user_id: Some(42) },
    ] {
        let _ = map_update(&update, &ctx, now);
    }
});
