//! # telegcrm-store-memory
//!
//! Every Telegcrm store port in memory: thread-safe, no I/O, and quick enough for library users'
//! tests with a hundred thousand messages (an inverted term index serves search; per-conversation
//! ordered sets serve message pages). Nothing survives the process.

mod activity;
mod index;
mod notes;
mod parked;
mod tx;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use telegcrm_domain::event::{IngestBatch, IngestReport};
use telegcrm_domain::ingest::apply_batch;
use telegcrm_domain::model::{ChatKey, ContactChange, ConversationChange, FollowUpChange};
use telegcrm_domain::page::{is_after_asc, is_after_desc};
use telegcrm_domain::ports::{
    ContactFilter, ContactStore, ConversationFilter, ConversationStore, FollowUpFilter, FollowUpStore, IngestStore, MessageStore,
    SearchStore, StateStore, Store,
};
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{
    AvatarId, Contact, ContactId, Conversation, ConversationId, FollowUp, FollowUpId, FollowUpStatus, Message, MessageId, Page,
    PageRequest, StoreError,
};

use crate::index::TermIndex;

/// The store. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    conversations: HashMap<ConversationId, Conversation>,
    conversation_keys: HashMap<ChatKey, ConversationId>,
    messages: HashMap<MessageId, Message>,
    message_keys: HashMap<(ConversationId, i64), MessageId>,
    /// Each conversation's messages in `(sentAt, id)` order.
    timelines: HashMap<ConversationId, BTreeSet<(DateTime<Utc>, MessageId)>>,
    contacts: HashMap<ContactId, Contact>,
    contact_keys: HashMap<(AvatarId, i64), ContactId>,
    followups: HashMap<FollowUpId, FollowUp>,
    terms: TermIndex,
    state: HashMap<String, String>,
    leases: HashMap<String, (String, DateTime<Utc>)>,
    parked: BTreeMap<i64, telegcrm_domain::ParkedUpdate>,
    /// Refused updates not parked (the cap was reached).
    dropped: u64,
    notes: Vec<telegcrm_domain::Note>,
    activity: Vec<telegcrm_domain::Activity>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Inner>, StoreError> {
        self.inner.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Inner>, StoreError> {
        self.inner.write().map_err(|_| poisoned())
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("memory store lock poisoned by a panic in another thread".into())
}

/// Sorts newest first by `(at, id)`, keeps what follows the cursor, and cuts a page.
fn page_desc<T: Clone>(items: Vec<&T>, page: &PageRequest, key: impl Fn(&T) -> (DateTime<Utc>, uuid::Uuid)) -> Page<T> {
    let mut items: Vec<&T> = items.into_iter().filter(|t| is_after_desc(key(t), page.cursor.as_ref())).collect();
    items.sort_by_key(|t| std::cmp::Reverse(key(t)));
    items.truncate(page.limit.get() + 1);
    Page::from_overfetch(items.into_iter().cloned().collect(), page.limit, key)
}

fn conversation_key(c: &Conversation) -> (DateTime<Utc>, uuid::Uuid) {
    (c.last_message_at, c.id.as_uuid())
}

fn message_key(m: &Message) -> (DateTime<Utc>, uuid::Uuid) {
    (m.sent_at, m.id.as_uuid())
}

fn contact_key(c: &Contact) -> (DateTime<Utc>, uuid::Uuid) {
    (c.last_contacted_at, c.id.as_uuid())
}

fn followup_key(f: &FollowUp) -> (DateTime<Utc>, uuid::Uuid) {
    (f.due_at, f.id.as_uuid())
}

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn get_conversation(&self, owner: AvatarId, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        Ok(self.read()?.conversations.get(&id).filter(|c| c.owner_avatar_id == owner).cloned())
    }

    async fn get_conversations(&self, owner: AvatarId, ids: &[ConversationId]) -> Result<Vec<Conversation>, StoreError> {
        let inner = self.read()?;
        Ok(ids.iter().filter_map(|id| inner.conversations.get(id)).filter(|c| c.owner_avatar_id == owner).cloned().collect())
    }

    async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        let inner = self.read()?;
        let items = inner.conversations.values().filter(|c| c.owner_avatar_id == owner && filter.matches(c)).collect();
        Ok(page_desc(items, page, conversation_key))
    }

    async fn update_conversation(
        &self,
        owner: AvatarId,
        id: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        let mut inner = self.write()?;
        let inner = &mut *inner;
        let Some(c) = inner.conversations.get_mut(&id).filter(|c| c.owner_avatar_id == owner) else {
            return Ok(None);
        };
        change.apply(c, now);
        if change.marks_read() {
            for (_, mid) in inner.timelines.get(&id).into_iter().flatten() {
                if let Some(m) = inner.messages.get_mut(mid) {
                    m.is_read = true;
                }
            }
        }
        Ok(Some(c.clone()))
    }

    async fn list_owners(&self) -> Result<Vec<AvatarId>, StoreError> {
        let inner = self.read()?;
        let owners: std::collections::HashSet<AvatarId> =
            inner.conversations.values().map(|c| c.owner_avatar_id).chain(inner.contacts.values().map(|c| c.owner_avatar_id)).collect();
        Ok(owners.into_iter().collect())
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn list_messages(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let inner = self.read()?;
        if inner.conversations.get(&conversation_id).is_none_or(|c| c.owner_avatar_id != owner) {
            return Ok(Page::empty());
        }
        let cursor = page.cursor.as_ref().and_then(|c| c.after());
        let items: Vec<Message> = inner
            .timelines
            .get(&conversation_id)
            .into_iter()
            .flatten()
            .rev()
            .filter(|(at, id)| cursor.is_none_or(|c| (*at, id.as_uuid()) < c))
            .take(page.limit.get() + 1)
            .filter_map(|(_, id)| inner.messages.get(id).cloned())
            .collect();
        Ok(Page::from_overfetch(items, page.limit, message_key))
    }

    async fn find_message(
        &self,
        owner: AvatarId,
        conversation_id: ConversationId,
        telegram_message_id: i64,
    ) -> Result<Option<Message>, StoreError> {
        let inner = self.read()?;
        Ok(inner
            .message_keys
            .get(&(conversation_id, telegram_message_id))
            .and_then(|id| inner.messages.get(id))
            .filter(|m| m.owner_avatar_id == owner)
            .cloned())
    }
}

