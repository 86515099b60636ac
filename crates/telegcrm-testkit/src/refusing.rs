//! A store wrapper that refuses chosen ingests, for tests of what happens when the store says no.
//!
//! [`RefusingStore`] passes every call to the store it wraps, except that an ingest batch holding
//! a message whose text contains the refusal marker fails with [`StoreError::Corrupt`] (as when a
//! record the batch needs does not decode), and every ingest fails with
//! [`StoreError::Unavailable`] while the store is set unavailable (as when the database is
//! down). Everything else, parked updates included, is the wrapped store's own behaviour.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use telegcrm_domain::event::{IngestBatch, IngestReport};
use telegcrm_domain::model::{ContactChange, ConversationChange, FollowUpChange};
use telegcrm_domain::ports::{
    ActivityStore, ContactFilter, ContactStore, ConversationFilter, ConversationStore, FollowUpFilter, FollowUpStore, IngestStore,
    MessageStore, NoteStore, ParkedStore, SearchStore, StateStore, Store,
};
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{
    Activity, AvatarId, Contact, ContactId, Conversation, ConversationId, FollowUp, FollowUpId, Message, Note, Page, PageRequest,
    ParkedUpdate, StoreError,
};

/// A store that refuses batches carrying a marker text, or every ingest while unavailable.
pub struct RefusingStore {
    inner: Arc<dyn Store>,
    marker: Mutex<Option<String>>,
    unavailable: AtomicBool,
    refused: AtomicU64,
}

impl std::fmt::Debug for RefusingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefusingStore").field("marker", &self.marker).field("unavailable", &self.unavailable).finish_non_exhaustive()
    }
}

impl RefusingStore {
    /// Wraps `inner`, refusing nothing yet.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, marker: Mutex::new(None), unavailable: AtomicBool::new(false), refused: AtomicU64::new(0) }
    }

    /// From now on, refuses every batch with a message or edit whose text contains `marker`.
    pub fn refuse_text(&self, marker: &str) {
        *self.marker.lock().unwrap() = Some(marker.to_owned());
    }

    /// The cause is gone: refuses nothing any more.
    pub fn accept_all(&self) {
        *self.marker.lock().unwrap() = None;
    }

    /// Makes every ingest fail as if the store could not be reached (or reachable again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// How many ingests it refused or failed.
    pub fn refusals(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    fn verdict(&self, batch: &IngestBatch) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Unavailable("connection refused (the test store is down)".into()));
        }
        let marker = self.marker.lock().unwrap().clone();
        if let Some(marker) = marker
            && batch.events.iter().any(|e| e.event.text().is_some_and(|t| t.contains(&marker)))
        {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Corrupt(format!("a stored record does not decode (test refusal of {marker:?})")));
        }
        Ok(())
    }
}

#[async_trait]
impl IngestStore for RefusingStore {
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        self.verdict(batch)?;
        self.inner.ingest(batch).await
    }
}

#[async_trait]
impl ConversationStore for RefusingStore {
    async fn get_conversation(&self, owner: AvatarId, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        self.inner.get_conversation(owner, id).await
    }
    async fn get_conversations(&self, owner: AvatarId, ids: &[ConversationId]) -> Result<Vec<Conversation>, StoreError> {
        self.inner.get_conversations(owner, ids).await
    }
    async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        self.inner.list_conversations(owner, filter, page).await
    }
    async fn update_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        self.inner.update_conversation(owner, id, change, now).await
    }
    async fn list_owners(&self) -> Result<Vec<AvatarId>, StoreError> {
        self.inner.list_owners().await
    }
}

#[async_trait]
impl MessageStore for RefusingStore {
    async fn list_messages(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        self.inner.list_messages(owner, conversation_id, page).await
    }
    async fn find_message(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        telegram_message_id: i64,
    ) -> Result<Option<Message>, StoreError> {
        self.inner.find_message(owner, conversation_id, telegram_message_id).await
    }
}

