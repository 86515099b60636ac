//! Arbitrary bytes as a Telegcrm export, through the reader `telegcrm import telegcrm-export`
//! uses (format detection, NDJSON lines or the holons array). It must not panic, and every record
//! it reads must be one an export writes back byte for byte (encode, decode, encode: the same
//! bytes), as the round trip export → restore → export relies on; its holon must build.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telegcrm_domain::Record;
use telegcrm_export::holons::Holon;
use telegcrm_export::restore::{detect, read_records};

fuzz_target!(|data: &[u8]| {
    let mut reader = std::io::BufReader::new(data);
    let Ok(format) = detect(&mut reader) else { return };
    let _ = read_records(reader, format, &mut |record| {
        let written = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
        let read: Record = serde_json::from_slice(&written).expect("a record the reader accepted is read back once written");
        assert_eq!(serde_json::to_vec(&read).expect("encodes"), written, "re-encoding changed the record");
        let _ = serde_json::to_vec(&Holon::of(&record)).expect("its holon encodes");
        Ok(())
    });
});
