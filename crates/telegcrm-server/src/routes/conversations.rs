//! Conversation routes.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use telegcrm_domain::model::CustomFields;
use telegcrm_domain::ports::{Assignee, ConversationFilter};
use telegcrm_domain::service::ConversationUpdate;
use telegcrm_domain::{ContactId, Conversation, ConversationId, ConversationStatus, Message, Page, Priority, Tag};
use utoipa::{IntoParams, ToSchema};

use super::{PageQuery, flag, id, nullable, opt, page, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Envelope, created, ok};
use crate::openapi::{
    AUTH, BAD, BODY, CONFLICT, Errors, INVALID, Legacy, ListErrors, MISSING, ReadErrors, UNAVAILABLE, UPLOAD, UPSTREAM, WriteErrors,
};

type State = web::Data<AppState>;

/// The filters of the conversation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Only conversations with this status.
    #[param(value_type = Option<ConversationStatus>)]
    status: Option<String>,
    /// Only conversations with this priority.
    #[param(value_type = Option<Priority>)]
    priority: Option<String>,
    /// Only conversations with this tag (ignoring case).
    #[param(value_type = Option<Tag>)]
    tag: Option<String>,
    /// `true`: only conversations with unread messages.
    #[param(value_type = Option<bool>)]
    unread: Option<String>,
    /// Only this contact's conversations.
    #[param(value_type = Option<Uuid>)]
    contact_id: Option<String>,
    /// Only those assigned to `me` (the caller), to `none`, or to the member with this avatar id.
    #[param(value_type = Option<String>, pattern = r"^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    assignee: Option<String>,
}

/// GET /conversations
#[utoipa::path(get, path = "/api/telegram-crm/conversations", operation_id = "listConversations", tag = "conversations",
    summary = "List conversations, newest activity first",
    params(ListQuery, PageQuery, Legacy),
    responses((status = 200, description = "a page of conversations", body = Envelope<Page<Conversation>>), ListErrors))]
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let q: ListQuery = query(&req)?;
    let p: PageQuery = query(&req)?;
    let filter = ConversationFilter {
        status: opt(q.status.as_deref())?,
        priority: opt(q.priority.as_deref())?,
        tag: opt(q.tag.as_deref())?,
        unread_only: flag("unread", q.unread.as_deref())?,
        contact_id: opt::<ContactId>(q.contact_id.as_deref())?,
        assignee: q.assignee.as_deref().map(|a| Assignee::parse(a, caller.avatar())).transpose()?,
    };
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.list_conversations(caller.workspace(), &filter, &page).await?))
}

/// GET /conversations/{id}
#[utoipa::path(get, path = "/api/telegram-crm/conversations/{id}", operation_id = "getConversation", tag = "conversations",
    summary = "One conversation",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    responses((status = 200, description = "the conversation", body = Envelope<Conversation>), ReadErrors))]
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.conversation(caller.workspace(), id::<ConversationId>(&path)?).await?))
}

/// PATCH body: any of the fields; `null` clears the summary.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ConversationPatch)]
pub struct Patch {
    /// Sets the priority by hand (pins it).
    priority: Option<Priority>,
    /// The status.
    status: Option<ConversationStatus>,
    /// Replaces every tag (duplicates ignoring case are dropped).
    #[schema(max_items = 50)]
    tags: Option<Vec<Tag>>,
    /// A summary; `null` or blank clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    summary: Option<Option<String>>,
    /// Replaces the free-form fields (at most 16 KiB of JSON).
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<CustomFields>,
}

/// PATCH /conversations/{id}
#[utoipa::path(patch, path = "/api/telegram-crm/conversations/{id}", operation_id = "patchConversation", tag = "conversations",
    summary = "Change priority, status, tags, summary or custom fields",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = Patch,
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), WriteErrors))]
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Patch>) -> ApiResult {
    let b = body.into_inner();
    let update =
        ConversationUpdate { priority: b.priority, status: b.status, tags: b.tags, summary: b.summary, custom_fields: b.custom_fields };
    Ok(ok(state.service.update_conversation(caller.by(), id(&path)?, update).await?))
}

