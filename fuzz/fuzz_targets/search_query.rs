//! The search query parser on arbitrary text (never panics), and the rule that a message is found
//! by each of its own words: tokenize the text as a message, search for one of its words (as a
//! plain word, as a quoted phrase and as a prefix) and require a match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telegcrm_domain::search::SearchQuery;
use telegcrm_domain::text::tokenize;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Any input parses, and the parsed query can be asked about any text.
    let query = SearchQuery::parse(text);
    let _ = query.matches(text);
    let _ = query.required_terms();

    // A message containing a word is found by that word. Pick the word from the input's first
    // byte so the fuzzer reaches every position.
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return;
    }
    let pick = usize::from(data[0]) % tokens.len();
    let word = &text[tokens[pick].span.clone()];
    for q in [word.to_owned(), format!("\"{word}\""), format!("{word}*")] {
        let parsed = SearchQuery::parse(&q);
        assert!(!parsed.is_empty(), "the word {word:?} of {text:?} parses to an empty query {q:?}");
        assert!(parsed.matches_tokens(&tokens), "{text:?} is not found by its own word {word:?} (query {q:?}: {parsed:?})");
    }
});
