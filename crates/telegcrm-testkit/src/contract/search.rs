//! Search: the query language, ranking, snippets, filters, and the store's candidates.

use std::sync::Arc;

use telegcrm_domain::event::ChatInfo;
use telegcrm_domain::ports::Store;
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{ConversationStatus, PageRequest, Priority};

use super::Crm;
use crate::fixtures::{alexey, at, deletion, edit, incoming, mariana, msg, outgoing, private_chat, tag, zoe};

/// Stores incoming messages from Zoë, one per text, a minute apart; returns her chat.
async fn zoe_says(crm: &Crm, texts: &[&str]) -> ChatInfo {
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest((1..).zip(texts).map(|(n, t)| msg(incoming(&chat, n, t, at(n))))).await;
    chat
}

/// The texts a search finds, sorted (for cases where the order is not the point).
async fn found(crm: &Crm, q: &str) -> Vec<String> {
    let mut texts = crm.search_texts(q).await;
    texts.sort();
    texts
}

/// Every word must occur.
pub async fn search_ands_words(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(&crm, &["Invoice for the blue chairs", "Invoice for the red table", "Blue table lamp"]).await;
    assert_eq!(found(&crm, "invoice blue").await, ["Invoice for the blue chairs"]);
    assert_eq!(found(&crm, "blue").await, ["Blue table lamp", "Invoice for the blue chairs"]);
    assert_eq!(found(&crm, "TABLE red").await, ["Invoice for the red table"]);
    assert!(found(&crm, "invoice blue sofa").await.is_empty());
}

/// A quoted phrase matches its words adjacent and in order.
pub async fn search_phrase_keeps_word_order(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(&crm, &["Delivery next week, please", "Next delivery this week", "week next? no idea"]).await;
    assert_eq!(found(&crm, "\"next week\"").await, ["Delivery next week, please"]);
    assert_eq!(found(&crm, "\"week next\"").await, ["week next? no idea"]);
    assert_eq!(found(&crm, "next week").await.len(), 3, "unquoted words need no order");
    assert!(found(&crm, "\"delivery week\"").await.is_empty());
}

/// `word*` matches words that start with it; a bare word matches whole words only.
pub async fn search_prefix_matches_word_starts(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(&crm, &["Delivery scheduled", "Undelivered parcel", "Can you deliver it tomorrow?"]).await;
    assert_eq!(found(&crm, "deliv*").await, ["Can you deliver it tomorrow?", "Delivery scheduled"]);
    assert_eq!(found(&crm, "deliver").await, ["Can you deliver it tomorrow?"]);
    assert!(found(&crm, "deliv").await.is_empty());
    assert_eq!(found(&crm, "\"deliv* sched\"").await.len(), 0, "inside quotes * is just text");
}

/// Case and diacritics are ignored, both in the query and in the text.
pub async fn search_ignores_case_and_diacritics(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(&crm, &["Un café crème, s'il vous plaît", "CAFE LATTE for everyone", "Cafeteria closed", "Ünal & Söhne"]).await;
    let both = ["CAFE LATTE for everyone", "Un café crème, s'il vous plaît"];
    assert_eq!(found(&crm, "café").await, both);
    assert_eq!(found(&crm, "CAFE").await, both);
    assert_eq!(found(&crm, "Café").await, both);
    assert_eq!(found(&crm, "PLAIT creme").await, ["Un café crème, s'il vous plaît"]);
    assert_eq!(found(&crm, "unal sohne").await, ["Ünal & Söhne"]);
}

/// A word longer than the term limit (64 characters) finds its message, as a word, in a phrase
/// and as a prefix (tokens and query terms are clipped alike; found by fuzzing).
pub async fn search_finds_words_over_the_term_limit(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let long = format!("{}tail", "x".repeat(70));
    let text = format!("token {long} end");
    zoe_says(&crm, &[&text, "other words"]).await;
    assert_eq!(found(&crm, &long).await, std::slice::from_ref(&text));
    assert_eq!(found(&crm, &format!("\"token {long} end\"")).await, std::slice::from_ref(&text));
    assert_eq!(found(&crm, &format!("{}*", &long[..66])).await, std::slice::from_ref(&text));
}

