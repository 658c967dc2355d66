//! `/healthz` (the process answers) and `/readyz` (Redis answers within a short timeout).

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use versus_shared::app::probes;

pub async fn healthz() -> HttpResponse {
    probes::healthz()
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    probes::readyz(&state.health, &state.redis).await
}

/// Checks Redis first, so `versus_redis_up` is current at every scrape even when no alerts arrive.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state
        .health
        .probe(&state.redis, probes::READY_PROBE_TIMEOUT)
        .await;
    probes::metrics(&state.metrics)
}
