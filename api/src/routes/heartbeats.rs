//! `POST /api/heartbeats/{name}`: a beat, any body or none (Alertmanager's Watchdog webhook, a cron job's
//! `curl`), `202` once Redis has it, `404` for a name not configured. `GET /api/heartbeats`: each configured
//! heartbeat's state, last beat and next deadline, as JSON.

use crate::error::ApiError;
use crate::ingest::read::{read_body, BodyLimits};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn beat(
    req: HttpRequest,
    name: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(heartbeat) = state.settings.heartbeat(&name) else {
        return Ok(HttpResponse::NotFound().json(json!({
            "error": "no heartbeat is configured under this name; the names are under `heartbeats` in the configuration (GET /api/heartbeats lists them)"
        })));
    };
    // The body says nothing a beat needs, but it is read (within the ingest limits) so the connection can
    // be kept alive and no sender can hold it open.
    let limits = BodyLimits {
        max_bytes: state.settings.alert.body_limit_bytes,
        max_incidents: usize::MAX,
        read_timeout: state.settings.alert.body_read_timeout(),
    };
    drop(read_body(&req, payload, limits, &state.body_budget).await?);
    let resolve_aws = state.settings.oncall.aws_incident_manager.resolve_incident;
    let budget = state.settings.redis.write_budget();
    let result = match tokio::time::timeout(budget, state.heartbeats.beat(heartbeat, resolve_aws))
        .await
    {
        Ok(Ok(result)) => {
            state.health.mark_ok();
            result
        }
        Ok(Err(error)) => {
            state.health.mark_down();
            tracing::error!(heartbeat = %heartbeat.name, %error, "cannot record the beat; answering 503 so the sender retries");
            return Err(ApiError::Unavailable);
        }
        Err(_) => {
            state.health.mark_down();
            tracing::error!(heartbeat = %heartbeat.name, timeout = ?budget, "Redis did not record the beat in time; answering 503");
            return Err(ApiError::Unavailable);
        }
    };
    metrics::gauge!("versus_heartbeat_last_beat_timestamp_seconds", "name" => heartbeat.name.clone())
        .set(result.at_ms as f64 / 1000.0);
    if let Some(incident_id) = &result.resolved {
        tracing::info!(heartbeat = %heartbeat.name, %incident_id, "heartbeat beat again: its incident is resolved");
    }
    Ok(HttpResponse::Accepted().json(json!({
        "heartbeat": heartbeat.name,
        "resolved_incident": result.resolved,
    })))
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let heartbeats = &state.settings.heartbeats;
    let budget = state.settings.redis.write_budget();
    match tokio::time::timeout(budget, state.heartbeats.statuses(heartbeats)).await {
        Ok(Ok(statuses)) => Ok(HttpResponse::Ok().json(json!({ "heartbeats": statuses }))),
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot read the heartbeats");
            Err(ApiError::Unavailable)
        }
        Err(_) => Err(ApiError::Unavailable),
    }
}
