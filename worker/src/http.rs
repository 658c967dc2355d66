//! The worker's small HTTP server on `worker.port`: `/healthz`, `/readyz`, `/metrics`.

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;
use std::time::Duration;
use versus_shared::config::Settings;
use versus_shared::health::RedisHealth;

#[derive(Clone)]
struct HttpState {
    redis: redis::aio::ConnectionManager,
    health: RedisHealth,
    metrics: PrometheusHandle,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
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

async fn metrics(state: web::Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

pub fn serve(
    settings: &Settings,
    redis: redis::aio::ConnectionManager,
    health: RedisHealth,
    metrics_handle: PrometheusHandle,
) -> anyhow::Result<Server> {
    versus_shared::metrics::describe_worker(settings.alert.slack.enable);
    let state = HttpState {
        redis,
        health,
        metrics: metrics_handle,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .bind((settings.host.as_str(), settings.worker.port))
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}:{} (worker.port): {e}",
            settings.host,
            settings.worker.port
        )
    })?
    .run();
    Ok(server)
}
