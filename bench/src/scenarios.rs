//! The scenarios `make bench` runs, one file each, and what they share: the [`Bench`] that drives the
//! stack under test. Every loop is bounded in count and in time; every figure goes to the report.

mod escalation;
pub mod failover;
mod growth;
mod ingest;
mod large_bodies;
mod notify;
mod redis_info;
mod replication;
pub mod report;
mod sizes;

pub use large_bodies::large_bodies;
pub use sizes::Sizes;

use crate::fakes::Fakes;
use crate::loadgen::{self, Factory, Outcome, Plan};
use crate::payload::Payload;
use crate::stack::{memory, tail, CpuMeter, Stack};
use crate::stats::round;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Bench {
    pub stack: Stack,
    pub fakes: Fakes,
    pub sizes: Sizes,
    payload: Arc<Payload>,
    seq: Arc<AtomicU64>,
    handle: Arc<BenchHandle>,
}

/// The query that pages, with a wait far beyond the run (these escalations never come due here).
const FAR_WAIT: &str = "/api/incidents?oncall_wait_minutes=1440";

fn wait_query(wait_ms: f64) -> String {
    format!(
        "/api/incidents?oncall_wait_minutes={:.7}",
        (wait_ms.max(0.0) / 60_000.0)
    )
}

impl Bench {
    pub fn new(stack: Stack, fakes: Fakes, sizes: Sizes) -> Self {
        let payload = Arc::new(Payload::new());
        let seq = Arc::new(AtomicU64::new(1));
        Self {
            fakes,
            sizes,
            seq: seq.clone(),
            handle: Arc::new(BenchHandle {
                http: reqwest::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("reqwest client"),
                payload: payload.clone(),
                seq,
            }),
            payload,
            stack,
        }
    }

    pub fn payload_bytes(&self) -> usize {
        self.payload.len()
    }

    fn far_factory(&self) -> Factory {
        let payload = self.payload.clone();
        Arc::new(move |seq| (FAR_WAIT.to_string(), payload.body(seq)))
    }

    async fn load(&self, plan: Plan, factory: Factory) -> Outcome {
        loadgen::run(plan, factory, self.seq.clone()).await
    }

    fn plan(&self, st: &Stack, warmup: Duration, measure: Duration, max_requests: u64) -> Plan {
        Plan {
            addr: st.api_addr(),
            connections: self.sizes.connections,
            warmup,
            measure,
            max_requests,
            keep_ids: false,
        }
    }

    async fn post_one(&self, st: &Stack, path: &str) -> anyhow::Result<(String, Instant)> {
        self.handle.post(&st.api_url(), path).await
    }

    /// CPU meter over the API, the worker, Redis and the bench itself.
    fn cpu_meter(&self, st: &Stack) -> CpuMeter {
        CpuMeter::start(&[
            ("api", st.api_pid()),
            ("worker", st.worker_pid()),
            ("redis", st.redis.pid()),
            ("bench", Some(std::process::id())),
        ])
    }

    pub fn check_logs(&self) -> Value {
        let count = |log: &str, needle: &str| log.matches(needle).count();
        let api = self.stack.api_log();
        let worker = self.stack.worker_log();
        json!({
            "api_warn_or_error_lines": count(&api, " WARN ") + count(&api, " ERROR "),
            "worker_warn_or_error_lines": count(&worker, " WARN ") + count(&worker, " ERROR "),
            "api_tail_if_errors": if api.contains(" ERROR ") { tail(&api) } else { String::new() },
        })
    }
}

/// What a spawned request task needs (the bench itself is not `Send`-shared).
struct BenchHandle {
    http: reqwest::Client,
    payload: Arc<Payload>,
    seq: Arc<AtomicU64>,
}

impl BenchHandle {
    async fn post(&self, url: &str, path: &str) -> anyhow::Result<(String, Instant)> {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = self.payload.body(seq);
        let sent = Instant::now();
        let answer = self
            .http
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = answer.status();
        let body = answer.bytes().await?;
        if status.as_u16() != 201 {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        let id = loadgen::incident_id(&body).context("no id in the answer")?;
        Ok((id, sent))
    }
}

/// RSS now and the high-water mark of a process, in MB.
pub fn rss_mb(pid: Option<u32>) -> Value {
    match pid.and_then(memory) {
        Some(m) => {
            json!({ "rss_mb": round(m.rss_kb as f64 / 1024.0), "peak_mb": round(m.hwm_kb as f64 / 1024.0) })
        }
        None => Value::Null,
    }
}
