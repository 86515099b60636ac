//! Internal notes on conversations ([`crate::model::Note`]): written by members who may work
//! conversations, read by every member, never sent to Telegram.

use super::{CrmService, text_field};
use crate::error::CrmError;
use crate::ids::{ConversationId, NoteId};
use crate::model::{Access, Action, MAX_NOTE_CHARS, Note, mentions_in};
use crate::page::{Page, PageRequest};

impl CrmService {
    /// Writes a note on a conversation of the workspace; the members it names with `@username`
    /// find it among their mentions ([`CrmService::mentions`]).
    pub async fn add_note(&self, by: &Access, conversation: ConversationId, text: &str) -> Result<Note, CrmError> {
        let workspace = by.require(Action::Work)?;
        let text = text_field("text", Some(text.to_owned()), MAX_NOTE_CHARS)?
            .ok_or_else(|| CrmError::invalid("text", "a note needs some text"))?;
        self.conversation(workspace, conversation).await?;
        let members = self.members(by).await?;
        let note = Note {
            id: NoteId::new(),
            owner_avatar_id: workspace,
            conversation_id: conversation,
            author_avatar_id: by.avatar(),
            mentions: mentions_in(&text, &members),
            text,
            created_at: self.now(),
        };
        self.store.insert_note(&note).await?;
        Ok(note)
    }

    /// A page of a conversation's notes, newest first.
    pub async fn notes(&self, by: &Access, conversation: ConversationId, page: &PageRequest) -> Result<Page<Note>, CrmError> {
        self.conversation(by.workspace(), conversation).await?;
        Ok(self.store.list_notes(by.workspace(), conversation, page).await?)
    }

    /// A page of the notes of this workspace that mention the actor, newest first.
    pub async fn mentions(&self, by: &Access, page: &PageRequest) -> Result<Page<Note>, CrmError> {
        Ok(self.store.list_mentions(by.workspace(), by.avatar(), page).await?)
    }
}
