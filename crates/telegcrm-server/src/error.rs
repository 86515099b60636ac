//! The one place where errors become HTTP answers: status, `errorCode` and the OASIS-style envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use telegcrm_domain::{CrmError, GatewayError, StoreError};
use telegcrm_import::upload::UploadError;

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
    /// The path exists, but not with this method.
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed {
        /// The method asked for.
        method: String,
        /// The methods the path has, for the `Allow` header.
        allow: String,
    },
    /// The body is over the limit.
    #[error("the request body is larger than 1 MiB")]
    PayloadTooLarge,
    /// An uploaded export refused: too large (413), empty or not an export (400).
    #[error(transparent)]
    Upload(#[from] telegcrm_import::upload::UploadError),
    /// A file to send refused while reading its form: too large (413), not a form (400).
    #[error(transparent)]
    Form(#[from] telegcrm_dashboard::form::FormError),
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

impl From<actix_multipart::MultipartError> for ApiError {
    fn from(e: actix_multipart::MultipartError) -> Self {
        use actix_multipart::MultipartError as M;
        match e {
            M::ContentTypeMissing | M::ContentTypeParse | M::ContentTypeIncompatible => {
                Self::UnsupportedMediaType("send multipart/form-data, the file in a field named file".into())
            }
            other => Self::BadRequest(format!("unreadable multipart body: {other}")),
        }
    }
}

impl From<telegcrm_domain::ParseError> for ApiError {
    fn from(e: telegcrm_domain::ParseError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<telegcrm_export::FormatError> for ApiError {
    fn from(e: telegcrm_export::FormatError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

/// The `errorCode` of an error envelope, one per status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: malformed JSON, UUID, enum value, date, limit or cursor; unknown JSON fields.
    BadRequest,
    /// 401: no or bad credentials.
    Unauthorized,
    /// 403: authenticated, but not allowed.
    Forbidden,
    /// 404: no such record for this caller, or no such route.
    NotFound,
    /// 405: the path exists, but not with this method (the `Allow` header lists its methods).
    MethodNotAllowed,
    /// 409: a uniqueness rule of the store.
    Conflict,
    /// 413: a body over 1 MiB, or an uploaded export over TELEGCRM_IMPORT_MAX_BYTES.
    PayloadTooLarge,
    /// 415: a body that is not `application/json`.
    UnsupportedMediaType,
    /// 422: valid JSON that means something invalid.
    Unprocessable,
    /// 502: Telegram or OASIS failed.
    Upstream,
    /// 503: the store does not answer, or a dependency is not configured.
    Unavailable,
    /// 500: a bug or a corrupt store; details are in the server log.
    Internal,
}

/// The error envelope: `{"isError": true, "message": "...", "errorCode": "..."}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Always true.
    pub is_error: bool,
    /// What went wrong and why.
    pub message: String,
    /// The kind of error.
    pub error_code: ErrorCode,
}

impl ApiError {
    /// The `errorCode` of the envelope.
    pub fn code(&self) -> ErrorCode {
        match self.status_code() {
            StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::Unprocessable,
            StatusCode::BAD_GATEWAY => ErrorCode::Upstream,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Crm(e) => match e {
                CrmError::NotFound { .. } => StatusCode::NOT_FOUND,
                CrmError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                CrmError::Forbidden { .. } => StatusCode::FORBIDDEN,
                CrmError::Conflict(_) => StatusCode::CONFLICT,
                CrmError::Parse(_) => StatusCode::BAD_REQUEST,
                CrmError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
                CrmError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
                CrmError::Store(StoreError::Corrupt(_)) => StatusCode::INTERNAL_SERVER_ERROR,
                CrmError::Directory(_) => StatusCode::BAD_GATEWAY,
                CrmError::Gateway(GatewayError::NotConfigured) => StatusCode::SERVICE_UNAVAILABLE,
                CrmError::Gateway(GatewayError::FileTooLarge { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
                CrmError::Gateway(_) => StatusCode::BAD_GATEWAY,
            },
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Upload(e) => match e {
                UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                UploadError::Empty | UploadError::NotAnExport(_) | UploadError::BadField(_) => StatusCode::BAD_REQUEST,
                UploadError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Form(e) => match e {
                telegcrm_dashboard::form::FormError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                telegcrm_dashboard::form::FormError::Bad(_) | telegcrm_dashboard::form::FormError::Refused => StatusCode::BAD_REQUEST,
                telegcrm_dashboard::form::FormError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
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
        if let Self::MethodNotAllowed { allow, .. } = self {
            res.insert_header(("Allow", allow.as_str()));
        }
        res.json(ErrorBody { is_error: true, message, error_code: self.code() })
    }
}

/// The success envelope, serialised straight from the payload (no intermediate JSON tree).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// Always false.
    is_error: bool,
    /// Always empty.
    #[schema(value_type = String)]
    message: &'static str,
    /// The payload.
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

/// A 202 with the success envelope and a `Location` header (work started in the background).
pub fn accepted<T: serde::Serialize>(result: T, location: &str) -> HttpResponse {
    HttpResponse::Accepted().insert_header((actix_web::http::header::LOCATION, location)).json(Envelope {
        is_error: false,
        message: "",
        result,
    })
}

/// The handler result type.
pub type ApiResult = Result<HttpResponse, ApiError>;