#[async_trait]
impl ContactStore for MemoryStore {
    async fn get_contact(&self, owner: AvatarId, id: ContactId) -> Result<Option<Contact>, StoreError> {
        Ok(self.read()?.contacts.get(&id).filter(|c| c.owner_avatar_id == owner).cloned())
    }

    async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        let inner = self.read()?;
        let items = inner.contacts.values().filter(|c| c.owner_avatar_id == owner && filter.matches(c)).collect();
        Ok(page_desc(items, page, contact_key))
    }

    async fn update_contact(
        &self,
        owner: AvatarId,
        id: ContactId,
        change: &ContactChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Contact>, StoreError> {
        let mut inner = self.write()?;
        let Some(c) = inner.contacts.get_mut(&id).filter(|c| c.owner_avatar_id == owner) else {
            return Ok(None);
        };
        change.apply(c, now);
        Ok(Some(c.clone()))
    }
}

#[async_trait]
impl FollowUpStore for MemoryStore {
    async fn insert_followup(&self, followup: &FollowUp) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        if inner.followups.contains_key(&followup.id) {
            return Err(StoreError::Conflict(format!("follow-up {} exists", followup.id)));
        }
        inner.followups.insert(followup.id, followup.clone());
        Ok(())
    }

    async fn get_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<Option<FollowUp>, StoreError> {
        Ok(self.read()?.followups.get(&id).filter(|f| f.owner_avatar_id == owner).cloned())
    }

    async fn update_followup(
        &self,
        owner: AvatarId,
        id: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        let mut inner = self.write()?;
        let Some(f) = inner.followups.get_mut(&id).filter(|f| f.owner_avatar_id == owner) else {
            return Ok(None);
        };
        change.apply(f, now);
        Ok(Some(f.clone()))
    }

    async fn delete_followup(&self, owner: AvatarId, id: FollowUpId) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        let mine = inner.followups.get(&id).is_some_and(|f| f.owner_avatar_id == owner);
        if mine {
            inner.followups.remove(&id);
        }
        Ok(mine)
    }

    async fn list_followups(&self, owner: AvatarId, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, StoreError> {
        let inner = self.read()?;
        let mut items: Vec<&FollowUp> = inner
            .followups
            .values()
            .filter(|f| f.owner_avatar_id == owner && filter.matches(f) && is_after_asc(followup_key(f), page.cursor.as_ref()))
            .collect();
        items.sort_by_key(|f| followup_key(f));
        items.truncate(page.limit.get() + 1);
        Ok(Page::from_overfetch(items.into_iter().cloned().collect(), page.limit, followup_key))
    }

    async fn due_followups(&self, now: DateTime<Utc>, limit: usize, skip_owners: &[AvatarId]) -> Result<Vec<FollowUp>, StoreError> {
        let inner = self.read()?;
        let mut due: Vec<&FollowUp> = inner
            .followups
            .values()
            .filter(|f| f.status == FollowUpStatus::Pending && f.due_at <= now && f.reminded_at.is_none())
            .filter(|f| !skip_owners.contains(&f.owner_avatar_id))
            .collect();
        due.sort_by_key(|f| followup_key(f));
        Ok(due.into_iter().take(limit).cloned().collect())
    }
}

