//! The store ports over SQLite: reads on the reader pool, writes on the writer thread.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use telegcrm_domain::event::{IngestBatch, IngestReport};
use telegcrm_domain::model::{ContactChange, ConversationChange, FollowUpChange};
use telegcrm_domain::ports::{
    ActivityStore, Assignee, ContactFilter, ContactStore, ConversationFilter, ConversationStore, FollowUpFilter, FollowUpStore,
    IngestStore, MessageStore, NoteStore, SearchStore, StateStore, Store,
};
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{
    Activity, AvatarId, Contact, ContactId, Conversation, ConversationId, FollowUp, FollowUpId, FollowUpView, Message, Note, Page,
    PageRequest, StoreError,
};
use tokio::sync::oneshot;

use crate::codec::{self, MESSAGE_COLUMNS, db, from_doc, id, time};
use crate::writer::Job;
use crate::{SqliteStore, rows, search};

/// Collects `?N` parameters while a statement is put together.
#[derive(Default)]
struct Params(Vec<Value>);

impl Params {
    fn push(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("?{}", self.0.len())
    }
}

fn blob(b: [u8; 16]) -> Value {
    Value::Blob(b.to_vec())
}

/// Keyset condition for a newest-first list on `(at, id)`.
fn after_desc(p: &mut Params, page: &PageRequest, at_col: &str, id_col: &str) -> Result<Option<String>, StoreError> {
    page.cursor
        .and_then(|c| c.after())
        .map(|(at, cid)| {
            let (a, i) = (p.push(time(at)?), p.push(blob(id(cid))));
            Ok(format!("({at_col} < {a} OR ({at_col} = {a} AND {id_col} < {i}))"))
        })
        .transpose()
}

fn limit_plus_one(page: &PageRequest) -> i64 {
    i64::try_from(page.limit.get() + 1).unwrap_or(i64::MAX)
}

