//! A message's file as an HTTP answer, for the API and the dashboard alike: its content type,
//! shown in the page only when it is a picture, a sound or a video (anything else downloads, so
//! a file cannot run as a page of the CRM's origin), and never sniffed by the browser.

use actix_web::HttpResponse;
use actix_web::http::header;
use telegcrm_domain::MessageType;
use telegcrm_domain::service::MessageFile;

/// Types a browser may show in the page.
const INLINE: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The answer: the bytes with their type, inline or as a download.
pub fn response(file: &MessageFile) -> HttpResponse {
    let kind = content_type(file);
    let inline = INLINE.contains(&kind.as_str()) || kind.starts_with("audio/") || kind.starts_with("video/");
    let disposition = if inline {
        "inline".to_owned()
    } else {
        let name = file.media.file_name.as_deref().map(ascii_name).filter(|n| !n.is_empty()).unwrap_or_else(|| "file".to_owned());
        format!("attachment; filename=\"{name}\"")
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .body(file.bytes.clone())
}

/// The file's type: as Telegram gave it when it is a well-formed type, else read from the
/// bytes (what Telegram sends without a type: photos, stickers), else by the kind of message.
pub fn content_type(file: &MessageFile) -> String {
    if let Some(m) = file.media.mime_type.as_deref().map(str::trim).filter(|m| is_mime(m)) {
        return m.to_ascii_lowercase();
    }
    let b = &file.bytes;
    let sniffed = if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(b"GIF8") {
        Some("image/gif")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else if b.starts_with(b"OggS") {
        Some("audio/ogg")
    } else {
        None
    };
    let by_kind = match file.message_type {
        MessageType::Photo => "image/jpeg",
        MessageType::Voice => "audio/ogg",
        MessageType::Video | MessageType::VideoNote | MessageType::Animation => "video/mp4",
        MessageType::Audio => "audio/mpeg",
        // An animated sticker (gzipped Lottie) and anything else: a download.
        _ => "application/octet-stream",
    };
    sniffed.unwrap_or(by_kind).to_owned()
}

/// `type/subtype` of token characters, as RFC 9110 allows (no parameters).
fn is_mime(m: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c));
    m.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// A file name safe inside a quoted header value: printable ASCII without quotes or slashes.
fn ascii_name(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').filter(|c| !matches!(c, '"' | '\\' | '/')).take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use telegcrm_domain::Media;

    fn file(mime: Option<&str>, kind: MessageType, bytes: &[u8]) -> MessageFile {
        let media = Media {
            file_id: "f".into(),
            file_unique_id: "u".into(),
            mime_type: mime.map(str::to_owned),
            file_size: None,
            file_name: Some("Report \"Q3\"/<b>.html".into()),
            width: None,
            height: None,
            duration: None,
        };
        MessageFile { media, message_type: kind, bytes: bytes.to_vec(), cached: false }
    }

    #[test]
    fn types_come_from_telegram_then_the_bytes_then_the_kind() {
        assert_eq!(content_type(&file(Some("audio/ogg"), MessageType::Voice, b"x")), "audio/ogg");
        assert_eq!(content_type(&file(None, MessageType::Photo, &[0xFF, 0xD8, 0xFF, 0])), "image/jpeg");
        assert_eq!(content_type(&file(None, MessageType::Sticker, b"RIFF\0\0\0\0WEBPVP8 ")), "image/webp");
        assert_eq!(content_type(&file(Some("text/html; charset=utf-8"), MessageType::Document, b"<script>")), "application/octet-stream");
        assert_eq!(content_type(&file(None, MessageType::Voice, b"????")), "audio/ogg");
    }

    #[test]
    fn html_downloads_and_nothing_is_sniffed() {
        let res = response(&file(Some("text/html"), MessageType::Document, b"<script>alert(1)</script>"));
        let h = res.headers();
        assert_eq!(h.get("content-disposition").unwrap(), "attachment; filename=\"Report Q3<b>.html\"");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert!(h.get("content-security-policy").unwrap().to_str().unwrap().contains("sandbox"));
        let photo = response(&file(Some("image/jpeg"), MessageType::Photo, b"\xFF\xD8\xFF"));
        assert_eq!(photo.headers().get("content-disposition").unwrap(), "inline");
    }
}
