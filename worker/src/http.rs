//! The worker's small HTTP server on `worker.port`: `/healthz`, `/readyz`, `/metrics`.

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use versus_shared::app::probes;
use versus_shared::infra::config::Settings;
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::redis_conn::RedisConnection;

#[derive(Clone)]
struct HttpState {
    redis: RedisConnection,
    health: RedisHealth,
    metrics: PrometheusHandle,
}

async fn healthz() -> HttpResponse {
    probes::healthz()
}

async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    probes::readyz(&state.health, &state.redis).await
}

async fn metrics(state: web::Data<HttpState>) -> HttpResponse {
    probes::metrics(&state.metrics)
}

pub fn serve(
    settings: &Settings,
    redis: RedisConnection,
    health: RedisHealth,
    metrics_handle: PrometheusHandle,
) -> anyhow::Result<Server> {
    versus_shared::infra::metrics::describe_worker(settings.alert.slack.enable);
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
    .with_context(|| {
        format!(
            "cannot listen on {}:{} (worker.port)",
            settings.host, settings.worker.port
        )
    })?
    .run();
    Ok(server)
}
