//! `/inbox`: conversations newest first, filters, more by cursor.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use telegcrm_domain::ports::{Assignee, ConversationFilter};
use telegcrm_domain::{Action, ConversationStatus, Cursor, Limit, PageRequest, Tag};

use super::team::{MemberOpt, Roster};
use super::view::{ConvItem, Opt, enc, opt_parse, opts, priorities};
use crate::web::{Ctx, Dash, Fields, Layout, PageError, render, signed_in};

const PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    tag: String,
    unread: bool,
    /// The "Assigned" filter's options, when the workspace is a team: value, label, chosen.
    assignees: Vec<MemberOpt>,
    items: Vec<ConvItem>,
    more: Option<(String, String)>,
    /// Whether the role may archive (a viewer reads only).
    can_work: bool,
    csrf: String,
    back: String,
}

#[derive(Template)]
#[template(path = "inbox_items.html")]
struct InboxItems {
    items: Vec<ConvItem>,
    more: Option<(String, String)>,
    /// Whether the role may archive (a viewer reads only).
    can_work: bool,
    csrf: String,
    back: String,
}

struct Loaded {
    assignees: Vec<MemberOpt>,
    items: Vec<ConvItem>,
    more: Option<(String, String)>,
    status: String,
    priority: String,
    tag: String,
    unread: bool,
    back: String,
}

async fn load(dash: &Dash, ctx: &Ctx, req: &HttpRequest) -> Result<Loaded, PageError> {
    let q = Fields::parse(req.query_string().as_bytes());
    let filter = ConversationFilter {
        status: opt_parse::<ConversationStatus>(q.get("status"))?,
        priority: opt_parse(q.get("priority"))?,
        tag: opt_parse::<Tag>(q.get("tag"))?,
        unread_only: q.get("unread").is_some(),
        contact_id: None,
        assignee: q.get("assignee").map(|a| Assignee::parse(a, ctx.session.avatar)).transpose().map_err(|e| ctx.err(e.into()))?,
    };
    let cursor =
        q.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("inbox")), e.to_string()))?;
    let page = PageRequest { limit: Limit::new(PAGE).unwrap_or_default(), cursor };
    let found = dash.service.list_conversations(ctx.workspace(), &filter, &page).await.map_err(|e| ctx.err(e))?;
    let now = dash.service.now();
    let mut params = String::new();
    let filters = [
        ("status", q.get("status")),
        ("priority", q.get("priority")),
        ("tag", q.get("tag")),
        ("unread", q.get("unread")),
        ("assignee", q.get("assignee")),
    ];
    for (k, v) in filters {
        if let Some(v) = v {
            params.push_str(&format!("{k}={}&", enc(v)));
        }
    }
    let more = found.next_cursor.map(|c| {
        let qs = format!("{params}cursor={}", c.encode());
        (format!("/inbox?{qs}"), format!("/inbox/items?{qs}"))
    });
    let back = if req.query_string().is_empty() { "/inbox".to_owned() } else { format!("/inbox?{}", req.query_string()) };
    let roster = Roster::of(ctx);
    let assignees = if roster.is_team() { assignee_options(&roster, q.get("assignee").unwrap_or("")) } else { Vec::new() };
    Ok(Loaded {
        assignees,
        items: found.items.iter().map(|c| ConvItem::new(c, now).with_assignee(c, &roster)).collect(),
        more,
        status: q.get("status").unwrap_or("").to_owned(),
        priority: q.get("priority").unwrap_or("").to_owned(),
        tag: q.get("tag").unwrap_or("").to_owned(),
        unread: filter.unread_only,
        back,
    })
}

/// The "Assigned" filter: anyone, mine, unassigned, then each member who may work.
fn assignee_options(roster: &Roster, chosen: &str) -> Vec<MemberOpt> {
    let fixed = [("", "Anyone"), ("me", "Mine"), ("none", "Unassigned")].into_iter().map(|(value, label)| MemberOpt {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == chosen,
    });
    let members = roster.assignable(None).into_iter().map(|mut o| {
        o.selected = o.value == chosen;
        o
    });
    fixed.chain(members).collect()
}

/// GET /inbox
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let l = load(&dash, &ctx, &req).await?;
    render(
        StatusCode::OK,
        &InboxPage {
            layout: ctx.layout("inbox"),
            statuses: opts(ConversationStatus::ALL.iter().map(|s| s.as_str()), &l.status),
            priorities: opts(priorities(), &l.priority),
            tag: l.tag,
            unread: l.unread,
            assignees: l.assignees,
            items: l.items,
            more: l.more,
            can_work: ctx.access.may(Action::Work),
            csrf: ctx.session.csrf.clone(),
            back: l.back,
        },
    )
}

/// GET /inbox/items: the list items only (htmx "More" and live refresh).
pub async fn items(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let l = load(&dash, &ctx, &req).await?;
    let back = l.back.replacen("/inbox/items", "/inbox", 1);
    render(
        StatusCode::OK,
        &InboxItems { items: l.items, more: l.more, can_work: ctx.access.may(Action::Work), csrf: ctx.session.csrf.clone(), back },
    )
}
