//! Contact routes.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use telegcrm_domain::ports::{AvatarRef, ContactFilter};
use telegcrm_domain::service::ContactUpdate;
use telegcrm_domain::{AvatarId, ContactCategory, RelationshipStatus, Tag};

use super::{Params, id, nullable, opt, page};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ok};

type State = web::Data<AppState>;

/// GET /contacts
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let filter =
        ContactFilter { q: p.get("q").or(p.get("keyword")).map(str::to_owned), category: opt(p.get("category"))?, tag: opt(p.get("tag"))? };
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.list_contacts(caller.0, &filter, &page).await?))
}

/// GET /contacts/{id}
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.contact(caller.0, id(&path)?).await?))
}

/// PATCH body: business fields; `null` clears one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    category: Option<Option<ContactCategory>>,
    tags: Option<Vec<Tag>>,
    relationship_status: Option<RelationshipStatus>,
}

/// PATCH /contacts/{id}
pub async fn patch(state: State, caller: Caller, path: web::Path<String>, body: web::Json<Patch>) -> ApiResult {
    let b = body.into_inner();
    let update = ContactUpdate {
        phone_number: b.phone_number,
        company: b.company,
        job_title: b.job_title,
        email: b.email,
        website: b.website,
        notes: b.notes,
        category: b.category,
        tags: b.tags,
        relationship_status: b.relationship_status,
    };
    Ok(ok(state.service.update_contact(caller.0, id(&path)?, update).await?))
}

/// GET /contacts/{id}/conversations
pub async fn conversations(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.contact_conversations(caller.0, id(&path)?, &page).await?))
}

/// `{avatarId}`, `{username}` or `{email}`: exactly one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkBody {
    avatar_id: Option<AvatarId>,
    username: Option<String>,
    email: Option<String>,
}

/// POST /contacts/{id}/link-avatar
pub async fn link(state: State, caller: Caller, path: web::Path<String>, body: web::Json<LinkBody>) -> ApiResult {
    let b = body.into_inner();
    let by = match (b.avatar_id, b.username.filter(|s| !s.trim().is_empty()), b.email.filter(|s| !s.trim().is_empty())) {
        (Some(a), None, None) => AvatarRef::Id(a),
        (None, Some(u), None) => AvatarRef::Username(u.trim().to_owned()),
        (None, None, Some(e)) => AvatarRef::Email(e.trim().to_owned()),
        _ => return Err(ApiError::Unprocessable("give exactly one of avatarId, username or email".into())),
    };
    Ok(ok(state.service.link_contact_avatar(caller.0, id(&path)?, &by).await?))
}

/// DELETE /contacts/{id}/link-avatar
pub async fn unlink(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.unlink_contact_avatar(caller.0, id(&path)?).await?))
}