#[async_trait]
impl ContactStore for RefusingStore {
    async fn get_contact(&self, owner: AvatarId, id: ContactId) -> Result<Option<Contact>, StoreError> {
        self.inner.get_contact(owner, id).await
    }
    async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        self.inner.list_contacts(owner, filter, page).await
    }
    async fn update_contact(
        &self,
        owner: AvatarId,
        id: ContactId,
        change: &ContactChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Contact>, StoreError> {
        self.inner.update_contact(owner, id, change, now).await
    }
}

#[async_trait]
impl FollowUpStore for RefusingStore {
    async fn insert_followup(&self, followup: &FollowUp) -> Result<(), StoreError> {
        self.inner.insert_followup(followup).await
    }
    async fn get_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<Option<FollowUp>, StoreError> {
        self.inner.get_followup(owner, id).await
    }
    async fn update_followup(
        &self,
        owner: AvatarId,
        id: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        self.inner.update_followup(owner, id, change, now).await
    }
    async fn delete_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<bool, StoreError> {
        self.inner.delete_followup(owner, id).await
    }
    async fn list_followups(&self, owner: AvatarId, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, StoreError> {
        self.inner.list_followups(owner, filter, page).await
    }
    async fn due_followups(&self, now: DateTime<Utc>, limit: usize, skip_owners: &[AvatarId]) -> Result<Vec<FollowUp>, StoreError> {
        self.inner.due_followups(now, limit, skip_owners).await
    }
}

#[async_trait]
impl SearchStore for RefusingStore {
    async fn search_candidates(
        &self,
        owner: AvatarId,
        query: &SearchQuery,
        filters: &SearchFilters,
        max: usize,
    ) -> Result<Vec<Message>, StoreError> {
        self.inner.search_candidates(owner, query, filters, max).await
    }
}

#[async_trait]
impl StateStore for RefusingStore {
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get_state(key).await
    }
    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.put_state(key, value).await
    }
    async fn take_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.take_state(key).await
    }
    async fn acquire_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        self.inner.acquire_lease(name, holder, now, ttl).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.inner.release_lease(name, holder).await
    }
}

#[async_trait]
impl ParkedStore for RefusingStore {
    async fn put_parked(&self, parked: &ParkedUpdate) -> Result<(), StoreError> {
        self.inner.put_parked(parked).await
    }
    async fn get_parked(&self, update_id: i64) -> Result<Option<ParkedUpdate>, StoreError> {
        self.inner.get_parked(update_id).await
    }
    async fn list_parked(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, StoreError> {
        self.inner.list_parked(after, limit).await
    }
    async fn count_parked(&self) -> Result<u64, StoreError> {
        self.inner.count_parked().await
    }
    async fn delete_parked(&self, update_id: i64) -> Result<bool, StoreError> {
        self.inner.delete_parked(update_id).await
    }
    async fn add_dropped(&self, n: u64) -> Result<(), StoreError> {
        self.inner.add_dropped(n).await
    }
    async fn dropped_count(&self) -> Result<u64, StoreError> {
        self.inner.dropped_count().await
    }
}

#[async_trait]
impl ActivityStore for RefusingStore {
    async fn append_activity(&self, entry: &Activity) -> Result<(), StoreError> {
        self.inner.append_activity(entry).await
    }
    async fn list_activity(
        &self,
        owner: AvatarId,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, StoreError> {
        self.inner.list_activity(owner, conversation, page).await
    }
}

#[async_trait]
impl NoteStore for RefusingStore {
    async fn insert_note(&self, note: &Note) -> Result<(), StoreError> {
        self.inner.insert_note(note).await
    }
    async fn list_notes(&self, owner: AvatarId, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        self.inner.list_notes(owner, conversation, page).await
    }
    async fn list_mentions(&self, owner: AvatarId, avatar: AvatarId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        self.inner.list_mentions(owner, avatar, page).await
    }
}

#[async_trait]
impl Store for RefusingStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("connection refused (the test store is down)".into()));
        }
        self.inner.ping().await
    }
}
