//! Canned replies ([`crate::model::CannedReply`]), kept per workspace in the store's state under
//! `canned:<owner>` (a JSON list of at most [`MAX_CANNED_REPLIES`]); a change holds the lease of
//! the same name while it reads and writes the list. Members who may work conversations write
//! them; every member reads them.

use super::{CrmService, text_field};
use crate::error::{CrmError, Entity};
use crate::ids::{AvatarId, CannedReplyId, ConversationId};
use crate::model::{Access, Action, CannedReply, Fill, MAX_CANNED_CHARS, MAX_CANNED_REPLIES, fill, parse_shortcut, unknown_variables};

/// The state key (and lease) of a workspace's canned replies.
pub fn canned_key(workspace: AvatarId) -> String {
    format!("canned:{workspace}")
}

/// A change to a canned reply; `None` keeps the field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CannedChange {
    /// New shortcut.
    pub shortcut: Option<String>,
    /// New text.
    pub text: Option<String>,
}

/// A canned reply filled for one conversation and the member answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilledReply {
    /// The reply.
    pub reply: CannedReply,
    /// Its text with the variables filled.
    pub text: String,
}

fn reply_text(text: &str) -> Result<String, CrmError> {
    let text = text_field("text", Some(text.to_owned()), MAX_CANNED_CHARS)?
        .ok_or_else(|| CrmError::invalid("text", "a canned reply needs some text"))?;
    let unknown = unknown_variables(&text);
    if !unknown.is_empty() {
        let known = crate::model::VARIABLES.iter().map(|v| format!("{{{{{v}}}}}")).collect::<Vec<_>>().join(", ");
        return Err(CrmError::invalid("text", format!("unknown variable {{{{{}}}}}: use {known}", unknown.join("}}, {{"))));
    }
    Ok(text)
}

impl CrmService {
    /// The workspace's canned replies, by shortcut.
    pub async fn canned_replies(&self, workspace: AvatarId) -> Result<Vec<CannedReply>, CrmError> {
        let mut all: Vec<CannedReply> = self.state_json(&canned_key(workspace), "canned replies").await?;
        all.sort_by(|a, b| a.shortcut.cmp(&b.shortcut));
        Ok(all)
    }

    /// Saves a new canned reply. Its shortcut is unique in the workspace (else `Conflict`);
    /// its variables must be known ones.
    pub async fn add_canned_reply(&self, by: &Access, shortcut: &str, text: &str) -> Result<CannedReply, CrmError> {
        let workspace = by.require(Action::Work)?;
        let reply = CannedReply {
            id: CannedReplyId::new(),
            owner_avatar_id: workspace,
            shortcut: parse_shortcut(shortcut)?,
            text: reply_text(text)?,
            updated_by: by.avatar(),
            updated_at: self.now(),
        };
        self.change_canned(workspace, |all| {
            if all.len() >= MAX_CANNED_REPLIES {
                return Err(CrmError::invalid("shortcut", format!("a workspace keeps at most {MAX_CANNED_REPLIES} canned replies")));
            }
            taken(all, &reply.shortcut, None)?;
            all.push(reply.clone());
            Ok(reply.clone())
        })
        .await
    }

    /// Changes a canned reply's shortcut or text.
    pub async fn update_canned_reply(&self, by: &Access, id: CannedReplyId, change: CannedChange) -> Result<CannedReply, CrmError> {
        let workspace = by.require(Action::Work)?;
        let shortcut = change.shortcut.as_deref().map(parse_shortcut).transpose()?;
        let text = change.text.as_deref().map(reply_text).transpose()?;
        let (who, at) = (by.avatar(), self.now());
        self.change_canned(workspace, |all| {
            if let Some(s) = &shortcut {
                taken(all, s, Some(id))?;
            }
            let reply = all.iter_mut().find(|r| r.id == id).ok_or_else(|| CrmError::not_found(Entity::CannedReply, id))?;
            if let Some(s) = shortcut.clone() {
                reply.shortcut = s;
            }
            if let Some(t) = text.clone() {
                reply.text = t;
            }
            (reply.updated_by, reply.updated_at) = (who, at);
            Ok(reply.clone())
        })
        .await
    }

    /// Deletes a canned reply.
    pub async fn delete_canned_reply(&self, by: &Access, id: CannedReplyId) -> Result<(), CrmError> {
        let workspace = by.require(Action::Work)?;
        self.change_canned(workspace, |all| {
            let before = all.len();
            all.retain(|r| r.id != id);
            if all.len() == before { Err(CrmError::not_found(Entity::CannedReply, id)) } else { Ok(()) }
        })
        .await
    }

    /// The workspace's canned replies filled for a conversation (its contact) and the member
    /// answering (`by`).
    pub async fn filled_canned_replies(&self, by: &Access, conversation: ConversationId) -> Result<Vec<FilledReply>, CrmError> {
        let conv = self.conversation(by.workspace(), conversation).await?;
        let contact = match conv.contact_id {
            Some(id) => self.store.get_contact(by.workspace(), id).await?,
            None => None,
        };
        let members = self.members(by).await?;
        let member_name = members.iter().find(|m| m.avatar_id == by.avatar()).and_then(|m| m.name.clone().or_else(|| m.username.clone()));
        let with = Fill { contact: contact.as_ref(), member_name: member_name.as_deref() };
        let replies = self.canned_replies(by.workspace()).await?;
        Ok(replies.into_iter().map(|reply| FilledReply { text: fill(&reply.text, with), reply }).collect())
    }

    async fn change_canned<T>(
        &self,
        workspace: AvatarId,
        change: impl FnOnce(&mut Vec<CannedReply>) -> Result<T, CrmError>,
    ) -> Result<T, CrmError> {
        let key = canned_key(workspace);
        self.leased(std::slice::from_ref(&key), "the canned replies are being changed right now; try again", async {
            let mut all: Vec<CannedReply> = self.state_json(&key, "canned replies").await?;
            let answer = change(&mut all)?;
            self.put_json(&key, &all).await?;
            Ok(answer)
        })
        .await
    }
}

/// `Conflict` when another reply (not `except`) has the shortcut.
fn taken(all: &[CannedReply], shortcut: &str, except: Option<CannedReplyId>) -> Result<(), CrmError> {
    if all.iter().any(|r| r.shortcut == shortcut && Some(r.id) != except) {
        return Err(CrmError::Conflict(format!("the shortcut /{shortcut} is taken in this workspace")));
    }
    Ok(())
}
