//! Canned replies: a workspace's saved answers, each with a shortcut (`/price`) typed in the
//! reply box, and variables filled for the conversation and the member answering.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Contact;
use crate::error::CrmError;
use crate::ids::{AvatarId, CannedReplyId};

/// The most canned replies a workspace keeps.
pub const MAX_CANNED_REPLIES: usize = 200;
/// The longest canned reply, in characters (Telegram's limit for a message).
pub const MAX_CANNED_CHARS: usize = 4096;
/// The longest shortcut, in characters.
const MAX_SHORTCUT_CHARS: usize = 32;

/// The variables a canned reply may use, as `{{name}}`.
pub const VARIABLES: &[&str] =
    &["contact.firstName", "contact.lastName", "contact.name", "contact.username", "contact.company", "member.name", "member.firstName"];

/// A saved answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedReply {
    /// Id.
    pub id: CannedReplyId,
    /// The workspace (its owner's avatar id).
    pub owner_avatar_id: AvatarId,
    /// What is typed after `/` to insert it: lower case letters, digits, `_` and `-`.
    pub shortcut: String,
    /// The text, with `{{variable}}`s ([`VARIABLES`]).
    pub text: String,
    /// Who wrote or last changed it.
    pub updated_by: AvatarId,
    /// When it was written or last changed.
    pub updated_at: DateTime<Utc>,
}

/// A shortcut as typed (`/Price` or `price`), in its stored form (`price`).
pub fn parse_shortcut(typed: &str) -> Result<String, CrmError> {
    let s = typed.trim().trim_start_matches('/').to_lowercase();
    let ok = !s.is_empty()
        && s.chars().count() <= MAX_SHORTCUT_CHARS
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(s)
    } else {
        Err(CrmError::invalid("shortcut", format!("1 to {MAX_SHORTCUT_CHARS} of a-z, 0-9, _ and - (typed after /, as in /price)")))
    }
}

/// The `{{...}}` names in `text` that are not [`VARIABLES`], once each.
pub fn unknown_variables(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    for name in placeholders(text).map(|(_, _, name)| name) {
        if !VARIABLES.contains(&name) && !unknown.iter().any(|u| u == name) {
            unknown.push(name.to_owned());
        }
    }
    unknown
}

/// Every `{{name}}` of `text`: its start, its end and the name (trimmed).
fn placeholders(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text[at..].find("{{")?;
        let end = start + 2 + text[start + 2..].find("}}")? + 2;
        at = end;
        Some((start, end, text[start + 2..end - 2].trim()))
    })
}

/// What the variables are filled from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fill<'a> {
    /// The conversation's contact, if it has one.
    pub contact: Option<&'a Contact>,
    /// The name of the member answering.
    pub member_name: Option<&'a str>,
}

/// The text with its variables filled; a value nobody knows (a contact without a company) is
/// left out, and an unknown name is kept as written.
pub fn fill(text: &str, with: Fill<'_>) -> String {
    let c = with.contact;
    let value = |name: &str| -> Option<String> {
        match name {
            "contact.firstName" => c.map(|c| c.first_name.clone()),
            "contact.lastName" => c.and_then(|c| c.last_name.clone()),
            "contact.name" => {
                c.map(|c| [Some(c.first_name.as_str()), c.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "))
            }
            "contact.username" => c.and_then(|c| c.username.as_ref().map(|u| format!("@{u}"))),
            "contact.company" => c.and_then(|c| c.company.clone()),
            "member.name" => with.member_name.map(str::to_owned),
            "member.firstName" => with.member_name.and_then(|n| n.split_whitespace().next()).map(str::to_owned),
            _ => None,
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in placeholders(text) {
        out.push_str(&text[last..start]);
        if VARIABLES.contains(&name) {
            out.push_str(value(name).as_deref().map(str::trim).unwrap_or_default());
        } else {
            out.push_str(&text[start..end]);
        }
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_lower_case_words_typed_after_a_slash() {
        assert_eq!(parse_shortcut(" /Price ").unwrap(), "price");
        assert_eq!(parse_shortcut("after-sales_2").unwrap(), "after-sales_2");
        for bad in ["", "/", "two words", "préis", "<b>", &"x".repeat(33)] {
            assert!(parse_shortcut(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn variables_are_filled_and_unknown_ones_named() {
        let user = crate::event::TelegramUser {
            id: 7,
            is_bot: false,
            first_name: "Ada".into(),
            last_name: Some("Lovelace".into()),
            username: None,
            language_code: None,
            phone_number: None,
        };
        let ada = Contact::from_user(AvatarId::new(), &user, Utc::now());
        let text = "Hi {{contact.firstName}} ({{ contact.name }}), {{member.firstName}} here{{contact.company}}. {{price}} {{";
        let with = Fill { contact: Some(&ada), member_name: Some("Grace Hopper") };
        assert_eq!(fill(text, with), "Hi Ada (Ada Lovelace), Grace here. {{price}} {{");
        assert_eq!(unknown_variables(text), ["price"]);
        assert_eq!(fill("Dear {{contact.firstName}}", Fill::default()), "Dear ");
        assert!(unknown_variables("{{member.name}}").is_empty());
    }
}
