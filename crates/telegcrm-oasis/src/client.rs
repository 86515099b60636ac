//! The OASIS avatar client and its [`AvatarDirectory`] implementation.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode, Url};
use serde_json::json;
use telegcrm_domain::DirectoryError;
use telegcrm_domain::ports::{Avatar, AvatarDirectory, AvatarRef};
use uuid::Uuid;

use crate::envelope::{Answer, OasisAvatar, avatar_in, is_not_found, read_answer};
use crate::error::OasisError;

/// The default time an OASIS call may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach OASIS.
#[derive(Clone)]
pub struct OasisConfig {
    /// ONODE WebAPI base URL, e.g. `https://api.oasisweb4.one`.
    pub base_url: String,
    /// Sent as `X-OASIS-API-Key` when set.
    pub api_key: Option<String>,
    /// Time limit of one call.
    pub timeout: Duration,
    /// A service avatar the client authenticates as for look-ups.
    pub credentials: Option<(String, String)>,
    /// A fixed JWT for look-ups (used when no credentials are set).
    pub bearer: Option<String>,
}

impl std::fmt::Debug for OasisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OasisConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl OasisConfig {
    /// A configuration for `base_url` with the default timeout and no credentials.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), api_key: None, timeout: DEFAULT_TIMEOUT, credentials: None, bearer: None }
    }
}

/// The OASIS avatar API over HTTP.
#[derive(Debug)]
pub struct OasisClient {
    http: reqwest::Client,
    base: Url,
    config: OasisConfig,
    /// The service avatar's JWT, once authenticated.
    token: Mutex<Option<String>>,
}

impl OasisClient {
    /// A client for `config`.
    pub fn new(config: OasisConfig) -> Result<Self, OasisError> {
        let base = Url::parse(&config.base_url).map_err(|e| OasisError::InvalidUrl(format!("{}: {e}", config.base_url)))?;
        if base.cannot_be_a_base() {
            return Err(OasisError::InvalidUrl(config.base_url.clone()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| OasisError::Network(e.to_string()))?;
        Ok(Self { http, base, token: Mutex::new(config.bearer.clone()), config })
    }

    /// `POST /api/avatar/authenticate`: the avatar, with its `jwt_token`.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<OasisAvatar, OasisError> {
        let body = json!({"username": username, "password": password});
        match self.send(Method::POST, &["api", "avatar", "authenticate"], Some(&body), None).await? {
            Answer::Ok(payload) => avatar_in(&payload)?.ok_or_else(|| OasisError::BadResponse("authenticate returned no avatar".into())),
            Answer::Error { status, message } if status < 500 => Err(OasisError::Rejected(message)),
            Answer::Error { status, message } => Err(OasisError::Upstream { status, message }),
        }
    }

    /// `GET /api/avatar/get-by-id/{id}`; `None` when OASIS knows no such avatar.
    pub async fn avatar_by_id(&self, id: Uuid) -> Result<Option<OasisAvatar>, OasisError> {
        self.lookup("get-by-id", &id.to_string()).await
    }

    /// `GET /api/avatar/get-by-username/{username}`; `None` when OASIS knows no such avatar.
    pub async fn avatar_by_username(&self, username: &str) -> Result<Option<OasisAvatar>, OasisError> {
        self.lookup("get-by-username", username).await
    }

    /// `GET /api/avatar/get-by-email/{email}`; `None` when OASIS knows no such avatar.
    pub async fn avatar_by_email(&self, email: &str) -> Result<Option<OasisAvatar>, OasisError> {
        self.lookup("get-by-email", email).await
    }

    async fn lookup(&self, route: &str, key: &str) -> Result<Option<OasisAvatar>, OasisError> {
        if key.trim().is_empty() {
            return Ok(None);
        }
        let path = ["api", "avatar", route, key.trim()];
        let mut token = self.token().await?;
        let mut answer = self.send(Method::GET, &path, None, token.as_deref()).await?;
        // An expired service token: authenticate again once.
        if matches!(answer, Answer::Error { status: 401, .. }) && self.config.credentials.is_some() {
            self.forget_token();
            token = self.token().await?;
            answer = self.send(Method::GET, &path, None, token.as_deref()).await?;
        }
        match answer {
            Answer::Ok(payload) => avatar_in(&payload),
            Answer::Error { status, message } if is_not_found(status, &message) => Ok(None),
            Answer::Error { status, message } => Err(OasisError::Upstream { status, message }),
        }
    }

    async fn token(&self) -> Result<Option<String>, OasisError> {
        if let Some(t) = self.cached_token() {
            return Ok(Some(t));
        }
        let Some((user, password)) = &self.config.credentials else {
            return Ok(None);
        };
        let avatar = self.authenticate(user, password).await?;
        let token = avatar.jwt_token.ok_or_else(|| OasisError::BadResponse("authenticate returned no jwtToken".into()))?;
        if let Ok(mut slot) = self.token.lock() {
            *slot = Some(token.clone());
        }
        Ok(Some(token))
    }

    fn cached_token(&self) -> Option<String> {
        self.token.lock().ok().and_then(|t| t.clone())
    }

    fn forget_token(&self) {
        if let Ok(mut slot) = self.token.lock() {
            *slot = None;
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &[&str],
        body: Option<&serde_json::Value>,
        bearer: Option<&str>,
    ) -> Result<Answer, OasisError> {
        let mut url = self.base.clone();
        url.path_segments_mut().map_err(|()| OasisError::InvalidUrl(self.config.base_url.clone()))?.pop_if_empty().extend(path);
        let mut request = self.http.request(method, url).header("Accept", "application/json");
        if let Some(key) = &self.config.api_key {
            request = request.header("X-OASIS-API-Key", key);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| OasisError::from_reqwest(&e, self.config.timeout))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| OasisError::from_reqwest(&e, self.config.timeout))?;
        if status == StatusCode::UNAUTHORIZED && bytes.is_empty() {
            return Ok(Answer::Error { status: 401, message: "unauthorized".into() });
        }
        read_answer(status.as_u16(), &bytes)
    }
}

#[async_trait]
impl AvatarDirectory for OasisClient {
    async fn find_avatar(&self, by: &AvatarRef) -> Result<Option<Avatar>, DirectoryError> {
        let found = match by {
            AvatarRef::Id(id) => self.avatar_by_id(id.as_uuid()).await,
            AvatarRef::Username(u) => self.avatar_by_username(u).await,
            AvatarRef::Email(e) => self.avatar_by_email(e).await,
        };
        let found = found.map_err(|e| DirectoryError::Upstream(e.to_string()))?;
        Ok(found.map(|a| Avatar { id: a.avatar_id.into(), username: a.username, email: a.email, full_name: a.full_name }))
    }
}
