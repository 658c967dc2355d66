//! `POST /api/incidents/noise/{token}` (and `/api/noise/{token}`): mark the incident of an ack token as noise
//! (a false positive), or take the mark off (`noise=0`). Same token and checks as the ack link; repeating a
//! request changes nothing more. There is no GET: the ack page holds the form.

use super::link_answers::{bad_request, html, load, not_found, wants_html, write};
use super::link_form::{LinkForm, UNNAMED_LINK};
use super::noise_page;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use versus_shared::domain::incident::NoiseResult;

pub async fn mark(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(incident) = load(&state, &token).await? else {
        count("link", "invalid");
        return Ok(not_found(&req));
    };
    let form = match LinkForm::parse(&req, &body) {
        Ok(form) => form,
        Err(error) => return Ok(bad_request(&req, error)),
    };
    let noise = form.noise.unwrap_or(true);
    let by = form.name.as_deref().unwrap_or(UNNAMED_LINK);
    let result = write(&state, state.incidents.mark_noise(&incident.id, noise, by)).await?;
    record(&incident.id, result, "link");
    if wants_html(&req) {
        let back = req.path().replacen("/noise/", "/ack/", 1);
        return Ok(html(
            StatusCode::OK,
            noise_page::result(&incident.title, result, &back),
        ));
    }
    Ok(HttpResponse::Ok().json(json!({
        "id": incident.id,
        "result": result.as_str(),
        "noise": result.is_noise(),
        "message": noise_page::result_message(result),
    })))
}

fn count(via: &'static str, result: &'static str) {
    metrics::counter!("versus_noise_marks_total", "via" => via, "result" => result).increment(1);
}

/// Metrics and the log line of a noise mark, shared with the Slack button.
pub fn record(id: &str, result: NoiseResult, via: &'static str) {
    count(via, result.as_str());
    tracing::info!(incident_id = %id, via, result = result.as_str(), "noise mark");
}
