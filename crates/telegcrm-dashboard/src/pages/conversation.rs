//! `/conversations/{id}`: the timeline, the reply box, triage and follow-ups.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use telegcrm_domain::ports::Assignee;
use telegcrm_domain::service::NewFollowUp;
use telegcrm_domain::{
    Action, ConversationId, ConversationStatus, CrmError, Cursor, FollowUpView, Limit, Message, MessageId, Note, PageRequest, Priority, Tag,
};

use super::team::{MemberOpt, Roster};
use super::view::{ActivityView, ConvItem, FollowView, MsgView, NoteView, Opt, opts, parse_time, place_notes, priorities};
use crate::web::{Ctx, Dash, Fields, Layout, PageError, back, posted, render, see_other, signed_in};

const PAGE: u32 = 50;
/// How far back a link to one message (`?m=`) looks for it.
const FIND_PAGES: usize = 20;

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    layout: Layout,
    c: ConvItem,
    summary: String,
    business: bool,
    /// Why sending here cannot work (the bot removed or blocked, the group moved), in words.
    cannot_send: Option<String>,
    /// The supergroup's conversation this group became.
    moved_to: Option<String>,
    /// The group's conversation this supergroup was, with the earlier history.
    moved_from: Option<String>,
    c_id: String,
    older: Option<String>,
    messages: Vec<MsgView>,
    /// Internal notes newer than every loaded message.
    notes_tail: Vec<NoteView>,
    notice: Option<String>,
    draft: String,
    /// The message the reply answers: its Telegram id and its start.
    reply_to: Option<(i64, String)>,
    /// The message being edited: its Telegram id (the draft holds its text).
    editing: Option<i64>,
    /// The forum topics the loaded messages are in: id, name, whether it is the one shown.
    topics: Vec<(i64, String, bool)>,
    /// The topic shown alone, if any.
    topic: Option<i64>,
    followups: Vec<FollowView>,
    /// Who answers the conversation, when the workspace is a team.
    assignment: Option<AssignView>,
    /// The workspace's canned replies, filled for this conversation and the reader.
    canned: Vec<CannedView>,
    /// The newest changes people made to the conversation.
    activity: Vec<ActivityView>,
    /// Whether the role may answer and change things here (a viewer reads only).
    can_work: bool,
    priorities: Vec<Opt>,
    statuses: Vec<Opt>,
    csrf: String,
    back: String,
    /// The new follow-up's proposed due time (`datetime-local`, UTC): tomorrow 09:00.
    due_default: String,
}

/// A canned reply offered in the reply box.
struct CannedView {
    id: String,
    shortcut: String,
    text: String,
}

/// The conversation's assignee and what the role may do about it.
struct AssignView {
    /// "you", the member's name, or "nobody".
    current: String,
    /// The owner and admins: a select of every member who may work.
    options: Option<Vec<MemberOpt>>,
    /// An agent, and nobody has it: "Take".
    can_take: bool,
    /// An agent, and it is the agent's: "Let go".
    mine: bool,
}

impl AssignView {
    fn new(ctx: &Ctx, roster: &Roster, conv: &telegcrm_domain::Conversation) -> Option<Self> {
        if !roster.is_team() {
            return None;
        }
        let current = conv.assignee_avatar_id;
        let me = ctx.session.avatar;
        let others = ctx.access.may(Action::AssignOthers);
        let own = ctx.access.may(Action::AssignSelf);
        Some(Self {
            current: current.map_or_else(|| "nobody".to_owned(), |a| roster.name_of(a)),
            options: others.then(|| roster.assignable(current)),
            can_take: own && !others && current.is_none(),
            mine: own && !others && current == Some(me),
        })
    }
}

#[derive(Template)]
#[template(path = "messages_items.html")]
struct MessagesItems {
    c_id: String,
    older: Option<String>,
    messages: Vec<MsgView>,
    notes_tail: Vec<NoteView>,
    can_work: bool,
    csrf: String,
}

/// What the reply box shows: a notice, the text typed, and whether it answers or edits a message.
#[derive(Debug, Default)]
struct Compose {
    notice: Option<String>,
    draft: String,
    reply_to: Option<i64>,
    edit: Option<i64>,
}

