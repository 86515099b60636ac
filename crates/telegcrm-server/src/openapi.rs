//! The OpenAPI 3 document, built from the route table below. A test checks that every route the
//! server registers is in the table and that every entry answers.

use serde_json::{Map, Value, json};

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path under the API prefix, with `{id}` parameters.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Query parameters (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// Request body schema name, if any.
    pub body: Option<&'static str>,
    /// Response schema: a schema name, or `Page<Name>` for lists.
    pub response: &'static str,
    /// Whether it needs credentials.
    pub authenticated: bool,
}

const PAGE: [(&str, &str); 2] = [("limit", "1..200, default 50"), ("cursor", "nextCursor of the previous page")];
const SEARCH: [(&str, &str); 11] = [
    ("q", "words ANDed, \"phrases\", prefix*"),
    ("keyword", "alias of q"),
    ("contactId", "only this contact"),
    ("conversationId", "only this conversation"),
    ("from", "sent at or after (RFC 3339)"),
    ("to", "sent before (RFC 3339)"),
    ("priority", "low|medium|high|urgent"),
    ("tag", "conversation tag"),
    ("status", "active|archived|waiting"),
    ("limit", "1..200, default 50"),
    ("cursor", "nextCursor of the previous page"),
];

macro_rules! op {
    ($m:literal $p:literal, $s:literal, $q:expr, $b:expr, $r:literal) => {
        Operation { method: $m, path: $p, summary: $s, query: $q, body: $b, response: $r, authenticated: true }
    };
}

/// Every route under `/api/telegram-crm`.
pub const OPERATIONS: &[Operation] = &[
    op!("get" "/conversations", "List conversations, newest activity first", &[
        ("status", "active|archived|waiting"), ("priority", "low|medium|high|urgent"), ("tag", "a tag"),
        ("unread", "true: only with unread messages"), ("contactId", "only this contact's"),
        ("limit", "1..200, default 50"), ("cursor", "nextCursor of the previous page")], None, "Page<Conversation>"),
    op!("get" "/conversations/search", "Search conversations by their messages", &SEARCH, None, "Page<ConversationHit>"),
    op!("get" "/conversations/{id}", "One conversation", &[], None, "Conversation"),
    op!("patch" "/conversations/{id}", "Change priority, status, tags, summary or custom fields", &[], Some("ConversationPatch"), "Conversation"),
    op!("post" "/conversations/{id}/priority", "Set the priority by hand (pins it)", &[], Some("PriorityBody"), "Conversation"),
    op!("post" "/conversations/{id}/status", "Set the status", &[], Some("StatusBody"), "Conversation"),
    op!("post" "/conversations/{id}/tags", "Add a tag", &[], Some("TagBody"), "Conversation"),
    op!("delete" "/conversations/{id}/tags/{tag}", "Remove a tag", &[], None, "Conversation"),
    op!("post" "/conversations/{id}/read", "Mark everything read", &[], None, "Conversation"),
    op!("get" "/conversations/{id}/messages", "Messages, newest first", &[("limit", "1..200, default 50"), ("before", "nextCursor of the previous page")], None, "Page<Message>"),
    op!("post" "/conversations/{id}/messages", "Send a text through Telegram", &[], Some("SendBody"), "Message"),
    op!("get" "/messages/search", "Search messages", &SEARCH, None, "Page<MessageHit>"),
    op!("get" "/contacts", "List contacts, most recently contacted first", &[
        ("q", "name, username, company or email"), ("category", "client|prospect|partner|vendor|other"), ("tag", "a tag"),
        ("limit", "1..200, default 50"), ("cursor", "nextCursor of the previous page")], None, "Page<Contact>"),
    op!("get" "/contacts/{id}", "One contact", &[], None, "Contact"),
    op!("patch" "/contacts/{id}", "Edit business fields", &[], Some("ContactPatch"), "Contact"),
    op!("get" "/contacts/{id}/conversations", "The contact's conversations", &PAGE, None, "Page<Conversation>"),
    op!("post" "/contacts/{id}/link-avatar", "Link an OASIS avatar (by avatarId, username or email)", &[], Some("LinkAvatarBody"), "Contact"),
    op!("delete" "/contacts/{id}/link-avatar", "Remove the avatar link", &[], None, "Contact"),
    op!("post" "/followups", "Create a follow-up", &[], Some("NewFollowUp"), "FollowUp"),
    op!("get" "/followups", "List follow-ups, soonest due first", &[
        ("status", "pending (default)|overdue|completed|cancelled|all"), ("conversationId", "only this conversation's"),
        ("limit", "1..200, default 50"), ("cursor", "nextCursor of the previous page")], None, "Page<FollowUp>"),
    op!("get" "/followups/pending", "Pending follow-ups, overdue included, soonest first", &PAGE, None, "Page<FollowUp>"),
    op!("get" "/followups/{id}", "One follow-up", &[], None, "FollowUp"),
    op!("patch" "/followups/{id}", "Change a follow-up", &[], Some("FollowUpPatch"), "FollowUp"),
    op!("delete" "/followups/{id}", "Delete a follow-up (204)", &[], None, "Empty"),
    op!("post" "/followups/{id}/complete", "Mark completed", &[], None, "FollowUp"),
    op!("post" "/followups/{id}/snooze", "Move the due time", &[], Some("SnoozeBody"), "FollowUp"),
    op!("get" "/me", "The caller's avatar and linked Telegram account", &[], None, "Me"),
    op!("post" "/me/telegram-link", "A single-use deep link (10 minutes) that links a Telegram account", &[], None, "TelegramLink"),
    Operation {
        method: "post",
        path: "/telegram/webhook",
        summary: "Telegram's webhook (header X-Telegram-Bot-Api-Secret-Token)",
        query: &[],
        body: Some("TelegramUpdate"),
        response: "WebhookResult",
        authenticated: false,
    },
    Operation {
        method: "get",
        path: "/openapi.json",
        summary: "This document",
        query: &[],
        body: None,
        response: "OpenApi",
        authenticated: false,
    },
];

