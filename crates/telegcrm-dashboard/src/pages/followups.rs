//! `/follow-ups`: pending (overdue highlighted), completed, all; complete, snooze, edit, cancel.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use telegcrm_domain::service::FollowUpUpdate;
use telegcrm_domain::{Cursor, FollowUpId, FollowUpView, Limit, PageRequest, SnoozePreset};

use super::view::{FollowView, parse_time};
use crate::web::{Ctx, Dash, Fields, Layout, PageError, back, posted, render, see_other, signed_in};

#[derive(Template)]
#[template(path = "followups.html")]
struct FollowUpsPage {
    layout: Layout,
    tab: &'static str,
    items: Vec<FollowView>,
    more: Option<String>,
    csrf: String,
    back: String,
}

/// GET /follow-ups?view=pending|completed|all
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let q = Fields::parse(req.query_string().as_bytes());
    let (tab, view) = match q.get("view") {
        Some("completed") => ("completed", FollowUpView::Completed),
        Some("all") => ("all", FollowUpView::All),
        _ => ("pending", FollowUpView::Pending),
    };
    let cursor =
        q.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("follow-ups")), e.to_string()))?;
    let page = PageRequest { limit: Limit::new(100).unwrap_or_default(), cursor };
    let found = dash.service.list_followups(ctx.workspace(), view, None, &page).await.map_err(|e| ctx.err(e))?;
    let now = dash.service.now();
    let back = if req.query_string().is_empty() { "/follow-ups".to_owned() } else { format!("/follow-ups?{}", req.query_string()) };
    render(
        StatusCode::OK,
        &FollowUpsPage {
            layout: ctx.layout("follow-ups"),
            tab,
            items: found.items.iter().map(|f| FollowView::new(f, now)).collect(),
            more: found.next_cursor.map(|c| format!("/follow-ups?view={tab}&cursor={}", c.encode())),
            csrf: ctx.session.csrf.clone(),
            back,
        },
    )
}

fn fid(ctx: &Ctx, raw: &str) -> Result<FollowUpId, PageError> {
    raw.parse().map_err(|_| PageError::NotFound(Some(ctx.layout(""))))
}

/// When a snooze choice of the form ends: `hour`, `tomorrow`, `week` (the domain's
/// [`SnoozePreset`]s) or `at` (the chosen time). The service applies the snooze.
pub fn snooze_until(choice: &str, at: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let preset = match choice {
        "hour" => SnoozePreset::InAnHour,
        "tomorrow" => SnoozePreset::Tomorrow,
        "week" => SnoozePreset::NextWeek,
        "at" => return parse_time("Snooze until", at),
        other => return Err(format!("unknown snooze choice {other:?}: use hour, tomorrow, week or at")),
    };
    Ok(preset.until(now))
}

async fn act<F, Fut>(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes, op: F) -> Result<HttpResponse, PageError>
where
    F: FnOnce(Dash, Ctx, FollowUpId, Fields) -> Fut,
    Fut: std::future::Future<Output = Result<(), PageError>>,
{
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = fid(&ctx, &path)?;
    let to = back(&f, "/follow-ups");
    op(dash, ctx, id, f).await?;
    Ok(see_other(&to))
}

/// POST /follow-ups/{id}/complete
pub async fn complete(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    act(dash, req, path, body, |dash, ctx, id, _| async move {
        dash.service.complete_followup(ctx.by(), id).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /follow-ups/{id}/snooze: `choice` and, for `at`, `until`.
pub async fn snooze(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    act(dash, req, path, body, |dash, ctx, id, f| async move {
        let until = snooze_until(f.get("choice").unwrap_or("hour"), f.raw("until"), dash.service.now())
            .map_err(|m| PageError::Invalid(Some(ctx.layout("")), m))?;
        dash.service.snooze_followup(ctx.by(), id, until).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /follow-ups/{id}/edit: title, due.
pub async fn edit(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    act(dash, req, path, body, |dash, ctx, id, f| async move {
        let due = match f.get("due") {
            Some(d) => Some(parse_time("Due", d).map_err(|m| PageError::Invalid(Some(ctx.layout("")), m))?),
            None => None,
        };
        let update = FollowUpUpdate { title: f.get("title").map(str::to_owned), due_at: due, ..Default::default() };
        dash.service.update_followup(ctx.by(), id, update).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /follow-ups/{id}/cancel
pub async fn cancel(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    act(dash, req, path, body, |dash, ctx, id, _| async move {
        dash.service.cancel_followup(ctx.by(), id).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snooze_choices_land_where_the_labels_say() {
        // Wednesday 2026-03-04 15:30 UTC.
        let now = DateTime::parse_from_rfc3339("2026-03-04T15:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(snooze_until("hour", "", now).unwrap().to_rfc3339(), "2026-03-04T16:30:00+00:00");
        assert_eq!(snooze_until("tomorrow", "", now).unwrap().to_rfc3339(), "2026-03-05T09:00:00+00:00");
        assert_eq!(snooze_until("week", "", now).unwrap().to_rfc3339(), "2026-03-09T09:00:00+00:00");
        assert_eq!(snooze_until("at", "2026-04-01T08:15", now).unwrap().to_rfc3339(), "2026-04-01T08:15:00+00:00");
        assert!(snooze_until("at", "soon", now).is_err());
        assert!(snooze_until("never", "", now).is_err());
    }
}
