//! Contact routes.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use telegcrm_domain::ports::{AvatarRef, ContactFilter};
use telegcrm_domain::service::ContactUpdate;
use telegcrm_domain::{AvatarId, Contact, ContactCategory, Conversation, Page, RelationshipStatus, Tag};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::AnyOfBuilder};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{PageQuery, id, nullable, opt, page, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Envelope, ok};
use crate::openapi::{
    AUTH, BAD, BODY, CONFLICT, Errors, INVALID, Legacy, ListErrors, MISSING, ReadErrors, SubListErrors, UNAVAILABLE, UPSTREAM, WriteErrors,
};

type State = web::Data<AppState>;

/// The filters of the contact list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Matches first and last name, username, company or email (any case, any accents).
    q: Option<String>,
    /// Alias of `q` (the C# API's name), used when `q` is absent.
    keyword: Option<String>,
    /// Only contacts of this category.
    #[param(value_type = Option<ContactCategory>)]
    category: Option<String>,
    /// Only contacts with this tag (ignoring case).
    #[param(value_type = Option<Tag>)]
    tag: Option<String>,
}

/// GET /contacts
#[utoipa::path(get, path = "/api/telegram-crm/contacts", operation_id = "listContacts", tag = "contacts",
    summary = "List contacts, most recently contacted first",
    params(ListQuery, PageQuery, Legacy),
    responses((status = 200, description = "a page of contacts", body = Envelope<Page<Contact>>), ListErrors))]
pub async fn list(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let q: ListQuery = query(&req)?;
    let p: PageQuery = query(&req)?;
    let filter = ContactFilter { q: q.q.or(q.keyword), category: opt(q.category.as_deref())?, tag: opt(q.tag.as_deref())? };
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.list_contacts(caller.workspace(), &filter, &page).await?))
}

/// GET /contacts/{id}
#[utoipa::path(get, path = "/api/telegram-crm/contacts/{id}", operation_id = "getContact", tag = "contacts",
    summary = "One contact",
    params(("id" = Uuid, Path, description = "the contact"), Legacy),
    responses((status = 200, description = "the contact", body = Envelope<Contact>), ReadErrors))]
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.contact(caller.workspace(), id(&path)?).await?))
}

/// PATCH body: business fields; `null` (or a blank text) clears one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ContactPatch)]
pub struct Patch {
    /// Phone number (at most 64 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 64)]
    phone_number: Option<Option<String>>,
    /// Company (at most 500 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    company: Option<Option<String>>,
    /// Job title (at most 500 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    job_title: Option<Option<String>>,
    /// Email.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = nullable_email)]
    email: Option<Option<String>>,
    /// Website (at most 500 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    website: Option<Option<String>>,
    /// Free notes (at most 10,000 characters).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    notes: Option<Option<String>>,
    /// Business category; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ContactCategory>)]
    category: Option<Option<ContactCategory>>,
    /// Replaces every tag.
    #[schema(max_items = 50)]
    tags: Option<Vec<Tag>>,
    /// How the relationship stands.
    relationship_status: Option<RelationshipStatus>,
}

fn nullable_email() -> Schema {
    let email = crate::openapi::contact_email();
    Schema::AnyOf(AnyOfBuilder::new().item(email).item(ObjectBuilder::new().schema_type(Type::Null)).build())
}

/// PATCH /contacts/{id}
#[utoipa::path(patch, path = "/api/telegram-crm/contacts/{id}", operation_id = "patchContact", tag = "contacts",
    summary = "Edit business fields",
    params(("id" = Uuid, Path, description = "the contact"), Legacy),
    request_body = Patch,
    responses((status = 200, description = "the changed contact", body = Envelope<Contact>), WriteErrors))]
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
    Ok(ok(state.service.update_contact(caller.by(), id(&path)?, update).await?))
}

/// GET /contacts/{id}/conversations
#[utoipa::path(get, path = "/api/telegram-crm/contacts/{id}/conversations", operation_id = "listContactConversations",
    tag = "contacts", summary = "The contact's conversations, newest activity first",
    params(("id" = Uuid, Path, description = "the contact"), PageQuery, Legacy),
    responses((status = 200, description = "a page of conversations", body = Envelope<Page<Conversation>>), SubListErrors))]
pub async fn conversations(state: State, caller: Caller, path: web::Path<String>, req: HttpRequest) -> ApiResult {
    let p: PageQuery = query(&req)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.contact_conversations(caller.workspace(), id(&path)?, &page).await?))
}

/// `{avatarId}`, `{username}` or `{email}`: exactly one (a `null` or blank one counts as absent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkBody {
    avatar_id: Option<AvatarId>,
    username: Option<String>,
    email: Option<String>,
}

