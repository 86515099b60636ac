//! Search candidates without `$text`: every message keeps `terms`, the distinct folded words of
//! its content (indexed, multikey). Exact words select with `$all`, prefixes with an anchored
//! `$regex` on the array; phrase order and prefix positions are then checked exactly in Rust with
//! the domain's own matcher, so every store finds the same messages.

use async_trait::async_trait;
use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use telegcrm_domain::ports::SearchStore;
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{AvatarId, Message, StoreError};

use crate::MongoStore;
use crate::codec::{date, message_from, text};
use crate::error::ctx;
use crate::write::{and, find_all};

/// Escapes a literal for a regular expression.
pub(crate) fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}-/#&~<>=!,:;\"'@%`".contains(c) || c.is_whitespace() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl MongoStore {
    /// Ids of the owner's conversations that pass the conversation-level filters, or `None` when
    /// there is no such filter.
    async fn filtered_conversations(&self, owner: AvatarId, filters: &SearchFilters) -> Result<Option<Vec<Bson>>, StoreError> {
        if filters.contact_id.is_none() && filters.priority.is_none() && filters.tag.is_none() && filters.status.is_none() {
            return Ok(None);
        }
        let mut q = doc! { "ownerAvatarId": text(owner) };
        if let Some(c) = filters.contact_id {
            q.insert("contactId", text(c));
        }
        if let Some(p) = filters.priority {
            q.insert("priority", p.as_str());
        }
        if let Some(t) = &filters.tag {
            q.insert("tagKeys", t.key());
        }
        if let Some(s) = filters.status {
            q.insert("status", s.as_str());
        }
        if let Some(c) = filters.conversation_id {
            q.insert("_id", text(c));
        }
        let docs = find_all(&self.conversations(), q, None, None, "filtering conversations for search").await?;
        Ok(Some(docs.into_iter().filter_map(|d| d.get("_id").cloned()).collect()))
    }
}

#[async_trait]
impl SearchStore for MongoStore {
    async fn search_candidates(
        &self,
        owner: AvatarId,
        query: &SearchQuery,
        filters: &SearchFilters,
        max: usize,
    ) -> Result<Vec<Message>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut parts: Vec<Document> = vec![doc! { "ownerAvatarId": text(owner), "deletedAt": Bson::Null }];
        match self.filtered_conversations(owner, filters).await? {
            Some(ids) if ids.is_empty() => return Ok(Vec::new()),
            Some(ids) => parts.push(doc! { "conversationId": { "$in": ids } }),
            None => {
                if let Some(c) = filters.conversation_id {
                    parts.push(doc! { "conversationId": text(c) });
                }
            }
        }
        if let Some(from) = filters.from {
            parts.push(doc! { "sentAt": { "$gte": date(from) } });
        }
        if let Some(to) = filters.to {
            parts.push(doc! { "sentAt": { "$lt": date(to) } });
        }
        let (exact, prefixes) = query.required_terms();
        if !exact.is_empty() {
            parts.push(doc! { "terms": { "$all": exact } });
        }
        for p in prefixes {
            parts.push(doc! { "terms": { "$regex": format!("^{}", regex_escape(p)) } });
        }
        let messages = self.messages();
        let mut find = messages.find(and(parts)).sort(doc! { "sentAt": -1, "_id": -1 });
        if query.is_empty() {
            find = find.limit(i64::try_from(max).unwrap_or(i64::MAX));
        }
        let mut cursor = find.await.map_err(ctx("searching messages"))?;
        let mut found = Vec::new();
        while found.len() < max {
            let Some(d) = cursor.try_next().await.map_err(ctx("searching messages"))? else { break };
            let m = message_from(&d)?;
            if query.matches(&m.content) {
                found.push(m);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::regex_escape;

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(regex_escape("a.b*c"), "a\\.b\\*c");
        assert_eq!(regex_escape("срочно"), "срочно");
    }
}
