//! `/team`: the workspace's members and their roles; inviting, changing roles, removing and
//! leaving; and `POST /workspace`, the switcher every page's header carries (docs/teams.md).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use telegcrm_domain::ports::AvatarRef;
use telegcrm_domain::{Action, AvatarId, Member, Role};

use std::collections::HashMap;

use telegcrm_domain::{ConversationId, Cursor, Limit, PageRequest};

use super::view::{ActivityView, NoteView, conversation_title};
use crate::web::{Ctx, Dash, Fields, Layout, PageError, WORKSPACE_COOKIE, posted, render, see_other, signed_in};

/// The members of the workspace a page shows, for naming assignees and offering them.
#[derive(Debug)]
pub struct Roster {
    members: Vec<Member>,
    me: AvatarId,
}

impl Roster {
    /// The members of the context's workspace (read once per request, by [`crate::web::context`]).
    pub fn of(ctx: &Ctx) -> Self {
        Self { members: ctx.members.clone(), me: ctx.session.avatar }
    }

    /// Whether anyone besides the owner works here (assignment is shown only then).
    pub fn is_team(&self) -> bool {
        self.members.len() > 1
    }

    /// How the page calls a member: "you", its name, or "a former member".
    pub fn name_of(&self, avatar: AvatarId) -> String {
        if avatar == self.me {
            return "you".to_owned();
        }
        self.members.iter().find(|m| m.avatar_id == avatar).map_or_else(|| "a former member".to_owned(), Member::display_name)
    }

    /// The members a conversation can be given to (those who may work conversations), as
    /// options of a select whose value is the avatar id.
    pub fn assignable(&self, current: Option<AvatarId>) -> Vec<MemberOpt> {
        self.members
            .iter()
            .filter(|m| m.role.may(Action::Work))
            .map(|m| MemberOpt {
                value: m.avatar_id.to_string(),
                label: if m.avatar_id == self.me { format!("{} (you)", m.display_name()) } else { m.display_name() },
                selected: Some(m.avatar_id) == current,
            })
            .collect()
    }
}

/// A member in a `<select>`.
#[derive(Debug, Clone)]
pub struct MemberOpt {
    /// The avatar id.
    pub value: String,
    /// The name.
    pub label: String,
    /// Whether chosen.
    pub selected: bool,
}

/// The roles a member can be given, in the order the form offers them.
const MEMBER_ROLES: [Role; 3] = [Role::Admin, Role::Agent, Role::Viewer];

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    members: Vec<MemberView>,
    manage: bool,
    roles: Vec<RoleOpt>,
    error: Option<String>,
    who: String,
    csrf: String,
}

/// A role in a `<select>`.
struct RoleOpt {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn role_opts(current: Role) -> Vec<RoleOpt> {
    MEMBER_ROLES.iter().map(|r| RoleOpt { value: r.as_str(), label: role_label(*r), selected: *r == current }).collect()
}

const fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Agent => "Agent",
        Role::Viewer => "Viewer",
    }
}

/// One member, as the list shows it.
struct MemberView {
    id: String,
    name: String,
    /// Username and email, when OASIS gave them.
    detail: String,
    role: &'static str,
    role_label: &'static str,
    owner: bool,
    you: bool,
    /// Whether the name needs "(you)" after it (not when the name is "You").
    you_suffix: bool,
    added: String,
    roles: Vec<RoleOpt>,
}

impl MemberView {
    fn new(m: &Member, you: AvatarId) -> Self {
        let detail = [m.username.as_deref(), m.email.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
        let you_are = m.avatar_id == you;
        // OASIS gave no name (the owner before any invitation): the avatar id means little to its
        // own avatar.
        let unnamed = [&m.name, &m.username, &m.email].iter().all(|f| f.as_deref().is_none_or(|s| s.trim().is_empty()));
        Self {
            id: m.avatar_id.to_string(),
            name: if unnamed && you_are { "You".to_owned() } else { m.display_name() },
            you_suffix: you_are && !unnamed,
            detail,
            role: m.role.as_str(),
            role_label: role_label(m.role),
            owner: m.role == Role::Owner,
            you: you_are,
            added: m.added_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            roles: role_opts(m.role),
        }
    }
}

fn show(ctx: &Ctx, status: StatusCode, error: Option<String>, who: String) -> Result<HttpResponse, PageError> {
    let members = &ctx.members;
    render(
        status,
        &TeamPage {
            layout: ctx.layout("team"),
            members: members.iter().map(|m| MemberView::new(m, ctx.session.avatar)).collect(),
            manage: ctx.access.may(Action::ManageMembers),
            roles: role_opts(Role::Agent),
            error,
            who,
            csrf: ctx.session.csrf.clone(),
        },
    )
}

#[derive(Template)]
#[template(path = "mentions.html")]
struct MentionsPage {
    layout: Layout,
    username: Option<String>,
    items: Vec<MentionView>,
    more: Option<String>,
}

/// A note that mentions the reader, with its conversation.
struct MentionView {
    conversation_id: String,
    title: String,
    note: NoteView,
}

/// GET /mentions?cursor=: the notes of this workspace that mention the reader, newest first.
pub async fn mentions(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let q = Fields::parse(req.query_string().as_bytes());
    let cursor =
        q.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("mentions")), e.to_string()))?;
    let page = PageRequest { limit: Limit::new(50).unwrap_or_default(), cursor };
    let found = dash.service.mentions(ctx.by(), &page).await.map_err(|e| ctx.err(e))?;
    let roster = Roster::of(&ctx);
    let now = dash.service.now();
    let mut titles: HashMap<ConversationId, String> = HashMap::new();
    let mut items = Vec::with_capacity(found.items.len());
    for n in &found.items {
        let title = match titles.entry(n.conversation_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let title = match dash.service.conversation(ctx.workspace(), n.conversation_id).await {
                    Ok(c) => conversation_title(&c),
                    Err(_) => "A conversation".to_owned(),
                };
                e.insert(title).clone()
            }
        };
        items.push(MentionView {
            conversation_id: n.conversation_id.to_string(),
            title,
            note: NoteView::new(n, &roster, ctx.session.avatar, now),
        });
    }
    let username = roster.members.iter().find(|m| m.avatar_id == ctx.session.avatar).and_then(|m| m.username.clone());
    render(
        StatusCode::OK,
        &MentionsPage {
            layout: ctx.layout("mentions"),
            username,
            items,
            more: found.next_cursor.map(|c| format!("/mentions?cursor={}", c.encode())),
        },
    )
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    layout: Layout,
    items: Vec<ActivityView>,
    more: Option<String>,
}

