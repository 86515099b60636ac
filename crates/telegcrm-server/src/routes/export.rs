//! The export route: everything of the caller's, streamed (docs/export.md).

use actix_web::{HttpRequest, HttpResponse, web};
use futures::TryStreamExt;
use serde::Deserialize;
use telegcrm_export::{Format, stream};
use utoipa::IntoParams;

use super::query;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::{Legacy, ListErrors};

type State = web::Data<AppState>;

/// What to export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` (restorable; the default), `holons` (OASIS holons, a JSON array; restorable) or
    /// `csv` (a spreadsheet of `table`).
    #[param(value_type = Option<String>, pattern = "^(?i)(ndjson|holons|csv)$")]
    format: Option<String>,
    /// With `csv`: `contacts` or `conversations`.
    #[param(value_type = Option<String>, pattern = "^(?i)(contacts|conversations)$")]
    table: Option<String>,
}

/// GET /export
#[utoipa::path(get, path = "/api/telegram-crm/export", operation_id = "exportData", tag = "export",
    summary = "Every conversation, message, contact and follow-up of the caller, streamed as a download",
    params(ExportQuery, Legacy),
    responses(
        (status = 200, description = "the export: NDJSON, a JSON array of holons, or CSV", content(
            (String = "application/x-ndjson"),
            (Vec<Object> = "application/json"),
            (String = "text/csv"),
        )),
        ListErrors))]
pub async fn get(state: State, caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q: ExportQuery = query(&req)?;
    let format = Format::parse(q.format.as_deref().unwrap_or("ndjson"), q.table.as_deref())?;
    // Fail before the first byte when the store is down: afterwards only the connection can say it.
    state.service.ping().await?;
    let body = stream(state.service.clone(), caller.0, format).map_ok(web::Bytes::from);
    let mut response = HttpResponse::Ok();
    for header in format.download_headers() {
        response.insert_header(header);
    }
    Ok(response.streaming(body))
}
