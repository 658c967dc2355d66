//! The scenarios of issue 9. Every loop is bounded in count and in time; every figure goes to the report.

use crate::fakes::{epoch_ms, Fakes};
use crate::loadgen::{self, Factory, Outcome, Plan};
use crate::payload::Payload;
use crate::stack::{memory, tail, CpuMeter, Stack};
use crate::stats::{round, Summary};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sizes of the run; `--quick` shrinks them for development runs.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub connections: usize,
    pub saturation_warmup: Duration,
    pub saturation_measure: Duration,
    /// Shorter runs at other connection counts, for the latency/throughput curve.
    pub sweep: Vec<usize>,
    pub sweep_measure: Duration,
    pub notify_rate: u64,
    pub notify_seconds: u64,
    pub single_escalations: usize,
    pub single_spacing: Duration,
    pub burst: usize,
    pub burst_lead: Duration,
    pub growth: [usize; 2],
    pub growth_ingest: u64,
    pub growth_escalations: usize,
}

impl Sizes {
    pub fn full(connections: usize) -> Self {
        Self {
            connections,
            saturation_warmup: Duration::from_secs(2),
            saturation_measure: Duration::from_secs(10),
            sweep: vec![16, 64, 128],
            sweep_measure: Duration::from_secs(5),
            notify_rate: 200,
            notify_seconds: 15,
            single_escalations: 200,
            single_spacing: Duration::from_millis(150),
            burst: 10_000,
            burst_lead: Duration::from_secs(30),
            growth: [1_000, 100_000],
            growth_ingest: 12_000,
            growth_escalations: 200,
        }
    }

