//! Small key/value state and leases, in the `state` collection.
//!
//! A lease is one document `{_id: "lease:<name>", holder, expiresAt}`. Taking it is one upsert
//! whose filter matches only when the lease is this holder's or has expired; when another holder
//! has it, the upsert's insert collides with the existing `_id` (duplicate key) and the answer
//! is "not held". So two instances can never both hold it, and a holder that stops renewing
//! loses it at `expiresAt`.

use async_trait::async_trait;
use bson::doc;
use chrono::{DateTime, Duration, Utc};
use telegcrm_domain::StoreError;
use telegcrm_domain::ports::StateStore;

use crate::MongoStore;
use crate::codec::date;
use crate::error::{ctx, is_duplicate_key, store_error};

/// How often taking a value is retried when it changed in between.
const TAKE_RETRIES: usize = 20;

/// The `_id` of a key/value entry.
pub(crate) fn kv_id(key: &str) -> String {
    format!("kv:{key}")
}

/// The `_id` of a lease.
pub(crate) fn lease_id(name: &str) -> String {
    format!("lease:{name}")
}

#[async_trait]
impl StateStore for MongoStore {
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let found = self.state().find_one(doc! { "_id": kv_id(key) }).await.map_err(ctx("reading state"))?;
        Ok(found.and_then(|d| d.get_str("value").ok().map(str::to_owned)))
    }

    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let filter = doc! { "_id": kv_id(key) };
        let update = doc! { "$set": { "value": value } };
        // Two first writes of one key may race to insert it; the loser then updates.
        for attempt in 0..2 {
            match self.state().update_one(filter.clone(), update.clone()).upsert(true).await {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) && attempt == 0 => continue,
                Err(e) => return Err(store_error("writing state", e)),
            }
        }
        Ok(())
    }

    async fn take_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        // Read, then delete only that value: the delete is atomic, so of many racing takers one
        // deletes it (`findAndModify` with `remove` is not atomic on FerretDB 1.x).
        for _ in 0..TAKE_RETRIES {
            let Some(found) = self.state().find_one(doc! { "_id": kv_id(key) }).await.map_err(ctx("taking state"))? else {
                return Ok(None);
            };
            let value = found.get_str("value").map_err(|_| StoreError::Corrupt(format!("state {key}: value is not a string")))?;
            let deleted =
                self.state().delete_one(doc! { "_id": kv_id(key), "value": value }).await.map_err(ctx("taking state"))?.deleted_count;
            if deleted == 1 {
                return Ok(Some(value.to_owned()));
            }
        }
        Err(StoreError::Unavailable(format!("state {key} kept changing while being taken; try again")))
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        self.serialized(self.take_lease(name, holder, now, ttl)).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.state().delete_one(doc! { "_id": lease_id(name), "holder": holder }).await.map(|_| ()).map_err(ctx("releasing a lease"))
    }
}

impl MongoStore {
    async fn take_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": lease_id(name),
            "$or": [ { "holder": holder }, { "expiresAt": { "$lte": date(now) } } ],
        };
        let update = doc! { "$set": { "holder": holder, "expiresAt": date(now + ttl), "renewedAt": date(now) } };
        match self.state().update_one(filter, update).upsert(true).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(store_error("taking a lease", e)),
        }
    }
}
