//! Follow-up routes.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use telegcrm_domain::service::{FollowUpUpdate, NewFollowUp};
use telegcrm_domain::{ConversationId, FollowUpStatus, FollowUpView, Priority};

use super::{Params, id, nullable, opt, page};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, created, ok};

type State = web::Data<AppState>;

/// POST body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Create {
    conversation_id: ConversationId,
    title: String,
    description: Option<String>,
    // `dueDate` is the C# API's name.
    #[serde(alias = "dueDate")]
    due_at: DateTime<Utc>,
    priority: Option<Priority>,
}

/// POST /followups
pub async fn create(state: State, caller: Caller, body: web::Json<Create>) -> ApiResult {
    let b = body.into_inner();
    let new = NewFollowUp {
        conversation_id: b.conversation_id,
        title: b.title,
        description: b.description,
        due_at: b.due_at,
        priority: b.priority,
    };
    Ok(created(state.service.create_followup(caller.0, new).await?))
}

/// GET /followups
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let view = opt::<FollowUpView>(p.get("status"))?.unwrap_or(FollowUpView::Pending);
    let conversation = opt(p.get("conversationId"))?;
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.list_followups(caller.0, view, conversation, &page).await?))
}

/// GET /followups/pending
pub async fn pending(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.pending_followups(caller.0, &page).await?))
}

/// GET /followups/{id}
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.followup(caller.0, id(&path)?).await?))
}

/// PATCH body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(alias = "dueDate")]
    due_at: Option<DateTime<Utc>>,
    priority: Option<Priority>,
    status: Option<FollowUpStatus>,
}

/// PATCH /followups/{id}
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Patch>) -> ApiResult {
    let b = body.into_inner();
    let update = FollowUpUpdate { title: b.title, description: b.description, due_at: b.due_at, priority: b.priority, status: b.status };
    Ok(ok(state.service.update_followup(caller.0, id(&path)?, update).await?))
}

/// DELETE /followups/{id}
pub async fn delete(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    state.service.delete_followup(caller.0, id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// POST /followups/{id}/complete
pub async fn complete(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.complete_followup(caller.0, id(&path)?).await?))
}

/// `{until}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snooze {
    until: DateTime<Utc>,
}

/// POST /followups/{id}/snooze
pub async fn snooze(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Snooze>) -> ApiResult {
    Ok(ok(state.service.snooze_followup(caller.0, id(&path)?, body.until).await?))
}
