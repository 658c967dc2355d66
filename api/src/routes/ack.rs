//! `GET|HEAD|POST /api/incidents/ack/{token}` (and `/api/ack/{token}`): the ack page and the
//! acknowledgement. GET and HEAD never change anything: link previews and mail scanners fetch links.
//!
//! The POST may name the person (`name`, see [`LinkForm`]): a named ack is stored as by and person = the
//! name; an unnamed one as by "ack link" and no person.

use super::ack_page;
use super::link_answers::{html, load, not_found, wants_html, write};
use super::link_form::{LinkForm, UNNAMED_LINK};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use versus_shared::domain::incident::{AckChannel, AckResult};

fn invalid(req: &HttpRequest) -> HttpResponse {
    metrics::counter!("versus_acks_total", "via" => "link", "result" => "invalid").increment(1);
    not_found(req)
}

pub async fn show(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(incident) = load(&state, &token).await? else {
        return Ok(invalid(&req));
    };
    if wants_html(&req) || !req.headers().contains_key(header::ACCEPT) {
        return Ok(html(StatusCode::OK, ack_page::show(&incident, req.path())));
    }
    Ok(HttpResponse::Ok().json(json!({
        "id": incident.id, "state": incident.state.as_str(), "title": incident.title,
        "aws_incident_arn": incident.aws_arn.as_deref().unwrap_or_default(),
        "acked_by": incident.acked_by.as_deref().unwrap_or_default(),
        "noise_by": incident.noise_by.as_deref().unwrap_or_default(),
    })))
}

pub async fn acknowledge(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(incident) = load(&state, &token).await? else {
        return Ok(invalid(&req));
    };
    // The ack is what keeps the page from being sent: a name or body that cannot be kept never holds it up.
    // The ack is made unnamed and the answer says why the name was not kept.
    let (form, name_not_kept) = match LinkForm::parse(&req, &body) {
        Ok(form) => (form, None),
        Err(error) => (LinkForm::default(), Some(error.to_string())),
    };
    let by = form.name.as_deref().unwrap_or(UNNAMED_LINK);
    let person = form.name.as_deref().unwrap_or("");
    let result = write(
        &state,
        state
            .incidents
            .ack(&incident.id, by, AckChannel::Link, person),
    )
    .await?;
    record(&incident.id, &result, "link");
    if wants_html(&req) {
        return Ok(html(
            StatusCode::OK,
            ack_page::result(&incident.title, &result, name_not_kept.as_deref()),
        ));
    }
    let mut answer = ack_json(&incident.id, &result);
    if let Some(why) = name_not_kept {
        answer["name_not_kept"] = json!(why);
    }
    Ok(HttpResponse::Ok().json(answer))
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
