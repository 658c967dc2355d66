//! What the ack link's routes (acknowledge, noise) share: reading the incident a token names, answering as a
//! page or as JSON, and turning a store failure into the answer that says when to retry.

use super::ack_page;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use std::future::Future;
use versus_shared::domain::incident::{Incident, StoreError};

/// Largest body an ack or noise POST may send (a name and a flag; the page's form sends well under 200 bytes).
pub const LINK_BODY_LIMIT: usize = 4096;

/// A browser (HTML accepted, or the page's form posted) gets a page; anything else JSON.
pub fn wants_html(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/html") || is_form(req)
}

pub fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// The answer to a token that does not verify or whose incident is gone (the caller counts it).
pub fn not_found(req: &HttpRequest) -> HttpResponse {
    if wants_html(req) {
        html(StatusCode::NOT_FOUND, ack_page::not_found())
    } else {
        actix_web::ResponseError::error_response(&ApiError::NotFound)
    }
}

/// A `400` as a page for the form (so the person sees what to fix) or as JSON.
pub fn bad_request(req: &HttpRequest, error: ApiError) -> HttpResponse {
    if wants_html(req) {
        html(
            StatusCode::BAD_REQUEST,
            ack_page::bad_request(&error.to_string()),
        )
    } else {
        actix_web::ResponseError::error_response(&error)
    }
}

/// The incident a genuine token names; `None` for a token that does not verify or an incident that is gone.
pub async fn load(state: &AppState, token: &str) -> Result<Option<Incident>, ApiError> {
    let Some(id) = state.signer.as_ref().and_then(|s| s.verify(token)) else {
        return Ok(None);
    };
    let budget = state.settings.redis.request_budget();
    match tokio::time::timeout(budget, state.incidents.get(&id)).await {
        Ok(Ok(incident)) => Ok(incident),
        _ => Err(ApiError::Unavailable),
    }
}

/// Runs a state change within `redis.write_budget`: a replication shortfall and an unreachable Redis each
/// become the `503` that says to retry.
pub async fn write<T>(
    state: &AppState,
    change: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(state.settings.redis.write_budget(), change).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(StoreError::NotReplicated(shortfall))) => Err(ApiError::NotReplicated(shortfall)),
        _ => Err(ApiError::Unavailable),
    }
}
