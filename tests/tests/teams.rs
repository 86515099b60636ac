//! Teams over HTTP: members invited through the API, the `X-Workspace` header, and the role
//! matrix — every registered route asked by the owner, an admin, an agent, a viewer and a
//! stranger, on SQLite, memory and Mongo (FerretDB).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const KEY_ADMIN: &str = "e2e-key-admin-1111111111111";
const ADMIN: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0c01";
const KEY_AGENT: &str = "e2e-key-agent-2222222222222";
const AGENT: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0c02";
const KEY_VIEWER: &str = "e2e-key-viewer-333333333333";
const VIEWER: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0c03";

/// What a route needs of the caller's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Any member.
    Read,
    /// Owner, admin, agent.
    Work,
    /// Owner, admin.
    Admin,
    /// The owner only.
    Owner,
}

/// The role rules as a user reads them in docs/teams.md, route by route. A new route must be
/// classified here, or this test fails.
fn need(method: &str, path: &str) -> Need {
    match (method, path) {
        ("GET", _) if path != "/export" => Need::Read,
        ("GET", "/export") | ("POST", "/imports") => Need::Admin,
        ("POST" | "PATCH" | "DELETE", p) if p.starts_with("/workspaces/") => Need::Admin,
        ("POST", "/me/telegram-link") => Need::Owner,
        ("POST" | "PATCH" | "DELETE", p)
            if p.starts_with("/conversations/")
                || p.starts_with("/contacts/")
                || p.starts_with("/followups")
                || p.starts_with("/canned-replies") =>
        {
            Need::Work
        }
        _ => panic!("{method} {path}: classify this route in the role matrix"),
    }
}

fn env() -> Vec<(String, String)> {
    let keys = format!("{KEY_A}={AVATAR_A},{KEY_B}={AVATAR_B},{KEY_ADMIN}={ADMIN},{KEY_AGENT}={AGENT},{KEY_VIEWER}={VIEWER}");
    vec![("TELEGCRM_API_KEYS".into(), keys)]
}

