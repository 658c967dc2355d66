//! Notify latency: from an alert arriving at the API to its Slack message, at a steady rate.

use super::{Bench, FAR_WAIT};
use crate::stats::{round, Summary};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

impl Bench {
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
}
