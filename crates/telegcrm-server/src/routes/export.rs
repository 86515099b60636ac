//! The export route: everything of the caller's, streamed (docs/export.md).

use actix_web::{HttpRequest, HttpResponse, web};
use futures::TryStreamExt;
use serde::Deserialize;
use telegcrm_export::{Format, stream};
use utoipa::{IntoParams, ToSchema};

use super::query;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::{Legacy, ListErrors};

type State = web::Data<AppState>;

/// The `format` values (names are read in any case).
#[derive(Debug, ToSchema)]
#[schema(as = ExportFormat)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // documents the parameter; the value is parsed by telegcrm_export::Format
pub enum FormatName {
    /// One JSON record per line after a header; restorable.
    Ndjson,
    /// A JSON array of OASIS holons; restorable.
    Holons,
    /// A spreadsheet of `table`.
    Csv,
}

/// The `table` values of the csv format.
#[derive(Debug, ToSchema)]
#[schema(as = ExportTable)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // documents the parameter; the value is parsed by telegcrm_export::Format
pub enum TableName {
    /// One row per contact.
    Contacts,
    /// One row per conversation.
    Conversations,
}

/// What to export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` (restorable; the default), `holons` (OASIS holons, a JSON array; restorable) or
    /// `csv` (a spreadsheet of `table`).
    #[param(value_type = Option<FormatName>)]
    format: Option<String>,
    /// With `csv` (and only then): `contacts` or `conversations`.
    #[param(value_type = Option<TableName>)]
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
    let workspace = caller.by().require(telegcrm_domain::Action::ImportExport)?;
    let q: ExportQuery = query(&req)?;
    // As every query parameter given empty (docs/api.md): a bad value, not "no table".
    if q.table.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::BadRequest("table: given empty; name contacts or conversations, with format=csv".into()));
    }
    let format = Format::parse(q.format.as_deref().unwrap_or("ndjson"), q.table.as_deref())?;
    // Fail before the first byte when the store is down: afterwards only the connection can say it.
    state.service.ping().await?;
    let body = stream(state.service.clone(), workspace, format).map_ok(web::Bytes::from);
    let mut response = HttpResponse::Ok();
    for header in format.download_headers() {
        response.insert_header(header);
    }
    Ok(response.streaming(body))
}
