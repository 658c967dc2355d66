//! The answers of `/healthz`, `/readyz` and `/metrics`: the same on the API's port and on the worker's,
//! so that one Kubernetes probe definition and one scrape config serve both.

use crate::infra::health::RedisHealth;
use crate::infra::metrics;
use crate::infra::redis_conn::RedisConnection;
use actix_web::HttpResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use std::time::Duration;

/// How long `/readyz` waits for Redis; the chart's probe timeout is longer.
pub const READY_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// The process answers.
pub fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// `200` when Redis answers a `PING` within [`READY_PROBE_TIMEOUT`], else `503`; either way the
/// `versus_redis_up` gauge is updated.
pub async fn readyz(health: &RedisHealth, redis: &RedisConnection) -> HttpResponse {
    if health.probe(redis, READY_PROBE_TIMEOUT).await {
        HttpResponse::Ok()
            .content_type("text/plain")
            .body("ready\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("not ready: Redis does not answer\n")
    }
}

/// Prometheus text exposition of the recorder behind `handle`, `process_*` metrics included.
pub fn metrics(handle: &PrometheusHandle) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics::render(handle))
}