    pub fn quick(connections: usize) -> Self {
        Self {
            saturation_measure: Duration::from_secs(4),
            sweep: vec![64],
            sweep_measure: Duration::from_secs(2),
            notify_seconds: 5,
            single_escalations: 30,
            burst: 2_000,
            burst_lead: Duration::from_secs(12),
            growth: [1_000, 10_000],
            growth_ingest: 4_000,
            growth_escalations: 20,
            ..Self::full(connections)
        }
    }
}

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

    /// CPU meter over the API, the worker, Redis and the bench itself.
    fn cpu_meter(&self, st: &Stack) -> CpuMeter {
        CpuMeter::start(&[
            ("api", st.api_pid()),
            ("worker", st.worker_pid()),
            ("redis", st.redis.pid()),
            ("bench", Some(std::process::id())),
        ])
    }

    /// Open loop at a steady rate; latency from the request leaving the bench to the Slack post arriving.
    pub async fn notify_latency(&self) -> anyhow::Result<Value> {
        let s = &self.sizes;
        let count = s.notify_rate * s.notify_seconds;
        let interval = Duration::from_secs_f64(1.0 / s.notify_rate as f64);
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::with_capacity(count as usize);
        let this = self.handle.clone();
        let url = self.stack.api_url();
        for i in 0..count {
            tokio::time::sleep_until(start + interval * i as u32).await;
            let (this, url) = (this.clone(), url.clone());
            tasks.push(tokio::spawn(async move { this.post(&url, FAR_WAIT).await }));
        }
        let offered = start.elapsed().as_secs_f64();
        let mut sent = HashMap::new();
        let mut failed = 0;
        for task in tasks {
            match task.await? {
                Ok((id, at)) => {
                    sent.insert(id, at);
                }
                Err(_) => failed += 1,
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut latencies = Vec::with_capacity(sent.len());
        loop {
            let done = {
                let posts = self.fakes.record.posts.lock().expect("lock");
                let arrived = sent.keys().filter(|id| posts.contains_key(*id)).count();
                let done = arrived == sent.len() || Instant::now() >= deadline;
                if done {
                    for (id, at) in &sent {
                        if let Some(receipt) = posts.get(id) {
                            latencies.push((receipt.at - *at).as_secs_f64() * 1000.0);
                        }
                    }
                }
                done
            };
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let summary = Summary::of(latencies);
        Ok(json!({
            "rate_per_s": s.notify_rate,
            "offered_seconds": round(offered),
            "sent": sent.len(),
            "failed": failed,
            "posted": summary.count,
            "latency_ms": summary.json(),
        }))
    }

    /// Escalations due one at a time (`spacing` apart): lateness from due time to StartIncident.
    pub async fn single_escalations(&self, count: usize, lead: Duration) -> anyhow::Result<Value> {
        let lateness = Summary::of(self.one_at_a_time(&self.stack, count, lead).await?);
        Ok(json!({
            "escalations": count,
            "spacing_ms": self.sizes.single_spacing.as_secs_f64() * 1000.0,
            "started": lateness.count,
            "lateness_ms": lateness.json(),
        }))
    }

    /// Lateness (ms) of `count` escalations due `spacing` apart from `lead` on.
    async fn one_at_a_time(
        &self,
        st: &Stack,
        count: usize,
        lead: Duration,
    ) -> anyhow::Result<Vec<f64>> {
        let spacing = self.sizes.single_spacing.as_secs_f64() * 1000.0;
        let t0 = epoch_ms() + lead.as_secs_f64() * 1000.0;
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            let due = t0 + spacing * i as f64;
            let (id, _) = self.post_one(st, &wait_query(due - epoch_ms())).await?;
            ids.push(id);
        }
        let last_due = t0 + spacing * count as f64;
        let deadline_ms = last_due + 30_000.0;
        loop {
            let done = {
                let started = self.fakes.record.started.lock().expect("lock");
                ids.iter()
                    .filter(|id| started.contains_key(&format!("versus-{id}")))
                    .count()
            };
            if done == count || epoch_ms() >= deadline_ms {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(self.lateness(st, &ids).await?.0)
    }

    /// Lateness (ms) of each incident's StartIncident against its due time in Redis, plus how many
    /// tokens were started more than once, how many incidents Redis shows as escalated, and how many
    /// StartIncident calls these incidents got in all.
    async fn lateness(
        &self,
        st: &Stack,
        ids: &[String],
    ) -> anyhow::Result<(Vec<f64>, usize, usize, u64)> {
        let mut conn = st.conn().await?;
        let mut due: Vec<(Option<String>, Option<String>)> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.cmd("HMGET")
                    .arg(format!("versus:incident:{id}"))
                    .arg("due_ms")
                    .arg("state");
            }
            let part: Vec<(Option<String>, Option<String>)> = pipe.query_async(&mut conn).await?;
            due.extend(part);
        }
        let started = self.fakes.record.started.lock().expect("lock");
        let mut lateness = Vec::with_capacity(ids.len());
        let mut repeated = 0;
        let mut escalated = 0;
        let mut calls = 0;
        for (id, (due_ms, state)) in ids.iter().zip(due) {
            if state.as_deref() == Some("escalated") {
                escalated += 1;
            }
            let Some(start) = started.get(&format!("versus-{id}")) else {
                continue;
            };
            calls += u64::from(start.calls);
            if start.calls > 1 {
                repeated += 1;
            }
            if let Some(due_ms) = due_ms.and_then(|d| d.parse::<f64>().ok()) {
                lateness.push(start.first.epoch_ms - due_ms);
            }
        }
        Ok((lateness, repeated, escalated, calls))
    }

    /// `count` escalations due within one second, after their notifications have all gone out.
    pub async fn burst(&self) -> anyhow::Result<Value> {
        let s = &self.sizes;
        let count = s.burst;
        self.fakes.record.clear();
        let t = epoch_ms() + s.burst_lead.as_secs_f64() * 1000.0;
        let first_seq = self.seq.load(std::sync::atomic::Ordering::Relaxed);
        let payload = self.payload.clone();
        let factory: Factory = Arc::new(move |seq| {
            let index = seq.saturating_sub(first_seq) as f64;
            let due = t + 1000.0 * index / count as f64;
            (wait_query(due - epoch_ms()), payload.body(seq))
        });
        let posting = Instant::now();
        let cpu = self.cpu_meter(&self.stack);
        let mut plan = self.plan(&self.stack, Duration::ZERO, s.burst_lead / 2, count as u64);
        plan.keep_ids = true;
        let outcome = self.load(plan, factory).await;
        let post_seconds = posting.elapsed().as_secs_f64();
        if outcome.ids.len() != count {
            bail!(
                "only {} of {count} burst incidents were accepted ({} failed, first: {:?})",
                outcome.ids.len(),
                outcome.failed,
                outcome.first_failure
            );
        }
        let ids: Vec<String> = outcome.ids.into_iter().map(|(_, id, _)| id).collect();
        // The notifications should all be out before the escalations come due.
        let mut notify_drained_ms_before_due = None;
        while epoch_ms() < t {
            if self.fakes.record.post_count() >= count as u64 {
                notify_drained_ms_before_due = Some((t - epoch_ms()).round());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // From here on the worker does nothing but this burst (escalations and their Slack updates).
        while epoch_ms() < t {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let phase = self.cpu_meter(&self.stack);
        let deadline_ms = t + 60_000.0;
        loop {
            // Only this scenario's escalations can start now (the record was cleared before it).
            let done = self.fakes.record.started.lock().expect("lock").len();
            if done >= count || epoch_ms() >= deadline_ms {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let all_started_after_due_s = (epoch_ms() - t) / 1000.0;
        let phase_cpu_us = phase.per_unit_us(count as u64);
        let (first, last) = {
            let started = self.fakes.record.started.lock().expect("lock");
            started.values().fold((f64::MAX, 0.0_f64), |(lo, hi), s| {
                (lo.min(s.first.epoch_ms), hi.max(s.first.epoch_ms))
            })
        };
        let rate = count as f64 / ((last - first) / 1000.0).max(0.001);
        // Give any duplicate a chance to show up before counting.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (lateness, repeated, escalated, start_calls) = self.lateness(&self.stack, &ids).await?;
        let lateness = Summary::of(lateness);
        let cpu_us = cpu.per_unit_us(count as u64);
        Ok(json!({
            "slack_updates_so_far": self.fakes.record.update_count(),
            "escalations": count,
            "due_within_ms": 1000,
            "posted_in_s": round(post_seconds),
            "notify_drained_ms_before_due": notify_drained_ms_before_due,
            "started": lateness.count,
            "start_calls": start_calls,
            "started_more_than_once": repeated,
            "escalated_in_redis": escalated,
            "exactly_once": lateness.count == count && repeated == 0 && start_calls == count as u64 && escalated == count,
            "all_started_s_after_due": round(all_started_after_due_s),
            "lateness_ms": lateness.json(),
            "cpu_us_per_incident": cpu_us,
            "escalations_per_s": rate.round(),
            "cpu_us_per_escalation_after_due": phase_cpu_us,
        }))
    }

    /// Seeds `n` open incidents whose escalations are pending (far in the future), with the worker
    /// running, and waits until their notifications are out. Returns figures of the seeding.
    async fn seed(&self, st: &Stack, n: usize) -> anyhow::Result<Value> {
        let posts_before = self.fakes.record.post_count();
        let cpu = self.cpu_meter(st);
        let started = Instant::now();
        let outcome = self
            .load(
                self.plan(st, Duration::ZERO, Duration::from_secs(300), n as u64),
                self.far_factory(),
            )
            .await;
        let ingest_s = started.elapsed().as_secs_f64();
        if outcome.ok as usize != n {
            bail!(
                "seeding: {} of {n} accepted (first failure: {:?})",
                outcome.ok,
                outcome.first_failure
            );
        }
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.fakes.record.post_count() < posts_before + n as u64 {
            if Instant::now() >= deadline {
                bail!("seeding: notifications did not drain within 600 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let drained_s = started.elapsed().as_secs_f64();
        Ok(json!({
            "incidents": n,
            "ingest_s": round(ingest_s),
            "ingest_per_s_with_worker": (n as f64 / ingest_s).round(),
            "all_notified_s": round(drained_s),
            "notify_throughput_per_s": (n as f64 / drained_s).round(),
            "cpu_us_per_incident": cpu.per_unit_us(n as u64),
        }))
    }

    /// Growth: the same measurements against two installations at once, one with `small` and one with
    /// `large` pending escalations (each its own Redis with AOF, API and worker), in alternating rounds so
    /// that the machine's noise falls on both alike: ingest rate (workers stopped) and one-at-a-time
    /// escalation lateness (workers running). Also Redis memory per open incident, from the seeding.
    pub async fn growth(&mut self, extra_env: &[(String, String)]) -> anyhow::Result<Value> {
        let [small, large] = self.sizes.growth;
        let rounds = 4;
        self.stack.stop_worker().await?;
        self.stack.flushall().await?;
        self.fakes.record.clear();
        let mut other = Stack::new(&self.fakes, extra_env);
        other.start_api().await;
        let mut sides = Vec::new();
        for (n, st) in [(small, &mut self.stack), (large, &mut other)] {
            let memory_before = used_memory(st).await?;
            st.start_worker().await?;
            sides.push((n, memory_before));
        }
        let mut out = Vec::new();
        for (i, st) in [&self.stack, &other].into_iter().enumerate() {
            let (n, memory_before) = sides[i];
            let seeding = self.seed(st, n).await?;
            // Let the fetchers go idle before measuring.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let memory_after = used_memory(st).await?;
            let per_incident = (memory_after as f64 - memory_before as f64) / n as f64;
            out.push(json!({
                "pending_escalations_at_start": zcard(st, "versus:queue:escalate:due").await?,
                "seeding": seeding,
                "redis_used_memory_delta_bytes": memory_after as i64 - memory_before as i64,
                "redis_bytes_per_incident": per_incident.round(),
                "memory_usage_of_one_incident": memory_breakdown(st).await?,
            }));
        }
        // Escalation lateness, alternating sides.
        let per_round = self.sizes.growth_escalations.div_ceil(2);
        let mut lateness = [Vec::new(), Vec::new()];
        for _ in 0..2 {
            for (i, st) in [&self.stack, &other].into_iter().enumerate() {
                let samples = self
                    .one_at_a_time(st, per_round, Duration::from_secs(2))
                    .await?;
                lateness[i].extend(samples);
            }
        }
        // Ingest rate with the workers stopped, alternating sides, count-bounded rounds.
        self.stack.stop_worker().await?;
        other.stop_worker().await?;
        let per_request = self.sizes.growth_ingest / rounds;
        let mut ingest: [Vec<Outcome>; 2] = [Vec::new(), Vec::new()];
        let mut cpu = [Vec::new(), Vec::new()];
        let forks_before = [forks(&self.stack).await?, forks(&other).await?];
        for _ in 0..rounds {
            for (i, st) in [&self.stack, &other].into_iter().enumerate() {
                let meter = self.cpu_meter(st);
                let outcome = self
                    .load(
                        self.plan(st, Duration::ZERO, Duration::from_secs(60), per_request),
                        self.far_factory(),
                    )
                    .await;
                cpu[i].push(meter.per_unit_us(outcome.sent));
                ingest[i].push(outcome);
            }
        }
        for (i, st) in [&self.stack, &other].into_iter().enumerate() {
            let side = &mut out[i];
            let outcomes = &ingest[i];
            let rates: Vec<f64> = outcomes.iter().map(|o| o.rate().round()).collect();
            let ok: u64 = outcomes.iter().map(|o| o.ok).sum();
            let window: f64 = outcomes.iter().map(|o| o.window).sum();
            let latencies: Vec<f64> = outcomes
                .iter()
                .flat_map(|o| o.latencies_ms.iter().copied())
                .collect();
            side["ingest"] = json!({
                "rounds": rounds,
                "requests_per_round": per_request,
                "requests_per_s": (ok as f64 / window.max(0.001)).round(),
                "round_rates": rates,
                "latency_ms": Summary::of(latencies).json(),
                "failed": outcomes.iter().map(|o| o.failed).sum::<u64>(),
                "cpu_us_per_request_by_round": cpu[i],
            });
            let summary = Summary::of(lateness[i].clone());
            side["escalation"] = json!({
                "escalations": summary.count,
                "spacing_ms": self.sizes.single_spacing.as_secs_f64() * 1000.0,
                "lateness_ms": summary.json(),
            });
            side["pending_escalations_at_end"] =
                json!(zcard(st, "versus:queue:escalate:due").await?);
            // AOF rewrites (each one a fork) that ran while ingest was measured.
            side["ingest"]["redis_forks"] = json!(forks(st).await? - forks_before[i]);
        }
        drop(other);
        self.stack.flushall().await?;
        self.stack.start_worker().await?;
        let rate = |v: &Value| v["ingest"]["requests_per_s"].as_f64().unwrap_or(0.0);
        let late = |v: &Value, q: &str| v["escalation"]["lateness_ms"][q].as_f64().unwrap_or(0.0);
        let (a, b) = (&out[0], &out[1]);
        Ok(json!({
            "ingest_rate_ratio_large_to_small": round(rate(b) / rate(a).max(1.0)),
            "lateness_p50_ratio_large_to_small": round(late(b, "p50") / late(a, "p50").max(0.001)),
            "lateness_p99_ratio_large_to_small": round(late(b, "p99") / late(a, "p99").max(0.001)),
            "small": a,
            "large": b,
        }))
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

/// `total_forks` from INFO stats: with AOF on, each is a background rewrite of the AOF.
async fn forks(st: &Stack) -> anyhow::Result<u64> {
    let mut conn = st.conn().await?;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("total_forks:"))
        .and_then(|v| v.trim().parse().ok())
        .context("INFO stats has no total_forks")
}

async fn zcard(st: &Stack, key: &str) -> anyhow::Result<u64> {
    let mut conn = st.conn().await?;
    Ok(redis::cmd("ZCARD").arg(key).query_async(&mut conn).await?)
}

async fn used_memory(st: &Stack) -> anyhow::Result<u64> {
    let mut conn = st.conn().await?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("INFO memory has no used_memory")
}

/// MEMORY USAGE of the keys of one seeded incident (the most recent pending escalation's).
async fn memory_breakdown(st: &Stack) -> anyhow::Result<Value> {
    let mut conn = st.conn().await?;
    let newest: Vec<String> = redis::cmd("ZRANGE")
        .arg("versus:queue:escalate:due")
        .arg(-1)
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    let Some(id) = newest.into_iter().next() else {
        return Ok(Value::Null);
    };
    let mut out = serde_json::Map::new();
    for (name, key) in [
        ("record", format!("versus:incident:{id}")),
        ("notify_job_done", format!("versus:queue:notify:job:{id}")),
        ("escalate_job", format!("versus:queue:escalate:job:{id}")),
    ] {
        out.insert(name.into(), json!(memory_usage(&mut conn, &key).await?));
    }
    // As stored: compressed.
    let payload_bytes: u64 = redis::cmd("HSTRLEN")
        .arg(format!("versus:incident:{id}"))
        .arg("payload")
        .query_async(&mut conn)
        .await?;
    out.insert("payload_stored_bytes".into(), json!(payload_bytes));
    // The dedup and request keys are named by digests of the request: sample one of each.
    for (name, pattern) in [("dedup", "versus:dedup:*"), ("request", "versus:request:*")] {
        let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await?;
        let bytes = match keys.first() {
            Some(key) => memory_usage(&mut conn, key).await?,
            None => None,
        };
        out.insert(name.into(), json!(bytes));
    }
    Ok(Value::Object(out))
}

/// `MEMORY USAGE key SAMPLES 0` (every element counted); `None` when there is no such key.
async fn memory_usage(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> anyhow::Result<Option<u64>> {
    Ok(redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(key)
        .arg("SAMPLES")
        .arg(0)
        .query_async(conn)
        .await?)
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
