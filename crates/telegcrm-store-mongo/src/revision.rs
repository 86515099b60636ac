//! Revisions of conversations, contacts and follow-ups, and holds of conversations and contacts
//! (the two kinds of record that ingest and hand edits both change).
//!
//! Every write of one is guarded by the revision (`rev`) read before it, and moves it one on, so
//! a writer that read an older version finds no match and starts again. A record held by an
//! ingest journal carries the journal's id in `txn` (and `txnNew` when the journal creates it);
//! no other writer changes a held record: it resolves the journal first (see `ingest::journal`).

use bson::{Bson, Document, doc};

use telegcrm_domain::StoreError;

use crate::error::{ctx, number};

/// The revision field.
pub(crate) const REV: &str = "rev";
/// The field naming the journal that holds a record.
pub(crate) const HELD_BY: &str = "txn";
/// Set on a record its holding journal creates (undoing the journal deletes it).
pub(crate) const HELD_NEW: &str = "txnNew";

/// A record's revision; a record written before revisions existed is revision 0 (as a new
/// follow-up is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Revision(pub i64);

impl Revision {
    /// The revision of a stored document.
    pub(crate) fn of(d: &Document) -> Self {
        Self(number(d.get(REV)))
    }

    /// The revision after this one.
    pub(crate) fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// What matches a document at exactly this revision (revision 0: also one without the field).
    pub(crate) fn filter(self) -> Bson {
        if self.0 == 0 { Bson::Document(doc! { "$in": [0_i64, Bson::Null] }) } else { Bson::Int64(self.0) }
    }

    /// `d` at this revision.
    pub(crate) fn stamp(self, mut d: Document) -> Document {
        d.insert(REV, self.0);
        d
    }
}

/// The journal holding a stored document, if any.
pub(crate) fn pending_journal(d: &Document) -> Option<String> {
    d.get_str(HELD_BY).ok().map(str::to_owned)
}

/// The filter of a guarded write: this document, at this revision, held by no journal.
pub(crate) fn guarded(mut filter: Document, read: Revision) -> Document {
    filter.insert(REV, read.filter());
    filter.insert(HELD_BY, doc! { "$exists": false });
    filter
}

/// How often a hand edit is tried again when another writer changed the record in between.
const EDIT_RETRIES: usize = 30;

impl crate::MongoStore {
    /// A hand edit of one conversation or contact: reads it (resolving a journal holding it),
    /// lets `apply` (the domain's rule) change it, and writes it back guarded by the revision
    /// read, again on a conflict. `None` when `filter` finds nothing.
    pub(crate) async fn edit_guarded<T>(
        &self,
        collection: &'static str,
        filter: Document,
        from: impl Fn(&Document) -> Result<T, StoreError>,
        to: impl Fn(&T) -> Result<Document, StoreError>,
        apply: impl Fn(&mut T),
    ) -> Result<Option<T>, StoreError> {
        let coll = self.database().collection::<Document>(collection);
        for _ in 0..EDIT_RETRIES {
            let Some(current) = coll.find_one(filter.clone()).await.map_err(ctx("reading a record to change"))? else {
                return Ok(None);
            };
            if self.resolve_holder(collection, &current).await? {
                continue;
            }
            let read = Revision::of(&current);
            let mut value = from(&current)?;
            apply(&mut value);
            let new = read.next().stamp(to(&value)?);
            let result = coll.replace_one(guarded(filter.clone(), read), new).await.map_err(ctx("writing a changed record"))?;
            if result.matched_count == 1 {
                return Ok(Some(value));
            }
        }
        Err(StoreError::Unavailable(format!("a record of {collection} kept changing under concurrent writers; try again")))
    }
}