/// Cyrillic words, phrases and prefixes work like Latin ones (ё folds to е).
pub async fn search_finds_cyrillic_text(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &alexey());
    let texts = ["Счёт на оплату отправлен", "Срочно нужен ответ", "Ёлка на складе"];
    crm.ingest((1..).zip(texts).map(|(n, t)| msg(incoming(&chat, n, t, at(n))))).await;
    assert_eq!(found(&crm, "счет").await, ["Счёт на оплату отправлен"]);
    assert_eq!(found(&crm, "СЧЁТ").await, ["Счёт на оплату отправлен"]);
    assert_eq!(found(&crm, "оплат*").await, ["Счёт на оплату отправлен"]);
    assert_eq!(found(&crm, "елка").await, ["Ёлка на складе"]);
    assert_eq!(found(&crm, "\"на складе\"").await, ["Ёлка на складе"]);
    assert_eq!(found(&crm, "на").await.len(), 2);
}

/// Operators and syntax of search engines and databases are plain text: never an error.
pub async fn search_treats_special_characters_as_text(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(
        &crm,
        &["Looking for a C++ developer", "Rock and roll", "Robert'); DROP TABLE students;-- is my son", "col: term sheet attached"],
    )
    .await;
    let long = "x".repeat(5000);
    let hostile = [
        "\"",
        "\"\"",
        "*",
        "**",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "NEAR(a b)",
        "col:term",
        "'; DROP TABLE messages; --",
        "{\"$where\": \"1\"}",
        ".*",
        "\\",
        "%_",
        "c++",
        "-foo",
        "^x",
        "a\"b\"c\"d",
        "\u{0}",
        "<script>alert(1)</script>",
        "title:*",
        &long,
    ];
    for q in hostile {
        let result = crm.service.search_messages(crm.owner, q, &SearchFilters::default(), &PageRequest::default()).await;
        assert!(result.is_ok(), "{q:?}: {result:?}");
        let result = crm.service.search_conversations(crm.owner, q, &SearchFilters::default(), &PageRequest::default()).await;
        assert!(result.is_ok(), "{q:?}: {result:?}");
    }
    assert_eq!(found(&crm, "c++").await, ["Looking for a C++ developer"]);
    assert_eq!(found(&crm, "AND").await, ["Rock and roll"]);
    assert_eq!(found(&crm, "'; DROP TABLE").await, ["Robert'); DROP TABLE students;-- is my son"]);
    assert_eq!(found(&crm, "col:term").await, ["col: term sheet attached"]);
    assert_eq!(found(&crm, "developer").await, ["Looking for a C++ developer"], "the store is intact");
}

/// More occurrences in a shorter text rank first; equal relevance ranks the newer first.
pub async fn search_ranks_by_relevance_then_recency(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let dense = "Invoice! The invoice — where is the invoice?";
    let long = "Hello Zoë, following up on our call yesterday about the warehouse in Leipzig; the invoice is attached \
                together with the delivery schedule and the signed framework agreement for the second quarter";
    crm.ingest([
        msg(incoming(&chat, 1, dense, at(1))),
        msg(incoming(&chat, 2, "Send the invoice today", at(5))),
        msg(incoming(&chat, 3, "Send the invoice again", at(10))),
        msg(incoming(&chat, 4, long, at(20))),
    ])
    .await;
    assert_eq!(crm.search_texts("invoice").await, [dense, "Send the invoice again", "Send the invoice today", long]);
    let paged =
        super::all_pages(1, async |p| crm.service.search_messages(crm.owner, "invoice", &SearchFilters::default(), &p).await.unwrap())
            .await;
    assert_eq!(paged.into_iter().map(|h| h.message.content).collect::<Vec<_>>(), crm.search_texts("invoice").await, "pages keep the rank");
}