impl PartialSchema for LinkBody {
    fn schema() -> RefOr<Schema> {
        avatar_ref_schema(&[])
    }
}

/// Adds required properties to an object schema.
trait PipeExtra {
    fn pipe_extra(self, extra: &[(&str, RefOr<Schema>)]) -> Self;
}

impl PipeExtra for ObjectBuilder {
    fn pipe_extra(self, extra: &[(&str, RefOr<Schema>)]) -> Self {
        extra.iter().fold(self, |b, (name, schema)| b.property(*name, schema.clone()).required(*name))
    }
}

/// The schema of a body naming an OASIS avatar by exactly one of `avatarId`, `username` or
/// `email`, with `extra` required properties besides (a member's `role`).
pub(crate) fn avatar_ref_schema(extra: &[(&str, RefOr<Schema>)]) -> RefOr<Schema> {
    let absent = || {
        let blank = ObjectBuilder::new().schema_type(Type::String).pattern(Some(format!("^[{}]*$", crate::openapi::WS)));
        Schema::AnyOf(AnyOfBuilder::new().item(ObjectBuilder::new().schema_type(Type::Null)).item(blank).build())
    };
    let null = || ObjectBuilder::new().schema_type(Type::Null);
    let by_id = ObjectBuilder::new()
        .property(
            "avatarId",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid))),
        )
        .required("avatarId")
        .property("username", absent())
        .property("email", absent())
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
        .pipe_extra(extra)
        .description(Some("By the avatar's id."));
    let by_username = ObjectBuilder::new()
        .property("avatarId", null())
        .property("username", crate::openapi::avatar_username())
        .required("username")
        .property("email", absent())
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
        .pipe_extra(extra)
        .description(Some("By the avatar's username."));
    let by_email = ObjectBuilder::new()
        .property("avatarId", null())
        .property("username", absent())
        .property("email", crate::openapi::avatar_email())
        .required("email")
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
        .pipe_extra(extra)
        .description(Some("By the avatar's email."));
    Schema::OneOf(
        OneOfBuilder::new()
            .item(by_id)
            .item(by_username)
            .item(by_email)
            .description(Some("Exactly one of avatarId, username or email; a null or blank one counts as absent."))
            .build(),
    )
    .into()
}

impl ToSchema for LinkBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("LinkAvatarBody")
    }
}

/// POST /contacts/{id}/link-avatar
#[utoipa::path(post, path = "/api/telegram-crm/contacts/{id}/link-avatar", operation_id = "linkContactAvatar", tag = "contacts",
    summary = "Link an OASIS avatar, found through the OASIS API by id, username or email",
    params(("id" = Uuid, Path, description = "the contact"), Legacy),
    request_body = LinkBody,
    responses((status = 200, description = "the linked contact", body = Envelope<Contact>),
        Errors<{ BAD | AUTH | MISSING | CONFLICT | BODY | INVALID | UPSTREAM | UNAVAILABLE }>))]
pub async fn link(state: State, caller: Caller, path: web::Path<String>, body: web::Json<LinkBody>) -> ApiResult {
    let b = body.into_inner();
    let by = avatar_ref(b.avatar_id, b.username, b.email)?;
    Ok(ok(state.service.link_contact_avatar(caller.by(), id(&path)?, &by).await?))
}

/// DELETE /contacts/{id}/link-avatar
#[utoipa::path(delete, path = "/api/telegram-crm/contacts/{id}/link-avatar", operation_id = "unlinkContactAvatar", tag = "contacts",
    summary = "Remove the avatar link",
    params(("id" = Uuid, Path, description = "the contact"), Legacy),
    responses((status = 200, description = "the contact", body = Envelope<Contact>), Errors<{ BAD | AUTH | MISSING | CONFLICT | UNAVAILABLE }>))]
pub async fn unlink(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    Ok(ok(state.service.unlink_contact_avatar(caller.by(), id(&path)?).await?))
}

/// The avatar a body names by exactly one of `avatarId`, `username` or `email` (a blank one
/// counts as absent).
pub(crate) fn avatar_ref(avatar_id: Option<AvatarId>, username: Option<String>, email: Option<String>) -> Result<AvatarRef, ApiError> {
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match (avatar_id, given(username), given(email)) {
        (Some(a), None, None) => Ok(AvatarRef::Id(a)),
        (None, Some(u), None) => Ok(AvatarRef::Username(u)),
        (None, None, Some(e)) => Ok(AvatarRef::Email(e)),
        _ => Err(ApiError::Unprocessable("give exactly one of avatarId, username or email".into())),
    }
}
