//! Reading typed fields out of BSON documents, with errors that name the field.

use std::str::FromStr;

use bson::{Bson, Document};
use chrono::{DateTime, Utc};
use telegcrm_domain::StoreError;
use telegcrm_domain::tag::Tag;
use uuid::Uuid;

/// A document being read as `what` (for error messages).
pub(crate) struct Reader<'a> {
    doc: &'a Document,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(doc: &'a Document, what: &'static str) -> Self {
        Self { doc, what }
    }

    fn bad(&self, field: &str, expected: &str) -> StoreError {
        let id = self.doc.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string);
        StoreError::Corrupt(format!("{} {id}: field {field} is missing or not {expected}", self.what))
    }

    fn present(&self, field: &str) -> Option<&'a Bson> {
        self.doc.get(field).filter(|b| !matches!(b, Bson::Null | Bson::Undefined))
    }

    pub(crate) fn str(&self, field: &str) -> Result<String, StoreError> {
        self.opt_str(field)?.ok_or_else(|| self.bad(field, "a string"))
    }

    pub(crate) fn opt_str(&self, field: &str) -> Result<Option<String>, StoreError> {
        match self.present(field) {
            None => Ok(None),
            Some(Bson::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(field, "a string")),
        }
    }

    pub(crate) fn opt_i64(&self, field: &str) -> Result<Option<i64>, StoreError> {
        match self.present(field) {
            None => Ok(None),
            Some(Bson::Int32(n)) => Ok(Some(i64::from(*n))),
            Some(Bson::Int64(n)) => Ok(Some(*n)),
            #[allow(clippy::cast_possible_truncation)]
            Some(Bson::Double(n)) if n.fract() == 0.0 => Ok(Some(*n as i64)),
            Some(_) => Err(self.bad(field, "an integer")),
        }
    }

    pub(crate) fn i64(&self, field: &str) -> Result<i64, StoreError> {
        self.opt_i64(field)?.ok_or_else(|| self.bad(field, "an integer"))
    }

    /// A non-negative counter (a missing one reads as 0).
    pub(crate) fn count<T: TryFrom<i64>>(&self, field: &str) -> Result<T, StoreError> {
        T::try_from(self.opt_i64(field)?.unwrap_or(0).max(0)).map_err(|_| self.bad(field, "a counter in range"))
    }

    pub(crate) fn opt_u32(&self, field: &str) -> Result<Option<u32>, StoreError> {
        self.opt_i64(field)?.map(|n| u32::try_from(n).map_err(|_| self.bad(field, "a 32-bit unsigned integer"))).transpose()
    }

    pub(crate) fn bool(&self, field: &str) -> Result<bool, StoreError> {
        match self.present(field) {
            None => Ok(false),
            Some(Bson::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.bad(field, "a boolean")),
        }
    }

    pub(crate) fn opt_date(&self, field: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.present(field) {
            None => Ok(None),
            Some(Bson::DateTime(d)) => Ok(Some(d.to_chrono())),
            Some(_) => Err(self.bad(field, "a date")),
        }
    }

    pub(crate) fn date(&self, field: &str) -> Result<DateTime<Utc>, StoreError> {
        self.opt_date(field)?.ok_or_else(|| self.bad(field, "a date"))
    }

    pub(crate) fn parse<T: FromStr>(&self, field: &str) -> Result<T, StoreError> {
        self.str(field)?.parse().map_err(|_| self.bad(field, "a known value"))
    }

    pub(crate) fn opt_parse<T: FromStr>(&self, field: &str) -> Result<Option<T>, StoreError> {
        self.opt_str(field)?.map(|s| s.parse().map_err(|_| self.bad(field, "a known value"))).transpose()
    }

    pub(crate) fn uuid<T: From<Uuid>>(&self, field: &str) -> Result<T, StoreError> {
        Uuid::parse_str(&self.str(field)?).map(T::from).map_err(|_| self.bad(field, "a UUID string"))
    }

    pub(crate) fn opt_uuid<T: From<Uuid>>(&self, field: &str) -> Result<Option<T>, StoreError> {
        self.opt_str(field)?.map(|s| Uuid::parse_str(&s).map(T::from).map_err(|_| self.bad(field, "a UUID string"))).transpose()
    }

    pub(crate) fn uuids<T: From<Uuid>>(&self, field: &str) -> Result<Vec<T>, StoreError> {
        self.array(field)?
            .iter()
            .map(|b| match b {
                Bson::String(s) => Uuid::parse_str(s).map(T::from).map_err(|_| self.bad(field, "an array of UUID strings")),
                _ => Err(self.bad(field, "an array of UUID strings")),
            })
            .collect()
    }

    pub(crate) fn tags(&self, field: &str) -> Result<Vec<Tag>, StoreError> {
        self.array(field)?
            .iter()
            .map(|b| match b {
                Bson::String(s) => Tag::parse(s).map_err(|_| self.bad(field, "valid tags")),
                _ => Err(self.bad(field, "an array of strings")),
            })
            .collect()
    }

    pub(crate) fn array(&self, field: &str) -> Result<&'a [Bson], StoreError> {
        match self.present(field) {
            None => Ok(&[]),
            Some(Bson::Array(a)) => Ok(a),
            Some(_) => Err(self.bad(field, "an array")),
        }
    }

    pub(crate) fn opt_doc(&self, field: &str) -> Result<Option<&'a Document>, StoreError> {
        match self.present(field) {
            None => Ok(None),
            Some(Bson::Document(d)) => Ok(Some(d)),
            Some(_) => Err(self.bad(field, "a document")),
        }
    }
}