fn conv_id(ctx: &Ctx, raw: &str) -> Result<ConversationId, PageError> {
    raw.parse().map_err(|_| PageError::NotFound(Some(ctx.layout(""))))
}

fn page_req(ctx: &Ctx, before: Option<&str>, limit: u32) -> Result<PageRequest, PageError> {
    let cursor = before.map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("")), e.to_string()))?;
    Ok(PageRequest { limit: Limit::new(limit).unwrap_or_default(), cursor })
}

/// Messages oldest first, with the cursor for older ones.
async fn timeline(
    dash: &Dash,
    ctx: &Ctx,
    id: ConversationId,
    before: Option<&str>,
    find: Option<MessageId>,
    topic: Option<i64>,
) -> Result<(Vec<Message>, Option<String>), PageError> {
    let mut page = page_req(ctx, before, PAGE)?;
    let mut all = Vec::new();
    let mut next;
    let mut rounds = 0;
    loop {
        let got = match topic {
            Some(t) => dash.service.topic_messages(ctx.workspace(), id, t, &page).await,
            None => dash.service.messages(ctx.workspace(), id, &page).await,
        }
        .map_err(|e| ctx.err(e))?;
        all.extend(got.items);
        next = got.next_cursor;
        rounds += 1;
        let found = find.is_none_or(|m| all.iter().any(|x| x.id == m));
        match next {
            Some(c) if !found && rounds < FIND_PAGES => page = PageRequest { limit: Limit::new(200).unwrap_or_default(), cursor: Some(c) },
            _ => break,
        }
    }
    all.reverse();
    Ok((all, next.map(|c| c.encode())))
}

async fn views(dash: &Dash, messages: &[Message], conv: &telegcrm_domain::Conversation) -> Vec<MsgView> {
    let now = dash.service.now();
    let business = conv.business_connection_id.is_some();
    // The connection's rights decide which actions are offered; unknown, they are all offered
    // and Telegram judges (as the service does).
    let connection = match conv.business_connection_id.as_deref() {
        Some(c) => dash.service.business_connection(c).await.ok().flatten(),
        None => None,
    };
    let by_tg: HashMap<i64, String> = messages.iter().map(|m| (m.telegram_message_id, m.preview())).collect();
    let mut views: Vec<MsgView> =
        messages.iter().map(|m| MsgView::new(m, conv.chat_type, business, connection.as_ref(), now, |r| by_tg.get(&r).cloned())).collect();
    super::view::join_albums(&mut views);
    super::view::name_topics(&mut views, messages);
    views
}

/// How many activity entries a conversation's page shows (the Activity page has them all).
const ACTIVITY_SHOWN: u32 = 20;

/// How many pages of notes the timeline reads at most for one page of messages.
const NOTE_PAGES: usize = 10;

