//! The Settings page's import: upload a Telegram Desktop export (`POST /settings/import`) and
//! follow its job (`GET /settings/imports/{id}`, the progress panel htmx polls every second).
//! The job itself is `telegcrm-import`'s, the same one `POST /imports` starts.

use crate::form::{discard, text};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures::StreamExt;
use telegcrm_domain::{CrmError, ImportJobId};
use telegcrm_import::job::{ImportJob, JobStatus};
use telegcrm_import::upload::{self, Hints, Spool, Upload, UploadError};

use super::settings;
use crate::web::{Ctx, Dash, PageError, csrf_checked, render, see_other, session, signed_in};

/// What other form fields may hold in all (the CSRF token is 64 characters).
const OTHER_FIELDS: u64 = 4 << 10;

/// What is read and thrown away after an upload is refused for its size, so the browser shows
/// the answer rather than a reset connection.
const DRAIN_AFTER_REFUSAL: u64 = 64 << 20;

/// A job as the progress panel shows it.
#[derive(Debug, Clone)]
pub struct ImportView {
    /// The job's id.
    pub id: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// queued, running, done or failed.
    pub status: &'static str,
    /// Done or failed: the panel stops polling.
    pub finished: bool,
    /// Done.
    pub done: bool,
    /// Bytes of the export read, in percent.
    pub percent: u64,
    /// Messages imported so far.
    pub messages: u64,
    /// Chats imported.
    pub chats: u64,
    /// Messages newly stored.
    pub stored: u64,
    /// Messages already stored.
    pub already_stored: u64,
    /// Contacts.
    pub contacts: u64,
    /// What was skipped and why, as one line (empty when nothing was).
    pub skipped: String,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<&ImportJob> for ImportView {
    fn from(job: &ImportJob) -> Self {
        Self {
            id: job.id.to_string(),
            file_name: job.file_name.clone(),
            status: job.status.as_str(),
            finished: job.status.is_finished(),
            done: job.status == JobStatus::Done,
            percent: job.percent(),
            messages: job.messages,
            chats: job.chats,
            stored: job.stored,
            already_stored: job.already_stored,
            contacts: job.contacts,
            skipped: job.skipped.iter().map(|(why, n)| format!("{n} {why}")).collect::<Vec<_>>().join(", "),
            error: job.error.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct Progress {
    job: ImportView,
}

/// The job to show on the Settings page: the one named by `?import=`, else the latest one.
pub async fn current(dash: &Dash, ctx: &Ctx, asked: Option<&str>) -> Result<Option<ImportView>, PageError> {
    let id = match asked {
        Some(id) => Some(id.parse::<ImportJobId>().map_err(|e| PageError::Invalid(Some(ctx.layout("settings")), e.to_string()))?),
        None => dash.service.recent_import_jobs(ctx.workspace()).await.map_err(|e| ctx.err(e))?.first().copied(),
    };
    let Some(id) = id else { return Ok(None) };
    match ImportJob::load(&dash.service, ctx.workspace(), id).await {
        Ok(job) => Ok(Some(ImportView::from(&job))),
        Err(CrmError::NotFound { .. }) if asked.is_none() => Ok(None),
        Err(e) => Err(ctx.err(e)),
    }
}

/// GET /settings/imports/{id}: the progress panel alone (htmx polls it while the job runs).
pub async fn progress(dash: Dash, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let id: ImportJobId =
        path.parse().map_err(|e: telegcrm_domain::ParseError| PageError::Invalid(Some(ctx.layout("settings")), e.to_string()))?;
    let job = ImportJob::load(&dash.service, ctx.workspace(), id).await.map_err(|e| ctx.err(e))?;
    render(StatusCode::OK, &Progress { job: ImportView::from(&job) })
}

/// Why an upload did not start a job.
enum Refused {
    /// Not signed in, or the CSRF token is missing or wrong.
    Page(PageError),
    /// Shown on the Settings page, with this status.
    Upload(StatusCode, String),
}

impl From<PageError> for Refused {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}

impl From<UploadError> for Refused {
    fn from(e: UploadError) -> Self {
        let status = match e {
            UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Empty | UploadError::NotAnExport(_) | UploadError::BadField(_) => StatusCode::BAD_REQUEST,
            UploadError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::Upload(status, e.to_string())
    }
}

impl From<actix_multipart::MultipartError> for Refused {
    fn from(e: actix_multipart::MultipartError) -> Self {
        Self::Upload(StatusCode::BAD_REQUEST, format!("the form could not be read: {e}"))
    }
}

impl From<crate::form::FormError> for Refused {
    fn from(e: crate::form::FormError) -> Self {
        use crate::form::FormError as F;
        match e {
            F::TooLarge { .. } => Self::Upload(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            F::Bad(_) => Self::Upload(StatusCode::BAD_REQUEST, e.to_string()),
            F::Refused => Self::Page(PageError::Forbidden),
            F::Io(_) => Self::Upload(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

/// The form: the CSRF token (the `_csrf` field, before the file; or the `X-CSRF-Token` header),
/// then the `file` spooled to disk. Nothing is written before the token is checked. An upload
/// over the limit is read to its end (bounded) before the answer, so the browser shows it.
async fn receive(dash: &Dash, req: &HttpRequest, mut form: Multipart) -> Result<(Ctx, Upload), Refused> {
    let mut ctx = match req.headers().contains_key("x-csrf-token") {
        true => Some(csrf_checked(dash, req, None).await?),
        false => None,
    };
    let mut upload = None;
    let mut refused = None;
    let mut budget = OTHER_FIELDS;
    let mut drain = DRAIN_AFTER_REFUSAL;
    let (mut me, mut timezone) = (None, None);
    while let Some(field) = form.next().await {
        let mut field = field?;
        if refused.is_some() {
            if !discard(&mut field, &mut drain).await? {
                break;
            }
            continue;
        }
        match field.name() {
            Some(name @ ("me" | "timezone")) => {
                let name = name.to_owned();
                let value = text(&mut field, &mut budget).await?;
                if name == "me" { me = Some(value) } else { timezone = Some(value) }
            }
            Some("_csrf") if ctx.is_none() => {
                let token = text(&mut field, &mut budget).await?;
                ctx = Some(csrf_checked(dash, req, Some(&token)).await?);
            }
            Some("file") if upload.is_none() => {
                // A file before the token: refused unread, as a forged form would be.
                let Some(ctx) = &ctx else { return Err(PageError::Forbidden.into()) };
                // A role that may not import is refused before a byte is spooled.
                ctx.require(telegcrm_domain::Action::ImportExport)?;
                let name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("upload").to_owned();
                let mut spool = Spool::new(dash.import_limit)?;
                while let Some(chunk) = field.next().await {
                    if let Err(e) = spool.write(&chunk?).await {
                        if !matches!(e, UploadError::TooLarge { .. }) {
                            return Err(e.into());
                        }
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
                    // An empty file input sends an empty part: the same "empty" answer.
                    None => upload = Some(spool.finish(&name).await?),
                }
            }
            _ => {
                if !discard(&mut field, &mut budget).await? {
                    return Err(Refused::Upload(StatusCode::BAD_REQUEST, "the form has more than the export".into()));
                }
            }
        }
    }
    if let Some(e) = refused {
        return Err(e.into());
    }
    let ctx = ctx.ok_or(PageError::Forbidden)?;
    let hints = Hints::parse(me.as_deref(), timezone.as_deref())?;
    match upload {
        Some(upload) => Ok((ctx, upload.with_hints(hints))),
        None => Err(Refused::Upload(StatusCode::BAD_REQUEST, "choose an export to upload first".into())),
    }
}

/// POST /settings/import: starts the job and goes to the Settings page, which shows its progress.
pub async fn upload(dash: Dash, req: HttpRequest, form: Multipart) -> Result<HttpResponse, PageError> {
    match receive(&dash, &req, form).await {
        Ok((ctx, upload)) => {
            let workspace = ctx.require(telegcrm_domain::Action::ImportExport)?;
            let job = upload::start(&dash.service, workspace, upload).await.map_err(|e| ctx.err(e))?;
            Ok(see_other(&format!("/settings?import={}#import", job.id)))
        }
        Err(Refused::Page(e)) => Err(e),
        Err(Refused::Upload(status, message)) => {
            // Only a signed-in user with a good token gets here with an upload error... or one
            // whose form broke before the token; the page needs the session either way.
            let Some(session) = session(&dash, &req) else { return Err(PageError::Forbidden) };
            let ctx = crate::web::context(&dash, &req, session).await?;
            settings::show(&dash, &ctx, settings::Shown { status, import_error: Some(message), ..settings::Shown::default() }).await
        }
    }
}
