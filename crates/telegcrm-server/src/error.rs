//! The one place where errors become HTTP answers: status, `errorCode` and the OASIS-style envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use telegcrm_domain::{CrmError, GatewayError, StoreError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A domain operation failed.
    #[error(transparent)]
    Crm(#[from] CrmError),
    /// The request is malformed (JSON, UUID, enum value, limit, date).
    #[error("{0}")]
    BadRequest(String),
    /// No or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such route or record.
    #[error("{0}")]
    NotFound(String),
    /// The body is over the limit.
    #[error("the request body is larger than 1 MiB")]
    PayloadTooLarge,
    /// The body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Valid JSON that means something invalid.
    #[error("{0}")]
    Unprocessable(String),
    /// A dependency is not there.
    #[error("{0}")]
    Unavailable(String),
}

impl From<telegcrm_domain::ParseError> for ApiError {
    fn from(e: telegcrm_domain::ParseError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl ApiError {
    /// The `errorCode` of the envelope.
    pub fn code(&self) -> &'static str {
        match self.status_code() {
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::CONFLICT => "conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
            StatusCode::BAD_GATEWAY => "upstream",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            _ => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Crm(e) => match e {
                CrmError::NotFound { .. } => StatusCode::NOT_FOUND,
                CrmError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                CrmError::Parse(_) => StatusCode::BAD_REQUEST,
                CrmError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
                CrmError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
                CrmError::Store(StoreError::Corrupt(_)) => StatusCode::INTERNAL_SERVER_ERROR,
                CrmError::Directory(_) => StatusCode::BAD_GATEWAY,
                CrmError::Gateway(GatewayError::NotConfigured) => StatusCode::SERVICE_UNAVAILABLE,
                CrmError::Gateway(_) => StatusCode::BAD_GATEWAY,
            },
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Details of internal failures go to the log, not to clients.
            tracing::error!(error = %self, "internal error");
            "internal error; see the server log".to_owned()
        } else {
            if matches!(self, Self::Crm(CrmError::Store(_))) {
                tracing::warn!(error = %self, "store error");
                crate::metrics::global().store_error();
            }
            self.to_string()
        };
        let mut res = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.json(json!({ "isError": true, "message": message, "errorCode": self.code() }))
    }
}

/// The success envelope, serialised straight from the payload (no intermediate JSON tree).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    is_error: bool,
    message: &'static str,
    result: T,
}

/// The success envelope: `{"isError": false, "message": "", "result": ...}`.
pub fn ok<T: serde::Serialize>(result: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope { is_error: false, message: "", result })
}

/// A 201 with the success envelope.
pub fn created<T: serde::Serialize>(result: T) -> HttpResponse {
    HttpResponse::Created().json(Envelope { is_error: false, message: "", result })
}

/// The handler result type.
pub type ApiResult = Result<HttpResponse, ApiError>;