/// The conversation's notes written in `[from, until)` (unbounded where `None`), oldest first.
async fn notes_between(
    dash: &Dash,
    ctx: &Ctx,
    id: ConversationId,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Note>, PageError> {
    let mut found = Vec::new();
    let mut page = PageRequest { limit: Limit::new(Limit::MAX).unwrap_or_default(), cursor: None };
    for _ in 0..NOTE_PAGES {
        let got = dash.service.notes(ctx.by(), id, &page).await.map_err(|e| ctx.err(e))?;
        let past = got.items.last().is_some_and(|n| from.is_some_and(|f| n.created_at < f));
        found.extend(got.items.into_iter().filter(|n| from.is_none_or(|f| n.created_at >= f) && until.is_none_or(|u| n.created_at < u)));
        match got.next_cursor {
            Some(c) if !past => page.cursor = Some(c),
            _ => break,
        }
    }
    found.reverse();
    Ok(found)
}

/// The messages as views with the internal notes between them: those written since the oldest
/// loaded message (all older ones too when there is nothing older to load) and before `until`
/// (the newer page's oldest message, for an "Older messages" fragment). A single topic's view
/// shows no notes: they belong to the whole conversation.
#[allow(clippy::too_many_arguments)]
async fn with_notes(
    dash: &Dash,
    ctx: &Ctx,
    roster: &Roster,
    conv: &telegcrm_domain::Conversation,
    messages: &[Message],
    more_older: bool,
    until: Option<DateTime<Utc>>,
    topic: Option<i64>,
) -> Result<(Vec<MsgView>, Vec<NoteView>), PageError> {
    let mut shown = views(dash, messages, conv).await;
    if topic.is_some() {
        return Ok((shown, Vec::new()));
    }
    let from = if more_older { messages.first().map(|m| m.sent_at) } else { None };
    let now = dash.service.now();
    let notes = notes_between(dash, ctx, conv.id, from, until).await?;
    let notes = notes.iter().map(|n| (n.created_at, NoteView::new(n, roster, ctx.session.avatar, now))).collect();
    let sent: Vec<DateTime<Utc>> = messages.iter().map(|m| m.sent_at).collect();
    let tail = place_notes(&mut shown, &sent, notes);
    Ok((shown, tail))
}

/// Where a `before` cursor points: the oldest message of the newer page.
fn cursor_time(before: Option<&str>) -> Option<DateTime<Utc>> {
    before.and_then(|b| Cursor::decode(b).ok()).and_then(|c| c.after()).map(|(at, _)| at)
}

/// A timeline fragment: `before` a cursor ("Older messages"), or the newest (live refresh).
async fn fragment(dash: &Dash, ctx: &Ctx, id: ConversationId, before: Option<&str>, topic: Option<i64>) -> Result<HttpResponse, PageError> {
    let conv = dash.service.conversation(ctx.workspace(), id).await.map_err(|e| ctx.err(e))?;
    let (messages, older) = timeline(dash, ctx, id, before, None, topic).await?;
    let until = cursor_time(before);
    let roster = Roster::of(ctx);
    let (messages, notes_tail) = with_notes(dash, ctx, &roster, &conv, &messages, older.is_some(), until, topic).await?;
    let csrf = ctx.session.csrf.clone();
    let can_work = ctx.access.may(Action::Work);
    render(StatusCode::OK, &MessagesItems { c_id: id.to_string(), older, messages, notes_tail, can_work, csrf })
}

async fn show(
    dash: &Dash,
    ctx: &Ctx,
    req: &HttpRequest,
    id: ConversationId,
    compose: Compose,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let q = Fields::parse(req.query_string().as_bytes());
    let Compose { notice, mut draft, reply_to, edit } = compose;
    let canned = if ctx.access.may(Action::Work) {
        dash.service.filled_canned_replies(ctx.by(), id).await.map_err(|e| ctx.err(e))?
    } else {
        Vec::new()
    };
    // Without JavaScript, a canned reply's link fills the reply box.
    if let Some(chosen) = q.get("canned").and_then(|c| canned.iter().find(|f| f.reply.id.to_string() == c))
        && draft.is_empty()
    {
        draft.clone_from(&chosen.text);
    }
    let reply_to = reply_to.or_else(|| q.get("reply").and_then(|r| r.parse().ok()));
    let edit = edit.or_else(|| q.get("edit").and_then(|r| r.parse().ok()));
    let mut conv = dash.service.conversation(ctx.workspace(), id).await.map_err(|e| ctx.err(e))?;
    // Opening a conversation reads it for the team; a viewer's look changes nothing.
    if conv.unread_count > 0 && ctx.access.may(Action::Work) {
        conv = dash.service.mark_read(ctx.by(), id).await.map_err(|e| ctx.err(e))?;
    }
    let find = q.get("m").and_then(|m| m.parse::<MessageId>().ok());
    let topic = q.get("topic").and_then(|t| t.parse::<i64>().ok());
    let (messages, older) = timeline(dash, ctx, id, q.get("before"), find, topic).await?;
    let now = dash.service.now();
    let fu =
        dash.service.list_followups(ctx.workspace(), FollowUpView::All, Some(id), &PageRequest::default()).await.map_err(|e| ctx.err(e))?;
    let roster = Roster::of(ctx);
    let item = ConvItem::new(&conv, now).with_assignee(&conv, &roster);
    let recent = PageRequest { limit: Limit::new(ACTIVITY_SHOWN).unwrap_or_default(), cursor: None };
    let activity = dash.service.activity(ctx.by(), Some(id), &recent).await.map_err(|e| ctx.err(e))?;
    let until = cursor_time(q.get("before"));
    let (views, notes_tail) = with_notes(dash, ctx, &roster, &conv, &messages, older.is_some(), until, topic).await?;
    let find_tg = |tg: i64| async move { dash.service.stored_message(ctx.workspace(), id, tg).await.ok() };
    let reply_to = match reply_to {
        Some(tg) => find_tg(tg).await.map(|m| (tg, m.preview())),
        None => None,
    };
    let editing = match edit {
        Some(tg) => match find_tg(tg).await.filter(|m| m.refusal_to_edit(now).is_none()) {
            Some(m) => {
                if draft.is_empty() {
                    draft = m.content;
                }
                Some(tg)
            }
            None => None,
        },
        None => None,
    };
    render(
        status,
        &ConversationPage {
            due_default: telegcrm_domain::SnoozePreset::Tomorrow.until(now).format("%Y-%m-%dT%H:%M").to_string(),
            layout: ctx.layout("inbox"),
            summary: conv.summary.clone().unwrap_or_default(),
            business: conv.business_connection_id.is_some(),
            cannot_send: conv.refusal_to_send(),
            moved_to: conv.chat_state.migrated_to_conversation_id.map(|id| id.to_string()),
            moved_from: conv.chat_state.migrated_from_conversation_id.map(|id| id.to_string()),
            c_id: item.id.clone(),
            priorities: opts(priorities(), item.priority),
            statuses: opts(ConversationStatus::ALL.iter().map(|s| s.as_str()), item.status),
            c: item,
            older,
            topics: super::view::topics(&views, topic),
            topic,
            messages: views,
            notes_tail,
            notice,
            draft,
            reply_to,
            editing,
            followups: fu.items.iter().map(|f| FollowView::new(f, now)).collect(),
            assignment: AssignView::new(ctx, &roster, &conv),
            activity: activity.items.iter().map(|a| ActivityView::new(a, &roster, now)).collect(),
            canned: canned
                .into_iter()
                .map(|f| CannedView { id: f.reply.id.to_string(), shortcut: f.reply.shortcut, text: f.text })
                .collect(),
            can_work: ctx.access.may(Action::Work),
            csrf: ctx.session.csrf.clone(),
            back: format!("/conversations/{id}"),
        },
    )
}

/// GET /conversations/{id}[?before=cursor][&m=messageId]
pub async fn page(dash: Dash, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let id = conv_id(&ctx, &path)?;
    show(&dash, &ctx, &req, id, Compose::default(), StatusCode::OK).await
}

/// POST /conversations/{id}/assign: `assignee` = a member's avatar id, `me`, or empty for nobody.
pub async fn assign(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = conv_id(&ctx, &path)?;
    let to = match f.get("assignee") {
        None => None,
        Some(a) => match Assignee::parse(a, ctx.session.avatar).map_err(|e| ctx.err(e.into()))? {
            Assignee::Nobody => None,
            Assignee::Member(m) => Some(m),
        },
    };
    dash.service.assign(ctx.by(), id, to).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&back(&f, &format!("/conversations/{id}"))))
}

