//! The HTTP plumbing every page shares: security headers, the signed-in context, CSRF-checked
//! form posts, and error pages.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use telegcrm_domain::{Access, Action, AvatarId, CrmError, Member, Role, Workspace};

use crate::Dashboard;
use crate::assets::{AssetUrls, URLS};
use crate::session::{COOKIE, Session, csrf_ok};

/// The Content-Security-Policy of every page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The shared data.
pub type Dash = web::Data<Dashboard>;

/// Adds the security headers.
pub fn secure(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(HeaderName::from_static("content-security-policy"), HeaderValue::from_static(CSP));
    h.insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    h.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("same-origin"));
    h.insert(HeaderName::from_static("cache-control"), HeaderValue::from_static("no-store"));
    res
}

/// An HTML response with the security headers.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    secure(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// Renders a template as a page.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Result<HttpResponse, PageError> {
    let body = t.render().map_err(|e| PageError::Internal(None, format!("template: {e}")))?;
    Ok(html(status, body))
}

/// 303 See Other.
pub fn see_other(to: &str) -> HttpResponse {
    let mut res = HttpResponse::SeeOther().finish();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(LOCATION, v);
    }
    secure(res)
}

/// What every signed-in page's frame shows.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Asset URLs.
    pub assets: &'static AssetUrls,
    /// The session's CSRF token (for forms and htmx headers); empty when signed out.
    pub csrf: String,
    /// Whether the nav and sign-out are shown.
    pub signed_in: bool,
    /// The current section, for `aria-current`.
    pub current: &'static str,
    /// The workspaces the avatar may switch between (shown when there are two or more).
    pub workspaces: Vec<WorkspaceOption>,
    /// The role in the workspace shown, when it is not the avatar's own ("agent").
    pub role: Option<&'static str>,
    /// Whether the role works conversations here: a viewer's pages offer no forms that change
    /// anything (the service refuses them anyway).
    pub can_work: bool,
    /// Whether the avatar works with others (here or elsewhere): the nav then offers Mentions.
    pub team: bool,
}

/// One entry of the workspace switcher.
#[derive(Debug, Clone)]
pub struct WorkspaceOption {
    /// The owner's avatar id.
    pub value: String,
    /// "Your workspace", or "Grace Hopper's workspace (agent)".
    pub label: String,
    /// Whether it is the one shown.
    pub selected: bool,
}

impl WorkspaceOption {
    fn new(w: &Workspace, current: AvatarId) -> Self {
        let label = if w.role == Role::Owner {
            "Your workspace".to_owned()
        } else {
            let whose = w.name.as_deref().filter(|n| !n.trim().is_empty()).map_or_else(|| w.owner_avatar_id.to_string(), str::to_owned);
            format!("{whose}'s workspace ({})", w.role.as_str())
        };
        Self { value: w.owner_avatar_id.to_string(), label, selected: w.owner_avatar_id == current }
    }
}

impl Layout {
    /// The frame of a signed-out page.
    pub fn signed_out() -> Self {
        Self {
            assets: &URLS,
            csrf: String::new(),
            signed_in: false,
            current: "",
            workspaces: Vec::new(),
            role: None,
            can_work: false,
            team: false,
        }
    }

    /// `aria-current` value for a nav item.
    pub fn is(&self, section: &str) -> bool {
        self.current == section
    }
}

/// The cookie that remembers which workspace the browser works in (its owner's avatar id). Not
/// a secret: membership is checked on every request, and a workspace the avatar is no longer a
/// member of falls back to its own.
pub const WORKSPACE_COOKIE: &str = "telegcrm_workspace";

/// The signed-in request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The session.
    pub session: Session,
    /// Who acts, in which workspace, with which role.
    pub access: Access,
    /// The workspaces the avatar may work in, its own first.
    pub workspaces: Vec<Workspace>,
    /// The members of the workspace shown, its owner first.
    pub members: Vec<Member>,
}

impl Ctx {
    /// The workspace the page shows (its owner's avatar id): what every read is scoped to.
    pub fn workspace(&self) -> AvatarId {
        self.access.workspace()
    }

    /// Who acts, for the operations that change something.
    pub fn by(&self) -> &Access {
        &self.access
    }

    /// The workspace, when this role may do `action`; else the "not allowed" page.
    pub fn require(&self, action: Action) -> Result<AvatarId, PageError> {
        self.access.require(action).map_err(|e| self.err(e))
    }

    /// The frame for a page in `section`.
    pub fn layout(&self, section: &'static str) -> Layout {
        let current = self.workspace();
        Layout {
            assets: &URLS,
            csrf: self.session.csrf.clone(),
            signed_in: true,
            current: section,
            workspaces: if self.workspaces.len() > 1 {
                self.workspaces.iter().map(|w| WorkspaceOption::new(w, current)).collect()
            } else {
                Vec::new()
            },
            role: (self.access.role() != Role::Owner).then(|| self.access.role().as_str()),
            can_work: self.access.may(Action::Work),
            team: self.workspaces.len() > 1 || self.members.len() > 1,
        }
    }

    /// Maps a service error to an error page with this session's nav.
    pub fn err(&self, e: CrmError) -> PageError {
        PageError::from_crm(Some(self.layout("")), e)
    }
}

/// The session of this request, if it has a live one.
pub fn session(dash: &Dashboard, req: &HttpRequest) -> Option<Session> {
    let cookie = req.cookie(COOKIE)?;
    dash.sessions.get(cookie.value(), Instant::now())
}

/// The signed-in context, or a redirect to the sign-in page.
pub async fn signed_in(dash: &Dashboard, req: &HttpRequest) -> Result<Ctx, PageError> {
    let session = session(dash, req).ok_or(PageError::SignIn)?;
    context(dash, req, session).await
}

