//! The search language and its meaning: parsing, matching, ranking and snippets.
//!
//! `q` is a list of clauses that must all match: bare words, `"quoted phrases"` (words in this
//! order, adjacent) and `prefix*`. Any input parses; characters that are not letters or digits are
//! text that separates words, never syntax. Stores find candidates; the service ranks them with
//! [`relevance`] so that every store ranks the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ContactId, ConversationId};
use crate::tag::Tag;
pub use crate::text::MAX_TERM_CHARS;
use crate::text::{Token, escape_html, tokenize};
use crate::values::{ConversationStatus, Priority};

/// The most clauses a query keeps (the rest of a very long query is ignored).
pub const MAX_CLAUSES: usize = 16;
/// The most characters of `q` read.
pub const MAX_QUERY_CHARS: usize = 1000;

/// One clause: a word (one term), a phrase (several terms in order), optionally with the last
/// term a prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clause {
    /// Folded terms, in order. Never empty.
    pub terms: Vec<String>,
    /// Whether the last term matches as a prefix.
    pub prefix: bool,
}

impl Clause {
    /// Whether this clause is a phrase (more than one word).
    pub fn is_phrase(&self) -> bool {
        self.terms.len() > 1
    }

    /// Where the clause occurs in a token list (start indexes).
    pub fn occurrences(&self, tokens: &[Token]) -> Vec<usize> {
        let n = self.terms.len();
        if n == 0 || tokens.len() < n {
            return Vec::new();
        }
        (0..=tokens.len() - n)
            .filter(|&i| {
                self.terms.iter().enumerate().all(|(k, term)| {
                    let tok = &tokens[i + k].term;
                    if self.prefix && k == n - 1 { tok.starts_with(term.as_str()) } else { tok == term }
                })
            })
            .collect()
    }
}

/// A parsed search query: all clauses must match. An empty query matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// The clauses, ANDed.
    pub clauses: Vec<Clause>,
}

impl SearchQuery {
    /// Parses user input. Never fails: hostile input becomes a (possibly empty) query.
    pub fn parse(input: &str) -> Self {
        let input: String = input.chars().take(MAX_QUERY_CHARS).collect();
        let mut clauses: Vec<Clause> = Vec::new();
        let mut push = |terms: Vec<String>, prefix: bool| {
            if terms.is_empty() || clauses.len() >= MAX_CLAUSES {
                return;
            }
            let c = Clause { terms, prefix };
            if !clauses.contains(&c) {
                clauses.push(c);
            }
        };
        // Split on quotes: odd segments are phrases; an unterminated quote runs to the end.
        for (i, segment) in input.split('"').enumerate() {
            if i % 2 == 1 {
                push(clip_terms(segment), false);
                continue;
            }
            for word in segment.split_whitespace() {
                let stem = word.trim_end_matches('*');
                let prefix = stem.len() != word.len();
                let terms = clip_terms(stem);
                // "e-mail" is one word to the user: its parts must stand together, in order.
                push(terms, prefix);
            }
        }
        Self { clauses }
    }

    /// Whether the query has no clause (matches everything).
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether every clause occurs in `text`.
    pub fn matches(&self, text: &str) -> bool {
        let tokens = tokenize(text);
        self.matches_tokens(&tokens)
    }

    /// Whether every clause occurs in the tokens.
    pub fn matches_tokens(&self, tokens: &[Token]) -> bool {
        self.clauses.iter().all(|c| !c.occurrences(tokens).is_empty())
    }

    /// Every distinct plain (non-prefix) term, and every prefix, for stores that index terms.
    pub fn required_terms(&self) -> (Vec<&str>, Vec<&str>) {
        let mut exact = Vec::new();
        let mut prefixes = Vec::new();
        for c in &self.clauses {
            for (k, t) in c.terms.iter().enumerate() {
                let list = if c.prefix && k == c.terms.len() - 1 { &mut prefixes } else { &mut exact };
                if !list.contains(&t.as_str()) {
                    list.push(t.as_str());
                }
            }
        }
        (exact, prefixes)
    }
}

/// The terms of a query word or phrase: the same words, clipped the same way, as [`tokenize`]
/// makes of a message.
fn clip_terms(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|t| t.term).collect()
}

