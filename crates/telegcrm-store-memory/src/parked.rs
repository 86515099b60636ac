//! Parked updates in memory, by update id.

use async_trait::async_trait;
use telegcrm_domain::ports::ParkedStore;
use telegcrm_domain::{ParkedUpdate, StoreError};

use crate::MemoryStore;

#[async_trait]
impl ParkedStore for MemoryStore {
    async fn put_parked(&self, parked: &ParkedUpdate) -> Result<(), StoreError> {
        self.write()?.parked.insert(parked.update_id, parked.clone());
        Ok(())
    }

    async fn get_parked(&self, update_id: i64) -> Result<Option<ParkedUpdate>, StoreError> {
        Ok(self.read()?.parked.get(&update_id).cloned())
    }

    async fn list_parked(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, StoreError> {
        let inner = self.read()?;
        let from = match after {
            Some(id) => std::ops::Bound::Excluded(id),
            None => std::ops::Bound::Unbounded,
        };
        Ok(inner.parked.range((from, std::ops::Bound::Unbounded)).take(limit).map(|(_, p)| p.clone()).collect())
    }

    async fn count_parked(&self) -> Result<u64, StoreError> {
        Ok(self.read()?.parked.len() as u64)
    }

    async fn delete_parked(&self, update_id: i64) -> Result<bool, StoreError> {
        Ok(self.write()?.parked.remove(&update_id).is_some())
    }

    async fn add_dropped(&self, n: u64) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        inner.dropped = inner.dropped.saturating_add(n);
        Ok(())
    }

    async fn dropped_count(&self) -> Result<u64, StoreError> {
        Ok(self.read()?.dropped)
    }
}
