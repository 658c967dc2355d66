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
    #[error("Content-Type must be application/json, got {0:?}")]
    UnsupportedMediaType(String),
    #[error("not found")]
    NotFound,
    #[error("Redis is unavailable; the incident was NOT stored, retry later")]
    Unavailable,
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
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::NotFound => "not_found",
            ApiError::Unavailable => "redis_unavailable",
            ApiError::NotReplicated(_) => "not_replicated",
        }
    }
}

/// Seconds a sender should wait before retrying while Redis is away.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable | ApiError::NotReplicated(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response =
            HttpResponse::build(self.status_code()).json(json!({ "error": self.to_string() }));
        if matches!(self, ApiError::Unavailable | ApiError::NotReplicated(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}
