//! `/contacts` and `/contacts/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use telegcrm_domain::ports::{AvatarRef, ContactFilter};
use telegcrm_domain::service::ContactUpdate;
use telegcrm_domain::{ContactCategory, ContactId, Cursor, Limit, PageRequest, Tag};

use super::view::{ConvItem, Opt, enc, opt_parse, opts};
use crate::web::{Ctx, Dash, Fields, Layout, PageError, posted, render, see_other, signed_in};

#[derive(Debug)]
struct ContactItem {
    id: String,
    name: String,
    username: String,
    company: String,
    category: String,
    tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    layout: Layout,
    q: String,
    categories: Vec<Opt>,
    tag: String,
    items: Vec<ContactItem>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    layout: Layout,
    id: String,
    name: String,
    username: String,
    phone: String,
    company: String,
    job_title: String,
    email: String,
    website: String,
    notes: String,
    categories: Vec<Opt>,
    tags: String,
    linked: Option<String>,
    conversations: Vec<ConvItem>,
    csrf: String,
}

fn categories(current: &str) -> Vec<Opt> {
    opts(ContactCategory::ALL.iter().map(|c| c.as_str()), current)
}

/// GET /contacts?q=&category=&tag=
pub async fn list(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let p = Fields::parse(req.query_string().as_bytes());
    let filter = ContactFilter {
        q: p.get("q").map(str::to_owned),
        category: opt_parse::<ContactCategory>(p.get("category"))?,
        tag: opt_parse::<Tag>(p.get("tag"))?,
    };
    let cursor =
        p.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("contacts")), e.to_string()))?;
    let page = PageRequest { limit: Limit::new(50).unwrap_or_default(), cursor };
    let found = dash.service.list_contacts(ctx.workspace(), &filter, &page).await.map_err(|e| ctx.err(e))?;
    let more = found.next_cursor.map(|c| {
        let mut qs = String::new();
        for k in ["q", "category", "tag"] {
            if let Some(v) = p.get(k) {
                qs.push_str(&format!("{k}={}&", enc(v)));
            }
        }
        format!("/contacts?{qs}cursor={}", c.encode())
    });
    let items = found
        .items
        .iter()
        .map(|c| ContactItem {
            id: c.id.to_string(),
            name: c.display_name(),
            username: c.username.clone().unwrap_or_default(),
            company: c.company.clone().unwrap_or_default(),
            category: c.category.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            tags: c.tags.iter().map(|t| t.as_str().to_owned()).collect(),
        })
        .collect();
    render(
        StatusCode::OK,
        &ContactsPage {
            layout: ctx.layout("contacts"),
            q: p.get("q").unwrap_or("").to_owned(),
            categories: categories(p.get("category").unwrap_or("")),
            tag: p.get("tag").unwrap_or("").to_owned(),
            items,
            more,
        },
    )
}

fn cid(ctx: &Ctx, raw: &str) -> Result<ContactId, PageError> {
    raw.parse().map_err(|_| PageError::NotFound(Some(ctx.layout(""))))
}

/// GET /contacts/{id}
pub async fn page(dash: Dash, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let id = cid(&ctx, &path)?;
    let c = dash.service.contact(ctx.workspace(), id).await.map_err(|e| ctx.err(e))?;
    let convs = dash.service.contact_conversations(ctx.workspace(), id, &PageRequest::default()).await.map_err(|e| ctx.err(e))?;
    let now = dash.service.now();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    render(
        StatusCode::OK,
        &ContactPage {
            layout: ctx.layout("contacts"),
            id: c.id.to_string(),
            name: c.display_name(),
            username: text(&c.username),
            phone: text(&c.phone_number),
            company: text(&c.company),
            job_title: text(&c.job_title),
            email: text(&c.email),
            website: text(&c.website),
            notes: text(&c.notes),
            categories: categories(c.category.map_or("", |k| k.as_str())),
            tags: c.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
            linked: c.linked_oasis_avatar_id.map(|a| a.to_string()),
            conversations: convs.items.iter().map(|x| ConvItem::new(x, now)).collect(),
            csrf: ctx.session.csrf.clone(),
        },
    )
}

/// POST /contacts/{id}: the business fields (an empty field clears it).
pub async fn save(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = cid(&ctx, &path)?;
    let field = |k: &str| Some(f.get(k).map(str::to_owned));
    let bad = |e: telegcrm_domain::ParseError| PageError::Invalid(Some(ctx.layout("contacts")), e.to_string());
    let tags =
        f.raw("tags").split(',').map(str::trim).filter(|t| !t.is_empty()).map(Tag::parse).collect::<Result<Vec<_>, _>>().map_err(bad)?;
    let category = f.get("category").map(str::parse::<ContactCategory>).transpose().map_err(bad)?;
    let update = ContactUpdate {
        phone_number: field("phone"),
        company: field("company"),
        job_title: field("job_title"),
        email: field("email"),
        website: field("website"),
        notes: field("notes"),
        category: Some(category),
        tags: Some(tags),
        relationship_status: None,
    };
    dash.service.update_contact(ctx.by(), id, update).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/contacts/{id}")))
}

/// POST /contacts/{id}/link: `by` (id, username, email) and `avatar`.
pub async fn link(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = cid(&ctx, &path)?;
    let key = f.get("avatar").ok_or_else(|| PageError::Invalid(Some(ctx.layout("contacts")), "Avatar must not be empty".into()))?;
    let by = match f.get("by").unwrap_or("username") {
        "id" => AvatarRef::Id(
            key.parse().map_err(|e: telegcrm_domain::ParseError| PageError::Invalid(Some(ctx.layout("contacts")), e.to_string()))?,
        ),
        "email" => AvatarRef::Email(key.to_owned()),
        _ => AvatarRef::Username(key.to_owned()),
    };
    dash.service.link_contact_avatar(ctx.by(), id, &by).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/contacts/{id}")))
}

/// POST /contacts/{id}/unlink
pub async fn unlink(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    let id = cid(&ctx, &path)?;
    dash.service.unlink_contact_avatar(ctx.by(), id).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/contacts/{id}")))
}
