//! Ingest saturation: how many alerts per second the API alone accepts.

use super::redis_info::forks;
use super::Bench;
use crate::stats::{round, Summary};
use serde_json::{json, Value};
use std::time::Duration;

impl Bench {
    /// Ingest saturation: closed loop on keep-alive connections, on-call on, the worker not running
    /// (the API's own capacity; the queue absorbs the storm and the worker drains it afterwards).
    pub async fn ingest_saturation(
        &self,
        redis_set_per_s: f64,
        connections: usize,
        warmup: Duration,
        measure: Duration,
    ) -> Value {
        let cpu = self.cpu_meter(&self.stack);
        let forks_before = forks(&self.stack).await.unwrap_or(0);
        let mut plan = self.plan(&self.stack, warmup, measure, 5_000_000);
        plan.connections = connections;
        let outcome = self.load(plan, self.far_factory()).await;
        let redis_forks = forks(&self.stack).await.unwrap_or(0) - forks_before;
        let cpu_us = cpu.per_unit_us(outcome.sent);
        let latency = Summary::of(outcome.latencies_ms.clone());
        let rate = outcome.rate();
        json!({
            "connections": connections,
            "seconds": round(outcome.window),
            "requests_per_s": rate.round(),
            "ratio_to_redis_set": round(rate / redis_set_per_s),
            "latency_ms": latency.json(),
            "ok": outcome.ok,
            "failed": outcome.failed,
            "first_failure": outcome.first_failure,
            "cpu_us_per_request": cpu_us,
            "redis_forks": redis_forks,
        })
    }
}
