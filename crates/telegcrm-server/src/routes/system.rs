//! Health, metrics, the OpenAPI document, the caller's identity, the Telegram webhook, and 404s.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use telegcrm_domain::AvatarId;
use telegcrm_domain::service::LinkCode;
use utoipa::ToSchema;

use crate::app::{AppState, LinkedAccount, WebhookResult};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Envelope, ok};
use crate::openapi::{AUTH, BAD, BODY, Errors, INVALID, Legacy, SECRET, UNAVAILABLE, UPSTREAM};

type State = web::Data<AppState>;

/// GET /healthz: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "isError": false, "message": "", "result": { "status": "ok" } }))
}

/// GET /readyz: the store answers.
pub async fn readyz(state: State) -> ApiResult {
    state.service.ping().await.map_err(|e| ApiError::Unavailable(format!("store not ready: {e}")))?;
    Ok(ok(json!({ "status": "ready" })))
}

/// GET /metrics: Prometheus text, with the store's parked updates when the store answers.
pub async fn metrics(state: State) -> HttpResponse {
    let store = match tokio::try_join!(state.service.parked_count(), state.service.parked_dropped()) {
        Ok((parked, dropped)) => Some(crate::metrics::StoreGauges { parked, dropped }),
        Err(e) => {
            tracing::warn!(error = %e, "/metrics: cannot count the parked updates");
            None
        }
    };
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::global().render(store.as_ref()))
}

/// GET /api/telegram-crm/openapi.json
#[utoipa::path(get, path = "/api/telegram-crm/openapi.json", operation_id = "openapi", tag = "system",
    summary = "This document (no credentials needed)",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::json())
}

/// Any unknown route.
pub async fn not_found(req: HttpRequest) -> ApiResult {
    Err(ApiError::NotFound(format!("no route {} {}", req.method(), req.path())))
}

/// The caller's identity.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The caller's avatar.
    avatar_id: AvatarId,
    /// The workspace this request works in (`X-Workspace`; the caller's own when absent).
    workspace_avatar_id: AvatarId,
    /// The caller's role there.
    role: telegcrm_domain::Role,
    /// The Telegram account linked to it (`POST /me/telegram-link`), or null.
    telegram: Option<LinkedAccount>,
}

/// GET /me: the caller's avatar and linked Telegram account.
#[utoipa::path(get, path = "/api/telegram-crm/me", operation_id = "me", tag = "system",
    summary = "The caller's avatar and its linked Telegram account",
    params(Legacy),
    responses((status = 200, description = "the caller", body = Envelope<Me>), Errors<{ AUTH | UNAVAILABLE }>))]
pub async fn me(state: State, caller: Caller) -> ApiResult {
    let telegram = match &state.telegram {
        Some(t) => t.linked_account(caller.avatar()).await?,
        None => None,
    };
    Ok(ok(Me { avatar_id: caller.avatar(), workspace_avatar_id: caller.workspace(), role: caller.by().role(), telegram }))
}

/// POST /me/telegram-link: a single-use deep link that proves a Telegram account is the caller's.
#[utoipa::path(post, path = "/api/telegram-crm/me/telegram-link", operation_id = "createTelegramLink", tag = "system",
    summary = "A single-use deep link (10 minutes): `/start <code>` sent to the bot links the sender's Telegram account to the caller",
    params(Legacy),
    responses((status = 201, description = "the code and its deep link", body = Envelope<LinkCode>),
        Errors<{ AUTH | UPSTREAM | UNAVAILABLE }>))]
pub async fn telegram_link(state: State, caller: Caller) -> ApiResult {
    let telegram = state.telegram.as_ref().ok_or_else(|| ApiError::Unavailable("Telegram is not configured on this server".into()))?;
    let own = caller.by().require(telegcrm_domain::Action::LinkTelegram)?;
    Ok(crate::error::created(telegram.create_link(own).await?))
}

/// A Telegram Bot API `Update` (https://core.telegram.org/bots/api#update).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body; the webhook parses it with the Telegram adapter
pub struct TelegramUpdate {
    /// The update's id.
    update_id: i64,
}

/// POST /telegram/webhook: Telegram's calls. The secret header must match; the answer is 200
/// only once the update is stored, so Telegram retries on failure.
#[utoipa::path(post, path = "/api/telegram-crm/telegram/webhook", operation_id = "telegramWebhook", tag = "telegram",
    summary = "Telegram's webhook: answered 200 once the update is stored; an update kind not handled is 200 and skipped",
    request_body(content = TelegramUpdate, description = "one Telegram Update"),
    responses((status = 200, description = "what was done", body = Envelope<WebhookResult>),
        Errors<{ BAD | SECRET | BODY | INVALID | UNAVAILABLE }>))]
pub async fn webhook(state: State, req: HttpRequest, body: web::Bytes) -> ApiResult {
    let secret = state
        .webhook_secret
        .as_ref()
        .ok_or_else(|| ApiError::Unauthorized("the webhook is disabled: TELEGRAM_WEBHOOK_SECRET is not set".into()))?;
    let presented = req.headers().get("x-telegram-bot-api-secret-token").map(|v| v.as_bytes()).unwrap_or_default();
    if !secret.matches(presented) {
        return Err(ApiError::Unauthorized("wrong or missing X-Telegram-Bot-Api-Secret-Token".into()));
    }
    let telegram = state.telegram.as_ref().ok_or_else(|| ApiError::Unavailable("Telegram is not configured on this server".into()))?;
    let outcome = telegram.handle_webhook(&body).await?;
    Ok(ok(outcome))
}
