//! Cursor pagination: a page of items and an opaque cursor that continues it.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ParseError, clip};

/// How many items a page may hold (1..=200, default 50).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Limit(u32);

impl Limit {
    /// The largest page.
    pub const MAX: u32 = 200;
    /// The default page.
    pub const DEFAULT: Self = Self(50);

    /// A limit from a number; 0 or more than 200 is an error.
    pub fn new(n: u32) -> Result<Self, ParseError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ParseError::Invalid { field: "limit", value: n.to_string(), expected: "a whole number from 1 to 200" })
        }
    }

    /// Parses a limit from a query string value.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let n = s.trim().parse::<u32>().map_err(|_| ParseError::Invalid {
            field: "limit",
            value: clip(s),
            expected: "a whole number from 1 to 200",
        })?;
        Self::new(n)
    }

    /// The number.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for Limit {
    type Error = ParseError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<Limit> for u32 {
    fn from(l: Limit) -> u32 {
        l.0
    }
}

/// Where a list continues. Opaque to clients; stores read its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cursor {
    /// After the item with this sort time and id (keyset pagination: stable under inserts).
    After {
        /// The sort time of the last item seen.
        at: DateTime<Utc>,
        /// The id of the last item seen (breaks ties).
        id: Uuid,
    },
    /// After this many items of a ranked list (search results).
    Offset(u32),
}

impl Cursor {
    /// The opaque string form.
    pub fn encode(&self) -> String {
        let plain = match self {
            // Nanoseconds: stores compare full precision, so the cursor must not round.
            Self::After { at, id } => {
                format!("n{}.{}", at.timestamp_nanos_opt().unwrap_or_else(|| at.timestamp_micros().saturating_mul(1000)), id.simple())
            }
            Self::Offset(n) => format!("o{n}"),
        };
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a cursor a client sent back.
    pub fn decode(s: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::Invalid { field: "cursor", value: clip(s), expected: "a cursor returned as nextCursor" };
        if !s.len().is_multiple_of(2) || s.len() > 128 {
            return Err(bad());
        }
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        let plain = String::from_utf8(bytes).map_err(|_| bad())?;
        if let Some(rest) = plain.strip_prefix('n') {
            let (nanos, id) = rest.split_once('.').ok_or_else(bad)?;
            let nanos: i64 = nanos.parse().map_err(|_| bad())?;
            let at = Utc.timestamp_nanos(nanos);
            let id = Uuid::parse_str(id).map_err(|_| bad())?;
            Ok(Self::After { at, id })
        } else if let Some(n) = plain.strip_prefix('o') {
            n.parse().map(Self::Offset).map_err(|_| bad())
        } else {
            Err(bad())
        }
    }

    /// The keyset position, if this is a keyset cursor.
    pub fn after(&self) -> Option<(DateTime<Utc>, Uuid)> {
        match *self {
            Self::After { at, id } => Some((at, id)),
            Self::Offset(_) => None,
        }
    }

    /// The offset, if this is an offset cursor (0 otherwise).
    pub fn offset(&self) -> usize {
        match *self {
            Self::Offset(n) => n as usize,
            Self::After { .. } => 0,
        }
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::decode(&s).map_err(serde::de::Error::custom)
    }
}

/// A page request: how many, and from where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Page size.
    pub limit: Limit,
    /// Continue after this; `None` starts at the top.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Result<Self, ParseError> {
        Ok(Self { limit: Limit::new(limit)?, cursor: None })
    }
}

/// A page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Continues the list; `None` at the end.
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// An empty, final page.
    pub fn empty() -> Self {
        Self { items: Vec::new(), next_cursor: None }
    }

    /// Builds a keyset page from up to `limit + 1` items already in list order: the extra item
    /// only tells that more follow.
    pub fn from_overfetch(mut items: Vec<T>, limit: Limit, key: impl Fn(&T) -> (DateTime<Utc>, Uuid)) -> Self {
        let more = items.len() > limit.get();
        items.truncate(limit.get());
        let next_cursor = if more {
            items.last().map(|last| {
                let (at, id) = key(last);
                Cursor::After { at, id }
            })
        } else {
            None
        };
        Self { items, next_cursor }
    }

    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Whether an item with sort key `(at, id)` comes after the cursor position in a newest-first list.
pub fn is_after_desc(key: (DateTime<Utc>, Uuid), cursor: Option<&Cursor>) -> bool {
    cursor.and_then(Cursor::after).is_none_or(|c| key < c)
}

/// Whether an item with sort key `(at, id)` comes after the cursor position in an oldest-first list.
pub fn is_after_asc(key: (DateTime<Utc>, Uuid), cursor: Option<&Cursor>) -> bool {
    cursor.and_then(Cursor::after).is_none_or(|c| key > c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_look_opaque() {
        let c = Cursor::After { at: Utc.timestamp_nanos(1_700_000_000_123_456_789), id: Uuid::now_v7() };
        let s = c.encode();
        assert!(s.chars().all(|ch| ch.is_ascii_hexdigit()));
        assert_eq!(Cursor::decode(&s).unwrap(), c);
        assert_eq!(Cursor::decode(&Cursor::Offset(40).encode()).unwrap(), Cursor::Offset(40));
    }

    #[test]
    fn garbage_cursors_are_clear_errors() {
        for bad in ["", "zz", "abc", "6f", "61", &"00".repeat(100), "6f2d31"] {
            let err = Cursor::decode(bad).unwrap_err().to_string();
            assert!(err.contains("cursor"), "{bad}: {err}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert!(Limit::new(0).is_err());
        assert!(Limit::new(201).is_err());
        assert_eq!(Limit::parse("200").unwrap().get(), 200);
        assert!(Limit::parse("-1").is_err());
        assert!(Limit::parse("ten").is_err());
    }

    #[test]
    fn overfetched_pages_carry_a_cursor_only_when_more_follow() {
        let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let limit = Limit::new(2).unwrap();
        let p = Page::from_overfetch(ids.clone(), limit, |id| (t, *id));
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(Cursor::After { at: t, id: ids[1] }));
        let last = Page::from_overfetch(ids[..2].to_vec(), limit, |id| (t, *id));
        assert_eq!(last.next_cursor, None);
    }
}