/// GET /conversations/{id}/older?before=cursor: older messages and the next "Older messages" link.
pub async fn older(dash: Dash, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let id = conv_id(&ctx, &path)?;
    let q = Fields::parse(req.query_string().as_bytes());
    let topic = q.get("topic").and_then(|t| t.parse::<i64>().ok());
    fragment(&dash, &ctx, id, q.get("before"), topic).await
}

/// GET /conversations/{id}/latest: the newest messages (live refresh); marks them read.
pub async fn latest(dash: Dash, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let id = conv_id(&ctx, &path)?;
    let conv = dash.service.conversation(ctx.workspace(), id).await.map_err(|e| ctx.err(e))?;
    if conv.unread_count > 0 && ctx.access.may(Action::Work) {
        dash.service.mark_read(ctx.by(), id).await.map_err(|e| ctx.err(e))?;
    }
    fragment(&dash, &ctx, id, None, None).await
}

/// POST /conversations/{id}/notes: `text`; back to the note in the timeline.
pub async fn add_note(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = conv_id(&ctx, &path)?;
    let note = dash.service.add_note(ctx.by(), id, f.raw("text")).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/conversations/{id}#n-{}", note.id)))
}

/// POST /conversations/{id}/messages: sends through Telegram (as a reply when `reply_to` is
/// given); a refusal is shown on the page with the text kept.
pub async fn send(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = conv_id(&ctx, &path)?;
    let text = f.raw("text").to_owned();
    let reply_to = f.get("reply_to").and_then(|r| r.parse::<i64>().ok());
    let result = dash.service.send_reply(ctx.by(), id, &text, reply_to).await;
    after_telegram(&dash, &ctx, &req, id, result, Compose { draft: text, reply_to, ..Compose::default() }, "Not sent").await
}

