//! Errors a request can end in, each with the status and a JSON body `{"error": "..."}` that says what
//! was wrong and what to do.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    /// `reason` is a bounded metrics label; `message` says what was wrong and where.
    #[error("{message}")]
    BadRequest {
        reason: &'static str,
        message: String,
    },
    #[error("request body is larger than the limit of {limit} bytes (alert.body_limit_bytes)")]
    TooLarge { limit: usize },
    #[error("the array holds more than {limit} incidents, the limit of one request (alert.max_incidents_per_request); nothing was stored: send them in smaller arrays")]
    TooManyIncidents { limit: usize },
    #[error("the request body did not arrive within {seconds} s (alert.body_read_timeout_ms); nothing was stored")]
    BodyTimeout { seconds: f64 },
    #[error("Content-Type must be application/json, got {0:?}")]
    UnsupportedMediaType(String),
    #[error("not found")]
    NotFound,
    #[error("Redis is unavailable or did not answer in time; retry shortly")]
    Unavailable,
    /// Ingest's answer when Redis fails mid-request: some of the incidents' scripts may have run.
    #[error("Redis did not confirm the write, so the incidents of this request may be partly stored; retrying is safe: a retry of the same request joins what was stored instead of storing it twice")]
    IngestUnconfirmed,
    #[error("versus-api is reading as many webhook bodies as it has memory for (alert.body_budget_bytes); nothing was stored: retry shortly")]
    Busy,
    /// Strict replication refused the write (see `versus_shared::infra::replication`).
    #[error("{0}")]
    NotReplicated(versus_shared::infra::replication::Shortfall),
}

impl ApiError {
    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            reason,
            message: message.into(),
        }
    }

    /// Bounded label for `versus_ingest_rejected_total{reason}`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::BadRequest { reason, .. } => reason,
            ApiError::TooLarge { .. } => "too_large",
            ApiError::TooManyIncidents { .. } => "too_many_incidents",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::NotFound => "not_found",
            ApiError::Unavailable | ApiError::IngestUnconfirmed => "redis_unavailable",
            ApiError::Busy => "busy",
            ApiError::NotReplicated(_) => "not_replicated",
        }
    }
}

/// Seconds a sender should wait before retrying while Redis is away.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// Seconds a sender should wait before retrying while the body budget is spent: it frees up as soon as
/// the requests in flight answer.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 1;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } | ApiError::TooManyIncidents { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable
            | ApiError::IngestUnconfirmed
            | ApiError::Busy
            | ApiError::NotReplicated(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response =
            HttpResponse::build(self.status_code()).json(json!({ "error": self.to_string() }));
        let retry_after = match self {
            ApiError::Unavailable | ApiError::IngestUnconfirmed | ApiError::NotReplicated(_) => {
                Some(RETRY_AFTER_SECONDS)
            }
            ApiError::Busy => Some(BUSY_RETRY_AFTER_SECONDS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
