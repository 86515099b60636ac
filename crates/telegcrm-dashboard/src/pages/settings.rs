//! `/settings`: the avatar, Telegram linking (deep link and QR code), bot status, downloads of
//! the avatar's data (docs/export.md).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use futures::TryStreamExt;
use telegcrm_export::Format;

use crate::web::{Ctx, Dash, Fields, Layout, PageError, posted, render, signed_in};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    avatar: String,
    link: Option<String>,
    expires: Option<String>,
    qr_svg: Option<String>,
    link_error: Option<String>,
    bot_mode: String,
    bot_last: String,
    csrf: String,
}

/// The QR code of `text` as an inline SVG (no style attributes, so the CSP holds).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Drop the XML declaration: the SVG is inlined into HTML.
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen("<svg", "<svg role=\"img\" aria-label=\"QR code of the Telegram link\"", 1))
}

async fn show(
    dash: &Dash,
    ctx: &Ctx,
    link: Option<(String, Option<String>)>,
    link_error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let bot = dash.host.bot_status().await;
    let (link, expires) = link.map_or((None, None), |(l, e)| (Some(l), e));
    render(
        StatusCode::OK,
        &SettingsPage {
            layout: ctx.layout("settings"),
            avatar: ctx.avatar().to_string(),
            qr_svg: link.as_deref().and_then(qr_svg),
            link,
            expires,
            link_error,
            bot_mode: bot.mode,
            bot_last: bot.last_update_at.map_or_else(|| "no updates yet".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            csrf: ctx.session.csrf.clone(),
        },
    )
}

/// GET /settings
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req)?;
    show(&dash, &ctx, None, None).await
}

/// POST /settings/telegram-link: creates a single-use deep link and shows it with its QR code.
pub async fn link(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body)?;
    match dash.host.create_telegram_link(ctx.avatar()).await {
        Ok(l) => show(&dash, &ctx, Some((l.deep_link, l.expires_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()))), None).await,
        Err(m) => show(&dash, &ctx, None, Some(m)).await,
    }
}

/// GET /settings/export?format=…&table=…: the signed-in avatar's data, streamed as a download.
pub async fn export(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req)?;
    let q = Fields::parse(req.query_string().as_bytes());
    let format = Format::parse(q.get("format").unwrap_or("ndjson"), q.get("table"))
        .map_err(|e| PageError::Invalid(Some(ctx.layout("settings")), e.to_string()))?;
    let mut response = HttpResponse::Ok();
    for header in format.download_headers() {
        response.insert_header(header);
    }
    Ok(response.streaming(telegcrm_export::stream(dash.service.clone(), ctx.avatar(), format).map_ok(web::Bytes::from)))
}
