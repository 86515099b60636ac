//! Canned replies: `GET|POST /canned-replies`, `PATCH|DELETE /canned-replies/{id}` (docs/teams.md).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use telegcrm_domain::CannedReply;
use telegcrm_domain::service::CannedChange;
use utoipa::ToSchema;

use super::id;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Envelope, created, ok};
use crate::openapi::{AUTH, BAD, Errors, Legacy, MISSING, UNAVAILABLE, WriteErrors};

type State = web::Data<AppState>;

/// GET /canned-replies
#[utoipa::path(get, path = "/api/telegram-crm/canned-replies", operation_id = "listCannedReplies", tag = "canned replies",
    summary = "The workspace's canned replies, by shortcut (every member reads them)",
    params(Legacy),
    responses((status = 200, description = "the canned replies", body = Envelope<Vec<CannedReply>>), Errors<{ BAD | AUTH | UNAVAILABLE }>))]
pub async fn list(state: State, caller: Caller) -> ApiResult {
    Ok(ok(state.service.canned_replies(caller.workspace()).await?))
}

/// `{shortcut, text}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCanned {
    /// What is typed after `/` to insert it (`price` or `/price`): 1 to 32 of a-z, 0-9, `_`, `-`;
    /// upper case is folded. Unique in the workspace (409).
    #[schema(min_length = 1, max_length = 33, pattern = r"^/?[A-Za-z0-9_-]{1,32}$")]
    shortcut: String,
    /// The text, 1 to 4096 characters, with `{{contact.firstName}}`, `{{contact.lastName}}`,
    /// `{{contact.name}}`, `{{contact.username}}`, `{{contact.company}}`, `{{member.name}}`,
    /// `{{member.firstName}}` (any other `{{...}}`: 422).
    #[schema(schema_with = crate::openapi::canned_text)]
    text: String,
}

/// POST /canned-replies
#[utoipa::path(post, path = "/api/telegram-crm/canned-replies", operation_id = "createCannedReply", tag = "canned replies",
    summary = "Save a canned reply (members who may work conversations)",
    params(Legacy),
    request_body = NewCanned,
    responses((status = 201, description = "the canned reply", body = Envelope<CannedReply>), WriteErrors))]
pub async fn create(state: State, caller: Caller, body: web::Json<NewCanned>) -> ApiResult {
    Ok(created(state.service.add_canned_reply(caller.by(), &body.shortcut, &body.text).await?))
}

/// `{shortcut?, text?}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedPatch {
    /// A new shortcut.
    #[schema(min_length = 1, max_length = 33, pattern = r"^/?[A-Za-z0-9_-]{1,32}$")]
    shortcut: Option<String>,
    /// A new text.
    #[schema(schema_with = crate::openapi::canned_text)]
    text: Option<String>,
}

/// PATCH /canned-replies/{id}
#[utoipa::path(patch, path = "/api/telegram-crm/canned-replies/{id}", operation_id = "patchCannedReply", tag = "canned replies",
    summary = "Change a canned reply's shortcut or text",
    params(("id" = Uuid, Path, description = "the canned reply"), Legacy),
    request_body = CannedPatch,
    responses((status = 200, description = "the changed canned reply", body = Envelope<CannedReply>), WriteErrors))]
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<CannedPatch>) -> ApiResult {
    let b = body.into_inner();
    Ok(ok(state.service.update_canned_reply(caller.by(), id(&path)?, CannedChange { shortcut: b.shortcut, text: b.text }).await?))
}

/// DELETE /canned-replies/{id}
#[utoipa::path(delete, path = "/api/telegram-crm/canned-replies/{id}", operation_id = "deleteCannedReply", tag = "canned replies",
    summary = "Delete a canned reply",
    params(("id" = Uuid, Path, description = "the canned reply"), Legacy),
    responses((status = 204, description = "deleted; no body"), Errors<{ BAD | AUTH | MISSING | UNAVAILABLE }>))]
pub async fn delete(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    state.service.delete_canned_reply(caller.by(), id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
