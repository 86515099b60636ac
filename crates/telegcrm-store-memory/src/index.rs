//! An inverted index of folded terms, so search does not scan every message.

use std::collections::{BTreeMap, HashSet};

use telegcrm_domain::MessageId;
use telegcrm_domain::search::SearchQuery;
use telegcrm_domain::text::terms;

/// Term → messages that contain it.
#[derive(Debug, Default)]
pub(crate) struct TermIndex(BTreeMap<String, HashSet<MessageId>>);

impl TermIndex {
    pub(crate) fn add(&mut self, id: MessageId, text: &str) {
        for t in terms(text) {
            self.0.entry(t).or_default().insert(id);
        }
    }

    pub(crate) fn remove(&mut self, id: MessageId, text: &str) {
        for t in terms(text) {
            if let Some(set) = self.0.get_mut(&t) {
                set.remove(&id);
                if set.is_empty() {
                    self.0.remove(&t);
                }
            }
        }
    }

    /// Messages that contain every term and prefix of the query (phrase order is checked later);
    /// `None` for an empty query, which matches everything.
    pub(crate) fn candidates(&self, query: &SearchQuery) -> Option<HashSet<MessageId>> {
        let (exact, prefixes) = query.required_terms();
        let mut sets: Vec<HashSet<MessageId>> = Vec::new();
        for t in exact {
            sets.push(self.0.get(t).cloned().unwrap_or_default());
        }
        for p in prefixes {
            let set = self.0.range(p.to_owned()..).take_while(|(k, _)| k.starts_with(p)).flat_map(|(_, ids)| ids.iter().copied()).collect();
            sets.push(set);
        }
        sets.sort_by_key(HashSet::len);
        let mut iter = sets.into_iter();
        let first = iter.next()?;
        Some(iter.fold(first, |acc, s| acc.intersection(&s).copied().collect()))
    }
}
