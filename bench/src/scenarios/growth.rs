//! Growth: the same measurements against a small and a large installation, in alternating rounds.

use super::redis_info::{forks, memory_breakdown, used_memory, zcard};
use super::Bench;
use crate::loadgen::Outcome;
use crate::stack::Stack;
use crate::stats::{round, Summary};
use anyhow::bail;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Bench {
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
}