/// Filters that narrow a search (all optional, ANDed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchFilters {
    /// Only this contact's conversations.
    pub contact_id: Option<ContactId>,
    /// Only this conversation.
    pub conversation_id: Option<ConversationId>,
    /// Messages sent at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Messages sent before this.
    pub to: Option<DateTime<Utc>>,
    /// Only conversations of this priority.
    pub priority: Option<Priority>,
    /// Only conversations with this tag.
    pub tag: Option<Tag>,
    /// Only conversations in this status.
    pub status: Option<ConversationStatus>,
}

/// How relevant `tokens` are to `query` (higher is better; 0 for an empty query).
///
/// BM25-shaped per message: each clause adds a saturating function of how often it occurs,
/// damped for long messages; phrases weigh by their length.
pub fn relevance(query: &SearchQuery, tokens: &[Token]) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    const AVG_LEN: f64 = 16.0;
    let len_norm = 1.0 - B + B * (tokens.len() as f64 / AVG_LEN);
    query
        .clauses
        .iter()
        .map(|c| {
            let tf = c.occurrences(tokens).len() as f64;
            let weight = c.terms.len() as f64 * if c.prefix { 0.8 } else { 1.0 };
            weight * tf * (K1 + 1.0) / (tf + K1 * len_norm)
        })
        .sum()
}

/// The longest snippet, in characters of the original text.
pub const SNIPPET_CHARS: usize = 160;

