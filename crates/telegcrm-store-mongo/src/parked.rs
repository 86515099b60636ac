//! Parked updates in the `parked_updates` collection, `_id` the update id (an integer, so `_id`
//! order is update-id order); the dropped count in `state/counter:parked_dropped`.
//!
//! The collection is additive: it needs no index beyond `_id`, and a build that predates it
//! never reads it, so it does not raise the schema version (see `schema`).

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use telegcrm_domain::ports::ParkedStore;
use telegcrm_domain::{ParkedUpdate, StoreError};

use crate::MongoStore;
use crate::codec::date;
use crate::collections::PARKED_UPDATES;
use crate::error::{ctx, is_duplicate_key, number, store_error};
use crate::write::find_all;

/// The `state` document that counts refused updates not parked.
const DROPPED_ID: &str = "counter:parked_dropped";

fn parked_doc(p: &ParkedUpdate) -> Document {
    doc! {
        "_id": p.update_id,
        "raw": &p.raw,
        "rawTruncated": p.raw_truncated,
        "error": &p.error,
        "firstAttemptAt": date(p.first_attempt_at),
        "lastAttemptAt": date(p.last_attempt_at),
        "attempts": i64::from(p.attempts),
    }
}

fn parked_from(d: &Document) -> Result<ParkedUpdate, StoreError> {
    let bad = |field: &str| StoreError::Corrupt(format!("a parked update ({:?}) has no valid {field}", d.get("_id")));
    let update_id = match d.get("_id") {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        _ => return Err(bad("_id")),
    };
    let text = |field: &str| d.get_str(field).map(str::to_owned).map_err(|_| bad(field));
    let time = |field: &str| d.get_datetime(field).map(|t| t.to_chrono()).map_err(|_| bad(field));
    Ok(ParkedUpdate {
        update_id,
        raw: text("raw")?,
        raw_truncated: d.get_bool("rawTruncated").map_err(|_| bad("rawTruncated"))?,
        error: text("error")?,
        first_attempt_at: time("firstAttemptAt")?,
        last_attempt_at: time("lastAttemptAt")?,
        attempts: u32::try_from(number(d.get("attempts"))).map_err(|_| bad("attempts"))?,
    })
}

#[async_trait]
impl ParkedStore for MongoStore {
    async fn put_parked(&self, parked: &ParkedUpdate) -> Result<(), StoreError> {
        let filter = doc! { "_id": parked.update_id };
        // Two first parkings of one update may race to insert it; the loser then replaces.
        for attempt in 0..2 {
            match self.parked().replace_one(filter.clone(), parked_doc(parked)).upsert(true).await {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) && attempt == 0 => continue,
                Err(e) => return Err(store_error("parking an update", e)),
            }
        }
        Ok(())
    }

    async fn get_parked(&self, update_id: i64) -> Result<Option<ParkedUpdate>, StoreError> {
        let found = self.parked().find_one(doc! { "_id": update_id }).await.map_err(ctx("reading a parked update"))?;
        found.as_ref().map(parked_from).transpose()
    }

    async fn list_parked(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let filter = after.map_or_else(Document::new, |id| doc! { "_id": { "$gt": id } });
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let docs = find_all(&self.parked(), filter, Some(doc! { "_id": 1 }), Some(limit), "listing parked updates").await?;
        docs.iter().map(parked_from).collect()
    }

    async fn count_parked(&self) -> Result<u64, StoreError> {
        self.parked().count_documents(doc! {}).await.map_err(ctx("counting parked updates"))
    }

    async fn delete_parked(&self, update_id: i64) -> Result<bool, StoreError> {
        let result = self.parked().delete_one(doc! { "_id": update_id }).await.map_err(ctx("deleting a parked update"))?;
        Ok(result.deleted_count == 1)
    }

    async fn add_dropped(&self, n: u64) -> Result<(), StoreError> {
        // `$inc` is atomic on MongoDB, not on FerretDB: there it runs under the write lock.
        self.serialized(self.increment_dropped(i64::try_from(n).unwrap_or(i64::MAX))).await
    }

    async fn dropped_count(&self) -> Result<u64, StoreError> {
        let found = self.state().find_one(doc! { "_id": DROPPED_ID }).await.map_err(ctx("reading the dropped count"))?;
        Ok(found.map_or(0, |d| u64::try_from(number(d.get("value"))).unwrap_or(0)))
    }
}

impl MongoStore {
    fn parked(&self) -> mongodb::Collection<Document> {
        self.database().collection(PARKED_UPDATES)
    }

    async fn increment_dropped(&self, n: i64) -> Result<(), StoreError> {
        let (filter, update) = (doc! { "_id": DROPPED_ID }, doc! { "$inc": { "value": n } });
        for attempt in 0..2 {
            match self.state().update_one(filter.clone(), update.clone()).upsert(true).await {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) && attempt == 0 => continue,
                Err(e) => return Err(store_error("counting a dropped update", e)),
            }
        }
        Ok(())
    }
}
