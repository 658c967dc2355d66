//! `POST /api/incidents`: store the incident(s) and their jobs, answer `201` only once Redis has them.

use crate::error::ApiError;
use crate::ingest::incidents_of;
use crate::ingest::parameters;
use crate::ingest::query::RawIngestQuery;
use crate::ingest::read::{read_body, BodyLimits, ReadBody};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
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
    let mut options = query.check(&state.settings.oncall, &state.settings.alert.slack)?;
    options.unknown_parameters = parameters::unused_parameters(req.query_string());
    let limits = BodyLimits {
        max_bytes: state.settings.alert.body_limit_bytes,
        max_incidents: state.settings.alert.max_incidents_per_request,
        read_timeout: state.settings.alert.body_read_timeout(),
    };
    // The reservation is held until this request has answered: the parsed body lives that long.
    let ReadBody {
        bytes: body,
        reservation: _reservation,
    } = read_body(req, payload, limits, &state.body_budget).await?;
    if state.settings.alert.debug_body {
        tracing::debug!(body = %state.redactor.redact(&String::from_utf8_lossy(&body)), "received webhook body");
    }
    let query_string = req.query_string().to_string();
    let resolve_aws = state.settings.oncall.aws_incident_manager.resolve_incident;
    let store = state.incidents.clone();
    let (incidents, prepared, is_array) = state
        .offload
        .run(body.len(), move || {
            let (incidents, is_array) = incidents_of(body, &options, &query_string, resolve_aws)?;
            let prepared = store.prepare_ingest(&incidents);
            Ok::<_, ApiError>((incidents, prepared, is_array))
        })
        .await?;

    let redis_budget = state.settings.redis.write_budget();
    let results = match tokio::time::timeout(
        redis_budget,
        state.incidents.ingest_prepared(prepared),
    )
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
            tracing::error!(%error, "cannot confirm that the incidents were stored; answering 503 so the sender retries");
            return Err(ApiError::IngestUnconfirmed);
        }
        Err(_) => {
            state.health.mark_down();
            tracing::error!(timeout = ?redis_budget, "Redis did not answer in time; answering 503 so the sender retries");
            return Err(ApiError::IngestUnconfirmed);
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
