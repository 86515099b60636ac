//! Reading OASIS answers: `OASISResult` envelopes, nested `result.result`, `isError: true` with
//! HTTP 200, PascalCase error bodies, and avatars in camelCase or PascalCase.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::OasisError;

/// An OASIS avatar.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OasisAvatar {
    /// Avatar id.
    pub avatar_id: Uuid,
    /// Username.
    pub username: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Full name (OASIS's, or first and last joined).
    pub full_name: Option<String>,
    /// Title (Mr, Dr, ...).
    pub title: Option<String>,
    /// Avatar type (User, Wizard, ...).
    pub avatar_type: Option<String>,
    /// Whether the avatar verified its email.
    pub is_verified: bool,
    /// The JWT issued by `authenticate`.
    pub jwt_token: Option<String>,
}

impl std::fmt::Debug for OasisAvatar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OasisAvatar")
            .field("avatar_id", &self.avatar_id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("jwt_token", &self.jwt_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// What an OASIS answer says.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// Success; the payload (the innermost `result`), which may be `null`.
    Ok(Value),
    /// `isError: true` (at any HTTP status), or an error status.
    Error {
        /// HTTP status.
        status: u16,
        /// OASIS's message (or the start of the body).
        message: String,
    },
}

/// Reads an answer of HTTP `status` with `body`.
pub fn read_answer(status: u16, body: &[u8]) -> Result<Answer, OasisError> {
    let success = (200..300).contains(&status);
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        let text = clip(&String::from_utf8_lossy(body));
        return if success {
            Err(OasisError::BadResponse(format!("not JSON: {text}")))
        } else {
            Ok(Answer::Error { status, message: text })
        };
    };
    // Walk the envelope chain; an error flag at any level wins.
    let mut level = &root;
    for _ in 0..8 {
        let Some(obj) = level.as_object() else { break };
        if !is_envelope(obj) {
            break;
        }
        if get_ci(obj, "isError").and_then(Value::as_bool) == Some(true) {
            return Ok(Answer::Error { status, message: message_of(obj) });
        }
        match get_ci(obj, "result") {
            Some(inner) => level = inner,
            None => {
                level = &Value::Null;
                break;
            }
        }
    }
    if !success {
        let message = root.as_object().map(message_of).filter(|m| !m.is_empty()).unwrap_or_else(|| clip(&root.to_string()));
        return Ok(Answer::Error { status, message });
    }
    Ok(Answer::Ok(level.clone()))
}

/// Whether an error means "no such avatar" rather than a failure.
pub fn is_not_found(status: u16, message: &str) -> bool {
    let m = message.to_lowercase();
    status == 404 || m.contains("not found") || m.contains("does not exist") || m.contains("no avatar")
}

/// The avatar in a payload: the payload itself or an object nested in it that carries an id.
pub fn avatar_in(payload: &Value) -> Result<Option<OasisAvatar>, OasisError> {
    let Some(obj) = find_avatar_object(payload, 0) else {
        return if payload.is_null() { Ok(None) } else { Err(OasisError::BadResponse("no avatar object with an id in the answer".into())) };
    };
    let id_text = str_ci(obj, "avatarId").or_else(|| str_ci(obj, "id")).unwrap_or_default();
    let avatar_id = Uuid::parse_str(&id_text).map_err(|_| OasisError::BadResponse(format!("avatar id {id_text:?} is not a GUID")))?;
    let first_name = str_ci(obj, "firstName");
    let last_name = str_ci(obj, "lastName");
    let joined = [first_name.as_deref(), last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Ok(Some(OasisAvatar {
        avatar_id,
        username: str_ci(obj, "username"),
        email: str_ci(obj, "email"),
        full_name: str_ci(obj, "fullName").or((!joined.is_empty()).then_some(joined)),
        first_name,
        last_name,
        title: str_ci(obj, "title"),
        avatar_type: get_ci(obj, "avatarType")
            .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.get("name").and_then(Value::as_str).map(str::to_owned))),
        is_verified: get_ci(obj, "isVerified").and_then(Value::as_bool).unwrap_or(false),
        jwt_token: str_ci(obj, "jwtToken"),
    }))
}

