//! Health, metrics, the OpenAPI document, the caller's identity, the Telegram webhook, and 404s.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ok};

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
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::document())
}

/// Any unknown route.
pub async fn not_found(req: HttpRequest) -> ApiResult {
    Err(ApiError::NotFound(format!("no route {} {}", req.method(), req.path())))
}

/// GET /me: the caller's avatar and linked Telegram account.
pub async fn me(state: State, caller: Caller) -> ApiResult {
    let telegram = match &state.telegram {
        Some(t) => t.linked_account(caller.0).await?,
        None => None,
    };
    Ok(ok(json!({ "avatarId": caller.0, "telegram": telegram })))
}

/// POST /me/telegram-link: a single-use deep link that proves a Telegram account is the caller's.
pub async fn telegram_link(state: State, caller: Caller) -> ApiResult {
    let telegram = state.telegram.as_ref().ok_or_else(|| ApiError::Unavailable("Telegram is not configured on this server".into()))?;
    Ok(crate::error::created(telegram.create_link(caller.0).await?))
}

/// POST /telegram/webhook: Telegram's calls. The secret header must match; the answer is 200
/// only once the update is stored, so Telegram retries on failure.
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
