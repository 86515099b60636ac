//! # telegcrm-server
//!
//! The `telegcrm` program as a library: configuration ([`config`]), wiring ([`app`]), the REST API
//! ([`routes`]) with authentication ([`auth`]) and one error mapping ([`error`]), metrics and the
//! OpenAPI document. `main.rs` only calls [`run`].

pub mod app;
pub mod auth;
mod check;
pub mod config;
pub mod dashboard;
pub mod error;
mod export;
mod import;
pub mod jwt;
pub mod metrics;
pub mod openapi;
pub mod reminders;
pub mod routes;
pub mod telegram;

use clap::Parser;
use std::process::ExitCode;
use telegcrm_domain::CrmService;

use crate::app::{AppState, StartError};
use crate::config::{Cli, Command, Config, ImportSource, LogFormat};

/// Builds the service and HTTP state for a configuration.
pub async fn build(config: &Config) -> Result<AppState, StartError> {
    let store = app::open_store(config).await?;
    let mut service = CrmService::new(store);
    if let Some(gateway) = telegram::gateway(config) {
        service = service.with_gateway(gateway);
    }
    if config.media_cache_bytes > 0 {
        let dir = config.data_dir.join("media-cache");
        let cache = telegcrm_telegram::DiskFileCache::open(&dir, config.media_cache_bytes)
            .map_err(|e| StartError::Other(format!("the media cache in {}: {e}", dir.display())))?;
        service = service.with_file_cache(std::sync::Arc::new(cache));
    }
    let mut sign_in = None;
    if let Some(url) = &config.oasis_api_url {
        let mut oasis = telegcrm_oasis::OasisConfig::new(url.clone());
        oasis.api_key = config.oasis_api_key.as_ref().map(|k| k.expose().to_owned());
        // Users' sign-ins go through a client without the service avatar's credentials.
        let users = telegcrm_oasis::OasisClient::new(oasis.clone()).map_err(|e| StartError::Other(format!("OASIS_API_URL: {e}")))?;
        sign_in = Some(std::sync::Arc::new(users));
        oasis.credentials = config.oasis_credentials.as_ref().map(|(u, p)| (u.clone(), p.expose().to_owned()));
        let client = telegcrm_oasis::OasisClient::new(oasis).map_err(|e| StartError::Other(format!("OASIS_API_URL: {e}")))?;
        service = service.with_directory(std::sync::Arc::new(client));
    }
    let telegram: std::sync::Arc<dyn app::TelegramIntegration> = std::sync::Arc::new(telegram::Telegram::new(service.clone(), config));
    let host = dashboard::DashboardHost {
        auth: app::auth(config),
        telegram: Some(telegram.clone()),
        mode: config::value_name(config.telegram_mode),
    };
    let mut dash = telegcrm_dashboard::Dashboard::new(service.clone(), std::sync::Arc::new(host))
        .with_secure_cookie(config.cookie_secure)
        .with_import_limit(config.import_max_bytes);
    if let Some(client) = sign_in {
        dash = dash.with_oasis(client);
    }
    Ok(AppState {
        service,
        auth: app::auth(config),
        webhook_secret: config.telegram_webhook_secret.clone(),
        telegram: Some(telegram),
        dashboard: actix_web::web::Data::new(dash),
        import_max_bytes: config.import_max_bytes,
    })
}

/// Starts everything a configuration asks for (HTTP, and polling or webhook registration) and
/// returns the running server.
pub async fn start(config: &Config) -> Result<app::Running, StartError> {
    let state = build(config).await?;
    let jobs = telegram::start_jobs(&state.service, config);
    Ok(app::serve(state, config.bind)?.with_jobs(jobs))
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The service over the configured store, for a command that works on the store and exits:
/// on failure the error is printed and the command's exit code (2) returned.
async fn cli_service(config: &Config) -> Result<telegcrm_domain::CrmService, ExitCode> {
    match app::open_store(config).await {
        Ok(store) => Ok(telegcrm_domain::CrmService::new(store)),
        Err(e) => {
            eprintln!("telegcrm: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// The program: parses the command line, starts, serves until SIGTERM or Ctrl-C, stops cleanly.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.settings.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telegcrm: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("telegcrm: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Check { repair, retry_parked, discard_parked } => {
                check::run(&config, check::Options { repair, retry_parked, discard_parked }).await
            }
            Command::Import { source: ImportSource::TelegramExport { path, owner, me, timezone } } => {
                import::run(&config, import::Args { path, owner, me, timezone }).await
            }
            Command::Import { source: ImportSource::TelegcrmExport { path, owner } } => {
                import::run_restore(&config, import::RestoreArgs { path, owner }).await
            }
            Command::Export { owner, format, table, out } => export::run(&config, export::Args { owner, format, table, out }).await,
            Command::Serve => {
                let running = match start(&config).await {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("telegcrm: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                tracing::info!(store = ?config.store, telegram = ?config.telegram_mode, "serving");
                // One plain line on stdout, for people and for scripts that start us on port 0.
                #[allow(clippy::print_stdout)]
                {
                    println!("telegcrm listening on http://{}", running.addr);
                }
                shutdown_signal().await;
                tracing::info!("shutting down: finishing in-flight requests");
                running.stop().await;
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
        }
    })
}