/// POST /conversations/{id}/files (multipart: `_csrf` first, then `file`, `caption`, `reply_to`):
/// sends a photo or a document through Telegram; a refusal shows the page with the reason.
pub async fn send_file(
    dash: Dash,
    req: HttpRequest,
    path: web::Path<String>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    let mut session = None;
    let read = crate::form::read(form, "file", telegcrm_domain::service::MAX_BOT_UPLOAD_BYTES, Some("_csrf"), |name, value| {
        if name == "_csrf" {
            session = Some(crate::web::csrf_session(&dash, &req, Some(value)).map_err(|_| crate::form::FormError::Refused)?);
        }
        Ok(())
    })
    .await;
    let ctx = match session {
        Some(session) => Some(crate::web::context(&dash, &req, session).await?),
        None => None,
    };
    let (ctx, form) = match (ctx, read) {
        (Some(ctx), Ok(form)) => (ctx, form),
        (Some(ctx), Err(e)) => {
            let id = conv_id(&ctx, &path)?;
            let notice = match e {
                crate::form::FormError::TooLarge { .. } => "Not sent: the file is larger than the 50 MB Telegram lets bots send".to_owned(),
                other => format!("Not sent: {other}"),
            };
            return show(&dash, &ctx, &req, id, Compose { notice: Some(notice), ..Compose::default() }, StatusCode::BAD_REQUEST).await;
        }
        (None, _) => return Err(PageError::Forbidden),
    };
    let id = conv_id(&ctx, &path)?;
    let reply_to = form.texts.get("reply_to").and_then(|r| r.parse::<i64>().ok());
    let Some(file) = form.file.filter(|f| f.size > 0) else {
        let notice = Some("Not sent: choose a photo or document first".to_owned());
        return show(&dash, &ctx, &req, id, Compose { notice, reply_to, ..Compose::default() }, StatusCode::BAD_REQUEST).await;
    };
    let caption = form.texts.get("caption").cloned().unwrap_or_default();
    let to_send = telegcrm_domain::service::FileToSend { path: file.path.clone(), size: file.size, caption, reply_to };
    let result = dash.service.send_file(ctx.by(), id, to_send).await;
    drop(file);
    after_telegram(&dash, &ctx, &req, id, result, Compose { reply_to, ..Compose::default() }, "Not sent").await
}

/// The Telegram message id in a path `{id}/messages/{tg}/...`.
fn message_of(ctx: &Ctx, path: &(String, String)) -> Result<(ConversationId, i64), PageError> {
    let tg = path.1.parse::<i64>().map_err(|_| PageError::NotFound(Some(ctx.layout(""))))?;
    Ok((conv_id(ctx, &path.0)?, tg))
}

/// POST /conversations/{id}/messages/{tg}/edit: replaces the text in Telegram, then here.
pub async fn edit(dash: Dash, req: HttpRequest, path: web::Path<(String, String)>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let (id, tg) = message_of(&ctx, &path)?;
    let text = f.raw("text").to_owned();
    let result = dash.service.edit_message(ctx.by(), id, tg, &text).await;
    after_telegram(&dash, &ctx, &req, id, result, Compose { draft: text, edit: Some(tg), ..Compose::default() }, "Not edited").await
}

/// POST /conversations/{id}/messages/{tg}/delete: deletes in Telegram, then marks it here.
pub async fn delete(dash: Dash, req: HttpRequest, path: web::Path<(String, String)>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    let (id, tg) = message_of(&ctx, &path)?;
    let result = dash.service.delete_message(ctx.by(), id, tg).await;
    after_telegram(&dash, &ctx, &req, id, result, Compose::default(), "Not deleted").await
}

