//! A store-wide write lock for servers whose updates are not atomic.
//!
//! MongoDB applies every update operator atomically to its document, so concurrent `$inc`s never
//! lose one another and the store needs no lock there. FerretDB 1.x does not: its `update` reads
//! the matching document, applies the operators in its own process and writes the whole document
//! back, without a transaction (internal/handler/msg_update.go), so two writers can lose each
//! other's changes. What it does do atomically is refuse a second document with the same `_id`.
//! So on FerretDB the read-modify-write paths (ingest, hand changes, leases) run under one lock:
//! a document `{_id: "mutex:writes", token, expiresAt}` in `state` that only one writer can insert;
//! the holder deletes it when done, and a lock left by a crashed writer is broken after it expires.
//! The holder renews it while its work runs, so the expiry can be short: a writer killed while
//! holding the lock (kill -9, a lost machine) blocks the others for [`LOCK_TTL_SECONDS`] at most,
//! while a live writer keeps it however long its batch takes.

use std::future::Future;
use std::time::Duration as StdDuration;

use bson::doc;
use chrono::{Duration, Utc};
use telegcrm_domain::StoreError;

use crate::MongoStore;
use crate::codec::date;
use crate::error::{ctx, is_duplicate_key, store_error};

/// The lock document's `_id`.
const LOCK_ID: &str = "mutex:writes";
/// How long after its last renewal others may break the lock (its holder crashed).
const LOCK_TTL_SECONDS: i64 = 3;
/// How often the holder renews the lock while its work runs.
const RENEW_EVERY: StdDuration = StdDuration::from_millis(500);
/// How long a writer waits for the lock before giving up.
const WAIT: StdDuration = StdDuration::from_secs(60);

impl MongoStore {
    /// Runs `work` under the write lock when the server needs it (FerretDB), else directly.
    pub(crate) async fn serialized<T, F: Future<Output = Result<T, StoreError>>>(&self, work: F) -> Result<T, StoreError> {
        if !self.needs_write_lock {
            return work.await;
        }
        let token = uuid::Uuid::new_v4().to_string();
        self.lock(&token).await?;
        let result = tokio::select! {
            r = work => r,
            never = self.renew_lock(&token) => match never {},
        };
        let released = self.state().delete_one(doc! { "_id": LOCK_ID, "token": &token }).await.map_err(ctx("releasing the write lock"));
        let value = result?;
        released?;
        Ok(value)
    }

    /// Moves the lock's expiry on every [`RENEW_EVERY`] while the work runs; never returns.
    async fn renew_lock(&self, token: &str) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let expires = date(Utc::now() + Duration::seconds(LOCK_TTL_SECONDS));
            match self.state().update_one(doc! { "_id": LOCK_ID, "token": token }, doc! { "$set": { "expiresAt": expires } }).await {
                Ok(r) if r.matched_count == 1 => {}
                Ok(_) => tracing::warn!("the store write lock was broken while held (this writer stalled past its expiry)"),
                Err(e) => tracing::warn!(error = %e, "renewing the store write lock failed; trying again"),
            }
        }
    }

    async fn lock(&self, token: &str) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let mut pause = StdDuration::from_millis(2);
        loop {
            let now = Utc::now();
            let lock = doc! { "_id": LOCK_ID, "token": token, "expiresAt": date(now + Duration::seconds(LOCK_TTL_SECONDS)) };
            match self.state().insert_one(lock).await {
                Ok(_) => return Ok(()),
                Err(e) if is_duplicate_key(&e) => {}
                Err(e) => return Err(store_error("taking the write lock", e)),
            }
            // Held by another writer: break it only when it has expired (its holder crashed).
            if let Some(held) = self.state().find_one(doc! { "_id": LOCK_ID }).await.map_err(ctx("reading the write lock"))? {
                let expired = held.get_datetime("expiresAt").is_ok_and(|at| at.to_chrono() <= now);
                if let (true, Ok(stale)) = (expired, held.get_str("token")) {
                    tracing::warn!("breaking an expired store write lock (a writer stopped while holding it)");
                    self.state().delete_one(doc! { "_id": LOCK_ID, "token": stale }).await.map_err(ctx("breaking the write lock"))?;
                    continue;
                }
            }
            if started.elapsed() > WAIT {
                return Err(StoreError::Unavailable(format!("the store write lock stayed busy for {}s", WAIT.as_secs())));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(StdDuration::from_millis(50));
        }
    }
}
