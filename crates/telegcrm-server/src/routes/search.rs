//! Search routes.

use actix_web::{HttpRequest, web};
use telegcrm_domain::search::SearchFilters;

use super::{Params, opt, page, time};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ok};

type State = web::Data<AppState>;

/// `q` (alias `keyword`, the C# API's name) and the filters.
fn query(p: &Params) -> Result<(String, SearchFilters), ApiError> {
    let q = p.get("q").or(p.get("keyword")).unwrap_or("").to_owned();
    let filters = SearchFilters {
        contact_id: opt(p.get("contactId"))?,
        conversation_id: opt(p.get("conversationId"))?,
        from: time("from", p.get("from"))?,
        to: time("to", p.get("to"))?,
        priority: opt(p.get("priority"))?,
        tag: opt(p.get("tag"))?,
        status: opt(p.get("status"))?,
    };
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && from > to
    {
        return Err(ApiError::BadRequest("from must not be after to".into()));
    }
    Ok((q, filters))
}

/// GET /conversations/search
pub async fn conversations(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let (q, filters) = query(&p)?;
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.search_conversations(caller.0, &q, &filters, &page).await?))
}

/// GET /messages/search
pub async fn messages(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p = Params::from_query(req.query_string())?;
    let (q, filters) = query(&p)?;
    let page = page(p.get("limit"), p.get("cursor"))?;
    Ok(ok(state.service.search_messages(caller.0, &q, &filters, &page).await?))
}
