//! `/events`: server-sent events for live updates.
//!
//! Works across instances on one database without change streams: every connected page polls
//! the store cheaply (one indexed read of the owner's newest conversation, and for an open
//! conversation its newest message) each interval, and sends an event when the fingerprint
//! changes. The browser then re-fetches the list or the messages fragment.

use std::time::Instant;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use telegcrm_domain::ports::ConversationFilter;
use telegcrm_domain::{ConversationId, Limit, PageRequest};

use crate::web::{Dash, Fields, PageError, secure, signed_in};

/// Send a comment this often so dead connections are noticed.
const PING_EVERY: u32 = 15;

async fn fingerprint(dash: &Dash, owner: telegcrm_domain::AvatarId, conv: Option<ConversationId>) -> (String, String) {
    let one = PageRequest { limit: Limit::new(1).unwrap_or_default(), cursor: None };
    let inbox = match dash.service.list_conversations(owner, &ConversationFilter::default(), &one).await {
        Ok(p) => p
            .items
            .first()
            .map(|c| format!("{}:{}:{}:{}", c.id, c.message_count, c.unread_count, c.last_message_at.timestamp_micros()))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let messages = match conv {
        Some(id) => match dash.service.messages(owner, id, &one).await {
            Ok(p) => p
                .items
                .first()
                .map(|m| {
                    format!("{}:{:?}:{:?}", m.id, m.edited_at.map(|t| t.timestamp_micros()), m.deleted_at.map(|t| t.timestamp_micros()))
                })
                .unwrap_or_default(),
            Err(_) => String::new(),
        },
        None => String::new(),
    };
    (inbox, messages)
}

/// GET /events[?conversation=id]: `event: inbox` when the newest conversation changes,
/// `event: messages` when the open conversation's newest message changes.
pub async fn stream(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let q = Fields::parse(req.query_string().as_bytes());
    let conv = q.get("conversation").and_then(|c| c.parse::<ConversationId>().ok());
    let owner = ctx.workspace();
    let session_id = ctx.session.id.clone();
    let start = fingerprint(&dash, owner, conv).await;
    let every = dash.live_interval;
    let state = (dash, start, 0u32, true);
    let body = futures::stream::unfold(state, move |(dash, last, ticks, first)| {
        let session_id = session_id.clone();
        async move {
            if first {
                return Some((Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 2000\n: connected\n\n")), (dash, last, ticks, false)));
            }
            let mut ticks = ticks;
            loop {
                tokio::time::sleep(every).await;
                dash.sessions.get(&session_id, Instant::now())?;
                ticks += 1;
                let now = fingerprint(&dash, owner, conv).await;
                let mut out = String::new();
                if now.0 != last.0 {
                    out.push_str("event: inbox\ndata: changed\n\n");
                }
                if now.1 != last.1 {
                    out.push_str("event: messages\ndata: changed\n\n");
                }
                if out.is_empty() && ticks % PING_EVERY == 0 {
                    out.push_str(": ping\n\n");
                }
                if !out.is_empty() {
                    return Some((Ok(Bytes::from(out)), (dash, now, ticks, false)));
                }
            }
        }
    });
    Ok(secure(
        HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header(("X-Accel-Buffering", "no"))
            // Never compressed: a compressor would hold small events back until its buffer fills.
            .insert_header(("Content-Encoding", "identity"))
            .streaming(body),
    ))
}
