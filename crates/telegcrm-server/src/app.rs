//! Wiring: the store and adapters chosen by configuration, the actix-web app, start and stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::middleware::{Compress, Next, from_fn};
use actix_web::{App, HttpServer, web};
use async_trait::async_trait;
use telegcrm_domain::ports::Store;
use telegcrm_domain::service::LinkCode;
use telegcrm_domain::{AvatarId, CrmService};

use crate::auth::Auth;
use crate::config::{Config, Secret, StoreKind};
use crate::error::ApiError;
use crate::jwt::JwtVerifier;
use crate::routes::{self, system};

/// The largest request body.
pub const MAX_BODY: usize = 1 << 20;

/// What the webhook did with one update (the 200 body).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WebhookResult {
    /// The update was handled.
    Handled(WebhookCounts),
    /// An update kind Telegcrm does not handle.
    Skipped {
        /// Always true.
        skipped: bool,
    },
}

/// The counts of a handled webhook update.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookCounts {
    /// New messages stored.
    pub stored: u64,
    /// Messages already stored, left unchanged.
    pub duplicates: u64,
    /// Edits applied.
    pub edits: u64,
    /// Messages marked deleted.
    pub deletions: u64,
    /// Business connection changes stored.
    pub connections: u64,
    /// Events that changed nothing.
    pub ignored: u64,
    /// Updates nobody owns, skipped.
    pub unowned: u64,
    /// Telegram accounts linked by `/start <code>`.
    pub linked: u64,
    /// Updates the store refused, kept to be replayed (`telegcrm check --retry-parked`).
    pub parked: u64,
    /// Refused updates dropped because the parked list is full.
    pub dropped: u64,
}

/// The Telegram account linked to an avatar.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedAccount {
    /// Telegram user id.
    pub telegram_id: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
}

/// What the HTTP layer needs from the Telegram side (webhook updates, account links).
#[async_trait]
pub trait TelegramIntegration: Send + Sync {
    /// Parses and stores one webhook update; returns what was done (for the 200 body).
    async fn handle_webhook(&self, body: &[u8]) -> Result<WebhookResult, ApiError>;
    /// Creates a single-use deep link for `avatar`.
    async fn create_link(&self, avatar: AvatarId) -> Result<LinkCode, ApiError>;
    /// The Telegram account linked to `avatar`, if any.
    async fn linked_account(&self, avatar: AvatarId) -> Result<Option<LinkedAccount>, ApiError>;
}

/// Shared state of every request.
pub struct AppState {
    /// The CRM.
    pub service: CrmService,
    /// Credentials accepted.
    pub auth: Auth,
    /// The webhook's secret.
    pub webhook_secret: Option<Secret>,
    /// The Telegram side, when configured.
    pub telegram: Option<Arc<dyn TelegramIntegration>>,
    /// The web dashboard served at `/`.
    pub dashboard: web::Data<telegcrm_dashboard::Dashboard>,
    /// The largest export upload (`TELEGCRM_IMPORT_MAX_BYTES`).
    pub import_max_bytes: u64,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("telegram", &self.telegram.is_some()).finish_non_exhaustive()
    }
}

/// A failure to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("{variable}: cannot open the store: {source}")]
    Store {
        /// The setting that chose it.
        variable: &'static str,
        /// Why.
        source: telegcrm_domain::StoreError,
    },
    /// The address could not be bound.
    #[error("TELEGCRM_BIND: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Another start-up step failed.
    #[error("{0}")]
    Other(String),
}

/// Opens the store the configuration names.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    match config.store {
        StoreKind::Memory => Ok(Arc::new(telegcrm_store_memory::MemoryStore::new())),
        StoreKind::Sqlite => {
            let dir = config.data_dir.clone();
            let store = tokio::task::spawn_blocking(move || telegcrm_store_sqlite::SqliteStore::open(&dir))
                .await
                .map_err(|e| StartError::Other(format!("TELEGCRM_DATA_DIR: opening the store panicked: {e}")))?
                .map_err(|source| StartError::Store { variable: "TELEGCRM_DATA_DIR", source })?;
            Ok(Arc::new(store))
        }
        StoreKind::Mongo => {
            let uri = config.mongodb_uri.as_ref().map(|u| u.expose().to_owned()).unwrap_or_default();
            let options = telegcrm_store_mongo::OpenOptions { timeout: config.mongodb_open_timeout };
            let store = telegcrm_store_mongo::MongoStore::connect_with(&uri, &config.mongodb_database, &options)
                .await
                .map_err(|source| StartError::Store { variable: "MONGODB_URI", source })?;
            Ok(Arc::new(store))
        }
    }
}

/// The credentials configuration.
pub fn auth(config: &Config) -> Auth {
    Auth {
        jwt: config
            .oasis_jwt_secret
            .clone()
            .and_then(|key| JwtVerifier::new(key, config.oasis_jwt_issuer.clone(), config.oasis_jwt_audience.clone())),
        api_keys: config.api_keys.clone(),
    }
}

fn json_error(err: JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let api = match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into()),
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::BadRequest(format!("invalid request body: {e}")),
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
        other => ApiError::BadRequest(format!("unreadable body: {other}")),
    };
    api.into()
}

async fn observe(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Bounded label values: a client's made-up method must not grow the metrics without end.
    let method = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    crate::metrics::global().request(method, &route, status, elapsed);
    tracing::debug!(%method, %route, status, micros = elapsed.as_micros() as u64, "request");
    Ok(res)
}

/// Registers the whole app on a service config (used by the server and by tests).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(MAX_BODY).error_handler(json_error))
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .configure(telegcrm_dashboard::configure)
        .route("/healthz", web::get().to(system::healthz))
        .route("/readyz", web::get().to(system::readyz))
        .route("/metrics", web::get().to(system::metrics))
        .configure(routes::configure)
        .default_service(web::to(system::not_found));
}

/// A running HTTP server.
#[derive(Debug)]
pub struct Running {
    /// Where it listens (the real port when 0 was asked for).
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Option<crate::telegram::Jobs>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
        if let Some(jobs) = self.jobs {
            jobs.stop().await;
        }
    }

    /// Attaches background jobs, stopped after the HTTP server.
    #[must_use]
    pub fn with_jobs(mut self, jobs: crate::telegram::Jobs) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// Waits until the server ends by itself.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Starts the HTTP server for `state` on `addr` (port 0 picks a free one).
pub fn serve(state: AppState, addr: SocketAddr) -> Result<Running, StartError> {
    let dashboard = state.dashboard.clone();
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).app_data(dashboard.clone()).wrap(from_fn(observe)).wrap(Compress::default()).configure(configure)
    })
    .disable_signals()
    .shutdown_timeout(30)
    .bind(addr)
    .map_err(|source| StartError::Bind { addr, source })?;
    let addr = server.addrs().first().copied().unwrap_or(addr);
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(Running { addr, handle, task, jobs: None })
}
