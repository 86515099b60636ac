//! Workspace routes: the caller's workspaces, and a workspace's members (docs/teams.md).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use telegcrm_domain::{AvatarId, Member, Role, Workspace};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use super::contacts::{avatar_ref, avatar_ref_schema};
use super::id;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Envelope, created, ok};
use crate::openapi::{AUTH, BAD, BODY, CONFLICT, Errors, INVALID, Legacy, MISSING, UNAVAILABLE, UPSTREAM};

type State = web::Data<AppState>;

/// GET /workspaces
#[utoipa::path(get, path = "/api/telegram-crm/workspaces", operation_id = "listWorkspaces", tag = "workspaces",
    summary = "The workspaces the caller may work in, with its role in each: its own first",
    params(Legacy),
    responses((status = 200, description = "the workspaces", body = Envelope<Vec<Workspace>>), Errors<{ BAD | AUTH | UNAVAILABLE }>))]
pub async fn list(state: State, caller: Caller) -> ApiResult {
    Ok(ok(state.service.workspaces(caller.avatar()).await?))
}

/// The workspace of the path, as the caller may act in it (not a member: 404).
async fn access(state: &State, caller: Caller, workspace: &str) -> Result<telegcrm_domain::Access, crate::error::ApiError> {
    let workspace: AvatarId = id(workspace)?;
    Ok(state.service.access(caller.avatar(), Some(workspace)).await?)
}

/// GET /workspaces/{ownerAvatarId}/members
#[utoipa::path(get, path = "/api/telegram-crm/workspaces/{ownerAvatarId}/members", operation_id = "listMembers", tag = "workspaces",
    summary = "The members of a workspace: its owner first, then the others in the order they were invited",
    params(("ownerAvatarId" = Uuid, Path, description = "the workspace"), Legacy),
    responses((status = 200, description = "the members", body = Envelope<Vec<Member>>), Errors<{ BAD | AUTH | MISSING | UNAVAILABLE }>))]
pub async fn members(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    let by = access(&state, caller, &path).await?;
    Ok(ok(state.service.members(&by).await?))
}

/// POST body: the avatar, by exactly one of `avatarId`, `username` or `email`, and its role.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteBody {
    avatar_id: Option<AvatarId>,
    username: Option<String>,
    email: Option<String>,
    role: Role,
}

impl PartialSchema for InviteBody {
    fn schema() -> RefOr<Schema> {
        avatar_ref_schema(&[("role", member_role())])
    }
}

impl ToSchema for InviteBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("InviteMemberBody")
    }
}

/// A role a member can have (the owner's is not one).
fn member_role() -> RefOr<Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["admin", "agent", "viewer"]))
        .description(Some(
            "admin: everything but linking the workspace's Telegram account; agent: works conversations; viewer: reads only.",
        ))
        .into()
}

/// POST /workspaces/{ownerAvatarId}/members
#[utoipa::path(post, path = "/api/telegram-crm/workspaces/{ownerAvatarId}/members", operation_id = "addMember", tag = "workspaces",
    summary = "Invite an OASIS avatar (by id, username or email, found through OASIS when it is configured) with a role",
    params(("ownerAvatarId" = Uuid, Path, description = "the workspace"), Legacy),
    request_body = InviteBody,
    responses((status = 201, description = "the new member", body = Envelope<Member>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn add(state: State, caller: Caller, path: web::Path<String>, body: web::Json<InviteBody>) -> ApiResult {
    let by = access(&state, caller, &path).await?;
    let b = body.into_inner();
    let who = avatar_ref(b.avatar_id, b.username, b.email)?;
    Ok(created(state.service.add_member(&by, &who, b.role).await?))
}

/// PATCH body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleBody {
    role: Role,
}

impl PartialSchema for RoleBody {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .property("role", member_role())
            .required("role")
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for RoleBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("MemberRoleBody")
    }
}

/// PATCH /workspaces/{ownerAvatarId}/members/{avatarId}
#[utoipa::path(patch, path = "/api/telegram-crm/workspaces/{ownerAvatarId}/members/{avatarId}", operation_id = "changeMember",
    tag = "workspaces",
    summary = "Change a member's role (the owner's never changes)",
    params(("ownerAvatarId" = Uuid, Path, description = "the workspace"), ("avatarId" = Uuid, Path, description = "the member"), Legacy),
    request_body = RoleBody,
    responses((status = 200, description = "the member", body = Envelope<Member>),
        Errors<{ BAD | AUTH | MISSING | BODY | INVALID | UNAVAILABLE }>))]
pub async fn change(state: State, caller: Caller, path: web::Path<(String, String)>, body: web::Json<RoleBody>) -> ApiResult {
    let (workspace, member) = path.into_inner();
    let by = access(&state, caller, &workspace).await?;
    Ok(ok(state.service.change_member(&by, id(&member)?, body.role).await?))
}

/// DELETE /workspaces/{ownerAvatarId}/members/{avatarId}
#[utoipa::path(delete, path = "/api/telegram-crm/workspaces/{ownerAvatarId}/members/{avatarId}", operation_id = "removeMember",
    tag = "workspaces",
    summary = "Remove a member; any member may remove itself (leave). The owner cannot be removed",
    params(("ownerAvatarId" = Uuid, Path, description = "the workspace"), ("avatarId" = Uuid, Path, description = "the member"), Legacy),
    responses((status = 204, description = "removed; no body"), Errors<{ BAD | AUTH | MISSING | INVALID | UNAVAILABLE }>))]
pub async fn remove(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult {
    let (workspace, member) = path.into_inner();
    let by = access(&state, caller, &workspace).await?;
    state.service.remove_member(&by, id(&member)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
