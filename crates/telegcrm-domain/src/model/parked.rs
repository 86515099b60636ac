//! Parked updates: what a message provider delivered and the store refused, kept as received so
//! that capture moves on and the update can be replayed once the cause is gone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most bytes of an update's raw text a parked record keeps. Telegram updates are a few
/// kilobytes (a message is at most 4096 characters, a caption 1024); the cap only bounds a
/// record made from something that is not a real update.
pub const MAX_PARKED_RAW_BYTES: usize = 1 << 20;

/// The most characters of the store's error a parked record keeps.
pub const MAX_PARKED_ERROR_CHARS: usize = 2000;

/// An update the store refused, with its raw text as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkedUpdate {
    /// The provider's update id (Telegram's `update_id`): one record per update.
    pub update_id: i64,
    /// The update as received (JSON text), at most [`MAX_PARKED_RAW_BYTES`].
    pub raw: String,
    /// Whether `raw` was cut to [`MAX_PARKED_RAW_BYTES`] (it can then not be replayed).
    pub raw_truncated: bool,
    /// Why the store refused it, the last time it was tried.
    pub error: String,
    /// When it was first refused.
    pub first_attempt_at: DateTime<Utc>,
    /// When it was last tried.
    pub last_attempt_at: DateTime<Utc>,
    /// How many times the store refused it.
    pub attempts: u32,
}

impl ParkedUpdate {
    /// A first refusal of `raw` at `at`.
    pub fn new(update_id: i64, raw: &str, error: &str, at: DateTime<Utc>) -> Self {
        let kept = cut_at_char_boundary(raw, MAX_PARKED_RAW_BYTES);
        Self {
            update_id,
            raw_truncated: kept.len() < raw.len(),
            raw: kept.to_owned(),
            error: clip_chars(error, MAX_PARKED_ERROR_CHARS),
            first_attempt_at: at,
            last_attempt_at: at,
            attempts: 1,
        }
    }

    /// Records that the store refused it again.
    pub fn refused_again(&mut self, error: &str, at: DateTime<Utc>) {
        self.error = clip_chars(error, MAX_PARKED_ERROR_CHARS);
        self.last_attempt_at = self.last_attempt_at.max(at);
        self.attempts = self.attempts.saturating_add(1);
    }
}

fn cut_at_char_boundary(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn clip_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max).chain(std::iter::once('…')).collect() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_huge_raw_text_is_cut_at_a_character_boundary_and_marked() {
        let raw = format!("{{\"update_id\":1,\"x\":\"{}\"}}", "ё".repeat(MAX_PARKED_RAW_BYTES));
        let p = ParkedUpdate::new(1, &raw, "refused", at(0));
        assert!(p.raw_truncated);
        assert!(p.raw.len() <= MAX_PARKED_RAW_BYTES && p.raw.len() > MAX_PARKED_RAW_BYTES - 4);
        let small = ParkedUpdate::new(2, "{\"update_id\":2}", "refused", at(0));
        assert!(!small.raw_truncated);
        assert_eq!(small.raw, "{\"update_id\":2}");
    }

    #[test]
    fn a_second_refusal_counts_and_keeps_the_first_time() {
        let mut p = ParkedUpdate::new(7, "{}", "first", at(0));
        p.refused_again(&"e".repeat(5000), at(60));
        assert_eq!((p.attempts, p.first_attempt_at, p.last_attempt_at), (2, at(0), at(60)));
        assert_eq!(p.error.chars().count(), MAX_PARKED_ERROR_CHARS + 1);
    }
}
