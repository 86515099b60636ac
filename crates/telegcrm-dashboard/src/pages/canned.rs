//! `/canned-replies`: the workspace's saved answers; adding, changing and deleting them
//! (members who may work), with the variables they may use.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use telegcrm_domain::model::VARIABLES;
use telegcrm_domain::service::CannedChange;
use telegcrm_domain::{CannedReplyId, CrmError};

use crate::web::{Ctx, Dash, Layout, PageError, posted, render, see_other, signed_in};

#[derive(Template)]
#[template(path = "canned.html")]
struct CannedPage {
    layout: Layout,
    replies: Vec<ReplyView>,
    variables: Vec<String>,
    error: Option<String>,
    shortcut: String,
    text: String,
    csrf: String,
}

struct ReplyView {
    id: String,
    shortcut: String,
    text: String,
}

async fn show(
    dash: &Dash,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<String>,
    typed: (String, String),
) -> Result<HttpResponse, PageError> {
    let replies = dash.service.canned_replies(ctx.workspace()).await.map_err(|e| ctx.err(e))?;
    render(
        status,
        &CannedPage {
            layout: ctx.layout("settings"),
            replies: replies.into_iter().map(|r| ReplyView { id: r.id.to_string(), shortcut: r.shortcut, text: r.text }).collect(),
            variables: VARIABLES.iter().map(|v| format!("{{{{{v}}}}}")).collect(),
            error,
            shortcut: typed.0,
            text: typed.1,
            csrf: ctx.session.csrf.clone(),
        },
    )
}

/// A refusal the person can mend (a taken shortcut, an unknown variable) shows the page again
/// with the reason and what was typed; anything else is an error page.
async fn refused(dash: &Dash, ctx: &Ctx, e: CrmError, typed: (String, String)) -> Result<HttpResponse, PageError> {
    match e {
        CrmError::Invalid { .. } | CrmError::Conflict(_) => {
            let message = super::view::capitalized(&e.to_string());
            show(dash, ctx, StatusCode::BAD_REQUEST, Some(message), typed).await
        }
        other => Err(ctx.err(other)),
    }
}

/// GET /canned-replies
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    show(&dash, &ctx, StatusCode::OK, None, (String::new(), String::new())).await
}

/// POST /canned-replies: `shortcut`, `text`.
pub async fn add(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let typed = (f.raw("shortcut").to_owned(), f.raw("text").to_owned());
    match dash.service.add_canned_reply(ctx.by(), &typed.0, &typed.1).await {
        Ok(_) => Ok(see_other("/canned-replies")),
        Err(e) => refused(&dash, &ctx, e, typed).await,
    }
}

fn reply_id(ctx: &Ctx, raw: &str) -> Result<CannedReplyId, PageError> {
    raw.parse().map_err(|_| PageError::NotFound(Some(ctx.layout("settings"))))
}

/// POST /canned-replies/{id}: `shortcut`, `text`.
pub async fn save(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = reply_id(&ctx, &path)?;
    let typed = (f.raw("shortcut").to_owned(), f.raw("text").to_owned());
    let change = CannedChange { shortcut: Some(typed.0.clone()), text: Some(typed.1.clone()) };
    match dash.service.update_canned_reply(ctx.by(), id, change).await {
        Ok(_) => Ok(see_other("/canned-replies")),
        Err(e) => refused(&dash, &ctx, e, typed).await,
    }
}

/// POST /canned-replies/{id}/delete
pub async fn delete(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    let id = reply_id(&ctx, &path)?;
    dash.service.delete_canned_reply(ctx.by(), id).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/canned-replies"))
}