/// `{priority}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// The new priority; set by hand, detection then leaves it alone.
    priority: Priority,
}

/// A change with a body that only names an enum value: no 422.
type SetErrors = Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | UNAVAILABLE }>;

/// POST /conversations/{id}/priority
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/priority", operation_id = "setConversationPriority",
    tag = "conversations", summary = "Set the priority by hand (pins it)",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = PriorityBody,
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), SetErrors))]
pub async fn priority(state: State, caller: Caller, path: web::Path<String>, body: web::Json<PriorityBody>) -> ApiResult {
    Ok(ok(state.service.set_priority(caller.by(), id(&path)?, body.priority).await?))
}

/// `{avatarId}`: the member to assign, or `null` for nobody.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignBody {
    /// The member who answers the conversation (the caller itself, for an agent); `null`: nobody.
    #[schema(value_type = Option<Uuid>)]
    avatar_id: Option<telegcrm_domain::AvatarId>,
}

/// POST /conversations/{id}/assign
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/assign", operation_id = "assignConversation",
    tag = "conversations", summary = "Assign the conversation to a member, or to nobody",
    description = "An agent may take a conversation nobody has and let go of its own (409 when a colleague has it); the owner and admins assign any member who may work conversations (not a viewer: 422).",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = AssignBody,
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), WriteErrors))]
pub async fn assign(state: State, caller: Caller, path: web::Path<String>, body: web::Json<AssignBody>) -> ApiResult {
    Ok(ok(state.service.assign(caller.by(), id(&path)?, body.avatar_id).await?))
}

/// `{status}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The new status.
    status: ConversationStatus,
}

/// POST /conversations/{id}/status
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/status", operation_id = "setConversationStatus",
    tag = "conversations", summary = "Set the status",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = StatusBody,
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), SetErrors))]
pub async fn status(state: State, caller: Caller, path: web::Path<String>, body: web::Json<StatusBody>) -> ApiResult {
    Ok(ok(state.service.set_status(caller.by(), id(&path)?, body.status).await?))
}

/// `{tag}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    /// The tag to add (no duplicate ignoring case; at most 50 tags, else 422).
    tag: Tag,
}

/// POST /conversations/{id}/tags
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/tags", operation_id = "addConversationTag",
    tag = "conversations", summary = "Add a tag",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = TagBody,
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), WriteErrors))]
pub async fn add_tag(state: State, caller: Caller, path: web::Path<String>, body: web::Json<TagBody>) -> ApiResult {
    Ok(ok(state.service.add_tag(caller.by(), id(&path)?, body.into_inner().tag).await?))
}

/// A change without a body.
type RemoveErrors = Errors<{ BAD | AUTH | MISSING | CONFLICT | UNAVAILABLE }>;

/// DELETE /conversations/{id}/tags/{tag}
#[utoipa::path(delete, path = "/api/telegram-crm/conversations/{id}/tags/{tag}", operation_id = "removeConversationTag",
    tag = "conversations", summary = "Remove a tag (ignoring case; removing a tag that is not there is fine)",
    params(("id" = Uuid, Path, description = "the conversation"), ("tag" = Tag, Path, description = "the tag"), Legacy),
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), RemoveErrors))]
pub async fn remove_tag(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult {
    let (conv, tag) = path.into_inner();
    Ok(ok(state.service.remove_tag(caller.by(), id(&conv)?, id::<Tag>(&tag)?).await?))
}

/// POST /conversations/{id}/read
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/read", operation_id = "markConversationRead",
    tag = "conversations", summary = "Mark everything read: unreadCount 0, every message read",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    responses((status = 200, description = "the changed conversation", body = Envelope<Conversation>), RemoveErrors))]
pub async fn read(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.mark_read(caller.by(), id(&path)?).await?))
}