fn s(t: &str) -> Value {
    json!({ "type": t })
}
fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}
fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}
fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}
fn one_of(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
fn object(props: &[(&str, Value)]) -> Value {
    let props: Map<String, Value> = props.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    json!({ "type": "object", "properties": props })
}

const PRIORITY: &[&str] = &["low", "medium", "high", "urgent"];

fn schemas() -> Value {
    let media = object(&[
        ("fileId", s("string")),
        ("fileUniqueId", s("string")),
        ("mimeType", nullable("string")),
        ("fileSize", nullable("integer")),
        ("fileName", nullable("string")),
        ("width", nullable("integer")),
        ("height", nullable("integer")),
        ("duration", nullable("integer")),
    ]);
    let conversation = object(&[
        ("id", uuid()),
        ("ownerAvatarId", uuid()),
        ("telegramChatId", s("integer")),
        ("businessConnectionId", nullable("string")),
        ("chatType", one_of(&["private", "group", "supergroup", "channel"])),
        ("title", nullable("string")),
        ("contactId", nullable("string")),
        ("contactName", nullable("string")),
        ("contactUsername", nullable("string")),
        ("priority", one_of(PRIORITY)),
        ("priorityManual", s("boolean")),
        ("tags", json!({"type": "array", "items": {"type": "string"}})),
        ("status", one_of(&["active", "archived", "waiting"])),
        ("unreadCount", s("integer")),
        ("messageCount", s("integer")),
        ("lastMessageAt", time()),
        ("lastMessagePreview", nullable("string")),
        ("lastReadAt", nullable("string")),
        ("summary", nullable("string")),
        ("customFields", s("object")),
        ("createdAt", time()),
        ("updatedAt", time()),
    ]);
    let message = object(&[
        ("id", uuid()),
        ("conversationId", uuid()),
        ("telegramMessageId", s("integer")),
        ("direction", one_of(&["incoming", "outgoing"])),
        ("fromTelegramId", nullable("integer")),
        ("fromName", nullable("string")),
        ("content", s("string")),
        (
            "messageType",
            one_of(&[
                "text",
                "photo",
                "video",
                "animation",
                "audio",
                "voice",
                "video_note",
                "document",
                "sticker",
                "location",
                "venue",
                "contact",
                "poll",
                "dice",
                "service",
                "other",
            ]),
        ),
        ("media", json!({"oneOf": [r("Media"), {"type": "null"}]})),
        ("replyToTelegramMessageId", nullable("integer")),
        ("sentAt", time()),
        ("editedAt", nullable("string")),
        (
            "edits",
            json!({
                "type": "array",
                "description": "Earlier texts, oldest first: the text as sent and the latest versions (at most 20); omittedBefore counts versions dropped before an entry.",
                "items": object(&[("content", s("string")), ("editedAt", time()), ("omittedBefore", json!({"type": "integer", "minimum": 1}))])
            }),
        ),
        ("deletedAt", nullable("string")),
        ("isRead", s("boolean")),
    ]);
    let contact = object(&[
        ("id", uuid()),
        ("ownerAvatarId", uuid()),
        ("telegramId", s("integer")),
        ("firstName", s("string")),
        ("lastName", nullable("string")),
        ("username", nullable("string")),
        ("languageCode", nullable("string")),
        ("phoneNumber", nullable("string")),
        ("company", nullable("string")),
        ("jobTitle", nullable("string")),
        ("email", nullable("string")),
        ("website", nullable("string")),
        ("notes", nullable("string")),
        ("category", json!({"type": ["string", "null"], "enum": ["client", "prospect", "partner", "vendor", "other", null]})),
        ("tags", json!({"type": "array", "items": {"type": "string"}})),
        ("relationshipStatus", one_of(&["new", "active", "inactive"])),
        ("totalMessages", s("integer")),
        ("lastContactedAt", time()),
        ("linkedOasisAvatarId", nullable("string")),
        ("createdAt", time()),
        ("updatedAt", time()),
    ]);
    let followup = object(&[
        ("id", uuid()),
        ("ownerAvatarId", uuid()),
        ("conversationId", uuid()),
        ("title", s("string")),
        ("description", nullable("string")),
        ("dueAt", time()),
        ("priority", one_of(PRIORITY)),
        ("status", one_of(&["pending", "completed", "cancelled"])),
        ("isOverdue", s("boolean")),
        ("completedAt", nullable("string")),
        ("snoozedUntil", nullable("string")),
        ("remindedAt", nullable("string")),
        ("createdAt", time()),
        ("updatedAt", time()),
    ]);
    let hit = object(&[("messageId", uuid()), ("snippet", s("string")), ("sentAt", time())]);
    json!({
        "Media": media, "Conversation": conversation, "Message": message, "Contact": contact, "FollowUp": followup,
        "MessageHit": object(&[("message", r("Message")), ("snippet", s("string"))]),
        "ConversationHit": object(&[("conversation", r("Conversation")), ("hits", json!({"type": "array", "items": hit}))]),
        "ConversationPatch": object(&[("priority", one_of(PRIORITY)), ("status", one_of(&["active", "archived", "waiting"])),
            ("tags", json!({"type": "array", "items": {"type": "string"}})), ("summary", nullable("string")), ("customFields", s("object"))]),
        "PriorityBody": object(&[("priority", one_of(PRIORITY))]),
        "StatusBody": object(&[("status", one_of(&["active", "archived", "waiting"]))]),
        "TagBody": object(&[("tag", s("string"))]),
        "SendBody": object(&[("text", s("string"))]),
        "ContactPatch": object(&[("phoneNumber", nullable("string")), ("company", nullable("string")), ("jobTitle", nullable("string")),
            ("email", nullable("string")), ("website", nullable("string")), ("notes", nullable("string")), ("category", nullable("string")),
            ("tags", json!({"type": "array", "items": {"type": "string"}})), ("relationshipStatus", one_of(&["new", "active", "inactive"]))]),
        "LinkAvatarBody": object(&[("avatarId", uuid()), ("username", s("string")), ("email", s("string"))]),
        "NewFollowUp": object(&[("conversationId", uuid()), ("title", s("string")), ("description", nullable("string")), ("dueAt", time()), ("priority", one_of(PRIORITY))]),
        "FollowUpPatch": object(&[("title", s("string")), ("description", nullable("string")), ("dueAt", time()), ("priority", one_of(PRIORITY)),
            ("status", one_of(&["pending", "completed", "cancelled"]))]),
        "SnoozeBody": object(&[("until", time())]),
        "Me": object(&[("avatarId", uuid()), ("telegram", json!({"type": ["object", "null"]}))]),
        "TelegramLink": object(&[("code", s("string")), ("deepLink", s("string")), ("expiresAt", time())]),
        "TelegramUpdate": json!({"type": "object", "description": "A Telegram Bot API Update"}),
        "WebhookResult": s("object"),
        "OpenApi": s("object"),
        "Empty": json!({"type": "null"}),
        "Error": object(&[("isError", s("boolean")), ("message", s("string")), ("errorCode", one_of(&["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large", "unsupported_media_type", "unprocessable", "upstream", "unavailable"]))]),
    })
}

fn envelope(result: &str) -> Value {
    let result = match result.strip_prefix("Page<").and_then(|r| r.strip_suffix('>')) {
        Some(item) => object(&[("items", json!({"type": "array", "items": r(item)})), ("nextCursor", nullable("string"))]),
        None => r(result),
    };
    object(&[("isError", s("boolean")), ("message", s("string")), ("result", result)])
}

/// The OpenAPI 3 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let mut params: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(
            op.query
                .iter()
                .map(|(name, d)| json!({"name": name, "in": "query", "required": false, "description": d, "schema": {"type": "string"}})),
        );
        let error = json!({"description": "error", "content": {"application/json": {"schema": r("Error")}}});
        let mut operation = json!({
            "summary": op.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "success", "content": {"application/json": {"schema": envelope(op.response)}}},
                "400": error, "401": error, "404": error, "422": error,
            },
        });
        if let Some(body) = op.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": r(body)}}});
        }
        if !op.authenticated {
            operation["security"] = json!([]);
        }
        let path = format!("{}{}", crate::routes::PREFIX, op.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Telegcrm API", "version": env!("CARGO_PKG_VERSION"), "description": "A CRM for Telegram conversations. Responses use the OASIS envelope."},
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "oasisJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"oasisJwt": []}, {"apiKey": []}],
    })
}
