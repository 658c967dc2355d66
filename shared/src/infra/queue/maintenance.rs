//! Background upkeep of one queue, run by every worker process: renew the leases of running jobs, return
//! the jobs of dead workers to the queue, and publish queue sizes as metrics. Each step is idempotent, so
//! any number of workers may run it at once.

use super::runtime::QueueRuntime;
use std::time::Duration;

/// Reaps at most this many expired leases per tick, so one script call stays short.
const REAP_BATCH: usize = 1000;

pub async fn run(runtime: QueueRuntime) {
    let queue = runtime.store.queue();
    let renew_every = runtime.lease_for / 3;
    let mut last_renew = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(runtime.reap_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if last_renew.elapsed() >= renew_every {
            let held = runtime.leases.snapshot();
            match runtime.store.renew(&held, runtime.lease_for).await {
                Ok(_) => last_renew = tokio::time::Instant::now(),
                Err(error) => tracing::warn!(queue, %error, "cannot renew job leases"),
            }
        }
        loop {
            match runtime
                .store
                .reap(REAP_BATCH, runtime.policy.max_attempts)
                .await
            {
                Ok((requeued, dead)) => {
                    if requeued + dead > 0 {
                        tracing::warn!(
                            queue,
                            requeued,
                            dead,
                            "recovered jobs of a worker that stopped without finishing them"
                        );
                    }
                    if (requeued + dead) < REAP_BATCH as u64 {
                        break;
                    }
                }
                Err(error) => {
                    tracing::debug!(queue, %error, "cannot reap expired leases");
                    break;
                }
            }
        }
        if let Ok(stats) = runtime.store.stats().await {
            metrics::gauge!("versus_queue_depth", "queue" => queue).set(stats.ready as f64);
            metrics::gauge!("versus_queue_scheduled", "queue" => queue).set(stats.scheduled as f64);
            metrics::gauge!("versus_queue_inflight", "queue" => queue).set(stats.inflight as f64);
            metrics::gauge!("versus_dead_letter_jobs", "queue" => queue).set(stats.dead as f64);
        }
    }
}

/// How long after a worker dies its jobs run again, at most.
pub fn recovery_bound(runtime: &QueueRuntime) -> Duration {
    runtime.lease_for + runtime.reap_interval
}
