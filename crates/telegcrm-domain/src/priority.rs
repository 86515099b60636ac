//! Priority detection from message text: whole words or phrases, any case, any accents.

use crate::search::Clause;
use crate::text::{terms, tokenize};
use crate::values::Priority;

/// A keyword table: each phrase raises a conversation to its priority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityRules {
    rules: Vec<(Clause, Priority)>,
}

impl Default for PriorityRules {
    /// The table of CONTRACT.md: urgent, asap, "as soon as possible", emergency, critical → urgent;
    /// important → high.
    fn default() -> Self {
        let mut r = Self::empty();
        for k in ["urgent", "asap", "as soon as possible", "emergency", "critical"] {
            r.add(k, Priority::Urgent);
        }
        r.add("important", Priority::High);
        r
    }
}

impl PriorityRules {
    /// A table that detects nothing.
    pub fn empty() -> Self {
        Self { rules: Vec::new() }
    }

    /// Adds a keyword or phrase; ignored when it has no word in it.
    pub fn add(&mut self, phrase: &str, priority: Priority) -> &mut Self {
        let t = terms(phrase);
        if !t.is_empty() {
            self.rules.push((Clause { terms: t, prefix: false }, priority));
        }
        self
    }

    /// The highest priority any keyword of the table gives `text`, if one occurs.
    pub fn detect(&self, text: &str) -> Option<Priority> {
        if self.rules.is_empty() || text.is_empty() {
            return None;
        }
        let tokens = tokenize(text);
        self.rules.iter().filter(|(clause, _)| !clause.occurrences(&tokens).is_empty()).map(|(_, p)| *p).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_words_in_any_case() {
        let r = PriorityRules::default();
        assert_eq!(r.detect("This is URGENT!!"), Some(Priority::Urgent));
        assert_eq!(r.detect("reply asap."), Some(Priority::Urgent));
        assert_eq!(r.detect("Important: contract"), Some(Priority::High));
        assert_eq!(r.detect("urgently needed"), None);
        assert_eq!(r.detect("unimportant"), None);
        assert_eq!(r.detect("hello"), None);
    }

    #[test]
    fn phrases_must_stand_in_order() {
        let r = PriorityRules::default();
        assert_eq!(r.detect("Please, as soon as possible"), Some(Priority::Urgent));
        assert_eq!(r.detect("as possible as soon"), None);
    }

    #[test]
    fn the_highest_keyword_wins() {
        let r = PriorityRules::default();
        assert_eq!(r.detect("important and critical"), Some(Priority::Urgent));
    }

    #[test]
    fn the_table_is_configurable_in_any_script() {
        let mut r = PriorityRules::empty();
        r.add("срочно", Priority::Urgent).add("  ", Priority::High);
        assert_eq!(r.detect("Очень СРОЧНО"), Some(Priority::Urgent));
        assert_eq!(r.detect("urgent"), None);
    }
}
