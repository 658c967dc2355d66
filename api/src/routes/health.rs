//! `/healthz` (the process answers) and `/readyz` (Redis answers within a short timeout).

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use std::time::Duration;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state
        .health
        .probe(&state.redis, Duration::from_millis(500))
        .await
    {
        HttpResponse::Ok()
            .content_type("text/plain")
            .body("ready\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("not ready: Redis does not answer\n")
    }
}

/// Checks Redis first, so `versus_redis_up` is current at every scrape even when no alerts arrive.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state
        .health
        .probe(&state.redis, Duration::from_millis(500))
        .await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
