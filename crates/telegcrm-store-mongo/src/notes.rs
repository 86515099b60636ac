//! Internal notes: one document per note in `notes`, its mentions an array of avatar ids (a
//! multikey index finds a member's mentions).

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use telegcrm_domain::ports::NoteStore;
use telegcrm_domain::{AvatarId, ConversationId, Note, Page, PageRequest, StoreError};

use crate::MongoStore;
use crate::codec::{Reader, date, text};
use crate::error::ctx;
use crate::write::{after_desc, and, find_all, overfetch};

fn note_doc(n: &Note) -> Document {
    doc! {
        "_id": text(n.id),
        "ownerAvatarId": text(n.owner_avatar_id),
        "conversationId": text(n.conversation_id),
        "authorAvatarId": text(n.author_avatar_id),
        "text": &n.text,
        "mentions": n.mentions.iter().map(text).collect::<Vec<Bson>>(),
        "createdAt": date(n.created_at),
    }
}

fn note_from(d: &Document) -> Result<Note, StoreError> {
    let r = Reader::new(d, "note");
    Ok(Note {
        id: r.uuid("_id")?,
        owner_avatar_id: r.uuid("ownerAvatarId")?,
        conversation_id: r.uuid("conversationId")?,
        author_avatar_id: r.uuid("authorAvatarId")?,
        text: r.str("text")?,
        mentions: r.uuids("mentions")?,
        created_at: r.date("createdAt")?,
    })
}

impl MongoStore {
    async fn list_notes_where(&self, filter: Document, page: &PageRequest, what: &'static str) -> Result<Page<Note>, StoreError> {
        let parts: Vec<Document> = std::iter::once(filter).chain(after_desc("createdAt", page)).collect();
        let docs = find_all(&self.notes(), and(parts), Some(doc! { "createdAt": -1, "_id": -1 }), Some(overfetch(page)), what).await?;
        let items = docs.iter().map(note_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page.limit, |n| (n.created_at, n.id.as_uuid())))
    }
}

#[async_trait]
impl NoteStore for MongoStore {
    async fn insert_note(&self, note: &Note) -> Result<(), StoreError> {
        self.notes().insert_one(note_doc(note)).await.map(|_| ()).map_err(ctx("storing a note"))
    }

    async fn list_notes(&self, owner: AvatarId, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let filter = doc! { "ownerAvatarId": text(owner), "conversationId": text(conversation) };
        self.list_notes_where(filter, page, "listing notes").await
    }

    async fn list_mentions(&self, owner: AvatarId, avatar: AvatarId, page: &PageRequest) -> Result<Page<Note>, StoreError> {
        let filter = doc! { "ownerAvatarId": text(owner), "mentions": text(avatar) };
        self.list_notes_where(filter, page, "listing mentions").await
    }
}
