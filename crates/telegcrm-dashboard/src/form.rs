//! A multipart/form-data upload of one file to send to a chat, read the same way by the API
//! (`POST /conversations/{id}/files`) and the dashboard: small text fields as they come (the
//! caller checks each, a CSRF token before anything is written), and the file spooled to a
//! private temporary directory under its own name, cleaned (Telegram shows the name), refused
//! past a limit. A refused upload is read to its end, bounded, so the client gets the answer
//! rather than a connection reset halfway through sending.

use std::collections::HashMap;
use std::path::PathBuf;

use actix_multipart::{Field, Multipart};
use futures::StreamExt;
use thiserror::Error;
use tokio::io::AsyncWriteExt;

/// All the text fields together may hold this much.
const TEXT_BUDGET: u64 = 16 << 10;
/// How much of a refused upload is still read (and thrown away) before the answer.
const DRAIN_AFTER_REFUSAL: u64 = 64 << 20;

/// The file of the form, on disk until dropped.
#[derive(Debug)]
pub struct FormFile {
    /// Where it is, under its cleaned name.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    _dir: tempfile::TempDir,
}

/// What the form held.
#[derive(Debug, Default)]
pub struct UploadForm {
    /// The text fields, by name (the last one of a name wins).
    pub texts: HashMap<String, String>,
    /// The file, if one was sent (an empty file input sends an empty part: a file of 0 bytes).
    pub file: Option<FormFile>,
}

/// Why the form was refused.
#[derive(Debug, Error)]
pub enum FormError {
    /// The file is over the limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The body is not a form this reader takes.
    #[error("the form could not be read: {0}")]
    Bad(String),
    /// A text field the caller refused (a wrong CSRF token), or a file before it.
    #[error("the form was refused")]
    Refused,
    /// The disk failed.
    #[error("the upload could not be kept: {0}")]
    Io(#[from] std::io::Error),
}

impl From<actix_multipart::MultipartError> for FormError {
    fn from(e: actix_multipart::MultipartError) -> Self {
        Self::Bad(e.to_string())
    }
}

/// A file name Telegram may show: letters, digits, spaces and `._-()`, at most 120 characters;
/// `file` when nothing is left.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| c.is_alphanumeric() || " ._-()".contains(*c)).take(120).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "file".to_owned() } else { cleaned }
}

/// Reads `form`: the field `file_field` as the file (at most `limit` bytes), any other field as
/// text given to `on_text` as it arrives. When `before_file` names a field, the file is refused
/// unread unless that field came first.
pub async fn read(
    mut form: Multipart,
    file_field: &str,
    limit: u64,
    before_file: Option<&str>,
    mut on_text: impl FnMut(&str, &str) -> Result<(), FormError>,
) -> Result<UploadForm, FormError> {
    let mut out = UploadForm::default();
    let mut budget = TEXT_BUDGET;
    let mut refused = None;
    let mut drain = DRAIN_AFTER_REFUSAL;
    while let Some(field) = form.next().await {
        let mut field = field?;
        if refused.is_some() {
            if !discard(&mut field, &mut drain).await? {
                break;
            }
            continue;
        }
        let name = field.name().unwrap_or("").to_owned();
        if name != file_field {
            let value = text(&mut field, &mut budget).await?;
            on_text(&name, &value)?;
            out.texts.insert(name, value);
            continue;
        }
        if out.file.is_some() {
            return Err(FormError::Bad(format!("send one {file_field}")));
        }
        if before_file.is_some_and(|f| !out.texts.contains_key(f)) {
            return Err(FormError::Refused);
        }
        let file_name = clean_name(field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("file"));
        let dir = tempfile::Builder::new().prefix("telegcrm-upload-").tempdir()?;
        let path = dir.path().join(&file_name);
        let mut file = tokio::fs::File::create(&path).await?;
        let mut size = 0u64;
        while let Some(chunk) = field.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > limit {
                refused = Some(FormError::TooLarge { limit });
                break;
            }
            file.write_all(&chunk).await?;
        }
        if refused.is_some() {
            if !discard(&mut field, &mut drain).await? {
                break;
            }
            continue;
        }
        file.flush().await?;
        out.file = Some(FormFile { path, size, _dir: dir });
    }
    match refused {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Reads a field to its end, throwing its bytes away; `false` when it holds more than `budget`.
pub async fn discard(field: &mut Field, budget: &mut u64) -> Result<bool, FormError> {
    while let Some(chunk) = field.next().await {
        let n = chunk?.len() as u64;
        if n > *budget {
            return Ok(false);
        }
        *budget -= n;
    }
    Ok(true)
}

/// A small field's text, within what is left of `budget`.
pub async fn text(field: &mut Field, budget: &mut u64) -> Result<String, FormError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if chunk.len() as u64 > *budget {
            return Err(FormError::Bad("the text fields are too long".into()));
        }
        *budget -= chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
    String::from_utf8(out).map_err(|_| FormError::Bad("a text field is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_keep_letters_and_lose_paths_and_markup() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\\\Users\\\\Zoë\\\\Angebot (final).pdf"), "Angebot (final).pdf");
        assert_eq!(clean_name("<script>.html"), "script.html");
        assert_eq!(clean_name("..."), "file");
        assert_eq!(clean_name(".htaccess"), "htaccess");
    }
}
