//! Embedded static assets, served under content-hashed names with long caching.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The hashed file name, e.g. `app.0123456789abcdef.js`.
    pub file: String,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its media type.
    pub content_type: &'static str,
}

fn asset(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
    let digest = Sha256::digest(bytes);
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Asset { file: format!("{stem}.{hash}.{ext}"), bytes, content_type }
}

/// Every asset: htmx (vendored, 0BSD licence alongside), the stylesheet and the app script.
pub static ASSETS: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        asset("htmx-2.0.8.min", "js", include_bytes!("../assets/htmx-2.0.8.min.js"), "text/javascript; charset=utf-8"),
        asset("app", "css", include_bytes!("../assets/app.css"), "text/css; charset=utf-8"),
        asset("app", "js", include_bytes!("../assets/app.js"), "text/javascript; charset=utf-8"),
    ]
});

/// The URLs templates link to.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    /// htmx.
    pub htmx: String,
    /// The stylesheet.
    pub css: String,
    /// The app script.
    pub js: String,
}

/// The hashed URLs.
pub static URLS: LazyLock<AssetUrls> = LazyLock::new(|| {
    let url = |i: usize| format!("/assets/{}", ASSETS[i].file);
    AssetUrls { htmx: url(0), css: url(1), js: url(2) }
});

/// GET /assets/{file}
pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.file == *path) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(a.bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body("no such asset"),
    }
}