/// Snippets wrap matches in `<mark>` and escape the message's own markup.
pub async fn search_snippets_mark_matches_and_escape_html(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    zoe_says(&crm, &["<b>Price</b> & terms: 1 200 € \"net\"", "Очень СРОЧНО!"]).await;
    let hits = crm.search("price", &SearchFilters::default()).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].snippet, "&lt;b&gt;<mark>Price</mark>&lt;/b&gt; &amp; terms: 1 200 € &quot;net&quot;");
    let hits = crm.search("срочно", &SearchFilters::default()).await;
    assert_eq!(hits[0].snippet, "Очень <mark>СРОЧНО</mark>!");
}

/// After an edit, the new text is found and the old one is not.
pub async fn edited_message_is_found_by_its_new_text_only(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 1, "Lieferung am Montag", at(1));
    crm.ingest([msg(m.clone())]).await;
    crm.ingest([edit(&m, "Lieferung am Dienstag", at(3))]).await;
    assert!(found(&crm, "montag").await.is_empty());
    assert_eq!(found(&crm, "dienstag").await, ["Lieferung am Dienstag"]);
    assert_eq!(found(&crm, "lieferung").await.len(), 1);
}

/// A deleted message is found neither by the service nor among the store's candidates.
pub async fn deleted_message_drops_out_of_search(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = zoe_says(&crm, &["Das Passwort ist Sommer2026", "Passwort bitte ändern"]).await;
    crm.ingest([deletion(&chat, &[1], at(5))]).await;
    assert_eq!(found(&crm, "passwort").await, ["Passwort bitte ändern"]);
    assert!(found(&crm, "sommer2026").await.is_empty());
    for q in ["passwort", ""] {
        let candidates = crm.store.search_candidates(crm.owner, &SearchQuery::parse(q), &SearchFilters::default(), 100).await.unwrap();
        assert_eq!(candidates.iter().map(|m| m.telegram_message_id).collect::<Vec<_>>(), [2], "{q:?}");
    }
}

/// `contactId`, `from` (inclusive) and `to` (exclusive) narrow a search.
pub async fn search_filters_by_contact_and_time(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let z = private_chat(crm.owner, &zoe());
    let a = private_chat(crm.owner, &alexey());
    crm.ingest([
        msg(incoming(&z, 1, "Angebot A", at(1))),
        msg(incoming(&z, 2, "Angebot B", at(10))),
        msg(incoming(&a, 1, "Angebot C", at(5))),
    ])
    .await;
    let texts = async |filters: SearchFilters| {
        let mut t: Vec<String> = crm.search("angebot", &filters).await.into_iter().map(|h| h.message.content).collect();
        t.sort();
        t
    };
    let zoe_id = crm.contact(zoe().id).await.id;
    assert_eq!(texts(SearchFilters { contact_id: Some(zoe_id), ..Default::default() }).await, ["Angebot A", "Angebot B"]);
    assert_eq!(texts(SearchFilters { from: Some(at(5)), ..Default::default() }).await, ["Angebot B", "Angebot C"]);
    assert_eq!(texts(SearchFilters { to: Some(at(5)), ..Default::default() }).await, ["Angebot A"]);
    assert_eq!(texts(SearchFilters { from: Some(at(5)), to: Some(at(10)), ..Default::default() }).await, ["Angebot C"]);
    assert!(texts(SearchFilters { contact_id: Some(zoe_id), from: Some(at(2)), to: Some(at(9)), ..Default::default() }).await.is_empty());
}

