//! Conversation routes.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use telegcrm_domain::model::CustomFields;
use telegcrm_domain::ports::ConversationFilter;
use telegcrm_domain::service::ConversationUpdate;
use telegcrm_domain::{ConversationId, ConversationStatus, Priority, Tag};

use super::{Params, flag, id, nullable, opt, page};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, created, ok};

type State = web::Data<AppState>;

/// GET /conversations
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let filter = ConversationFilter {
        status: opt(p.get("status"))?,
        priority: opt(p.get("priority"))?,
        tag: opt(p.get("tag"))?,
        unread_only: flag("unread", p.get("unread"))?,
        contact_id: opt(p.get("contactId"))?,
    };
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.list_conversations(caller.0, &filter, &page).await?))
}

/// GET /conversations/{id}
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.conversation(caller.0, id::<ConversationId>(&path)?).await?))
}

/// PATCH body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    priority: Option<Priority>,
    status: Option<ConversationStatus>,
    tags: Option<Vec<Tag>>,
    #[serde(default, deserialize_with = "nullable")]
    summary: Option<Option<String>>,
    custom_fields: Option<CustomFields>,
}

/// PATCH /conversations/{id}
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Patch>) -> ApiResult {
    let b = body.into_inner();
    let update =
        ConversationUpdate { priority: b.priority, status: b.status, tags: b.tags, summary: b.summary, custom_fields: b.custom_fields };
    Ok(ok(state.service.update_conversation(caller.0, id(&path)?, update).await?))
}

/// `{priority}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    priority: Priority,
}

/// POST /conversations/{id}/priority
pub async fn priority(state: State, caller: Caller, path: web::Path<String>, body: web::Json<PriorityBody>) -> ApiResult {
    Ok(ok(state.service.set_priority(caller.0, id(&path)?, body.priority).await?))
}

/// `{status}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: ConversationStatus,
}

/// POST /conversations/{id}/status
pub async fn status(state: State, caller: Caller, path: web::Path<String>, body: web::Json<StatusBody>) -> ApiResult {
    Ok(ok(state.service.set_status(caller.0, id(&path)?, body.status).await?))
}

/// `{tag}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    tag: Tag,
}

/// POST /conversations/{id}/tags
pub async fn add_tag(state: State, caller: Caller, path: web::Path<String>, body: web::Json<TagBody>) -> ApiResult {
    Ok(ok(state.service.add_tag(caller.0, id(&path)?, body.into_inner().tag).await?))
}

/// DELETE /conversations/{id}/tags/{tag}
pub async fn remove_tag(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult {
    let (conv, tag) = path.into_inner();
    Ok(ok(state.service.remove_tag(caller.0, id(&conv)?, id::<Tag>(&tag)?).await?))
}

/// POST /conversations/{id}/read
pub async fn read(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.mark_read(caller.0, id(&path)?).await?))
}

/// GET /conversations/{id}/messages
pub async fn messages(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let page = page(p.get("limit"), p.get("before").or(p.get("cursor")))?;
    Ok(ok(state.service.messages(caller.0, id(&path)?, &page).await?))
}

/// `{text}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    text: String,
}

/// POST /conversations/{id}/messages
pub async fn send(state: State, caller: Caller, path: web::Path<String>, body: web::Json<SendBody>) -> ApiResult {
    Ok(created(state.service.send_message(caller.0, id(&path)?, &body.text).await?))
}