fn docs<T: serde::de::DeserializeOwned>(tx: &Transaction<'_>, sql: &str, p: Params, what: &'static str) -> Result<Vec<T>, StoreError> {
    let mut stmt = tx.prepare_cached(sql).map_err(db(what))?;
    let rows = stmt.query_map(params_from_iter(p.0), |r| r.get::<_, String>(0)).map_err(db(what))?;
    let mut out = Vec::new();
    for doc in rows {
        out.push(from_doc(&doc.map_err(db(what))?)?);
    }
    Ok(out)
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn get_conversation(&self, owner: AvatarId, cid: ConversationId) -> Result<Option<Conversation>, StoreError> {
        self.read(move |tx| rows::get_conversation(tx, owner, cid)).await
    }

    async fn get_conversations(&self, owner: AvatarId, ids: &[ConversationId]) -> Result<Vec<Conversation>, StoreError> {
        let ids = ids.to_vec();
        self.read(move |tx| {
            let mut out = Vec::with_capacity(ids.len());
            for cid in ids {
                out.extend(rows::get_conversation(tx, owner, cid)?);
            }
            Ok(out)
        })
        .await
    }

    async fn list_conversations(
        &self,
        owner: AvatarId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<Conversation>, StoreError> {
        let (filter, page) = (filter.clone(), *page);
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds = vec![format!("c.owner = {}", p.push(blob(id(owner))))];
            if let Some(s) = filter.status {
                conds.push(format!("c.status = {}", p.push(s.as_str().to_owned())));
            }
            if let Some(pr) = filter.priority {
                conds.push(format!("c.priority = {}", p.push(i64::from(pr.rank()))));
            }
            if filter.unread_only {
                conds.push("c.unread_count > 0".into());
            }
            if let Some(contact) = filter.contact_id {
                conds.push(format!("c.contact_id = {}", p.push(blob(id(contact)))));
            }
            match filter.assignee {
                Some(Assignee::Nobody) => conds.push("c.assignee IS NULL".into()),
                Some(Assignee::Member(a)) => conds.push(format!("c.assignee = {}", p.push(blob(id(a))))),
                None => {}
            }
            if let Some(tag) = &filter.tag {
                let t = p.push(tag.key().to_owned());
                conds.push(format!("EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = {t})"));
            }
            conds.extend(after_desc(&mut p, &page, "c.last_message_at", "c.id")?);
            let lim = p.push(limit_plus_one(&page));
            let sql = format!(
                "SELECT c.doc FROM conversations c WHERE {} ORDER BY c.last_message_at DESC, c.id DESC LIMIT {lim}",
                conds.join(" AND ")
            );
            let items: Vec<Conversation> = docs(tx, &sql, p, "listing conversations")?;
            Ok(Page::from_overfetch(items, page.limit, |c| (c.last_message_at, c.id.as_uuid())))
        })
        .await
    }

    async fn update_conversation(
        &self,
        owner: AvatarId,
        cid: ConversationId,
        change: &ConversationChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Conversation>, StoreError> {
        let change = change.clone();
        self.write(move |tx| {
            let Some(mut c) = rows::get_conversation(tx, owner, cid)? else {
                return Ok(None);
            };
            change.apply(&mut c, now);
            rows::write_conversation(tx, &c, false)?;
            if change.marks_read() {
                tx.execute("UPDATE messages SET is_read = 1 WHERE conversation_id = ?1 AND is_read = 0", params![id(cid)])
                    .map_err(db("marking messages read"))?;
            }
            Ok(Some(c))
        })
        .await
    }

    async fn list_owners(&self) -> Result<Vec<AvatarId>, StoreError> {
        self.read(|tx| {
            let sql = "SELECT owner FROM conversations UNION SELECT owner FROM contacts";
            let mut stmt = tx.prepare_cached(sql).map_err(db("listing owners"))?;
            let rows = stmt.query_map([], |r| codec::get_id(r, 0)).map_err(db("listing owners"))?;
            rows.collect::<Result<Vec<AvatarId>, _>>().map_err(db("listing owners"))
        })
        .await
    }
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn list_messages(&self, owner: AvatarId, cid: ConversationId, page: &PageRequest) -> Result<Page<Message>, StoreError> {
        let page = *page;
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds =
                vec![format!("m.conversation_id = {}", p.push(blob(id(cid)))), format!("m.owner = {}", p.push(blob(id(owner))))];
            conds.extend(after_desc(&mut p, &page, "m.sent_at", "m.id")?);
            let lim = p.push(limit_plus_one(&page));
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE {} ORDER BY m.sent_at DESC, m.id DESC LIMIT {lim}",
                conds.join(" AND ")
            );
            let mut stmt = tx.prepare_cached(&sql).map_err(db("listing messages"))?;
            let items = stmt
                .query_map(params_from_iter(p.0), |r| codec::read_message(r).map(|m| m.message))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(db("listing messages"))?;
            Ok(Page::from_overfetch(items, page.limit, |m| (m.sent_at, m.id.as_uuid())))
        })
        .await
    }

    async fn find_message(&self, owner: AvatarId, cid: ConversationId, telegram_message_id: i64) -> Result<Option<Message>, StoreError> {
        self.read(move |tx| Ok(rows::find_message(tx, cid, telegram_message_id)?.map(|r| r.message).filter(|m| m.owner_avatar_id == owner)))
            .await
    }
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn get_contact(&self, owner: AvatarId, cid: ContactId) -> Result<Option<Contact>, StoreError> {
        self.read(move |tx| rows::get_contact(tx, owner, cid)).await
    }

    async fn list_contacts(&self, owner: AvatarId, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        let (filter, page) = (filter.clone(), *page);
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds = vec![format!("c.owner = {}", p.push(blob(id(owner))))];
            conds.extend(after_desc(&mut p, &page, "c.last_contacted_at", "c.id")?);
            let sql = format!("SELECT c.doc FROM contacts c WHERE {} ORDER BY c.last_contacted_at DESC, c.id DESC", conds.join(" AND "));
            // Text, category and tag are checked by the domain's own rule while walking the
            // owner's contacts in order; the walk stops at one past the page.
            let mut stmt = tx.prepare_cached(&sql).map_err(db("listing contacts"))?;
            let mut rows = stmt.query(params_from_iter(p.0)).map_err(db("listing contacts"))?;
            let mut items = Vec::new();
            while items.len() <= page.limit.get() {
                let Some(row) = rows.next().map_err(db("listing contacts"))? else { break };
                let c: Contact = from_doc(&row.get::<_, String>(0).map_err(db("listing contacts"))?)?;
                if filter.matches(&c) {
                    items.push(c);
                }
            }
            Ok(Page::from_overfetch(items, page.limit, |c| (c.last_contacted_at, c.id.as_uuid())))
        })
        .await
    }

    async fn update_contact(
        &self,
        owner: AvatarId,
        cid: ContactId,
        change: &ContactChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Contact>, StoreError> {
        let change = change.clone();
        self.write(move |tx| {
            let Some(mut c) = rows::get_contact(tx, owner, cid)? else {
                return Ok(None);
            };
            change.apply(&mut c, now);
            rows::write_contact(tx, &c, false)?;
            Ok(Some(c))
        })
        .await
    }
}

#[async_trait]
impl FollowUpStore for SqliteStore {
    async fn insert_followup(&self, followup: &FollowUp) -> Result<(), StoreError> {
        let f = followup.clone();
        self.write(move |tx| rows::write_followup(tx, &f, true)).await
    }

