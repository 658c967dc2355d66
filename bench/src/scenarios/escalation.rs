//! Escalation timing: escalations due one at a time, and a burst of them due in the same second.

use super::{wait_query, Bench};
use crate::fakes::epoch_ms;
use crate::loadgen::Factory;
use crate::stack::Stack;
use crate::stats::{round, Summary};
use anyhow::bail;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Bench {
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
    pub(super) async fn one_at_a_time(
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
}
