//! The loop that leases due jobs and hands them to the apalis worker through a bounded channel.
//!
//! It never leases more than the worker has room for, so little is prefetched. When nothing is due it
//! sleeps on `BLPOP {queue}:wake` until the earliest scheduled job is due or a producer pushes a wake-up
//! token, capped at `idle_poll`: a new job is picked up within milliseconds, a delayed one when it is due.
//! Redis errors are retried with backoff for as long as `exit_after_redis_down` allows.

use super::runtime::QueueRuntime;
use super::store::LeasedJob;
use redis::aio::MultiplexedConnection;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the fetcher sends to the backend.
pub enum Fetched {
    Job {
        job: LeasedJob,
        lease: String,
    },
    /// The queue cannot work any more; the worker must stop and the process exit non-zero.
    Fatal(String),
}

pub async fn run(runtime: QueueRuntime, tx: mpsc::Sender<Fetched>) {
    let mut waker: Option<MultiplexedConnection> = None;
    let mut backoff = Duration::from_millis(100);
    loop {
        // Wait for room: at least one free slot in the worker.
        match tx.reserve().await {
            Ok(permit) => drop(permit),
            Err(_) => return,
        }
        let room = tx.capacity().clamp(1, 128);
        let lease = runtime.leases.next_token();
        match runtime.store.fetch(room, &lease, runtime.lease_for).await {
            Ok(batch) => {
                runtime.health.mark_ok();
                backoff = Duration::from_millis(100);
                let fetched_any = !batch.jobs.is_empty();
                for job in batch.jobs {
                    runtime.leases.insert(&job.id, &lease);
                    if tx
                        .send(Fetched::Job {
                            job,
                            lease: lease.clone(),
                        })
                        .await
                        .is_err()
                    {
                        return; // The backend closed; it releases what it had not taken.
                    }
                }
                if fetched_any {
                    continue;
                }
                let wait = match batch.next_due_ms {
                    Some(due) => Duration::from_millis((due - batch.redis_now_ms).max(0) as u64)
                        .min(runtime.idle_poll),
                    None => runtime.idle_poll,
                };
                if !wait.is_zero() && !wait_for_wake(&runtime, &mut waker, wait).await {
                    tokio::time::sleep(Duration::from_millis(50).min(wait)).await;
                }
            }
            Err(error) => {
                runtime.health.mark_down();
                let down_for = runtime.health.down_for().unwrap_or_default();
                if down_for >= runtime.exit_after_redis_down {
                    let message = format!(
                        "queue {}: Redis unreachable for {:?} (last error: {error}); giving up so the process is restarted",
                        runtime.store.queue(),
                        down_for
                    );
                    tracing::error!(queue = runtime.store.queue(), "{message}");
                    runtime.fatal.raise(message.clone());
                    let _ = tx.send(Fetched::Fatal(message)).await;
                    return;
                }
                tracing::warn!(queue = runtime.store.queue(), %error, retry_in = ?backoff, "cannot fetch jobs; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Blocks on the queue's wake list for at most `wait`. Returns false when the wait could not be done
/// (connection trouble), so the caller sleeps briefly instead of spinning.
async fn wait_for_wake(
    runtime: &QueueRuntime,
    waker: &mut Option<MultiplexedConnection>,
    wait: Duration,
) -> bool {
    if waker.is_none() {
        match tokio::time::timeout(
            Duration::from_millis(runtime.redis.timeout_ms),
            crate::redis_conn::dedicated(&runtime.redis),
        )
        .await
        {
            Ok(Ok(conn)) => *waker = Some(conn),
            _ => return false,
        }
    }
    let Some(conn) = waker.as_mut() else {
        return false;
    };
    // BLPOP takes seconds as a float; Redis rounds very small timeouts, so keep at least 10 ms.
    let seconds = wait.as_secs_f64().max(0.01);
    let mut command = redis::cmd("BLPOP");
    command.arg(runtime.store.keys().wake()).arg(seconds);
    let blpop = command.query_async::<Option<(String, String)>>(conn);
    match tokio::time::timeout(
        wait + Duration::from_millis(runtime.redis.timeout_ms),
        blpop,
    )
    .await
    {
        Ok(Ok(_)) => true,
        _ => {
            *waker = None;
            false
        }
    }
}