/// The page of a message list: `before` is the cursor (the C# API's name), `cursor` an alias.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, default = 50)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(schema_with = crate::openapi::keyset_cursor)]
    before: Option<String>,
    /// Alias of `before` (used when `before` is absent).
    #[param(schema_with = crate::openapi::keyset_cursor)]
    cursor: Option<String>,
    /// Only the messages of this forum topic (its `topicId`); a page may then hold fewer than
    /// `limit` messages, and `nextCursor` carries on.
    #[param(value_type = Option<i64>, rename = "topicId")]
    #[serde(rename = "topicId")]
    topic_id: Option<String>,
}

/// GET /conversations/{id}/messages
#[utoipa::path(get, path = "/api/telegram-crm/conversations/{id}/messages", operation_id = "listConversationMessages",
    tag = "conversations", summary = "Messages, newest first",
    params(("id" = Uuid, Path, description = "the conversation"), MessagesQuery, Legacy),
    responses((status = 200, description = "a page of messages", body = Envelope<Page<Message>>), ReadErrors))]
pub async fn messages(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let q: MessagesQuery = query(&req)?;
    let page = page(q.limit.as_deref(), q.before.as_deref().or(q.cursor.as_deref()))?;
    match q.topic_id.as_deref().map(str::trim) {
        None => Ok(ok(state.service.messages(caller.workspace(), id(&path)?, &page).await?)),
        Some(t) => {
            let topic = t.parse::<i64>().map_err(|_| ApiError::BadRequest(format!("topicId: {t:?} is not a whole number")))?;
            Ok(ok(state.service.topic_messages(caller.workspace(), id(&path)?, topic, &page).await?))
        }
    }
}

/// `{text, replyToTelegramMessageId?}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendBody {
    /// The text: trimmed, then 1 to 4096 characters (Telegram's limit).
    #[schema(schema_with = crate::openapi::send_text)]
    text: String,
    /// The Telegram message id, in this conversation, of the message this one answers.
    #[serde(default, deserialize_with = "super::whole")]
    reply_to_telegram_message_id: Option<i64>,
}

