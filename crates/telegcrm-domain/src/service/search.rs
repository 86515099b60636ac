use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CrmError;
use crate::ids::{AvatarId, ConversationId, MessageId};
use crate::model::{Conversation, Message};
use crate::page::{Cursor, Page, PageRequest};
use crate::ports::ConversationFilter;
use crate::search::{SearchFilters, SearchQuery, relevance, snippet};
use crate::text::tokenize;

use super::CrmService;

/// A message found by search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessageHit {
    /// The message.
    pub message: Message,
    /// Its text around the match, HTML-escaped, matches in `<mark>`.
    pub snippet: String,
}

/// One matching message inside a conversation hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HitRef {
    /// The message.
    pub message_id: MessageId,
    /// Its text around the match.
    pub snippet: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// A conversation found by search, with its best matching messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationHit {
    /// The conversation.
    pub conversation: Conversation,
    /// Its best matches, best first (at most three).
    pub hits: Vec<HitRef>,
}

/// How many matching messages a conversation hit shows.
const HITS_PER_CONVERSATION: usize = 3;

struct Ranked {
    score: f64,
    message: Message,
}

fn offset_of(page: &PageRequest) -> Result<usize, CrmError> {
    match page.cursor {
        None => Ok(0),
        Some(Cursor::Offset(n)) => Ok(n as usize),
        Some(Cursor::After { .. }) => {
            Err(CrmError::invalid("cursor", "this cursor belongs to another list; pass the nextCursor of this search"))
        }
    }
}

impl CrmService {
    /// Searches the caller's messages: relevance first, then recency.
    pub async fn search_messages(
        &self,
        owner: AvatarId,
        q: &str,
        filters: &SearchFilters,
        page: &PageRequest,
    ) -> Result<Page<MessageHit>, CrmError> {
        let offset = offset_of(page)?;
        let query = SearchQuery::parse(q);
        let ranked = self.ranked(owner, &query, filters).await?;
        let limit = page.limit.get();
        let next_cursor = (ranked.len() > offset + limit).then(|| Cursor::Offset((offset + limit) as u32));
        let items = ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|r| MessageHit { snippet: snippet(&query, &r.message.content), message: r.message })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// Searches the caller's conversations: each with its best matching messages, ordered by its
    /// best match. An empty query lists conversations by the filters.
    pub async fn search_conversations(
        &self,
        owner: AvatarId,
        q: &str,
        filters: &SearchFilters,
        page: &PageRequest,
    ) -> Result<Page<ConversationHit>, CrmError> {
        let query = SearchQuery::parse(q);
        if query.is_empty() && filters.from.is_none() && filters.to.is_none() && filters.conversation_id.is_none() {
            let filter = ConversationFilter {
                status: filters.status,
                priority: filters.priority,
                tag: filters.tag.clone(),
                unread_only: false,
                contact_id: filters.contact_id,
                assignee: None,
            };
            let page = self.store.list_conversations(owner, &filter, page).await?;
            return Ok(page.map(|conversation| ConversationHit { conversation, hits: Vec::new() }));
        }
        let offset = offset_of(page)?;
        let ranked = self.ranked(owner, &query, filters).await?;
        let mut order: Vec<ConversationId> = Vec::new();
        let mut hits: HashMap<ConversationId, Vec<HitRef>> = HashMap::new();
        for r in ranked {
            let entry = hits.entry(r.message.conversation_id).or_insert_with(|| {
                order.push(r.message.conversation_id);
                Vec::new()
            });
            if entry.len() < HITS_PER_CONVERSATION {
                entry.push(HitRef { message_id: r.message.id, snippet: snippet(&query, &r.message.content), sent_at: r.message.sent_at });
            }
        }
        let limit = page.limit.get();
        let next_cursor = (order.len() > offset + limit).then(|| Cursor::Offset((offset + limit) as u32));
        let wanted: Vec<ConversationId> = order.into_iter().skip(offset).take(limit).collect();
        let mut convs: HashMap<ConversationId, Conversation> =
            self.store.get_conversations(owner, &wanted).await?.into_iter().map(|c| (c.id, c)).collect();
        let items = wanted
            .into_iter()
            .filter_map(|id| Some(ConversationHit { conversation: convs.remove(&id)?, hits: hits.remove(&id).unwrap_or_default() }))
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// Candidates from the store, checked against the query and ranked by relevance, then recency.
    async fn ranked(&self, owner: AvatarId, query: &SearchQuery, filters: &SearchFilters) -> Result<Vec<Ranked>, CrmError> {
        let candidates = self.store.search_candidates(owner, query, filters, self.settings.search_candidates).await?;
        let mut ranked: Vec<Ranked> = candidates
            .into_iter()
            .filter(|m| m.deleted_at.is_none())
            .filter_map(|message| {
                let tokens = tokenize(&message.content);
                query.matches_tokens(&tokens).then(|| Ranked { score: relevance(query, &tokens), message })
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| b.message.sent_at.cmp(&a.message.sent_at))
                .then_with(|| b.message.id.cmp(&a.message.id))
        });
        Ok(ranked)
    }
}
