//! The Telegram side of the server: webhook bodies, account links, polling or webhook
//! registration at start, and sending.

use std::sync::Arc;

use async_trait::async_trait;
use telegcrm_domain::service::LinkCode;
use telegcrm_domain::{AvatarId, CrmService};
use telegcrm_telegram::{BatchReport, IngestOutcome, PollLease, Poller, PollerConfig, TelegramApi, TelegramIngest, WebhookError};
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinHandle;

use crate::app::{LinkedAccount, TelegramIntegration, WebhookCounts, WebhookResult};
use crate::config::{Config, TelegramMode};
use crate::error::ApiError;

/// Webhook handling and account links over the CRM service.
#[derive(Debug)]
pub struct Telegram {
    ingest: TelegramIngest,
    api: Option<TelegramApi>,
    bot_username: OnceCell<String>,
}

impl Telegram {
    /// The Telegram side for a configuration (the API client only when a token is set).
    pub fn new(service: CrmService, config: &Config) -> Self {
        let api = config.telegram_bot_token.as_ref().map(|t| TelegramApi::new(&config.telegram_api_url, t.expose()));
        let bot_id = api.as_ref().and_then(TelegramApi::bot_id);
        Self { ingest: TelegramIngest::new(service, config.owner_avatar_id, bot_id), api, bot_username: OnceCell::new() }
    }

    async fn bot_username(&self) -> Result<&str, ApiError> {
        let api =
            self.api.as_ref().ok_or_else(|| ApiError::Unavailable("TELEGRAM_BOT_TOKEN is not set: there is no bot to link with".into()))?;
        self.bot_username
            .get_or_try_init(|| async {
                let me = api.get_me().await.map_err(|e| ApiError::Crm(telegcrm_domain::GatewayError::Unavailable(e.to_string()).into()))?;
                me.username.ok_or_else(|| ApiError::Unavailable("the bot has no username".into()))
            })
            .await
            .map(String::as_str)
    }
}

fn counts(o: &IngestOutcome) -> WebhookCounts {
    let r = &o.report;
    WebhookCounts {
        stored: r.messages_stored,
        duplicates: r.duplicates,
        edits: r.edits_applied,
        deletions: r.deletions_applied,
        connections: r.connections,
        ignored: r.ignored,
        unowned: o.unowned,
        linked: o.linked,
        parked: o.parked,
        dropped: o.dropped,
    }
}

#[async_trait]
impl TelegramIntegration for Telegram {
    async fn handle_webhook(&self, body: &[u8]) -> Result<WebhookResult, ApiError> {
        match telegcrm_telegram::handle_webhook_body(&self.ingest, body).await {
            Ok(Some(outcome)) => {
                // A refused update is parked (or dropped at the cap) and answered 200 all the same,
                // or Telegram would deliver it again forever.
                let refused = outcome.parked + outcome.dropped;
                if refused == 0 {
                    crate::metrics::global().ingested(1);
                }
                crate::metrics::global().refused(outcome.parked, outcome.dropped);
                Ok(WebhookResult::Handled(counts(&outcome)))
            }
            Ok(None) => {
                crate::metrics::global().skipped(1);
                Ok(WebhookResult::Skipped { skipped: true })
            }
            Err(WebhookError::BadBody(e)) => Err(ApiError::BadRequest(format!("not a Telegram update: {e}"))),
            Err(WebhookError::Ingest(e)) => Err(ApiError::Crm(e)),
        }
    }

    async fn create_link(&self, avatar: AvatarId) -> Result<LinkCode, ApiError> {
        let username = self.bot_username().await?.to_owned();
        Ok(self.ingest.service().create_link_code(avatar, &username).await?)
    }

    async fn linked_account(&self, avatar: AvatarId) -> Result<Option<LinkedAccount>, ApiError> {
        let user = self.ingest.service().linked_telegram_user(avatar).await?;
        Ok(user.map(|u| LinkedAccount { telegram_id: u.id, first_name: u.first_name, last_name: u.last_name, username: u.username }))
    }
}

/// Background work started with the server; stopped with it.
#[derive(Debug)]
pub struct Jobs {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// Asks every job to stop and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// Starts polling or registers the webhook, as configured.
pub fn start_jobs(service: &CrmService, config: &Config) -> Jobs {
    let (stop, stopped) = watch::channel(false);
    let instance = config.instance.clone().unwrap_or_else(instance_name);
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    match (&config.telegram_bot_token, config.telegram_mode) {
        (None, _) | (_, TelegramMode::Off) => {
            tracing::info!("Telegram is off (no TELEGRAM_BOT_TOKEN or TELEGRAM_MODE=off): no polling, no sending");
        }
        (Some(token), TelegramMode::Polling) => {
            let api = TelegramApi::new(&config.telegram_api_url, token.expose());
            let ingest = TelegramIngest::new(service.clone(), config.owner_avatar_id, api.bot_id());
            let lease = PollLease { holder: instance.clone(), ttl: config.telegram_poll_lease };
            let poller = Poller::new(api.clone(), ingest, PollerConfig { lease: Some(lease), ..PollerConfig::default() })
                .with_observer(std::sync::Arc::new(observe_batch));
            handles.push(tokio::spawn(async move {
                let summary = poller.run(stopped).await;
                tracing::info!(?summary, "the Telegram poller stopped");
            }));
        }
        (Some(token), TelegramMode::Webhook) => {
            let api = TelegramApi::new(&config.telegram_api_url, token.expose());
            let url = config.telegram_webhook_url.clone().unwrap_or_default();
            let secret = config.telegram_webhook_secret.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default();
            let mut stopped = stopped;
            handles.push(tokio::spawn(async move {
                // Telegram may be unreachable at start: retry until registered or stopped.
                let mut wait = std::time::Duration::from_secs(1);
                loop {
                    match telegcrm_telegram::register_webhook(&api, &url, &secret).await {
                        Ok(()) => return,
                        Err(e) => tracing::warn!(error = %e, "cannot register the Telegram webhook; retrying in {wait:?}"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stopped.changed() => return,
                    }
                    wait = (wait * 2).min(std::time::Duration::from_secs(300));
                }
            }));
        }
    }
    if let Some(gateway) = gateway(config) {
        let (service, stopped) = (service.clone(), stop.subscribe());
        handles.push(tokio::spawn(crate::reminders::run(service, gateway, instance, stopped)));
    }
    Jobs { stop, handles }
}

/// Counts a polled batch in the metrics.
fn observe_batch(b: &BatchReport) {
    let m = crate::metrics::global();
    let refused = b.outcome.parked + b.outcome.dropped;
    let stored = b.updates.saturating_sub(refused + b.outcome.unowned);
    if stored > 0 {
        m.ingested(stored);
    }
    m.skipped(b.skipped);
    m.refused(b.outcome.parked, b.outcome.dropped);
}

/// This process's name in leases and claims when `TELEGCRM_INSTANCE` is not set: host, process
/// id and a random part, so that two instances never share a name (a restarted one then waits for
/// its old polling lease to expire).
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "telegcrm".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

/// The sending gateway, when a token is set.
pub fn gateway(config: &Config) -> Option<Arc<telegcrm_telegram::TelegramSender>> {
    config
        .telegram_bot_token
        .as_ref()
        .map(|t| Arc::new(telegcrm_telegram::TelegramSender::new(TelegramApi::new(&config.telegram_api_url, t.expose()))))
}