/// A snippet of `text` around the first match, HTML-escaped, matches wrapped in `<mark>`..`</mark>`,
/// cut ends marked with `…`.
pub fn snippet(query: &SearchQuery, text: &str) -> String {
    let tokens = tokenize(text);
    let mut marked = vec![false; tokens.len()];
    for c in &query.clauses {
        for start in c.occurrences(&tokens) {
            for m in &mut marked[start..start + c.terms.len()] {
                *m = true;
            }
        }
    }
    let first = marked.iter().position(|m| *m);
    // Start a few words before the first match, so it is read in context.
    let start_byte = match first {
        Some(i) if i > 4 => tokens[i - 4].span.start,
        _ => 0,
    };
    let end_byte = text[start_byte..].char_indices().nth(SNIPPET_CHARS).map_or(text.len(), |(i, _)| start_byte + i);
    let mut out = String::new();
    if start_byte > 0 {
        out.push('…');
    }
    let mut pos = start_byte;
    for (tok, m) in tokens.iter().zip(&marked) {
        if !m || tok.span.start < start_byte || tok.span.end > end_byte {
            continue;
        }
        escape_html(&text[pos..tok.span.start], &mut out);
        out.push_str("<mark>");
        escape_html(&text[tok.span.clone()], &mut out);
        out.push_str("</mark>");
        pos = tok.span.end;
    }
    escape_html(&text[pos..end_byte], &mut out);
    if end_byte < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(terms: &[&str], prefix: bool) -> Clause {
        Clause { terms: terms.iter().map(|t| (*t).to_owned()).collect(), prefix }
    }

    #[test]
    fn words_phrases_and_prefixes_parse_into_clauses() {
        let q = SearchQuery::parse(r#"invoice "next week" deliv*"#);
        assert_eq!(q.clauses, [clause(&["invoice"], false), clause(&["next", "week"], false), clause(&["deliv"], true)]);
    }

    #[test]
    fn hostile_input_always_parses() {
        for input in [
            "\"",
            "\"\"\"",
            "*",
            "**a",
            "AND OR NOT",
            "NEAR(a b)",
            "a:b",
            "col:*",
            "(((",
            "^x",
            "'; DROP TABLE messages; --",
            "\u{0}\u{1}",
            "{\"$where\": 1}",
            ".*",
            "\\",
            "a\"b\"c\"d",
        ] {
            let q = SearchQuery::parse(input);
            assert!(q.clauses.len() <= MAX_CLAUSES, "{input}");
            assert!(q.clauses.iter().all(|c| !c.terms.is_empty() && c.terms.iter().all(|t| !t.is_empty())));
        }
        let q = SearchQuery::parse("'; DROP TABLE messages; --");
        assert_eq!(q.clauses.len(), 3);
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end() {
        let q = SearchQuery::parse("a \"b c");
        assert_eq!(q.clauses, [clause(&["a"], false), clause(&["b", "c"], false)]);
    }

    #[test]
    fn a_word_with_inner_punctuation_is_a_phrase_of_its_parts() {
        let q = SearchQuery::parse("e-mail");
        assert_eq!(q.clauses, [clause(&["e", "mail"], false)]);
        assert!(q.matches("Send the E-Mail"));
        assert!(!q.matches("mail e"));
    }

    #[test]
    fn huge_queries_are_bounded() {
        let q = SearchQuery::parse(&"word ".repeat(10_000));
        assert_eq!(q.clauses.len(), 1);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(SearchQuery::parse(&many).clauses.len(), MAX_CLAUSES);
        let long = "x".repeat(500);
        assert_eq!(SearchQuery::parse(&long).clauses[0].terms[0].chars().count(), MAX_TERM_CHARS);
    }

    /// Found by fuzzing (`search_query`): the query clipped a long word to `MAX_TERM_CHARS` but
    /// the message's token was not clipped, so a message was not found by its own long word.
    #[test]
    fn a_message_is_found_by_its_own_word_longer_than_the_term_limit() {
        for len in [MAX_TERM_CHARS, MAX_TERM_CHARS + 1, 200] {
            let word = "ж".repeat(len);
            let text = format!("see {word}, thanks");
            assert!(SearchQuery::parse(&word).matches(&text), "a {len}-character word");
            assert!(SearchQuery::parse(&format!("\"see {word}\"")).matches(&text), "a phrase with a {len}-character word");
            assert!(SearchQuery::parse(&format!("{word}*")).matches(&text), "a {len}-character prefix");
        }
        // Tokens are clipped as query terms are, in characters (not bytes), after folding.
        let long = format!("{}É", "é".repeat(MAX_TERM_CHARS));
        let tokens = tokenize(&long);
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].term, "e".repeat(MAX_TERM_CHARS));
        assert_eq!(tokens[0].span, 0..long.len(), "the span still covers the whole word");
    }

    #[test]
    fn matching_is_and_with_phrase_order_and_prefixes() {
        let q = SearchQuery::parse(r#""next week" deliv*"#);
        assert!(q.matches("Delivery planned NEXT week"));
        assert!(!q.matches("next delivery week"));
        assert!(!q.matches("next week, ok"));
    }

    #[test]
    fn matching_ignores_case_and_diacritics_in_any_script() {
        assert!(SearchQuery::parse("CAFE").matches("un café, s'il vous plaît"));
        assert!(SearchQuery::parse("ёлка").matches("Новогодняя ЕЛКА"));
        assert!(SearchQuery::parse("сроч*").matches("Очень срочно!"));
    }

    #[test]
    fn relevance_prefers_more_occurrences_and_shorter_messages() {
        let q = SearchQuery::parse("invoice");
        let once = relevance(&q, &tokenize("the invoice is attached to this long message about other things"));
        let twice = relevance(&q, &tokenize("invoice invoice is attached to this long message about other things"));
        let short = relevance(&q, &tokenize("invoice"));
        assert!(twice > once);
        assert!(short > once);
        assert_eq!(relevance(&SearchQuery::default(), &tokenize("anything")), 0.0);
    }

    #[test]
    fn snippets_mark_matches_and_escape_markup() {
        let q = SearchQuery::parse("price");
        let s = snippet(&q, "<b>Price</b> & terms");
        assert_eq!(s, "&lt;b&gt;<mark>Price</mark>&lt;/b&gt; &amp; terms");
    }

    #[test]
    fn long_snippets_are_cut_around_the_first_match() {
        let text = format!("{} the quarterly invoice {}", "lorem ipsum ".repeat(40), "dolor sit ".repeat(40));
        let s = snippet(&SearchQuery::parse("invoice"), &text);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>invoice</mark>"), "{s}");
        assert!(s.chars().count() < SNIPPET_CHARS + 40);
    }

    #[test]
    fn phrase_snippets_mark_every_word_of_the_phrase() {
        let s = snippet(&SearchQuery::parse("\"next week\""), "See you next week!");
        assert_eq!(s, "See you <mark>next</mark> <mark>week</mark>!");
    }
}