    async fn get_followup(&self, owner: AvatarId, fid: FollowUpId) -> Result<Option<FollowUp>, StoreError> {
        self.read(move |tx| rows::get_followup(tx, owner, fid)).await
    }

    async fn update_followup(
        &self,
        owner: AvatarId,
        fid: FollowUpId,
        change: &FollowUpChange,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        let change = change.clone();
        self.write(move |tx| {
            let Some(mut f) = rows::get_followup(tx, owner, fid)? else {
                return Ok(None);
            };
            change.apply(&mut f, now);
            rows::write_followup(tx, &f, false)?;
            Ok(Some(f))
        })
        .await
    }

    async fn delete_followup(&self, owner: AvatarId, fid: FollowUpId) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM followups WHERE id = ?1 AND owner = ?2", params![id(fid), id(owner)])
                .map_err(db("deleting a follow-up"))?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_followups(&self, owner: AvatarId, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, StoreError> {
        let (filter, page) = (filter.clone(), *page);
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds = vec![format!("f.owner = {}", p.push(blob(id(owner))))];
            match filter.view {
                FollowUpView::Pending => conds.push("f.status = 'pending'".into()),
                FollowUpView::Overdue => conds.push(format!("f.status = 'pending' AND f.due_at <= {}", p.push(time(filter.now)?))),
                FollowUpView::Completed => conds.push("f.status = 'completed'".into()),
                FollowUpView::Cancelled => conds.push("f.status = 'cancelled'".into()),
                FollowUpView::All => {}
            }
            if let Some(cid) = filter.conversation_id {
                conds.push(format!("f.conversation_id = {}", p.push(blob(id(cid)))));
            }
            if let Some((at, fid)) = page.cursor.and_then(|c| c.after()) {
                let (a, i) = (p.push(time(at)?), p.push(blob(id(fid))));
                conds.push(format!("(f.due_at > {a} OR (f.due_at = {a} AND f.id > {i}))"));
            }
            let lim = p.push(limit_plus_one(&page));
            let sql = format!("SELECT f.doc FROM followups f WHERE {} ORDER BY f.due_at, f.id LIMIT {lim}", conds.join(" AND "));
            let items: Vec<FollowUp> = docs(tx, &sql, p, "listing follow-ups")?;
            Ok(Page::from_overfetch(items, page.limit, |f| (f.due_at, f.id.as_uuid())))
        })
        .await
    }

    async fn due_followups(&self, now: DateTime<Utc>, limit: usize, skip_owners: &[AvatarId]) -> Result<Vec<FollowUp>, StoreError> {
        let skip_owners = skip_owners.to_vec();
        self.read(move |tx| {
            let mut p = Params::default();
            let (n, l) = (p.push(time(now)?), p.push(i64::try_from(limit).unwrap_or(i64::MAX)));
            let skip = if skip_owners.is_empty() {
                String::new()
            } else {
                let owners: Vec<String> = skip_owners.iter().map(|o| p.push(blob(id(*o)))).collect();
                format!(" AND owner NOT IN ({})", owners.join(", "))
            };
            let sql = format!(
                "SELECT doc FROM followups WHERE status = 'pending' AND due_at <= {n} AND reminded_at IS NULL{skip} ORDER BY due_at, id LIMIT {l}"
            );
            docs(tx, &sql, p, "finding due follow-ups")
        })
        .await
    }
}

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_candidates(
        &self,
        owner: AvatarId,
        query: &SearchQuery,
        filters: &SearchFilters,
        max: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let (query, filters) = (query.clone(), filters.clone());
        self.read(move |tx| search::candidates(tx, owner, &query, &filters, max)).await
    }
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |tx| {
            tx.query_row("SELECT value FROM state WHERE key = ?1", params![key], |r| r.get(0)).optional().map_err(db("reading state"))
        })
        .await
    }

    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx| rows::put_state(tx, &key, &value)).await
    }

    async fn take_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.query_row("DELETE FROM state WHERE key = ?1 RETURNING value", params![key], |r| r.get(0))
                .optional()
                .map_err(db("taking state"))
        })
        .await
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let current: Option<(String, i64)> = tx
                .query_row("SELECT holder, until FROM leases WHERE name = ?1", params![name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db("reading a lease"))?;
            let now_n = time(now)?;
            let free = current.is_none_or(|(h, until)| h == holder || until <= now_n);
            if free {
                let until = time(now + ttl)?;
                tx.execute(
                    "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until",
                    params![name, holder, until],
                )
                .map_err(db("taking a lease"))?;
            }
            Ok(free)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            tx.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![name, holder]).map_err(db("releasing a lease"))?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn append_activity(&self, entry: &Activity) -> Result<(), StoreError> {
        let a = entry.clone();
        self.write(move |tx| {
            let (at, doc) = (time(a.at)?, codec::to_doc(&a)?);
            tx.prepare_cached("INSERT INTO activity (id, owner, conversation_id, at, doc) VALUES (?1, ?2, ?3, ?4, ?5)")
                .and_then(|mut s| s.execute(params![id(a.id), id(a.owner_avatar_id), a.conversation_id.map(id), at, doc]))
                .map_err(db("writing an activity entry"))?;
            Ok(())
        })
        .await
    }

    async fn list_activity(
        &self,
        owner: AvatarId,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, StoreError> {
        let page = *page;
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds = vec![format!("a.owner = {}", p.push(blob(id(owner))))];
            if let Some(c) = conversation {
                conds.push(format!("a.conversation_id = {}", p.push(blob(id(c)))));
            }
            conds.extend(after_desc(&mut p, &page, "a.at", "a.id")?);
            let lim = p.push(limit_plus_one(&page));
            let sql = format!("SELECT a.doc FROM activity a WHERE {} ORDER BY a.at DESC, a.id DESC LIMIT {lim}", conds.join(" AND "));
            let items: Vec<Activity> = docs(tx, &sql, p, "listing activity")?;
            Ok(Page::from_overfetch(items, page.limit, |a| (a.at, a.id.as_uuid())))
        })
        .await
    }
}

