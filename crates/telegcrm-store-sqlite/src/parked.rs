//! Parked updates: one row per update id in `parked_updates`; the dropped count in `counters`.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use telegcrm_domain::ports::ParkedStore;
use telegcrm_domain::{ParkedUpdate, StoreError};

use crate::SqliteStore;
use crate::codec::{db, from_nanos, time};

const COLUMNS: &str = "update_id, raw, raw_truncated, error, first_attempt_at, last_attempt_at, attempts";

/// The `counters` row of refused updates not parked.
const DROPPED: &str = "parked_dropped";

fn read_parked(row: &Row<'_>) -> rusqlite::Result<ParkedUpdate> {
    Ok(ParkedUpdate {
        update_id: row.get(0)?,
        raw: row.get(1)?,
        raw_truncated: row.get(2)?,
        error: row.get(3)?,
        first_attempt_at: from_nanos(row.get(4)?),
        last_attempt_at: from_nanos(row.get(5)?),
        attempts: row.get(6)?,
    })
}

#[async_trait]
impl ParkedStore for SqliteStore {
    async fn put_parked(&self, parked: &ParkedUpdate) -> Result<(), StoreError> {
        let p = parked.clone();
        self.write(move |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO parked_updates ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (update_id) DO UPDATE SET \
                     raw = excluded.raw, raw_truncated = excluded.raw_truncated, error = excluded.error, \
                     first_attempt_at = excluded.first_attempt_at, last_attempt_at = excluded.last_attempt_at, attempts = excluded.attempts"
                ),
                params![p.update_id, p.raw, p.raw_truncated, p.error, time(p.first_attempt_at)?, time(p.last_attempt_at)?, p.attempts],
            )
            .map_err(db("parking an update"))?;
            Ok(())
        })
        .await
    }

    async fn get_parked(&self, update_id: i64) -> Result<Option<ParkedUpdate>, StoreError> {
        self.read(move |tx| {
            tx.query_row(&format!("SELECT {COLUMNS} FROM parked_updates WHERE update_id = ?1"), params![update_id], read_parked)
                .optional()
                .map_err(db("reading a parked update"))
        })
        .await
    }

    async fn list_parked(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |tx| {
            let mut stmt = tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM parked_updates WHERE update_id > ?1 ORDER BY update_id LIMIT ?2"))
                .map_err(db("listing parked updates"))?;
            let rows = stmt.query_map(params![after.unwrap_or(i64::MIN), limit], read_parked).map_err(db("listing parked updates"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db("listing parked updates"))
        })
        .await
    }

    async fn count_parked(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let n: i64 = tx.query_row("SELECT count(*) FROM parked_updates", [], |r| r.get(0)).map_err(db("counting parked updates"))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn delete_parked(&self, update_id: i64) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM parked_updates WHERE update_id = ?1", params![update_id])
                .map_err(db("deleting a parked update"))?;
            Ok(n > 0)
        })
        .await
    }

    async fn add_dropped(&self, n: u64) -> Result<(), StoreError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                params![DROPPED, n],
            )
            .map_err(db("counting a dropped update"))?;
            Ok(())
        })
        .await
    }

    async fn dropped_count(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let n: Option<i64> = tx
                .query_row("SELECT value FROM counters WHERE name = ?1", params![DROPPED], |r| r.get(0))
                .optional()
                .map_err(db("reading the dropped count"))?;
            Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
        })
        .await
    }
}
