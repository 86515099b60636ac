//! Import routes: upload a Telegram Desktop export (`POST /imports`), follow its job.

use actix_multipart::Multipart;
use actix_web::web;
use futures::StreamExt;
use telegcrm_dashboard::form::{discard, text};
use telegcrm_domain::{ImportJobId, Page};
use telegcrm_import::job::ImportJob;
use telegcrm_import::upload::{self, Hints, Spool, Upload, UploadError};
use utoipa::ToSchema;

use super::{PREFIX, id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Envelope, accepted, ok};
use crate::openapi::{AUTH, BAD, Errors, ListErrors, ReadErrors, UNAVAILABLE, UPLOAD};

type State = web::Data<AppState>;

/// What is read and thrown away after an upload is refused for its size, so the client gets the
/// 413 rather than a connection reset in the middle of sending; past it the connection is closed.
const DRAIN_AFTER_REFUSAL: u64 = 64 << 20;

/// What other form fields may hold in all (they are ignored).
const OTHER_FIELDS: u64 = 64 << 10;

/// The upload form.
#[derive(Debug, ToSchema)]
#[schema(as = ImportUpload)]
#[allow(dead_code)] // documents the multipart body; the handler reads it as a stream
pub struct UploadForm {
    /// A zip of the export's folder (`result.json` at its top or in one folder; media files are
    /// ignored), or the `result.json` itself. Recognised by content, not by name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The exporting account's Telegram user id, to tell the owner's messages apart (a full
    /// export says it; a single chat's export does not). Like `--me`.
    #[schema(minimum = 1)]
    me: Option<i64>,
    /// The time zone of the computer that made the export (an IANA name such as Europe/Berlin),
    /// needed only for exports before June 2022. Like `--timezone`.
    timezone: Option<String>,
}

/// The `file` field spooled to disk and recognised; other fields are ignored. An upload over
/// the limit is read to its end (bounded) before the 413, so the client gets the answer rather
/// than a connection reset in the middle of sending.
async fn receive(mut multipart: Multipart, limit: u64) -> Result<Upload, ApiError> {
    let mut upload = None;
    let mut refused = None;
    let mut budget = OTHER_FIELDS;
    let mut drain = DRAIN_AFTER_REFUSAL;
    let (mut me, mut timezone) = (None, None);
    while let Some(field) = multipart.next().await {
        let mut field = field?;
        if refused.is_some() {
            if !discard(&mut field, &mut drain).await? {
                break;
            }
            continue;
        }
        if matches!(field.name(), Some("me" | "timezone")) {
            let value = text(&mut field, &mut budget).await?;
            if field.name() == Some("me") {
                me = Some(value)
            } else {
                timezone = Some(value)
            }
            continue;
        }
        if field.name() != Some("file") || upload.is_some() {
            if !discard(&mut field, &mut budget).await? {
                return Err(ApiError::BadRequest("the form has more than the file: send only a field named file".into()));
            }
            continue;
        }
        let name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("upload").to_owned();
        let mut spool = Spool::new(limit)?;
        while let Some(chunk) = field.next().await {
            if let Err(e) = spool.write(&chunk?).await {
                if !matches!(e, UploadError::TooLarge { .. }) {
                    return Err(e.into());
                }
                // The partial file goes with the spool.
                refused = Some(e);
                break;
            }
        }
        match refused {
            Some(_) => {
                if !discard(&mut field, &mut drain).await? {
                    break;
                }
            }
            None => upload = Some(spool.finish(&name).await?),
        }
    }
    if let Some(e) = refused {
        return Err(e.into());
    }
    let hints = Hints::parse(me.as_deref(), timezone.as_deref())?;
    let upload = upload.ok_or_else(|| ApiError::BadRequest("no file: send the export in a multipart/form-data field named file".into()))?;
    Ok(upload.with_hints(hints))
}

/// POST /imports
#[utoipa::path(post, path = "/api/telegram-crm/imports", operation_id = "createImport", tag = "imports",
    summary = "Upload a Telegram Desktop export; a background job imports it",
    description = "The body is multipart/form-data with the field `file`: a zip of the export's folder or its `result.json`; \
                   optionally `me` and `timezone`, as the command's flags. \
                   The upload is refused past TELEGCRM_IMPORT_MAX_BYTES (413). The answer is the job, queued; follow it at \
                   `GET /imports/{id}` (the `Location` header).",
    params(crate::openapi::Legacy),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 202, description = "the job, queued", body = Envelope<ImportJob>,
            headers(("Location" = String, description = "the job: /api/telegram-crm/imports/{id}"))),
        Errors<{ BAD | AUTH | UPLOAD | UNAVAILABLE }>))]
pub async fn create(state: State, caller: Caller, multipart: Multipart) -> ApiResult {
    // Refused before a byte is spooled.
    let workspace = caller.by().require(telegcrm_domain::Action::ImportExport)?;
    let upload = receive(multipart, state.import_max_bytes).await?;
    let job = upload::start(&state.service, workspace, upload).await?;
    let location = format!("{PREFIX}/imports/{}", job.id);
    Ok(accepted(&job, &location))
}

/// GET /imports
#[utoipa::path(get, path = "/api/telegram-crm/imports", operation_id = "listImports", tag = "imports",
    summary = "The caller's most recent import jobs (at most 20), newest first",
    params(crate::openapi::Legacy),
    responses((status = 200, description = "the jobs, in one page (`nextCursor` is always null)", body = Envelope<Page<ImportJob>>), ListErrors))]
pub async fn list(state: State, caller: Caller) -> ApiResult {
    let items = ImportJob::recent(&state.service, caller.workspace()).await?;
    Ok(ok(Page { items, next_cursor: None }))
}

/// GET /imports/{id}
#[utoipa::path(get, path = "/api/telegram-crm/imports/{id}", operation_id = "getImport", tag = "imports",
    summary = "One import job: its status, progress and, at the end, its counts or its error",
    params(("id" = Uuid, Path, description = "the job"), crate::openapi::Legacy),
    responses((status = 200, description = "the job", body = Envelope<ImportJob>), ReadErrors))]
pub async fn get(state: State, caller: Caller, path: web::Path<String>) -> ApiResult {
    let job_id: ImportJobId = id(&path)?;
    Ok(ok(ImportJob::load(&state.service, caller.workspace(), job_id).await?))
}