fn find_avatar_object(v: &Value, depth: usize) -> Option<&Map<String, Value>> {
    let obj = v.as_object()?;
    if get_ci(obj, "avatarId").is_some() || (get_ci(obj, "id").is_some() && !is_envelope(obj)) {
        return Some(obj);
    }
    if depth >= 4 {
        return None;
    }
    ["result", "avatar"].iter().filter_map(|k| get_ci(obj, k)).find_map(|inner| find_avatar_object(inner, depth + 1))
}

fn is_envelope(obj: &Map<String, Value>) -> bool {
    get_ci(obj, "isError").is_some() || (get_ci(obj, "result").is_some() && get_ci(obj, "avatarId").is_none())
}

fn message_of(obj: &Map<String, Value>) -> String {
    let main = str_ci(obj, "message").unwrap_or_default();
    let detail = str_ci(obj, "detailedMessage").filter(|d| !d.is_empty() && *d != main);
    let text = match detail {
        Some(d) if !main.is_empty() => format!("{main} ({d})"),
        Some(d) => d,
        None => main,
    };
    clip(&text)
}

/// A field by name, ignoring case (OASIS answers come camelCase or PascalCase).
fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn str_ci(obj: &Map<String, Value>, key: &str) -> Option<String> {
    get_ci(obj, key).and_then(Value::as_str).map(str::to_owned).filter(|s| !s.is_empty())
}

fn clip(s: &str) -> String {
    const MAX: usize = 300;
    let s = s.trim();
    if s.chars().count() <= MAX { s.to_owned() } else { s.chars().take(MAX).chain(std::iter::once('…')).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "5d6f3b2a-1c4e-4f7a-9b8c-0e1d2f3a4b5c";

    fn read(status: u16, v: Value) -> Answer {
        read_answer(status, v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn nested_result_result_is_unwrapped() {
        let a = read(
            200,
            json!({"isError": false, "message": "", "result": {"isError": false, "result": {"avatarId": ID, "username": "ada"}}}),
        );
        let Answer::Ok(payload) = a else { panic!("{a:?}") };
        let avatar = avatar_in(&payload).unwrap().unwrap();
        assert_eq!(avatar.avatar_id.to_string(), ID);
        assert_eq!(avatar.username.as_deref(), Some("ada"));
    }

    #[test]
    fn is_error_with_http_200_is_an_error() {
        let a = read(200, json!({"isError": true, "message": "Avatar Not Found", "result": null}));
        assert_eq!(a, Answer::Error { status: 200, message: "Avatar Not Found".into() });
    }

    #[test]
    fn nested_error_flag_wins() {
        let a = read(200, json!({"isError": false, "result": {"isError": true, "message": "provider offline"}}));
        assert!(matches!(a, Answer::Error { ref message, .. } if message == "provider offline"));
    }

    #[test]
    fn pascal_case_error_body_is_read() {
        let a = read(500, json!({"IsError": true, "Message": "Unknown error", "DetailedMessage": "NullReferenceException"}));
        assert_eq!(a, Answer::Error { status: 500, message: "Unknown error (NullReferenceException)".into() });
    }

    #[test]
    fn pascal_case_avatar_is_read() {
        let a =
            read(200, json!({"IsError": false, "Result": {"AvatarId": ID, "Username": "ada", "FirstName": "Ada", "LastName": "Lovelace"}}));
        let Answer::Ok(payload) = a else { panic!() };
        let avatar = avatar_in(&payload).unwrap().unwrap();
        assert_eq!(avatar.full_name.as_deref(), Some("Ada Lovelace"));
    }

    #[test]
    fn html_error_page_is_an_error_and_html_200_is_a_bad_response() {
        assert!(matches!(read_answer(502, b"<html>Bad gateway</html>"), Ok(Answer::Error { status: 502, .. })));
        assert!(matches!(read_answer(200, b"<html>"), Err(OasisError::BadResponse(_))));
    }

    #[test]
    fn not_found_messages_are_recognised() {
        assert!(is_not_found(200, "Avatar Not Found"));
        assert!(is_not_found(404, ""));
        assert!(!is_not_found(200, "The OASIS provider is offline"));
    }
}