#[async_trait]
impl SearchStore for MemoryStore {
    async fn search_candidates(
        &self,
        owner: AvatarId,
        query: &SearchQuery,
        filters: &SearchFilters,
        max: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let inner = self.read()?;
        let passes = |m: &Message| {
            m.owner_avatar_id == owner
                && m.deleted_at.is_none()
                && filters.conversation_id.is_none_or(|id| m.conversation_id == id)
                && filters.from.is_none_or(|from| m.sent_at >= from)
                && filters.to.is_none_or(|to| m.sent_at < to)
                && inner.conversations.get(&m.conversation_id).is_some_and(|c| {
                    filters.contact_id.is_none_or(|id| c.contact_id == Some(id))
                        && filters.priority.is_none_or(|p| c.priority == p)
                        && filters.status.is_none_or(|s| c.status == s)
                        && filters.tag.as_ref().is_none_or(|t| c.tags.contains(t))
                })
                && (query.is_empty() || query.matches(&m.content))
        };
        let mut found: Vec<&Message> = match inner.terms.candidates(query) {
            Some(ids) => ids.iter().filter_map(|id| inner.messages.get(id)).filter(|m| passes(m)).collect(),
            None => inner.messages.values().filter(|m| passes(m)).collect(),
        };
        found.sort_by_key(|m| std::cmp::Reverse(message_key(m)));
        Ok(found.into_iter().take(max).cloned().collect())
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.read()?.state.get(key).cloned())
    }

    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write()?.state.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn take_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.write()?.state.remove(key))
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        let free = inner.leases.get(name).is_none_or(|(h, until)| h == holder || *until <= now);
        if free {
            inner.leases.insert(name.to_owned(), (holder.to_owned(), now + ttl));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        if inner.leases.get(name).is_some_and(|(h, _)| h == holder) {
            inner.leases.remove(name);
        }
        Ok(())
    }
}

#[async_trait]
impl IngestStore for MemoryStore {
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        let mut inner = self.write()?;
        // Every write of the memory transaction is infallible, so a batch cannot half-apply.
        apply_batch(&mut tx::MemoryTx(&mut inner), batch, batch.received_at)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read().map(|_| ())
    }
}
