//! Internal notes on conversations: `GET|POST /conversations/{id}/notes`.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use telegcrm_domain::{Note, Page};
use utoipa::ToSchema;

use super::{PageQuery, id, page, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Envelope, created, ok};
use crate::openapi::{Legacy, SubListErrors, WriteErrors};

type State = web::Data<AppState>;

/// GET /conversations/{id}/notes
#[utoipa::path(get, path = "/api/telegram-crm/conversations/{id}/notes", operation_id = "listConversationNotes",
    tag = "conversations", summary = "Internal notes, newest first (every member reads them)",
    params(("id" = Uuid, Path, description = "the conversation"), PageQuery, Legacy),
    responses((status = 200, description = "a page of notes", body = Envelope<Page<Note>>), SubListErrors))]
pub async fn list(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let p: PageQuery = query(&req)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.notes(caller.by(), id(&path)?, &page).await?))
}

/// `{text}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note: trimmed, then 1 to 4000 characters. `@username` mentions a member.
    #[schema(schema_with = crate::openapi::note_text)]
    text: String,
}

/// POST /conversations/{id}/notes
#[utoipa::path(post, path = "/api/telegram-crm/conversations/{id}/notes", operation_id = "addConversationNote",
    tag = "conversations", summary = "Write an internal note (never sent to Telegram)",
    description = "Members who may work conversations write notes; `@username` names a member of the workspace, who then finds the note among its mentions (the dashboard's Mentions page).",
    params(("id" = Uuid, Path, description = "the conversation"), Legacy),
    request_body = NoteBody,
    responses((status = 201, description = "the note", body = Envelope<Note>), WriteErrors))]
pub async fn add(state: State, caller: Caller, path: web::Path<String>, body: web::Json<NoteBody>) -> ApiResult {
    Ok(created(state.service.add_note(caller.by(), id(&path)?, &body.text).await?))
}
