//! Driver errors in the domain's terms, and the outcome of raw write commands.

use bson::{Bson, Document};
use mongodb::error::{Error, ErrorKind, WriteFailure};
use telegcrm_domain::StoreError;

/// MongoDB's error code for a duplicate key in a unique index.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// Maps a driver error to a store error, saying what was being done.
pub(crate) fn store_error(context: &str, e: Error) -> StoreError {
    if is_duplicate_key(&e) {
        return StoreError::Conflict(format!("{context}: duplicate key: {e}"));
    }
    match *e.kind {
        ErrorKind::BsonDeserialization(_) | ErrorKind::BsonSerialization(_) => StoreError::Corrupt(format!("{context}: {e}")),
        _ => StoreError::Unavailable(format!("{context}: {e}")),
    }
}

/// A closure for `map_err` that maps a driver error with context.
pub(crate) fn ctx(context: &'static str) -> impl Fn(Error) -> StoreError {
    move |e| store_error(context, e)
}

/// Whether a driver error is a duplicate key (code 11000) and nothing else.
pub(crate) fn is_duplicate_key(e: &Error) -> bool {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(m) => {
            m.write_concern_error.is_none() && m.write_errors.as_ref().is_some_and(|errs| errs.iter().all(|w| w.code == DUPLICATE_KEY))
        }
        _ => false,
    }
}

/// One failed statement of a write command.
#[derive(Debug, Clone)]
pub(crate) struct StatementError {
    /// Index of the statement in the list sent.
    pub index: usize,
    /// Server error code.
    pub code: i32,
    /// Server message.
    pub message: String,
}

/// What a raw `update` command did.
#[derive(Debug, Default)]
pub(crate) struct WriteOutcome {
    /// Documents matched (plus upserted).
    pub n: i64,
    /// Documents modified.
    pub modified: i64,
    /// Statements that failed.
    pub errors: Vec<StatementError>,
}

impl WriteOutcome {
    /// Reads a write command's reply; statement indexes are shifted by `offset` (chunking).
    pub(crate) fn absorb(&mut self, reply: &Document, offset: usize, context: &str) -> Result<(), StoreError> {
        self.n += number(reply.get("n"));
        self.modified += number(reply.get("nModified"));
        if let Ok(errs) = reply.get_array("writeErrors") {
            for e in errs {
                let Bson::Document(e) = e else { continue };
                let index = usize::try_from(number(e.get("index"))).unwrap_or(0) + offset;
                let code = i32::try_from(number(e.get("code"))).unwrap_or(-1);
                let message = e.get_str("errmsg").unwrap_or("").to_owned();
                self.errors.push(StatementError { index, code, message });
            }
        }
        if let Ok(wce) = reply.get_document("writeConcernError") {
            return Err(StoreError::Unavailable(format!("{context}: write concern failed: {wce}")));
        }
        Ok(())
    }

    /// Fails on any statement error other than a duplicate key.
    pub(crate) fn fail_on_other_errors(&self, context: &str) -> Result<(), StoreError> {
        match self.errors.iter().find(|e| e.code != DUPLICATE_KEY) {
            Some(e) => Err(StoreError::Unavailable(format!("{context}: statement {} failed with code {}: {}", e.index, e.code, e.message))),
            None => Ok(()),
        }
    }
}

/// A number from a reply field, whatever its BSON type.
pub(crate) fn number(b: Option<&Bson>) -> i64 {
    match b {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        #[allow(clippy::cast_possible_truncation)]
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    }
}
