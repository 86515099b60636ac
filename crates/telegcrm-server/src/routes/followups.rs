//! Follow-up routes.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use telegcrm_domain::service::{FollowUpUpdate, NewFollowUp};
use telegcrm_domain::{ConversationId, FollowUp, FollowUpStatus, FollowUpView, Page, Priority};
use utoipa::{IntoParams, ToSchema};

use super::{PageQuery, id, nullable, opt, page, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Envelope, created, ok};
use crate::openapi::{AUTH, ActionErrors, BAD, BODY, CONFLICT, Errors, INVALID, ListErrors, MISSING, ReadErrors, UNAVAILABLE, WriteErrors};

type State = web::Data<AppState>;

/// POST body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewFollowUp)]
pub struct Create {
    /// The conversation it is about (one of the caller's, else 404).
    conversation_id: ConversationId,
    /// What to do.
    #[schema(schema_with = crate::openapi::title)]
    title: String,
    /// More words (at most 10,000 characters; blank means none).
    #[schema(max_length = 10000)]
    description: Option<String>,
    /// When it is due. `dueDate` (the C# API's name) is accepted too.
    // `dueDate` is the C# API's name.
    #[serde(alias = "dueDate")]
    due_at: DateTime<Utc>,
    /// How much it matters (default medium).
    priority: Option<Priority>,
}

/// POST /followups
#[utoipa::path(post, path = "/api/telegram-crm/followups", operation_id = "createFollowUp", tag = "followups",
    summary = "Create a follow-up",
    params(crate::openapi::Legacy),
    request_body = Create,
    responses((status = 201, description = "the new follow-up", body = Envelope<FollowUp>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | INVALID | UNAVAILABLE }>))]
pub async fn create(state: State, caller: Caller, body: web::Json<Create>) -> ApiResult {
    let b = body.into_inner();
    let new = NewFollowUp {
        conversation_id: b.conversation_id,
        title: b.title,
        description: b.description,
        due_at: b.due_at,
        priority: b.priority,
    };
    Ok(created(state.service.create_followup(caller.by(), new).await?))
}

/// The filters of the follow-up list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Which follow-ups (default pending, overdue ones included).
    #[param(value_type = Option<FollowUpView>)]
    status: Option<String>,
    /// Only this conversation's.
    #[param(value_type = Option<Uuid>)]
    conversation_id: Option<String>,
}

/// GET /followups
#[utoipa::path(get, path = "/api/telegram-crm/followups", operation_id = "listFollowUps", tag = "followups",
    summary = "List follow-ups, soonest due first",
    params(ListQuery, PageQuery, crate::openapi::Legacy),
    responses((status = 200, description = "a page of follow-ups", body = Envelope<Page<FollowUp>>), ListErrors))]
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let q: ListQuery = query(&req)?;
    let p: PageQuery = query(&req)?;
    let view = opt::<FollowUpView>(q.status.as_deref())?.unwrap_or(FollowUpView::Pending);
    let conversation = opt::<ConversationId>(q.conversation_id.as_deref())?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.list_followups(caller.workspace(), view, conversation, &page).await?))
}

/// GET /followups/pending
#[utoipa::path(get, path = "/api/telegram-crm/followups/pending", operation_id = "listPendingFollowUps", tag = "followups",
    summary = "Pending follow-ups, overdue included, soonest due first",
    params(PageQuery, crate::openapi::Legacy),
    responses((status = 200, description = "a page of follow-ups", body = Envelope<Page<FollowUp>>), ListErrors))]
pub async fn pending(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p: PageQuery = query(&req)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.pending_followups(caller.workspace(), &page).await?))
}

/// GET /followups/{id}
#[utoipa::path(get, path = "/api/telegram-crm/followups/{id}", operation_id = "getFollowUp", tag = "followups",
    summary = "One follow-up",
    params(("id" = Uuid, Path, description = "the follow-up"), crate::openapi::Legacy),
    responses((status = 200, description = "the follow-up", body = Envelope<FollowUp>), ReadErrors))]
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.followup(caller.workspace(), id(&path)?).await?))
}

/// PATCH body: any of the fields; `null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = FollowUpPatch)]
pub struct Patch {
    /// What to do.
    #[schema(schema_with = crate::openapi::title)]
    title: Option<String>,
    /// More words; `null` or blank clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    description: Option<Option<String>>,
    /// When it is due (a new time reminds again). `dueDate` is accepted too.
    #[serde(alias = "dueDate")]
    due_at: Option<DateTime<Utc>>,
    /// How much it matters.
    priority: Option<Priority>,
    /// Pending, completed or cancelled.
    status: Option<FollowUpStatus>,
}

/// PATCH /followups/{id}
#[utoipa::path(patch, path = "/api/telegram-crm/followups/{id}", operation_id = "patchFollowUp", tag = "followups",
    summary = "Change a follow-up",
    params(("id" = Uuid, Path, description = "the follow-up"), crate::openapi::Legacy),
    request_body = Patch,
    responses((status = 200, description = "the changed follow-up", body = Envelope<FollowUp>), WriteErrors))]
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Patch>) -> ApiResult {
    let b = body.into_inner();
    let update = FollowUpUpdate { title: b.title, description: b.description, due_at: b.due_at, priority: b.priority, status: b.status };
    Ok(ok(state.service.update_followup(caller.by(), id(&path)?, update).await?))
}

/// DELETE /followups/{id}
#[utoipa::path(delete, path = "/api/telegram-crm/followups/{id}", operation_id = "deleteFollowUp", tag = "followups",
    summary = "Delete a follow-up",
    params(("id" = Uuid, Path, description = "the follow-up"), crate::openapi::Legacy),
    responses((status = 204, description = "deleted; no body"), Errors<{ BAD | AUTH | MISSING | UNAVAILABLE }>))]
pub async fn delete(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    state.service.delete_followup(caller.by(), id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// POST /followups/{id}/complete
#[utoipa::path(post, path = "/api/telegram-crm/followups/{id}/complete", operation_id = "completeFollowUp", tag = "followups",
    summary = "Mark completed",
    params(("id" = Uuid, Path, description = "the follow-up"), crate::openapi::Legacy),
    responses((status = 200, description = "the completed follow-up", body = Envelope<FollowUp>), ActionErrors))]
pub async fn complete(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.complete_followup(caller.by(), id(&path)?).await?))
}

/// `{until}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SnoozeBody)]
pub struct Snooze {
    /// The new due time: in the future, else 422.
    until: DateTime<Utc>,
}

/// POST /followups/{id}/snooze
#[utoipa::path(post, path = "/api/telegram-crm/followups/{id}/snooze", operation_id = "snoozeFollowUp", tag = "followups",
    summary = "Move the due time of a pending follow-up into the future",
    params(("id" = Uuid, Path, description = "the follow-up"), crate::openapi::Legacy),
    request_body = Snooze,
    responses((status = 200, description = "the snoozed follow-up", body = Envelope<FollowUp>), WriteErrors))]
pub async fn snooze(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Snooze>) -> ApiResult {
    Ok(ok(state.service.snooze_followup(caller.by(), id(&path)?, body.until).await?))
}
