//! Authentication: an OASIS JWT (`Authorization: Bearer`) or an API key (`X-API-Key`), and the
//! workspace the request works in (`X-Workspace: <ownerAvatarId>`, absent: the caller's own).
//! Every authenticated handler takes a [`Caller`]; there is no way to reach the service without one.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use telegcrm_domain::{Access, AvatarId};

use crate::app::AppState;
use crate::config::Secret;
use crate::error::ApiError;
use crate::jwt::JwtVerifier;

/// The credentials the server accepts.
#[derive(Debug, Default)]
pub struct Auth {
    /// OASIS JWT verification, when OASIS_JWT_SECRET is set.
    pub jwt: Option<JwtVerifier>,
    /// API keys and their avatars.
    pub api_keys: Vec<(Secret, AvatarId)>,
}

impl Auth {
    /// The avatar the request's credentials stand for.
    pub fn authenticate(&self, req: &HttpRequest) -> Result<AvatarId, ApiError> {
        let headers = req.headers();
        if let Some(value) = headers.get("authorization") {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be \"Bearer <OASIS JWT>\"".into()))?;
            return self.jwt(token);
        }
        if let Some(value) = headers.get("x-api-key") {
            return self.api_key(value.as_bytes()).ok_or_else(|| ApiError::Unauthorized("invalid API key".into()));
        }
        Err(ApiError::Unauthorized("missing credentials: send Authorization: Bearer <OASIS JWT> or X-API-Key".into()))
    }

    /// The avatar an OASIS JWT stands for (the API's Bearer check; the dashboard's password sign-in).
    pub fn jwt(&self, token: &str) -> Result<AvatarId, ApiError> {
        let verifier =
            self.jwt.as_ref().ok_or_else(|| ApiError::Unauthorized("JWT authentication is not configured on this server".into()))?;
        verifier.verify(token).map_err(|e| {
            tracing::debug!(reason = %e, "JWT refused");
            ApiError::Unauthorized("invalid or expired token".into())
        })
    }

    /// The avatar an API key stands for (the API's X-API-Key check; the dashboard's key sign-in).
    pub fn api_key(&self, presented: &[u8]) -> Option<AvatarId> {
        // Check every key, so the time taken does not tell which one came close.
        let mut found = None;
        for (key, avatar) in &self.api_keys {
            if key.matches(presented) {
                found = Some(*avatar);
            }
        }
        found
    }
}

/// The header that picks the workspace a request works in.
pub const WORKSPACE_HEADER: &str = "x-workspace";

/// The authenticated avatar making the request, and what it may do in the workspace it picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    access: Access,
}

impl Caller {
    /// The authenticated avatar.
    pub fn avatar(&self) -> AvatarId {
        self.access.avatar()
    }

    /// The workspace the request works in (its owner's avatar id): what every read is scoped to.
    pub fn workspace(&self) -> AvatarId {
        self.access.workspace()
    }

    /// Who acts, for the operations that change something.
    pub fn by(&self) -> &Access {
        &self.access
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = authenticated(req);
        Box::pin(async move {
            let (state, avatar, workspace) = checked?;
            let access = state.service.access(avatar, workspace).await?;
            Ok(Caller { access })
        })
    }
}

/// The credentials' avatar and the workspace picked, checked before anything is read.
fn authenticated(req: &HttpRequest) -> Result<(web::Data<AppState>, AvatarId, Option<AvatarId>), ApiError> {
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::Unavailable("server state missing".into()))?;
    let avatar = state.auth.authenticate(req)?;
    // The C# API took the owner from ?oasisAvatarId=; we accept it only when it names the caller.
    let claimed = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.0.into_iter().find(|(k, _)| k == "oasisAvatarId").map(|(_, v)| v));
    if let Some(claimed) = claimed
        && claimed.parse::<AvatarId>().ok() != Some(avatar)
    {
        return Err(ApiError::Forbidden("oasisAvatarId must be your own avatar id".into()));
    }
    let workspace = match req.headers().get(WORKSPACE_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<AvatarId>().ok())
                .ok_or_else(|| ApiError::BadRequest("invalid X-Workspace: expected the owner's avatar id, a UUID".into()))?,
        ),
    };
    Ok((state, avatar, workspace))
}
