//! `GET|HEAD|POST /api/incidents/ack/{token}` (and `/api/ack/{token}`): the ack page and the
//! acknowledgement. GET and HEAD never change anything: link previews and mail scanners fetch links.

use super::ack_page;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use versus_shared::domain::incident::{AckChannel, AckResult, Incident, StoreError};

fn wants_html(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    accept.contains("text/html") || form
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

fn not_found(req: &HttpRequest) -> HttpResponse {
    metrics::counter!("versus_acks_total", "via" => "link", "result" => "invalid").increment(1);
    if wants_html(req) {
        html(
            actix_web::http::StatusCode::NOT_FOUND,
            ack_page::not_found(),
        )
    } else {
        actix_web::ResponseError::error_response(&ApiError::NotFound)
    }
}

async fn load(state: &AppState, token: &str) -> Result<Option<Incident>, ApiError> {
    let Some(id) = state.signer.as_ref().and_then(|s| s.verify(token)) else {
        return Ok(None);
    };
    let budget = state.settings.redis.request_budget();
    match tokio::time::timeout(budget, state.incidents.get(&id)).await {
        Ok(Ok(incident)) => Ok(incident),
        _ => Err(ApiError::Unavailable),
    }
}

pub async fn show(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(incident) = load(&state, &token).await? else {
        return Ok(not_found(&req));
    };
    if wants_html(&req) || !req.headers().contains_key(header::ACCEPT) {
        return Ok(html(
            actix_web::http::StatusCode::OK,
            ack_page::show(&incident, req.path()),
        ));
    }
    Ok(HttpResponse::Ok().json(json!({
        "id": incident.id, "state": incident.state.as_str(), "title": incident.title,
        "aws_incident_arn": incident.aws_arn.as_deref().unwrap_or_default(),
        "acked_by": incident.acked_by.as_deref().unwrap_or_default(),
    })))
}

pub async fn acknowledge(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(incident) = load(&state, &token).await? else {
        return Ok(not_found(&req));
    };
    let budget = state.settings.redis.write_budget();
    let result = match tokio::time::timeout(
        budget,
        state
            .incidents
            .ack(&incident.id, "ack link", AckChannel::Link, ""),
    )
    .await
    {
        Ok(Ok(result)) => result,
        Ok(Err(StoreError::NotReplicated(shortfall))) => {
            return Err(ApiError::NotReplicated(shortfall))
        }
        _ => return Err(ApiError::Unavailable),
    };
    record(&incident.id, &result, "link");
    if wants_html(&req) {
        return Ok(html(
            actix_web::http::StatusCode::OK,
            ack_page::result(&incident.title, &result),
        ));
    }
    Ok(HttpResponse::Ok().json(ack_json(&incident.id, &result)))
}

/// Metrics and the log line of an acknowledgement, shared with the Slack button.
pub fn record(id: &str, result: &AckResult, via: &'static str) {
    let label = match result {
        AckResult::Acked { at_ms, created_ms } => {
            metrics::histogram!("versus_time_to_acknowledge_seconds")
                .record((at_ms - created_ms).max(0) as f64 / 1000.0);
            "acked"
        }
        AckResult::AlreadyAcked { .. } => "already_acked",
        AckResult::Escalated { .. } => "too_late",
        AckResult::Resolved { .. } => "too_late",
        AckResult::Missing => "missing",
    };
    metrics::counter!("versus_acks_total", "via" => via, "result" => label).increment(1);
    tracing::info!(incident_id = %id, via, result = label, "acknowledgement");
}

pub fn ack_json(id: &str, result: &AckResult) -> serde_json::Value {
    let (state, at_ms) = match result {
        AckResult::Acked { at_ms, .. } => ("acked", *at_ms),
        AckResult::AlreadyAcked { at_ms, .. } => ("already_acked", *at_ms),
        AckResult::Escalated { at_ms, .. } => ("escalated", *at_ms),
        AckResult::Resolved { at_ms } => ("resolved", *at_ms),
        AckResult::Missing => ("missing", 0),
    };
    let mut body = json!({
        "id": id, "result": state, "at": ack_page::format_ms(at_ms), "message": ack_page::result_message(result),
    });
    if let AckResult::Escalated { aws_arn, .. } = result {
        body["aws_incident_arn"] = json!(aws_arn.as_deref().unwrap_or_default());
    }
    if let AckResult::AlreadyAcked { by, .. } = result {
        body["acked_by"] = json!(by.as_deref().unwrap_or_default());
    }
    body
}
