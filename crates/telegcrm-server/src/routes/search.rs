//! Search routes.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use telegcrm_domain::search::SearchFilters;
use telegcrm_domain::service::{ConversationHit, MessageHit};
use telegcrm_domain::{ConversationStatus, Page, Priority, Tag};
use utoipa::IntoParams;

use super::{opt, page, query, time};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Envelope, ok};
use crate::openapi::{AUTH, BAD, Errors, INVALID, Legacy, UNAVAILABLE};

type State = web::Data<AppState>;

/// The query and filters of both searches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Words are ANDed, `"quoted phrases"` match in order, `word*` is a prefix; case and accents are
    /// ignored; every other character is text.
    q: Option<String>,
    /// Alias of `q` (the C# API's name), used when `q` is absent.
    keyword: Option<String>,
    /// Only this contact's conversations.
    #[param(value_type = Option<Uuid>)]
    contact_id: Option<String>,
    /// Only this conversation.
    #[param(value_type = Option<Uuid>)]
    conversation_id: Option<String>,
    /// Sent at or after (RFC 3339); not after `to`.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// Sent before (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// Only conversations with this priority.
    #[param(value_type = Option<Priority>)]
    priority: Option<String>,
    /// Only conversations with this tag (ignoring case).
    #[param(value_type = Option<Tag>)]
    tag: Option<String>,
    /// Only conversations with this status.
    #[param(value_type = Option<ConversationStatus>)]
    status: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, default = 50)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page of this search.
    #[param(schema_with = crate::openapi::offset_cursor)]
    cursor: Option<String>,
}

fn filters(p: &SearchQuery) -> Result<(String, SearchFilters), ApiError> {
    let q = p.q.as_deref().or(p.keyword.as_deref()).unwrap_or("").to_owned();
    let filters = SearchFilters {
        contact_id: opt(p.contact_id.as_deref())?,
        conversation_id: opt(p.conversation_id.as_deref())?,
        from: time("from", p.from.as_deref())?,
        to: time("to", p.to.as_deref())?,
        priority: opt(p.priority.as_deref())?,
        tag: opt(p.tag.as_deref())?,
        status: opt(p.status.as_deref())?,
    };
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && from > to
    {
        return Err(ApiError::BadRequest("from must not be after to".into()));
    }
    Ok((q, filters))
}

/// A search: bad input, or (422) a cursor of another list.
type SearchErrors = Errors<{ BAD | AUTH | INVALID | UNAVAILABLE }>;

/// GET /conversations/search
#[utoipa::path(get, path = "/api/telegram-crm/conversations/search", operation_id = "searchConversations", tag = "search",
    summary = "Conversations whose messages match, best first, each with its best matches",
    params(SearchQuery, Legacy),
    responses((status = 200, description = "a page of conversation hits", body = Envelope<Page<ConversationHit>>), SearchErrors))]
pub async fn conversations(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p: SearchQuery = query(&req)?;
    let (q, filters) = filters(&p)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.search_conversations(caller.workspace(), &q, &filters, &page).await?))
}

/// GET /messages/search
#[utoipa::path(get, path = "/api/telegram-crm/messages/search", operation_id = "searchMessages", tag = "search",
    summary = "Messages that match, best first, with a highlighted snippet",
    params(SearchQuery, Legacy),
    responses((status = 200, description = "a page of message hits", body = Envelope<Page<MessageHit>>), SearchErrors))]
pub async fn messages(state: State, caller: Caller, req: HttpRequest) -> ApiResult {
    let p: SearchQuery = query(&req)?;
    let (q, filters) = filters(&p)?;
    let page = page(p.limit.as_deref(), p.cursor.as_deref())?;
    Ok(ok(state.service.search_messages(caller.workspace(), &q, &filters, &page).await?))
}