/// After a send, edit or delete: to the message when Telegram took it, else the page again with
/// the reason (and what was typed).
async fn after_telegram(
    dash: &Dash,
    ctx: &Ctx,
    req: &HttpRequest,
    id: ConversationId,
    result: Result<Message, CrmError>,
    mut compose: Compose,
    failed: &str,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(m) => Ok(see_other(&format!("/conversations/{id}#m-{}", m.id))),
        Err(e @ CrmError::NotFound { .. }) => Err(ctx.err(e)),
        Err(e) => {
            let status = if matches!(e, CrmError::Gateway(_)) { StatusCode::BAD_GATEWAY } else { StatusCode::BAD_REQUEST };
            compose.notice = Some(match &e {
                CrmError::Gateway(g) => format!("{failed}: {g}"),
                other => format!("{failed}: {other}"),
            });
            show(dash, ctx, req, id, compose, status).await
        }
    }
}

/// GET /conversations/{id}/messages/{tg}/media: the message's file (cached after the first fetch).
pub async fn media(dash: Dash, req: HttpRequest, path: web::Path<(String, String)>) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let (id, tg) = message_of(&ctx, &path)?;
    let file = dash.service.message_file(ctx.workspace(), id, tg).await.map_err(|e| ctx.err(e))?;
    Ok(crate::media::response(&file))
}

async fn change<F, Fut>(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes, op: F) -> Result<HttpResponse, PageError>
where
    F: FnOnce(Dash, Ctx, ConversationId, Fields) -> Fut,
    Fut: std::future::Future<Output = Result<(), PageError>>,
{
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let id = conv_id(&ctx, &path)?;
    let to = back(&f, &format!("/conversations/{id}"));
    op(dash, ctx, id, f).await?;
    Ok(see_other(&to))
}

fn required<'a>(ctx: &Ctx, f: &'a Fields, key: &str, what: &str) -> Result<&'a str, PageError> {
    f.get(key).ok_or_else(|| PageError::Invalid(Some(ctx.layout("")), format!("{what} must not be empty")))
}

fn parsed<T: std::str::FromStr<Err = telegcrm_domain::ParseError>>(ctx: &Ctx, f: &Fields, key: &str) -> Result<T, PageError> {
    let v = required(ctx, f, key, key)?;
    v.parse().map_err(|e: telegcrm_domain::ParseError| PageError::Invalid(Some(ctx.layout("")), e.to_string()))
}

/// POST /conversations/{id}/priority
pub async fn priority(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let p: Priority = parsed(&ctx, &f, "priority")?;
        dash.service.set_priority(ctx.by(), id, p).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /conversations/{id}/status (also the inbox's "Archive")
pub async fn status(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let s: ConversationStatus = parsed(&ctx, &f, "status")?;
        dash.service.set_status(ctx.by(), id, s).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /conversations/{id}/tags
pub async fn add_tag(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let t: Tag = parsed(&ctx, &f, "tag")?;
        dash.service.add_tag(ctx.by(), id, t).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /conversations/{id}/tags/remove
pub async fn remove_tag(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let t: Tag = parsed(&ctx, &f, "tag")?;
        dash.service.remove_tag(ctx.by(), id, t).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /conversations/{id}/summary
pub async fn summary(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let update =
            telegcrm_domain::service::ConversationUpdate { summary: Some(f.get("summary").map(str::to_owned)), ..Default::default() };
        dash.service.update_conversation(ctx.by(), id, update).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}

/// POST /conversations/{id}/follow-ups: title, due (UTC), optional description.
pub async fn add_followup(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    change(dash, req, path, body, |dash, ctx, id, f| async move {
        let due = parse_time("Due", f.raw("due")).map_err(|m| PageError::Invalid(Some(ctx.layout("")), m))?;
        let new = NewFollowUp {
            conversation_id: id,
            title: f.raw("title").to_owned(),
            description: f.get("description").map(str::to_owned),
            due_at: due,
            priority: None,
        };
        dash.service.create_followup(ctx.by(), new).await.map(drop).map_err(|e| ctx.err(e))
    })
    .await
}