/// POST /conversations/{id}/messages
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/messages", operation_id = "sendMessage",
    tag = "conversations",
    summary = "Send a text through Telegram (the business connection when the chat has one), as a reply when asked; stored as outgoing",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = SendBody,
    responses((status = 201, description = "the sent message", body = Envelope<Message>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn send(state: State, caller: Caller, path: web::Path<String>, body: web::Json<SendBody>) -> ApiResult {
    let body = body.into_inner();
    Ok(created(state.service.send_reply(caller.by(), id(&path)?, &body.text, body.reply_to_telegram_message_id).await?))
}

/// A message of a conversation, by its Telegram id.
fn message_path(path: &(String, String)) -> Result<(ConversationId, i64), ApiError> {
    let message =
        path.1.trim().parse::<i64>().map_err(|_| ApiError::BadRequest(format!("telegramMessageId: {:?} is not a whole number", path.1)))?;
    Ok((id(&path.0)?, message))
}

/// `{text}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// The new text: trimmed, then 1 to 4096 characters (Telegram's limit).
    #[schema(schema_with = crate::openapi::send_text)]
    text: String,
}

/// PATCH /conversations/{id}/messages/{telegramMessageId}
#[utoipa::path(patch, path = "/api/telegram-crm/conversations/{id}/messages/{telegramMessageId}", operation_id = "editMessage",
    tag = "conversations",
    summary = "Edit one of your text messages in Telegram (the business connection when the chat has one); the earlier text is kept in edits",
    params(("id" = Uuid, Path, description = "the conversation"), ("telegramMessageId" = i64, Path, description = "the message"), Legacy),
    request_body = EditBody,
    responses((status = 200, description = "the edited message", body = Envelope<Message>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn edit_message(state: State, caller: Caller, path: web::Path<(String, String)>, body: web::Json<EditBody>) -> ApiResult {
    let (conv, message) = message_path(&path)?;
    Ok(ok(state.service.edit_message(caller.by(), conv, message, &body.text).await?))
}

/// DELETE /conversations/{id}/messages/{telegramMessageId}
#[utoipa::path(delete, path = "/api/telegram-crm/conversations/{id}/messages/{telegramMessageId}", operation_id = "deleteMessage",
    tag = "conversations",
    summary = "Delete one of your messages in Telegram (the business connection's rights permitting); kept here, marked deleted",
    params(("id" = Uuid, Path, description = "the conversation"), ("telegramMessageId" = i64, Path, description = "the message"), Legacy),
    responses((status = 200, description = "the message, marked deleted", body = Envelope<Message>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn delete_message(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult {
    let (conv, message) = message_path(&path)?;
    Ok(ok(state.service.delete_message(caller.by(), conv, message).await?))
}

/// GET /conversations/{id}/messages/{telegramMessageId}/media
#[utoipa::path(get, path = "/api/telegram-crm/conversations/{id}/messages/{telegramMessageId}/media", operation_id = "getMessageMedia",
    tag = "conversations",
    summary = "The message's file (photo, voice, video, document, sticker), fetched from Telegram once and then cached",
    params(("id" = Uuid, Path, description = "the conversation"), ("telegramMessageId" = i64, Path, description = "the message"), Legacy),
    responses((status = 200, description = "the file, with its content type", content_type = "application/octet-stream", body = Vec<u8>),
        Errors<{ BAD | AUTH | MISSING | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn media(state: State, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (conv, message) = message_path(&path)?;
    let file = state.service.message_file(caller.workspace(), conv, message).await?;
    Ok(telegcrm_dashboard::media::response(&file))
}

/// The form of `POST /conversations/{id}/files` (no other fields).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // documents the multipart body; the handler reads it as a stream
pub struct FileForm {
    /// The file: a JPEG, PNG or WebP of at most 10 MB goes as a photo, anything else (up to the
    /// 50 MB bots may send) as a document, under its own name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The caption, at most 1024 characters.
    #[schema(max_length = 1024)]
    caption: Option<String>,
    /// The Telegram message id, in this conversation, of the message this one answers.
    reply_to_telegram_message_id: Option<i64>,
}

/// POST /conversations/{id}/files
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/files", operation_id = "sendFile", tag = "conversations",
    summary = "Send a photo or a document through Telegram (the business connection when the chat has one); stored as outgoing",
    description = "The body is multipart/form-data with the field `file`, and optionally `caption` and `replyToTelegramMessageId`.",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body(content = FileForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "the sent message, with its file", body = Envelope<Message>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | UPLOAD | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn send_file(state: State, caller: Caller, path: web::Path<String>, multipart: actix_multipart::Multipart) -> ApiResult {
    // A role that may not send is refused before a byte is spooled (the service asks again).
    caller.by().require(telegcrm_domain::Action::Work)?;
    let conv = id(&path)?;
    let limit = telegcrm_domain::service::MAX_BOT_UPLOAD_BYTES;
    let form = telegcrm_dashboard::form::read(multipart, "file", limit, None, |name, _| match name {
        "caption" | "replyToTelegramMessageId" => Ok(()),
        other => {
            Err(telegcrm_dashboard::form::FormError::Bad(format!("unknown field {other:?}: send file, caption, replyToTelegramMessageId")))
        }
    })
    .await?;
    let file = form.file.ok_or_else(|| ApiError::BadRequest("no file: send it in a multipart/form-data field named file".into()))?;
    // A form field is text: empty or `null` is no reply; `97` and `97.0` are message 97.
    let reply_to = match form.texts.get("replyToTelegramMessageId").map(|v| v.trim()) {
        None | Some("" | "null") => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .or_else(|| v.parse::<f64>().ok().and_then(super::whole_of))
                .ok_or_else(|| ApiError::BadRequest(format!("replyToTelegramMessageId: {v:?} is not a whole number")))?,
        ),
    };
    let caption = form.texts.get("caption").cloned().unwrap_or_default();
    let to_send = telegcrm_domain::service::FileToSend { path: file.path.clone(), size: file.size, caption, reply_to };
    Ok(created(state.service.send_file(caller.by(), conv, to_send).await?))
}
