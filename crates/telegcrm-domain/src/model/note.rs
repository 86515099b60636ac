//! Internal notes: what members write on a conversation for each other, never sent to Telegram.
//! A note names members with `@username`; those it names find it among their mentions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Member;
use crate::ids::{AvatarId, ConversationId, NoteId};

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// An internal note on a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Id (time-ordered).
    pub id: NoteId,
    /// The workspace (its owner's avatar id).
    pub owner_avatar_id: AvatarId,
    /// The conversation it is written on.
    pub conversation_id: ConversationId,
    /// Who wrote it.
    pub author_avatar_id: AvatarId,
    /// The text, as written (plain text; shown escaped).
    pub text: String,
    /// The members it mentions, in the order first named.
    pub mentions: Vec<AvatarId>,
    /// When written.
    pub created_at: DateTime<Utc>,
}

/// The members `text` mentions: each `@name` whose name is a member's OASIS username, ignoring
/// case, once, in the order first named. `@` inside a word (an email address) mentions nobody,
/// and a name may end with punctuation that is not part of it ("@bob," "@bob.").
pub fn mentions_in(text: &str, members: &[Member]) -> Vec<AvatarId> {
    let mut found = Vec::new();
    let mut previous = None;
    for (i, c) in text.char_indices() {
        let starts = c == '@' && previous.is_none_or(|p: char| !p.is_alphanumeric() && p != '_' && p != '.');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        let end = rest.find(|ch: char| !(ch.is_alphanumeric() || matches!(ch, '_' | '.' | '-'))).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches(['.', '-']);
        if name.is_empty() {
            continue;
        }
        let name = name.to_lowercase();
        let member = members.iter().find(|m| m.username.as_deref().is_some_and(|u| u.to_lowercase() == name));
        if let Some(m) = member
            && !found.contains(&m.avatar_id)
        {
            found.push(m.avatar_id);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Role;

    fn member(username: &str) -> Member {
        Member {
            avatar_id: AvatarId::from(uuid::Uuid::new_v4()),
            role: Role::Agent,
            name: None,
            username: Some(username.into()),
            email: None,
            added_at: None,
            added_by: None,
        }
    }

    #[test]
    fn mentions_are_members_usernames_once_in_order() {
        let (bob, ana, zoë) = (member("bob"), member("Ana.M"), member("zoë"));
        let team = [bob.clone(), ana.clone(), zoë.clone()];
        let ids = |t: &str| mentions_in(t, &team);
        assert_eq!(ids("@ana.m can you call? cc @BOB, @bob."), [ana.avatar_id, bob.avatar_id]);
        assert_eq!(ids("(@zoë) please"), [zoë.avatar_id], "punctuation around, non-ASCII names");
        assert!(ids("write to bob@example.org").is_empty(), "an email address mentions nobody");
        assert!(ids("@nobody @ @bobby").is_empty(), "only whole usernames of members");
        assert_eq!(ids("@bob-"), [bob.avatar_id]);
    }
}
