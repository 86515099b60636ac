//! Tags: trimmed, non-empty, at most 64 characters, equal when equal ignoring case.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ParseError, clip};

/// A tag on a conversation or contact. Keeps the spelling it was given; compares case-insensitively.
#[derive(Clone, Debug)]
pub struct Tag {
    text: String,
    key: String,
}

impl Tag {
    /// The longest tag, in characters.
    pub const MAX_CHARS: usize = 64;

    /// What [`Tag::parse`] accepts, as a regular expression for API documents: white space at
    /// either end (Rust's `trim`: Unicode White_Space), then 1 to 64 characters that are not
    /// control characters (`char::is_control`: U+0000..U+001F, U+007F..U+009F), the first and
    /// the last of them not white space.
    pub const PATTERN: &'static str = concat!(
        "^[\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*",
        "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\x00-\\x1f\\x7f-\\x9f]",
        "(?:[^\\x00-\\x1f\\x7f-\\x9f]{0,62}",
        "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\x00-\\x1f\\x7f-\\x9f])?",
        "[\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$",
    );

    /// Parses a tag from user input.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let text = input.trim();
        let invalid = |expected| ParseError::Invalid { field: "tag", value: clip(input), expected };
        if text.is_empty() {
            return Err(invalid("a non-empty tag"));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(invalid("a tag of at most 64 characters"));
        }
        if text.chars().any(char::is_control) {
            return Err(invalid("a tag without control characters"));
        }
        Ok(Self { text: text.to_owned(), key: text.to_lowercase() })
    }

    /// The tag as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The comparison key: the tag in lower case. Stores index and filter on this.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Tag {}

impl Hash for Tag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Tag {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Tag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The most tags on one record. Adding one more to a full record adds nothing (the service
/// refuses such an add up front; this holds under concurrent adds too).
pub const MAX_TAGS: usize = 50;

/// Adds `tag` to `tags` unless an equal tag is there; returns whether it was added.
pub fn add_tag(tags: &mut Vec<Tag>, tag: Tag) -> bool {
    if tags.contains(&tag) {
        false
    } else {
        tags.push(tag);
        true
    }
}

/// Removes every tag equal to `tag`; returns whether one was removed.
pub fn remove_tag(tags: &mut Vec<Tag>, tag: &Tag) -> bool {
    let before = tags.len();
    tags.retain(|t| t != tag);
    tags.len() != before
}

/// Removes duplicates (keeping the first spelling) from a tag list.
pub fn dedup_tags(tags: Vec<Tag>) -> Vec<Tag> {
    let mut out = Vec::with_capacity(tags.len());
    for t in tags {
        add_tag(&mut out, t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_compare_ignoring_case() {
        let a = Tag::parse("  VIP ").unwrap();
        let b = Tag::parse("vip").unwrap();
        assert_eq!(a.as_str(), "VIP");
        assert_eq!(a, b);
        assert_eq!(a.key(), "vip");
    }

    #[test]
    fn empty_long_and_control_tags_are_refused() {
        assert!(Tag::parse("   ").is_err());
        assert!(Tag::parse(&"x".repeat(65)).is_err());
        assert!(Tag::parse(&"я".repeat(64)).is_ok());
        assert!(Tag::parse("a\nb").is_err());
    }

    #[test]
    fn adding_an_equal_tag_twice_keeps_one() {
        let mut tags = Vec::new();
        assert!(add_tag(&mut tags, Tag::parse("Lead").unwrap()));
        assert!(!add_tag(&mut tags, Tag::parse("LEAD").unwrap()));
        assert_eq!(tags.len(), 1);
        assert!(remove_tag(&mut tags, &Tag::parse("lead").unwrap()));
        assert!(tags.is_empty());
    }

    #[test]
    fn tag_deserialization_validates() {
        assert!(serde_json::from_str::<Tag>("\"  \"").is_err());
        let t: Tag = serde_json::from_str("\" Ünïcode \"").unwrap();
        assert_eq!(t.as_str(), "Ünïcode");
    }
}