/// The owner's workspace with an admin, an agent and a viewer, a conversation with a contact
/// and a message, and a follow-up; returns the ids the routes need.
async fn team(s: &Server) -> Ids {
    for (who, role) in [(ADMIN, "admin"), (AGENT, "agent"), (VIEWER, "viewer")] {
        let (status, body) = s.a("POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"avatarId": who, "role": role}))).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(result(&body)["role"], role);
    }
    assert_eq!(s.webhook(&dm(1, 4242, "Zoe", 7, "Hello, is the offer still valid?", T0)).await, 200);
    let conv = conversations(s, KEY_A).await.remove(0);
    let (status, f) =
        s.a("POST", "followups", Some(json!({"conversationId": conv["id"], "title": "Call back", "dueAt": "2030-01-01T09:00:00Z"}))).await;
    assert_eq!(status, 201, "{f}");
    Ids {
        conversation: conv["id"].as_str().unwrap().to_owned(),
        contact: conv["contactId"].as_str().unwrap().to_owned(),
        followup: result(&f)["id"].as_str().unwrap().to_owned(),
    }
}

struct Ids {
    conversation: String,
    contact: String,
    followup: String,
}

/// The path with real ids, and a body the route accepts.
fn request(ids: &Ids, method: &str, path: &str) -> (String, Option<Value>) {
    let stranger_avatar = uuid::Uuid::now_v7().to_string();
    let concrete = path
        .replace("/conversations/{id}", &format!("/conversations/{}", ids.conversation))
        .replace("/contacts/{id}", &format!("/contacts/{}", ids.contact))
        .replace("/followups/{id}", &format!("/followups/{}", ids.followup))
        .replace("/imports/{id}", "/imports/0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0fff")
        .replace("/canned-replies/{id}", "/canned-replies/0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0ccc")
        .replace("{telegramMessageId}", "7")
        .replace("{tag}", "vip")
        .replace("{ownerAvatarId}", AVATAR_A)
        // A member nobody invited: allowed roles get 404 for the member, refused ones 403.
        .replace("{avatarId}", "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0eee");
    let body = match (method, path) {
        ("PATCH", "/conversations/{id}") => Some(json!({"summary": "Wants the offer"})),
        ("POST", "/conversations/{id}/priority") => Some(json!({"priority": "high"})),
        ("POST", "/conversations/{id}/status") => Some(json!({"status": "waiting"})),
        ("POST", "/conversations/{id}/tags") => Some(json!({"tag": "vip"})),
        // Nobody: what every role that may take conversations may ask while nobody has it.
        ("POST", "/conversations/{id}/assign") => Some(json!({"avatarId": null})),
        ("POST", "/conversations/{id}/notes") => Some(json!({"text": "She wants 10% off"})),
        ("POST", "/canned-replies") => Some(json!({"shortcut": "price", "text": "It is 900 EUR, {{contact.firstName}}."})),
        ("PATCH", "/canned-replies/{id}") => Some(json!({"text": "It is 950 EUR."})),
        ("POST", "/conversations/{id}/messages") => Some(json!({"text": "Yes, it is"})),
        ("PATCH", "/conversations/{id}/messages/{telegramMessageId}") => Some(json!({"text": "Edited"})),
        ("PATCH", "/contacts/{id}") => Some(json!({"company": "Acme"})),
        ("POST", "/contacts/{id}/link-avatar") => Some(json!({"avatarId": AVATAR_B})),
        ("POST", "/followups") => Some(json!({"conversationId": ids.conversation, "title": "Another", "dueAt": "2030-01-02T09:00:00Z"})),
        ("PATCH", "/followups/{id}") => Some(json!({"title": "Call back soon"})),
        ("POST", "/followups/{id}/snooze") => Some(json!({"until": "2030-01-03T09:00:00Z"})),
        ("POST", "/workspaces/{ownerAvatarId}/members") => Some(json!({"avatarId": stranger_avatar, "role": "viewer"})),
        ("PATCH", "/workspaces/{ownerAvatarId}/members/{avatarId}") => Some(json!({"role": "agent"})),
        ("POST", _) => Some(json!({})),
        _ => None,
    };
    (concrete.trim_start_matches('/').to_owned(), body)
}

/// Every registered route, asked by every role, answers as the role rules say.
async fn role_matrix(s: &Server) {
    let ids = team(s).await;
    let callers: [(&str, &str, Option<&str>); 5] = [
        ("owner", KEY_A, None),
        ("admin", KEY_ADMIN, Some(AVATAR_A)),
        ("agent", KEY_AGENT, Some(AVATAR_A)),
        ("viewer", KEY_VIEWER, Some(AVATAR_A)),
        ("stranger", KEY_B, Some(AVATAR_A)),
    ];
    let mut checked = 0;
    for (method, path) in telegcrm_server::routes::registered() {
        let method = method.as_str();
        if path == "/openapi.json" || path == "/telegram/webhook" {
            continue; // not an avatar's: public, and Telegram's secret
        }
        let need = need(method, path);
        // DELETE of a follow-up and of a member remove what the next caller would ask for:
        // the refused roles go first, so each allowed one meets what is there, or a 404 for it.
        for (role, key, workspace) in callers.iter().rev() {
            let (url, body) = request(&ids, method, path);
            let (status, answer) = s.call_in(key, *workspace, method, &url, body).await;
            let what = format!("{role}: {method} {path} -> {status} {answer}");
            let allowed = match *role {
                "owner" => true,
                "admin" => need != Need::Owner,
                "agent" => matches!(need, Need::Read | Need::Work),
                "viewer" => need == Need::Read,
                _ => {
                    // Not a member: the workspace does not exist for it.
                    assert_error(status, &answer, 404, "not_found");
                    assert!(answer["message"].as_str().unwrap().starts_with("workspace "), "{what}");
                    checked += 1;
                    continue;
                }
            };
            if allowed {
                assert_ne!(status, 403, "{what}");
                let workspace_missing = status == 404 && answer["message"].as_str().is_some_and(|m| m.starts_with("workspace "));
                assert!(!workspace_missing && status != 401 && status < 500 || status == 502 || status == 503, "{what}");
            } else {
                assert_error(status, &answer, 403, "forbidden");
                assert!(answer["message"].as_str().unwrap().contains(&format!("{role} may not")), "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * 40, "only {checked} checks");
    // The owner naming its own workspace is the same as naming none.
    let (status, me) = s.call_in(KEY_A, Some(AVATAR_A), "GET", "me", None).await;
    assert_eq!(status, 200);
    assert_eq!(result(&me)["role"], "owner");
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_role_rules_say_on_sqlite() {
    let s = Server::start_with(Options { env: env(), ..Options::default() });
    role_matrix(&s).await;
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_role_rules_say_in_memory() {
    let s = Server::start_with(Options { store: "memory", env: env(), ..Options::default() });
    role_matrix(&s).await;
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_role_rules_say_on_mongo() {
    let Some(uri) = mongo_uri() else { return };
    let mut env = env();
    env.push(("MONGODB_URI".into(), uri));
    env.push(("MONGODB_DATABASE".into(), format!("telegcrm_teams_{}", uuid::Uuid::new_v4().simple())));
    let s = Server::start_with(Options { store: "mongo", env, ..Options::default() });
    role_matrix(&s).await;
}

/// A member works the owner's workspace through the header: sees its conversations, changes
/// them as the owner sees it, and a removed member is back to its own workspace only.
#[tokio::test]
async fn a_member_works_the_owners_workspace_through_the_header() {
    let s = Server::start_with(Options { env: env(), ..Options::default() });
    let ids = team(&s).await;

    let (status, ws) = s.call(KEY_AGENT, "GET", "workspaces", None).await;
    assert_eq!(status, 200, "{ws}");
    let ws = result(&ws).as_array().unwrap().clone();
    assert_eq!(ws.len(), 2, "{ws:?}");
    assert_eq!((ws[0]["ownerAvatarId"].as_str(), ws[0]["role"].as_str()), (Some(AGENT), Some("owner")));
    assert_eq!((ws[1]["ownerAvatarId"].as_str(), ws[1]["role"].as_str()), (Some(AVATAR_A), Some("agent")));

    // Without the header: the agent's own, empty workspace.
    assert!(conversations(&s, KEY_AGENT).await.is_empty());
    let (_, list) = s.call_in(KEY_AGENT, Some(AVATAR_A), "GET", "conversations", None).await;
    assert_eq!(result(&list)["items"][0]["id"].as_str(), Some(ids.conversation.as_str()));
    let path = format!("conversations/{}/priority", ids.conversation);
    let (status, changed) = s.call_in(KEY_AGENT, Some(AVATAR_A), "POST", &path, Some(json!({"priority": "urgent"}))).await;
    assert_eq!(status, 200, "{changed}");
    let (_, seen) = s.a("GET", &format!("conversations/{}", ids.conversation), None).await;
    assert_eq!(result(&seen)["priority"], "urgent", "the owner sees the agent's change");
    let (_, me) = s.call_in(KEY_AGENT, Some(AVATAR_A), "GET", "me", None).await;
    assert_eq!((result(&me)["avatarId"].as_str(), result(&me)["workspaceAvatarId"].as_str()), (Some(AGENT), Some(AVATAR_A)));
    assert_eq!(result(&me)["role"], "agent");

    // Members as every member reads them; the agent may not invite.
    let (_, members) = s.call(KEY_VIEWER, "GET", &format!("workspaces/{AVATAR_A}/members"), None).await;
    let roles: Vec<_> = result(&members).as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap().to_owned()).collect();
    assert_eq!(roles, ["owner", "admin", "agent", "viewer"]);
    let (status, body) =
        s.call(KEY_AGENT, "POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"avatarId": AVATAR_B, "role": "admin"}))).await;
    assert_error(status, &body, 403, "forbidden");
    assert_eq!(body["message"], "an agent may not manage members in this workspace");

    // Bad headers and bodies: clear errors.
    let (status, body) = s.call_in(KEY_AGENT, Some("not-a-uuid"), "GET", "conversations", None).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = s.a("POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"avatarId": AGENT, "role": "admin"}))).await;
    assert_error(status, &body, 409, "conflict");
    let (status, body) = s.a("POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"avatarId": AVATAR_B, "role": "owner"}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (status, body) = s.a("POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"role": "agent"}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (status, body) = s.a("POST", &format!("workspaces/{AVATAR_A}/members"), Some(json!({"avatarId": AVATAR_B, "role": "boss"}))).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = s.call(KEY_B, "GET", &format!("workspaces/{AVATAR_A}/members"), None).await;
    assert_error(status, &body, 404, "not_found");

    // The owner removes the agent: from the next request on it is a stranger there.
    let (status, _) = s.a("DELETE", &format!("workspaces/{AVATAR_A}/members/{AGENT}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = s.call_in(KEY_AGENT, Some(AVATAR_A), "GET", "conversations", None).await;
    assert_error(status, &body, 404, "not_found");
    let (_, ws) = s.call(KEY_AGENT, "GET", "workspaces", None).await;
    assert_eq!(result(&ws).as_array().unwrap().len(), 1);
    // A viewer leaves by itself.
    let (status, _) = s.call(KEY_VIEWER, "DELETE", &format!("workspaces/{AVATAR_A}/members/{VIEWER}"), None).await;
    assert_eq!(status, 204);
}

/// Assignment over HTTP: an agent takes a conversation and finds it under `assignee=me`; the
/// owner lists by member and the unassigned ones; nobody gives one to a viewer (422), a viewer
/// takes nothing (403), and a bad filter value is a 400 that says what is accepted.
#[tokio::test]
async fn conversations_are_assigned_and_listed_by_assignee() {
    let s = Server::start_with(Options { env: env(), ..Options::default() });
    let ids = team(&s).await;
    let conv = ids.conversation.as_str();
    let list = |key: &'static str, ws: Option<&'static str>, q: &'static str| {
        let s = &s;
        async move {
            let (status, body) = s.call_in(key, ws, "GET", &format!("conversations?assignee={q}"), None).await;
            assert_eq!(status, 200, "{body}");
            result(&body)["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list(KEY_A, None, "none").await, [conv]);

    let (status, body) =
        s.call_in(KEY_AGENT, Some(AVATAR_A), "POST", &format!("conversations/{conv}/assign"), Some(json!({"avatarId": AGENT}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["assigneeAvatarId"], AGENT);
    assert_eq!(list(KEY_AGENT, Some(AVATAR_A), "me").await, [conv]);
    let (status, body) = s.call_in(KEY_VIEWER, Some(AVATAR_A), "GET", &format!("conversations/{conv}/activity"), None).await;
    assert_eq!(status, 200, "{body}");
    let entry = &result(&body)["items"][0];
    assert_eq!(
        (entry["kind"].as_str(), entry["actorAvatarId"].as_str(), entry["memberAvatarId"].as_str()),
        (Some("assigned"), Some(AGENT), Some(AGENT))
    );
    let (status, body) = s.a("GET", "activity?limit=50", None).await;
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<&str> = result(&body)["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assigned", "followup_created", "member_added", "member_added", "member_added"], "newest first");
    assert_eq!(list(KEY_A, None, AGENT).await, [conv]);
    assert!(list(KEY_A, None, "none").await.is_empty());
    assert!(list(KEY_A, None, "me").await.is_empty(), "the owner's own: none");

    let (status, body) =
        s.call_in(KEY_ADMIN, Some(AVATAR_A), "POST", &format!("conversations/{conv}/assign"), Some(json!({"avatarId": VIEWER}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (status, body) =
        s.call_in(KEY_VIEWER, Some(AVATAR_A), "POST", &format!("conversations/{conv}/assign"), Some(json!({"avatarId": VIEWER}))).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = s.call(KEY_A, "GET", "conversations?assignee=somebody", None).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("me, none or a member's avatar id"), "{body}");
    let (status, body) = s.call(KEY_A, "POST", &format!("conversations/{conv}/assign"), Some(json!({"avatarId": null}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(result(&body)["assigneeAvatarId"].is_null());
}

/// Notes over HTTP: an agent writes one (201, mentions resolved from the members' usernames), every
/// member lists it, a viewer cannot write, a bad body is refused, nothing reaches Telegram.
#[tokio::test]
async fn notes_are_written_by_workers_and_read_by_every_member() {
    let s = Server::start_with(Options { env: env(), ..Options::default() });
    let ids = team(&s).await;
    let path = format!("conversations/{}/notes", ids.conversation);
    let (status, body) = s.call_in(KEY_AGENT, Some(AVATAR_A), "POST", &path, Some(json!({"text": "  She wants 10% off  "}))).await;
    assert_eq!(status, 201, "{body}");
    let note = result(&body).clone();
    assert_eq!((note["text"].as_str(), note["authorAvatarId"].as_str()), (Some("She wants 10% off"), Some(AGENT)));
    assert_eq!(note["ownerAvatarId"], AVATAR_A);
    assert_eq!(note["mentions"], json!([]), "no OASIS here: members have no usernames to mention");
    let (status, body) = s.call_in(KEY_VIEWER, Some(AVATAR_A), "GET", &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1);
    assert_eq!(result(&body)["items"][0]["id"], note["id"]);
    let (status, body) = s.call_in(KEY_VIEWER, Some(AVATAR_A), "POST", &path, Some(json!({"text": "me too"}))).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = s.a("POST", &path, Some(json!({"text": "   "}))).await;
    assert_error(status, &body, 422, "unprocessable");
    let (status, body) = s.a("POST", &path, Some(json!({"text": "x", "send": true}))).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = s.b("GET", &path, None).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = s.a("GET", &path, None).await;
    assert_eq!(result(&body)["items"].as_array().unwrap().len(), 1, "{status} {body}");
}

/// Canned replies over HTTP: saved by an agent, listed for a viewer, a taken shortcut is 409 and
/// an unknown variable 422 naming the known ones; changed and deleted; another avatar sees none.
#[tokio::test]
async fn canned_replies_are_saved_listed_changed_and_deleted() {
    let s = Server::start_with(Options { env: env(), ..Options::default() });
    team(&s).await;
    let new = json!({"shortcut": "/Price", "text": "Hi {{contact.firstName}}, it is 900 EUR."});
    let (status, body) = s.call_in(KEY_AGENT, Some(AVATAR_A), "POST", "canned-replies", Some(new.clone())).await;
    assert_eq!(status, 201, "{body}");
    let id = result(&body)["id"].as_str().unwrap().to_owned();
    assert_eq!(result(&body)["shortcut"], "price");
    let (status, body) = s.a("POST", "canned-replies", Some(new)).await;
    assert_error(status, &body, 409, "conflict");
    let (status, body) = s.a("POST", "canned-replies", Some(json!({"shortcut": "vip", "text": "Dear {{contact.title}}"}))).await;
    assert_error(status, &body, 422, "unprocessable");
    assert!(body["message"].as_str().unwrap().contains("{{contact.firstName}}"), "{body}");
    let (status, body) = s.call_in(KEY_VIEWER, Some(AVATAR_A), "GET", "canned-replies", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body).as_array().unwrap().len(), 1);
    let (status, body) = s.call_in(KEY_VIEWER, Some(AVATAR_A), "DELETE", &format!("canned-replies/{id}"), None).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = s.a("PATCH", &format!("canned-replies/{id}"), Some(json!({"shortcut": "cost"}))).await;
    assert_eq!((status, result(&body)["shortcut"].as_str()), (200, Some("cost")), "{body}");
    let (status, body) = s.b("GET", "canned-replies", None).await;
    assert_eq!((status, result(&body).as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let (status, _) = s.a("DELETE", &format!("canned-replies/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = s.a("DELETE", &format!("canned-replies/{id}"), None).await;
    assert_error(status, &body, 404, "not_found");
}
