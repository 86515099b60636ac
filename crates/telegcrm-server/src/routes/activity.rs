//! The activity log: `GET /activity` (the workspace's) and `GET /conversations/{id}/activity`.

use actix_web::{HttpRequest, web};
use telegcrm_domain::{Activity, Page};

use super::{PageQuery, id, page, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Envelope, ok};
use crate::openapi::{Legacy, ListErrors, SubListErrors};

type State = web::Data<AppState>;

/// GET /activity
#[utoipa::path(get, path = "/api/telegram-crm/activity", operation_id = "listActivity", tag = "activity",
    summary = "Every change people made in the workspace, newest first (who, what, when)",
    params(PageQuery, Legacy),
    responses((status = 200, description = "a page of activity entries", body = Envelope<Page<Activity>>), ListErrors))]
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p: PageQuery = query(&req)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.activity(caller.by(), None, &page).await?))
}

/// GET /conversations/{id}/activity
#[utoipa::path(get, path = "/api/telegram-crm/conversations/{id}/activity", operation_id = "listConversationActivity",
    tag = "activity", summary = "The changes people made to one conversation and its follow-ups, newest first",
    params(("id" = Uuid, Path, description = "the conversation"), PageQuery, Legacy),
    responses((status = 200, description = "a page of activity entries", body = Envelope<Page<Activity>>), SubListErrors))]
pub async fn conversation(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let p: PageQuery = query(&req)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.activity(caller.by(), Some(id(&path)?), &page).await?))
}
