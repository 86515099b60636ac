//! NDJSON: a header line, then one line per record, `{"kind":…,"record":{…}}` (docs/export.md).

use serde::{Deserialize, Serialize};
use telegcrm_domain::{AvatarId, Record};

use crate::{Encoder, ExportError, FORMAT_VERSION, encode_error};

/// The export's first line. It holds no time, so two exports of the same data are the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// Always `"export"`: what tells the header from a record.
    pub kind: String,
    /// Always `"telegcrm"`.
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// Whose data it is.
    pub owner: AvatarId,
}

impl Header {
    /// The header of an export of `owner`'s data.
    pub fn new(owner: AvatarId) -> Self {
        Self { kind: "export".to_owned(), format: "telegcrm".to_owned(), version: FORMAT_VERSION, owner }
    }
}

/// The NDJSON encoder.
#[derive(Debug)]
pub(crate) struct Ndjson;

impl Encoder for Ndjson {
    fn begin(&mut self, out: &mut Vec<u8>, owner: AvatarId) -> Result<(), ExportError> {
        serde_json::to_writer(&mut *out, &Header::new(owner)).map_err(|e| encode_error("header", e))?;
        out.push(b'\n');
        Ok(())
    }

    fn record(&mut self, out: &mut Vec<u8>, record: &Record) -> Result<(), ExportError> {
        serde_json::to_writer(&mut *out, record).map_err(|e| encode_error(record.kind(), e))?;
        out.push(b'\n');
        Ok(())
    }

    fn end(&mut self, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}
