//! `/settings`: the avatar, Telegram linking (deep link and QR code), bot status, importing a
//! Telegram Desktop export (the upload and its job: `import.rs`), and downloads of the avatar's
//! data (docs/export.md).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use futures::TryStreamExt;
use telegcrm_domain::Action;
use telegcrm_export::Format;

use super::import::{ImportView, current};
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
    import_job: Option<ImportView>,
    import_error: Option<String>,
    import_limit: String,
    /// Whether the role may link the workspace's Telegram account (the owner only).
    can_link: bool,
    /// Whether the role may import and export the workspace's data.
    can_move_data: bool,
    /// Whether the workspace shown is the avatar's own.
    own: bool,
}

/// What the page shows beyond its fixed parts.
#[derive(Debug)]
pub struct Shown {
    /// The answer's status (an upload refused shows the page with 400 or 413).
    pub status: StatusCode,
    /// A new Telegram link and when it expires.
    pub link: Option<(String, Option<String>)>,
    /// Why no link could be made.
    pub link_error: Option<String>,
    /// The import job to show.
    pub import_job: Option<ImportView>,
    /// Why an upload was refused.
    pub import_error: Option<String>,
}

impl Default for Shown {
    fn default() -> Self {
        Self { status: StatusCode::OK, link: None, link_error: None, import_job: None, import_error: None }
    }
}

/// A byte count for people: 2 GiB, 500 MiB, 64 KiB, 900 bytes.
fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenth = (bytes % unit) * 10 / unit;
            return if tenth == 0 { format!("{whole} {name}") } else { format!("{whole}.{tenth} {name}") };
        }
    }
    format!("{bytes} bytes")
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

/// Renders the page.
pub async fn show(dash: &Dash, ctx: &Ctx, shown: Shown) -> Result<HttpResponse, PageError> {
    let bot = dash.host.bot_status().await;
    let (link, expires) = shown.link.map_or((None, None), |(l, e)| (Some(l), e));
    let link_error = shown.link_error;
    render(
        shown.status,
        &SettingsPage {
            layout: ctx.layout("settings"),
            avatar: ctx.workspace().to_string(),
            qr_svg: link.as_deref().and_then(qr_svg),
            link,
            expires,
            link_error,
            bot_mode: bot.mode,
            bot_last: bot.last_update_at.map_or_else(|| "no updates yet".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            csrf: ctx.session.csrf.clone(),
            import_job: shown.import_job,
            import_error: shown.import_error,
            import_limit: size(dash.import_limit),
            can_link: ctx.access.may(Action::LinkTelegram),
            can_move_data: ctx.access.may(Action::ImportExport),
            own: ctx.workspace() == ctx.session.avatar,
        },
    )
}

/// GET /settings
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let q = Fields::parse(req.query_string().as_bytes());
    let import_job = current(&dash, &ctx, q.get("import")).await?;
    show(&dash, &ctx, Shown { import_job, ..Shown::default() }).await
}

/// POST /settings/telegram-link: creates a single-use deep link and shows it with its QR code.
pub async fn link(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    let own = ctx.require(Action::LinkTelegram)?;
    match dash.host.create_telegram_link(own).await {
        Ok(l) => {
            let link = Some((l.deep_link, l.expires_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())));
            show(&dash, &ctx, Shown { link, ..Shown::default() }).await
        }
        Err(m) => show(&dash, &ctx, Shown { link_error: Some(m), ..Shown::default() }).await,
    }
}

/// GET /settings/export?format=…&table=…: the signed-in avatar's data, streamed as a download.
pub async fn export(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let workspace = ctx.require(Action::ImportExport)?;
    let q = Fields::parse(req.query_string().as_bytes());
    let format = Format::parse(q.get("format").unwrap_or("ndjson"), q.get("table"))
        .map_err(|e| PageError::Invalid(Some(ctx.layout("settings")), e.to_string()))?;
    let mut response = HttpResponse::Ok();
    for header in format.download_headers() {
        response.insert_header(header);
    }
    Ok(response.streaming(telegcrm_export::stream(dash.service.clone(), workspace, format).map_ok(web::Bytes::from)))
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(2_147_483_648), "2 GiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(900), "900 bytes");
    }
}
