//! `POST /api/incidents`: store the incident(s) and their jobs, answer `201` only once Redis has them.

use crate::error::ApiError;
use crate::ingest::{body, new_incident, query::RawIngestQuery};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Instant;
use versus_shared::domain::incident::{IngestOutcome, IngestResult, StoreError};

pub async fn ingest(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let response = match accept(&req, payload, &state).await {
        Ok(response) => response,
        Err(error) => {
            metrics::counter!("versus_ingest_rejected_total", "reason" => error.reason())
                .increment(1);
            tracing::warn!(status = %actix_web::ResponseError::status_code(&error), %error, "webhook rejected");
            actix_web::ResponseError::error_response(&error)
        }
    };
    metrics::histogram!("versus_ingest_request_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    response
}

async fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    check_content_type(req)?;
    let query = web::Query::<RawIngestQuery>::from_query(req.query_string()).map_err(|e| {
        ApiError::bad_request("invalid_query", format!("query string is malformed: {e}"))
    })?;
    let options = query.check(&state.settings.oncall)?;
    let body = read_limited(req, payload, state.settings.alert.body_limit_bytes).await?;
    if state.settings.alert.debug_body {
        tracing::debug!(body = %state.redactor.redact(&String::from_utf8_lossy(&body)), "received webhook body");
    }
    let starts_as_array = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let payloads = body::parse(body)?;
    let is_array = payloads.len() > 1 || starts_as_array;
    let resolve_aws = state.settings.oncall.aws_incident_manager.resolve_incident;
    let incidents: Vec<_> = payloads
        .into_iter()
        .enumerate()
        .map(|(index, payload)| {
            new_incident(
                payload,
                &options,
                &format!("{}#{index}", req.query_string()),
                resolve_aws,
            )
        })
        .collect();

    let redis_budget = state.settings.redis.write_budget();
    let results = match tokio::time::timeout(redis_budget, state.incidents.ingest_many(&incidents))
        .await
    {
        Ok(Ok(results)) => {
            state.health.mark_ok();
            results
        }
        // Redis answers; its replicas do not. Readiness stays up: another API process would fare no better.
        Ok(Err(StoreError::NotReplicated(shortfall))) => {
            state.health.mark_ok();
            return Err(ApiError::NotReplicated(shortfall));
        }
        Ok(Err(error)) => {
            state.health.mark_down();
            tracing::error!(%error, "cannot store incident; answering 503 so the sender retries");
            return Err(ApiError::Unavailable);
        }
        Err(_) => {
            state.health.mark_down();
            tracing::error!(timeout = ?redis_budget, "Redis did not answer in time; answering 503 so the sender retries");
            return Err(ApiError::Unavailable);
        }
    };

    let answers: Vec<Value> = results
        .iter()
        .zip(&incidents)
        .map(|(result, incident)| {
            record(result, incident.source, incident.resolved);
            let mut answer = json!({ "id": result.id, "outcome": outcome_label(&result.outcome) });
            if let (Some(signer), Some(_)) = (&state.signer, &incident.oncall) {
                if !incident.resolved {
                    answer["ack_url"] =
                        json!(signer.ack_url(&state.settings.public_host, &result.id));
                }
            }
            answer
        })
        .collect();
    let body = if is_array {
        Value::Array(answers)
    } else {
        answers.into_iter().next().unwrap_or(Value::Null)
    };
    Ok(HttpResponse::Created().json(body))
}

fn record(result: &IngestResult, source: &'static str, resolved: bool) {
    let status = if resolved { "resolved" } else { "firing" };
    metrics::counter!("versus_incidents_received_total", "source" => source, "status" => status)
        .increment(1);
    match &result.outcome {
        IngestOutcome::Created => {
            tracing::info!(incident_id = %result.id, source, status, "incident created")
        }
        IngestOutcome::Resolved { previous, open_for } => {
            metrics::histogram!("versus_time_to_resolve_seconds").record(open_for.as_secs_f64());
            tracing::info!(incident_id = %result.id, previous = %previous, open_for = ?open_for, "incident resolved")
        }
        IngestOutcome::Updated | IngestOutcome::Unchanged | IngestOutcome::DuplicateRequest => {
            metrics::counter!("versus_incident_deduplicated_total").increment(1);
            tracing::info!(incident_id = %result.id, outcome = outcome_label(&result.outcome), "re-send joined an open incident")
        }
    }
}

fn outcome_label(outcome: &IngestOutcome) -> &'static str {
    match outcome {
        IngestOutcome::Created => "created",
        IngestOutcome::Updated => "updated",
        IngestOutcome::Unchanged => "unchanged",
        IngestOutcome::Resolved { .. } => "resolved",
        IngestOutcome::DuplicateRequest => "duplicate_request",
    }
}

/// JSON only (`application/json`, `application/*+json`); a missing Content-Type is read as JSON.
fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let mime = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(text.to_string()))
    }
}

async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(4096).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "invalid_json",
                format!("request body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