/// The context of a live session: the workspace its cookie picks, when the avatar is still a
/// member there; else the avatar's own.
pub async fn context(dash: &Dashboard, req: &HttpRequest, session: Session) -> Result<Ctx, PageError> {
    let picked = req.cookie(WORKSPACE_COOKIE).and_then(|c| c.value().parse::<AvatarId>().ok());
    let access = match dash.service.access(session.avatar, picked).await {
        Ok(access) => access,
        Err(CrmError::NotFound { .. }) => Access::owner(session.avatar),
        Err(e) => return Err(PageError::from_crm(None, e)),
    };
    let workspaces = dash.service.workspaces(session.avatar).await.map_err(|e| PageError::from_crm(None, e))?;
    let members = dash.service.members(&access).await.map_err(|e| PageError::from_crm(None, e))?;
    Ok(Ctx { session, access, workspaces, members })
}

/// Fields of a url-encoded form (repeated keys: the last wins).
#[derive(Debug, Default)]
pub struct Fields(HashMap<String, String>);

impl Fields {
    /// Parses a url-encoded body.
    pub fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        Self(web::Query::<Vec<(String, String)>>::from_query(&text).map(|q| q.0.into_iter().collect()).unwrap_or_default())
    }

    /// A field, trimmed; `None` when absent or blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A field as given (not trimmed), empty when absent.
    pub fn raw(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }
}

/// A state-changing request: signed in, and carrying the session's CSRF token in the `_csrf`
/// field or the `X-CSRF-Token` header (htmx), compared in constant time.
pub async fn posted(dash: &Dashboard, req: &HttpRequest, body: &[u8]) -> Result<(Ctx, Fields), PageError> {
    let fields = Fields::parse(body);
    let ctx = csrf_checked(dash, req, fields.0.get("_csrf").map(String::as_str)).await?;
    Ok((ctx, fields))
}

/// The CSRF check of [`posted`] for a body that is not url-encoded (a multipart upload):
/// `field` is the form's `_csrf` value, if read; else the `X-CSRF-Token` header counts.
pub async fn csrf_checked(dash: &Dashboard, req: &HttpRequest, field: Option<&str>) -> Result<Ctx, PageError> {
    let session = csrf_session(dash, req, field)?;
    context(dash, req, session).await
}

/// The session whose CSRF token this request carries (see [`csrf_checked`]), without its
/// workspace yet ([`context`] adds it): for checks made inside a synchronous callback.
pub fn csrf_session(dash: &Dashboard, req: &HttpRequest, field: Option<&str>) -> Result<Session, PageError> {
    let Some(session) = session(dash, req) else {
        // Without a session there is no token to match: refuse as a CSRF failure, not a redirect,
        // so a forged cross-site post never looks like it worked.
        return Err(PageError::Forbidden);
    };
    let header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
    if !csrf_ok(&session, field.or(header)) {
        return Err(PageError::Forbidden);
    }
    Ok(session)
}

/// A local path to go back to (never another site).
pub fn back(fields: &Fields, default: &str) -> String {
    match fields.get("back") {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => default.to_owned(),
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page.
    SignIn,
    /// No such page, or not the caller's.
    NotFound(Option<Layout>),
    /// Missing or wrong CSRF token.
    Forbidden,
    /// The role in this workspace does not allow it.
    NotAllowed(Option<Layout>, String),
    /// Bad input.
    Invalid(Option<Layout>, String),
    /// Something failed on our side.
    Internal(Option<Layout>, String),
}

impl PageError {
    /// Maps a service error.
    pub fn from_crm(layout: Option<Layout>, e: CrmError) -> Self {
        match e {
            CrmError::NotFound { .. } => Self::NotFound(layout),
            CrmError::Invalid { .. } | CrmError::Parse(_) => Self::Invalid(layout, e.to_string()),
            CrmError::Gateway(_) | CrmError::Directory(_) | CrmError::Conflict(_) => Self::Invalid(layout, e.to_string()),
            CrmError::Forbidden { .. } => Self::NotAllowed(layout, e.to_string()),
            CrmError::Store(_) => Self::Internal(layout, e.to_string()),
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn => f.write_str("sign in first"),
            Self::NotFound(_) => f.write_str("not found"),
            Self::Forbidden => f.write_str("missing or wrong CSRF token"),
            Self::Invalid(_, m) | Self::Internal(_, m) | Self::NotAllowed(_, m) => f.write_str(m),
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::NotAllowed(..) => StatusCode::FORBIDDEN,
            Self::Invalid(..) => StatusCode::BAD_REQUEST,
            Self::Internal(..) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (layout, heading, message) = match self {
            Self::SignIn => return see_other("/sign-in"),
            Self::NotFound(l) => (l.clone(), "Not found", "There is no such page, or it is not yours.".to_owned()),
            Self::Forbidden => (
                None,
                "Refused",
                "This form has expired or did not come from this site. Go back, reload the page and try again.".to_owned(),
            ),
            Self::Invalid(l, m) => (l.clone(), "Cannot do that", m.clone()),
            Self::NotAllowed(l, m) => (l.clone(), "Not allowed", format!("{}. Ask an admin of this workspace.", capitalised(m))),
            Self::Internal(l, m) => {
                tracing::error!(error = %m, "dashboard page failed");
                (l.clone(), "Something went wrong", "The server could not complete this request. Try again in a moment.".to_owned())
            }
        };
        let page = ErrorPage { layout: layout.unwrap_or_else(Layout::signed_out), heading, message };
        match page.render() {
            Ok(body) => html(self.status_code(), body),
            Err(_) => html(self.status_code(), heading.to_owned()),
        }
    }
}

/// The sentence with its first letter in upper case.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
