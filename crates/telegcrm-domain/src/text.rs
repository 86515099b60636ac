//! Text folding and tokenising shared by search, snippets and priority detection, so that every
//! store and the service agree on what a "word" is.
//!
//! A word is a run of letters and digits in any script. Words are compared folded: Unicode
//! compatibility-decomposed, combining marks (accents) removed, lower-cased. "Café" and "CAFE"
//! are the same word; so are "Ёлка" and "елка".

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for comparison: decomposes, drops combining marks, lower-cases.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if !is_combining_mark(c) {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The longest word kept, in characters: a longer word is kept as its first `MAX_TERM_CHARS`
/// characters, in stored messages and in queries alike (both come from [`tokenize`]), so a
/// message is always found by each of its own words.
pub const MAX_TERM_CHARS: usize = 64;

/// Whether `c` belongs to a word.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A word found in a text: its folded form (at most [`MAX_TERM_CHARS`] characters) and where it
/// stands in the original (bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Folded form.
    pub term: String,
    /// Byte range in the original text.
    pub span: Range<usize>,
}

/// Splits text into words with their positions.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                push_token(&mut out, text, s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push_token(&mut out, text, s..text.len());
    }
    out
}

fn push_token(out: &mut Vec<Token>, text: &str, span: Range<usize>) {
    // Folding can turn one word into several (ligatures, compatibility forms); keep it one term
    // made of word characters only, so stores that tokenise again see the same word.
    let term: String = fold(&text[span.clone()]).chars().filter(|c| is_word_char(*c)).take(MAX_TERM_CHARS).collect();
    if !term.is_empty() {
        out.push(Token { term, span });
    }
}

/// The folded words of a text, without positions.
pub fn terms(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|t| t.term).collect()
}

/// Escapes `<`, `>`, `&` and `"` so text can be shown inside HTML.
pub fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents_in_any_script() {
        assert_eq!(fold("Café CRÈME"), "cafe creme");
        assert_eq!(fold("Ёлка"), "елка");
        assert_eq!(fold("ÅNGSTRÖM"), "angstrom");
    }

    #[test]
    fn tokens_are_letter_and_digit_runs_with_original_positions() {
        let text = "Hi, Ünal! Order #42 — «срочно».";
        let toks = tokenize(text);
        let terms: Vec<_> = toks.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["hi", "unal", "order", "42", "срочно"]);
        assert_eq!(&text[toks[1].span.clone()], "Ünal");
        assert_eq!(&text[toks[4].span.clone()], "срочно");
    }

    #[test]
    fn special_characters_separate_words_and_never_form_one() {
        assert_eq!(terms("c++ && a|b (x) \"q\" *"), ["c", "a", "b", "x", "q"]);
        assert!(terms("!!! ??? ***").is_empty());
    }

    #[test]
    fn html_escaping_covers_markup_characters() {
        let mut s = String::new();
        escape_html("<b>\"x\" & y</b>", &mut s);
        assert_eq!(s, "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;");
    }
}