#[async_trait]
impl NoteStore for SqliteStore {
    async fn insert_note(&self, note: &Note) -> Result<(), StoreError> {
        let n = note.clone();
        self.write(move |tx| {
            let (at, doc) = (time(n.created_at)?, codec::to_doc(&n)?);
            tx.prepare_cached("INSERT INTO notes (id, owner, conversation_id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)")
                .and_then(|mut s| s.execute(params![id(n.id), id(n.owner_avatar_id), id(n.conversation_id), at, doc]))
                .map_err(db("writing a note"))?;
            for avatar in &n.mentions {
                tx.prepare_cached("INSERT OR IGNORE INTO note_mentions (owner, avatar, created_at, note_id) VALUES (?1, ?2, ?3, ?4)")
                    .and_then(|mut s| s.execute(params![id(n.owner_avatar_id), id(*avatar), at, id(n.id)]))
                    .map_err(db("writing a note's mentions"))?;
            }
            Ok(())
        })
        .await
    }

    async fn list_notes(&self, owner: AvatarId, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let page = *page;
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds =
                vec![format!("n.owner = {}", p.push(blob(id(owner)))), format!("n.conversation_id = {}", p.push(blob(id(conversation))))];
            conds.extend(after_desc(&mut p, &page, "n.created_at", "n.id")?);
            let lim = p.push(limit_plus_one(&page));
            let sql = format!("SELECT n.doc FROM notes n WHERE {} ORDER BY n.created_at DESC, n.id DESC LIMIT {lim}", conds.join(" AND "));
            let items: Vec<Note> = docs(tx, &sql, p, "listing notes")?;
            Ok(Page::from_overfetch(items, page.limit, |n| (n.created_at, n.id.as_uuid())))
        })
        .await
    }

    async fn list_mentions(&self, owner: AvatarId, avatar: AvatarId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let page = *page;
        self.read(move |tx| {
            let mut p = Params::default();
            let mut conds = vec![format!("m.owner = {}", p.push(blob(id(owner)))), format!("m.avatar = {}", p.push(blob(id(avatar))))];
            conds.extend(after_desc(&mut p, &page, "m.created_at", "m.note_id")?);
            let lim = p.push(limit_plus_one(&page));
            let sql = format!(
                "SELECT n.doc FROM note_mentions m JOIN notes n ON n.id = m.note_id WHERE {} \
                 ORDER BY m.created_at DESC, m.note_id DESC LIMIT {lim}",
                conds.join(" AND ")
            );
            let items: Vec<Note> = docs(tx, &sql, p, "listing mentions")?;
            Ok(Page::from_overfetch(items, page.limit, |n| (n.created_at, n.id.as_uuid())))
        })
        .await
    }
}

#[async_trait]
impl IngestStore for SqliteStore {
    async fn ingest(&self, batch: &IngestBatch) -> Result<IngestReport, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Ingest(Box::new(batch.clone()), reply)).await?;
        answer.await.map_err(|_| StoreError::Unavailable("the SQLite writer stopped before committing the batch".into()))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if !self.writer_alive() {
            return Err(StoreError::Unavailable("the SQLite writer thread has stopped; restart the server".into()));
        }
        self.read(|tx| tx.query_row("SELECT 1", [], |_| Ok(())).map_err(db("ping"))).await
    }
}
