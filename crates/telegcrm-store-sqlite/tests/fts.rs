//! Full-text specifics: user text never becomes FTS5 syntax, and candidates follow sentAt exactly.

// Tests: a failed expectation should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::search::{Clause, SearchFilters, SearchQuery};
use telegcrm_store_sqlite::SqliteStore;
use telegcrm_store_sqlite::search::fts_expression;
use telegcrm_testkit::contract::Crm;
use telegcrm_testkit::fixtures::{at, incoming, msg, private_chat, zoe};

async fn crm_with(texts: &[&str]) -> Crm {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap().keep_alive(dir));
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest((1..).zip(texts).map(|(n, t)| msg(incoming(&chat, n, t, at(n))))).await;
    crm
}

/// Every FTS5 special character, operator word and quoting trick.
const HOSTILE: &[&str] = &[
    "\"",
    "\"\"",
    "\"a",
    "a\"b",
    "*",
    "a*b",
    "**",
    "(",
    ")",
    "(a OR b)",
    ":",
    "terms:a",
    "a:b",
    "^",
    "^a",
    "-",
    "-a",
    "a-b",
    "+",
    "a+b",
    "NEAR",
    "NEAR(a b)",
    "NEAR/3",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "OR b",
    "NOT NOT",
    "'",
    "'a'",
    "‘a’",
    "«a»",
    "\\",
    "a\\b",
    "\\\"",
    "\0",
    "a\0b",
    "{a b}",
    "[a]",
    "$",
    "%",
    "_",
    "'; DROP TABLE messages; --",
    ".",
    "a.b",
    ",",
    ";",
    "\u{202e}a",
    "#",
    "@",
    "|",
];

#[tokio::test]
async fn hostile_queries_from_users_never_error() {
    let crm = crm_with(&["a b c NEAR AND OR NOT terms", "plain text"]).await;
    for q in HOSTILE {
        let hits = crm.service.search_messages(crm.owner, q, &SearchFilters::default(), &Default::default()).await;
        assert!(hits.is_ok(), "{q:?}: {hits:?}");
    }
}

#[tokio::test]
async fn raw_special_characters_inside_terms_never_reach_fts5_as_syntax() {
    let crm = crm_with(&["anything at all"]).await;
    for raw in HOSTILE {
        for prefix in [false, true] {
            let query = SearchQuery { clauses: vec![Clause { terms: vec![(*raw).to_owned(), "x".to_owned()], prefix }] };
            let single = SearchQuery { clauses: vec![Clause { terms: vec![(*raw).to_owned()], prefix }] };
            for q in [query, single] {
                let r = crm.store.search_candidates(crm.owner, &q, &SearchFilters::default(), 10).await;
                assert!(r.is_ok(), "{raw:?} prefix={prefix}: {r:?}");
            }
        }
    }
}

#[tokio::test]
async fn operator_words_are_searched_as_words() {
    let crm = crm_with(&["cats and dogs or birds, not fish, near the lake", "cats dogs"]).await;
    assert_eq!(crm.search_texts("AND").await, ["cats and dogs or birds, not fish, near the lake"]);
    assert_eq!(crm.search_texts("NOT fish").await, ["cats and dogs or birds, not fish, near the lake"]);
    assert_eq!(crm.search_texts("NEAR").await.len(), 1);
    assert_eq!(crm.search_texts("\"dogs OR birds\"").await.len(), 1);
    assert_eq!(crm.search_texts("cats OR nothing").await.len(), 0, "OR is a word, and ANDed");
}

#[tokio::test]
async fn punctuation_in_queries_separates_words() {
    let crm = crm_with(&["order #42 (urgent) — e-mail: sales@example.com"]).await;
    for q in ["#42", "(urgent)", "e-mail", "sales@example.com", "mail:", "\"example com\"", "exam*", "-urgent", "+42"] {
        assert_eq!(crm.search_texts(q).await.len(), 1, "{q}");
    }
}

#[test]
fn expressions_quote_every_clause_and_double_inner_quotes() {
    let q = SearchQuery::parse("invoice \"next week\" deliv*");
    assert_eq!(fts_expression(&q).unwrap(), "\"invoice\" AND \"next week\" AND \"deliv\"*");
    let raw = SearchQuery { clauses: vec![Clause { terms: vec!["a\"b".into()], prefix: false }] };
    assert_eq!(fts_expression(&raw).unwrap(), "\"a\"\"b\"");
    assert_eq!(fts_expression(&SearchQuery::default()), None);
}

#[tokio::test]
async fn candidates_follow_sent_at_exactly_within_a_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap().keep_alive(dir));
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    // Five messages in one millisecond, arriving newest first (rowid slots go by arrival).
    let t = at(10);
    let events: Vec<_> = (0..5).rev().map(|k| msg(incoming(&chat, 100 + k, &format!("ping {k}"), t + Duration::microseconds(k)))).collect();
    crm.ingest(events).await;
    let q = SearchQuery::parse("ping");
    let got = crm.store.search_candidates(crm.owner, &q, &SearchFilters::default(), 2).await.unwrap();
    let texts: Vec<_> = got.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["ping 4", "ping 3"]);
    let all = crm.store.search_candidates(crm.owner, &SearchQuery::default(), &SearchFilters::default(), 3).await.unwrap();
    let texts: Vec<_> = all.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["ping 4", "ping 3", "ping 2"]);
}

#[tokio::test]
async fn candidates_arriving_out_of_order_come_back_newest_first() {
    let crm = crm_with(&[]).await;
    let chat = private_chat(crm.owner, &zoe());
    let minutes = [50, 5, 30, 70, 10, 60];
    crm.ingest(minutes.iter().map(|&m| msg(incoming(&chat, m, &format!("report {m}"), at(m))))).await;
    let got = crm.store.search_candidates(crm.owner, &SearchQuery::parse("report"), &SearchFilters::default(), 4).await.unwrap();
    let texts: Vec<_> = got.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["report 70", "report 60", "report 50", "report 30"]);
    let window = SearchFilters { from: Some(at(10)), to: Some(at(60)), ..Default::default() };
    let got = crm.store.search_candidates(crm.owner, &SearchQuery::parse("rep*"), &window, 10).await.unwrap();
    let texts: Vec<_> = got.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["report 50", "report 30", "report 10"]);
}

#[tokio::test]
async fn an_edit_reindexes_and_a_deletion_unindexes() {
    let crm = crm_with(&[]).await;
    let chat = private_chat(crm.owner, &zoe());
    let first = incoming(&chat, 1, "old wording", at(1));
    crm.ingest([msg(first.clone())]).await;
    crm.ingest([telegcrm_testkit::fixtures::edit(&first, "new phrasing", at(2))]).await;
    assert!(crm.search_texts("old").await.is_empty());
    assert_eq!(crm.search_texts("phrasing").await, ["new phrasing"]);
    crm.ingest([telegcrm_testkit::fixtures::deletion(&chat, &[1], at(3))]).await;
    assert!(crm.search_texts("phrasing").await.is_empty());
    assert!(crm.store.search_candidates(crm.owner, &SearchQuery::default(), &SearchFilters::default(), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_ingests_are_all_committed() {
    let crm = crm_with(&[]).await;
    let chat = private_chat(crm.owner, &zoe());
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let crm = crm.clone();
            let chat = chat.clone();
            tokio::spawn(async move { crm.ingest([msg(incoming(&chat, n, &format!("parallel {n}"), at(n)))]).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(crm.messages(&chat).await.len(), 40);
    assert_eq!(crm.conversation(&chat).await.unread_count, 40);
}
