//! Reading a webhook body within its bounds: `alert.body_limit_bytes` for the request,
//! `alert.max_incidents_per_request` for the incidents in it (counted as the bytes arrive), and the
//! API-wide [`BodyBudget`]. Each bound is checked before the bytes it covers are kept.

use super::budget::{BodyBudget, Reservation};
use super::count::IncidentCounter;
use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures::StreamExt;

/// The per-request bounds, from `alert.*`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub max_incidents: usize,
    /// The whole body must arrive within this, or its budget share is given back with a `408`.
    pub read_timeout: std::time::Duration,
}

/// A body read in full, with the share of the budget it holds until the request has answered.
pub struct ReadBody {
    pub bytes: web::BytesMut,
    pub reservation: Reservation,
}

pub async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limits: BodyLimits,
    budget: &BodyBudget,
) -> Result<ReadBody, ApiError> {
    tokio::time::timeout(
        limits.read_timeout,
        read_within_bounds(req, payload, limits, budget),
    )
    .await
    .unwrap_or(Err(ApiError::BodyTimeout {
        seconds: limits.read_timeout.as_secs_f64(),
    }))
}

async fn read_within_bounds(
    req: &HttpRequest,
    mut payload: web::Payload,
    limits: BodyLimits,
    budget: &BodyBudget,
) -> Result<ReadBody, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limits.max_bytes) {
        return Err(ApiError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let mut reservation = budget.reservation();
    // A declared length is reserved whole, before the first byte is read; a streamed body chunk by chunk.
    if let Some(length) = declared {
        if !budget.reserve(&mut reservation, length) {
            return Err(ApiError::Busy);
        }
    }
    let mut counter = IncidentCounter::default();
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(4096).min(limits.max_bytes));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "invalid_json",
                format!("request body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(ApiError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        let unreserved = (body.len() + chunk.len()).saturating_sub(reservation.bytes());
        if !budget.reserve(&mut reservation, unreserved) {
            return Err(ApiError::Busy);
        }
        counter.feed(&chunk);
        if counter.count() > limits.max_incidents {
            return Err(ApiError::TooManyIncidents {
                limit: limits.max_incidents,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(ReadBody {
        bytes: body,
        reservation,
    })
}