/// Conversation, priority, tag (ignoring case) and status narrow a search by the conversation.
pub async fn search_filters_by_conversation_priority_tag_and_status(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let z = private_chat(crm.owner, &zoe());
    let a = private_chat(crm.owner, &alexey());
    let m = private_chat(crm.owner, &mariana());
    crm.ingest([
        msg(incoming(&z, 1, "Angebot urgent", at(1))),
        msg(incoming(&a, 1, "Angebot für Алексей", at(2))),
        msg(incoming(&m, 1, "Frage zum Angebot", at(3))),
        msg(outgoing(&m, 2, "Angebot anbei", at(4))),
    ])
    .await;
    let a_id = crm.conversation(&a).await.id;
    crm.service.add_tag(&crm.me(), a_id, tag("Lead")).await.unwrap();
    crm.service.set_status(&crm.me(), a_id, ConversationStatus::Archived).await.unwrap();
    let texts = async |filters: SearchFilters| {
        let mut t: Vec<String> = crm.search("angebot", &filters).await.into_iter().map(|h| h.message.content).collect();
        t.sort();
        t
    };
    assert_eq!(texts(SearchFilters { priority: Some(Priority::Urgent), ..Default::default() }).await, ["Angebot urgent"]);
    assert_eq!(texts(SearchFilters { tag: Some(tag("LEAD")), ..Default::default() }).await, ["Angebot für Алексей"]);
    assert_eq!(texts(SearchFilters { status: Some(ConversationStatus::Archived), ..Default::default() }).await, ["Angebot für Алексей"]);
    assert_eq!(
        texts(SearchFilters { status: Some(ConversationStatus::Waiting), ..Default::default() }).await,
        ["Angebot anbei", "Frage zum Angebot"]
    );
    let m_id = crm.conversation(&m).await.id;
    assert_eq!(texts(SearchFilters { conversation_id: Some(m_id), ..Default::default() }).await, ["Angebot anbei", "Frage zum Angebot"]);
    assert!(
        texts(SearchFilters { priority: Some(Priority::Urgent), status: Some(ConversationStatus::Archived), ..Default::default() })
            .await
            .is_empty()
    );
}

/// Conversation search groups matches by conversation, best conversation first, a few hits each.
pub async fn search_conversations_groups_hits_by_conversation(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let z = private_chat(crm.owner, &zoe());
    let a = private_chat(crm.owner, &alexey());
    crm.ingest((1..=4).map(|n| msg(incoming(&z, n, "Die Rechnung kommt morgen", at(n))))).await;
    crm.ingest([msg(incoming(&a, 1, "Rechnung!", at(2)))]).await;
    let page = crm.service.search_conversations(crm.owner, "rechnung", &SearchFilters::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].conversation.telegram_chat_id, alexey().id, "the best single match wins");
    assert_eq!(page.items[0].hits.len(), 1);
    assert_eq!(page.items[1].conversation.telegram_chat_id, zoe().id);
    assert_eq!(page.items[1].hits.len(), 3, "at most three hits per conversation");
    assert!(page.items[1].hits.windows(2).all(|w| w[0].sent_at > w[1].sent_at), "equal relevance: newer first");
    assert!(page.items.iter().flat_map(|i| &i.hits).all(|h| h.snippet.contains("<mark>Rechnung</mark>")));
}

/// The store's candidates: every match, newest first, at most `max`; an empty query matches all.
pub async fn search_candidates_are_newest_first_and_capped(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let z = private_chat(crm.owner, &zoe());
    let a = private_chat(crm.owner, &alexey());
    // Arrival order differs from time order.
    let minutes = [7, 3, 11, 1, 9, 5, 12, 2, 8, 4, 10, 6];
    crm.ingest((1..).zip(minutes).map(|(n, m)| {
        let chat = if m % 2 == 0 { &z } else { &a };
        msg(incoming(chat, n, &format!("Termin um {m} Uhr"), at(m)))
    }))
    .await;
    crm.ingest((20..23).map(|n| msg(incoming(&z, n, "Danke", at(n))))).await;
    let termin = SearchQuery::parse("termin");
    let five = crm.store.search_candidates(crm.owner, &termin, &SearchFilters::default(), 5).await.unwrap();
    assert_eq!(five.iter().map(|m| m.sent_at).collect::<Vec<_>>(), [at(12), at(11), at(10), at(9), at(8)]);
    let every = crm.store.search_candidates(crm.owner, &termin, &SearchFilters::default(), 100).await.unwrap();
    assert_eq!(every.len(), 12);
    assert!(every.windows(2).all(|w| w[0].sent_at > w[1].sent_at));
    let all = crm.store.search_candidates(crm.owner, &SearchQuery::default(), &SearchFilters::default(), 100).await.unwrap();
    assert_eq!(all.len(), 15);
    assert_eq!(all[0].sent_at, at(22));
    assert!(
        crm.store
            .search_candidates(crm.owner, &SearchQuery::parse("termin danke"), &SearchFilters::default(), 100)
            .await
            .unwrap()
            .is_empty()
    );
}