/// GET /activity?cursor=: every change people made in the workspace, newest first.
pub async fn activity(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    let q = Fields::parse(req.query_string().as_bytes());
    let cursor =
        q.get("cursor").map(Cursor::decode).transpose().map_err(|e| PageError::Invalid(Some(ctx.layout("team")), e.to_string()))?;
    let page = PageRequest { limit: Limit::new(100).unwrap_or_default(), cursor };
    let found = dash.service.activity(ctx.by(), None, &page).await.map_err(|e| ctx.err(e))?;
    let roster = Roster::of(&ctx);
    let now = dash.service.now();
    render(
        StatusCode::OK,
        &ActivityPage {
            layout: ctx.layout("team"),
            items: found.items.iter().map(|a| ActivityView::new(a, &roster, now)).collect(),
            more: found.next_cursor.map(|c| format!("/activity?cursor={}", c.encode())),
        },
    )
}

/// GET /team
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = signed_in(&dash, &req).await?;
    show(&ctx, StatusCode::OK, None, String::new())
}

fn role_field(ctx: &Ctx, raw: Option<&str>) -> Result<Role, PageError> {
    raw.unwrap_or_default().parse::<Role>().map_err(|e| PageError::Invalid(Some(ctx.layout("team")), e.to_string()))
}

fn avatar_path(ctx: &Ctx, raw: &str) -> Result<AvatarId, PageError> {
    raw.parse().map_err(|_| PageError::NotFound(Some(ctx.layout("team"))))
}

/// POST /team/members: `who` (username, email or avatar id) and `role`. A refusal (no such
/// avatar, a member already) shows the page again with the reason and what was typed.
pub async fn invite(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    ctx.require(Action::ManageMembers)?;
    let typed = f.raw("who").trim().to_owned();
    if typed.is_empty() {
        return show(&ctx, StatusCode::BAD_REQUEST, Some("Say whom to invite: a username, an email or an avatar id.".into()), typed);
    }
    let role = role_field(&ctx, f.get("role"))?;
    match dash.service.add_member(ctx.by(), &AvatarRef::from_input(&typed), role).await {
        Ok(_) => Ok(see_other("/team")),
        Err(e @ telegcrm_domain::CrmError::Store(_)) => Err(ctx.err(e)),
        Err(e) => show(&ctx, StatusCode::BAD_REQUEST, Some(sentence(&e.to_string())), typed),
    }
}

/// The message as a sentence: capital first letter, full stop.
fn sentence(message: &str) -> String {
    let mut s = super::view::capitalized(message);
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// POST /team/members/{avatar}/role: `role`.
pub async fn change_role(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let avatar = avatar_path(&ctx, &path)?;
    let role = role_field(&ctx, f.get("role"))?;
    dash.service.change_member(ctx.by(), avatar, role).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/team"))
}

/// POST /team/members/{avatar}/remove: removes a member, or, for oneself, leaves the workspace
/// and goes back to one's own inbox.
pub async fn remove(dash: Dash, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    let avatar = avatar_path(&ctx, &path)?;
    dash.service.remove_member(ctx.by(), avatar).await.map_err(|e| ctx.err(e))?;
    if avatar == ctx.session.avatar {
        let mut res = see_other("/inbox");
        forget_workspace(&dash, &mut res).map_err(|e| PageError::Internal(Some(ctx.layout("")), e))?;
        return Ok(res);
    }
    Ok(see_other("/team"))
}

/// Removes the switcher's cookie (leaving a workspace, signing out).
pub(super) fn forget_workspace(dash: &Dash, res: &mut HttpResponse) -> Result<(), String> {
    res.add_removal_cookie(&workspace_cookie(dash, String::new())).map_err(|e| e.to_string())
}

fn workspace_cookie(dash: &Dash, value: String) -> Cookie<'static> {
    Cookie::build(WORKSPACE_COOKIE, value).path("/").http_only(true).same_site(SameSite::Lax).secure(dash.cookie_secure).finish()
}

/// POST /workspace: `workspace` (an owner's avatar id) becomes the one every page shows, when
/// the avatar is a member there (else: not found, as for any workspace not its own). Back to the
/// inbox: the page the switch was made on may not exist in the other workspace.
pub async fn switch(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, f) = posted(&dash, &req, &body).await?;
    let picked = f.get("workspace").and_then(|w| w.parse::<AvatarId>().ok()).ok_or_else(|| PageError::NotFound(Some(ctx.layout(""))))?;
    let access = dash.service.access(ctx.session.avatar, Some(picked)).await.map_err(|e| ctx.err(e))?;
    let mut res = see_other("/inbox");
    let cookie = workspace_cookie(&dash, access.workspace().to_string());
    res.add_cookie(&cookie).map_err(|e| PageError::Internal(Some(ctx.layout("")), e.to_string()))?;
    Ok(res)
}
