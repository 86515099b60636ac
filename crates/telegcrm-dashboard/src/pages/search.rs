//! `/search`: the query language, filters, highlighted snippets.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use telegcrm_domain::ports::ContactFilter;
use telegcrm_domain::search::SearchFilters;
use telegcrm_domain::{ConversationStatus, Cursor, Limit, PageRequest};

use super::view::{Opt, Part, When, conversation_title, enc, opt_parse, opts, parse_date, priorities, snippet_parts, when};
use crate::web::{Dash, Fields, Layout, PageError, render, signed_in};

/// A contact choice in the filter.
#[derive(Debug)]
struct ContactOpt {
    id: String,
    name: String,
    selected: bool,
}

/// One hit.
#[derive(Debug)]
struct Hit {
    href: String,
    title: String,
    parts: Vec<Part>,
    when: When,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    contacts: Vec<ContactOpt>,
    from: String,
    to: String,
    priorities: Vec<Opt>,
    statuses: Vec<Opt>,
    tag: String,
    searched: bool,
    results: Vec<Hit>,
    more: Option<String>,
}

/// GET /search?q=&contact=&from=&to=&priority=&tag=&status=
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let p = Fields::parse(req.query_string().as_bytes());
    let bad = |m: String| PageError::Invalid(Some(ctx.layout("search")), m);
    let q = p.get("q").unwrap_or("").to_owned();
    let filters = SearchFilters {
        contact_id: opt_parse(p.get("contact"))?,
        conversation_id: None,
        from: p.get("from").map(|d| parse_date("From", d)).transpose().map_err(bad)?,
        to: p.get("to").map(|d| parse_date("To", d).map(|t| t + chrono::Duration::days(1))).transpose().map_err(bad)?,
        priority: opt_parse(p.get("priority"))?,
        tag: opt_parse(p.get("tag"))?,
        status: opt_parse::<ConversationStatus>(p.get("status"))?,
    };
    let contact = p.get("contact").unwrap_or("").to_owned();
    let people = dash
        .service
        .list_contacts(
            ctx.workspace(),
            &ContactFilter::default(),
            &PageRequest { limit: Limit::new(200).unwrap_or_default(), cursor: None },
        )
        .await
        .map_err(|e| ctx.err(e))?;
    let contacts = people
        .items
        .iter()
        .map(|c| ContactOpt { id: c.id.to_string(), name: c.display_name(), selected: c.id.to_string() == contact })
        .collect();
    let searched = !q.is_empty() || filters != SearchFilters::default();
    let mut results = Vec::new();
    let mut more = None;
    if searched {
        let cursor =
            p.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("search")), e.to_string()))?;
        let page = PageRequest { limit: Limit::new(20).unwrap_or_default(), cursor };
        let found = dash.service.search_conversations(ctx.workspace(), &q, &filters, &page).await.map_err(|e| ctx.err(e))?;
        let now = dash.service.now();
        for hit in &found.items {
            let title = conversation_title(&hit.conversation);
            for h in &hit.hits {
                results.push(Hit {
                    href: format!("/conversations/{}?m={}#m-{}", hit.conversation.id, h.message_id, h.message_id),
                    title: title.clone(),
                    parts: snippet_parts(&h.snippet),
                    when: when(h.sent_at, now),
                });
            }
        }
        more = found.next_cursor.map(|c| {
            let base: String = req.query_string().split('&').filter(|kv| !kv.starts_with("cursor=")).collect::<Vec<_>>().join("&");
            format!("/search?{base}&cursor={}", enc(&c.encode()))
        });
    }
    render(
        StatusCode::OK,
        &SearchPage {
            layout: ctx.layout("search"),
            q,
            contacts,
            from: p.get("from").unwrap_or("").to_owned(),
            to: p.get("to").unwrap_or("").to_owned(),
            priorities: opts(priorities(), p.get("priority").unwrap_or("")),
            statuses: opts(ConversationStatus::ALL.iter().map(|s| s.as_str()), p.get("status").unwrap_or("")),
            tag: p.get("tag").unwrap_or("").to_owned(),
            searched,
            results,
            more,
        },
    )
}
