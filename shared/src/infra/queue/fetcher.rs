//! The loop that leases due jobs and hands them to the apalis worker through a bounded channel.
//!
//! It never leases more than the worker has room for, so little is prefetched. When nothing is due it
//! sleeps until the earliest scheduled job is due or a producer pushes a wake-up token, capped at
//! `idle_poll`: a new job is picked up within milliseconds, a delayed one when it is due.
//! Redis errors are retried with backoff for as long as `exit_after_redis_down` allows.
//!
//! The wake-up tokens are taken by a companion task that blocks on `BLPOP {queue}:wake` on a connection of
//! its own and passes each one on through a [`Notify`]; the due time itself is kept by a Tokio timer. Redis
//! checks blocking timeouts only when its event loop wakes (every 100 ms at the default `hz 10`), so a
//! BLPOP timed to the due time fired escalations up to a tick late; the timer is accurate to a millisecond. The BLPOP is never abandoned half-way, so a
//! token it takes is never lost.

use super::runtime::QueueRuntime;
use super::store::LeasedJob;
use crate::infra::backoff::Backoff;
use crate::infra::redis_conn::RedisConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

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
    let woken = Arc::new(Notify::new());
    // Stops the waker when this loop ends or is aborted.
    let _waker = AbortOnDrop(tokio::spawn(take_wake_tokens(
        runtime.clone(),
        woken.clone(),
    )));
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
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
                backoff.reset();
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
                if !wait.is_zero() {
                    tokio::select! {
                        _ = woken.notified() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
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
                let pause = backoff.next_pause();
                tracing::warn!(queue = runtime.store.queue(), %error, retry_in = ?pause, "cannot fetch jobs; retrying");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Takes the queue's wake-up tokens as they come (`BLPOP`, at most `idle_poll` at a time) and tells the
/// fetch loop through `woken`. A token that arrives while the loop is busy leaves a permit, so the next
/// wait ends at once and nothing pushed in between is missed. On connection trouble it reconnects after
/// a pause; meanwhile the fetch loop still polls every `idle_poll`.
async fn take_wake_tokens(runtime: QueueRuntime, woken: Arc<Notify>) {
    let mut conn: Option<RedisConnection> = None;
    let mut backoff = Backoff::new(
        Duration::from_millis(100),
        runtime.idle_poll.max(Duration::from_millis(100)),
    );
    loop {
        if conn.is_none() {
            match tokio::time::timeout(
                Duration::from_millis(runtime.redis.timeout_ms),
                RedisConnection::dedicated(&runtime.redis, None),
            )
            .await
            {
                Ok(Ok(fresh)) => conn = Some(fresh),
                _ => {
                    backoff.pause().await;
                    continue;
                }
            }
        }
        let Some(connection) = conn.as_mut() else {
            continue;
        };
        // BLPOP takes seconds as a float; Redis rounds very small timeouts, so keep at least 10 ms.
        let seconds = runtime.idle_poll.as_secs_f64().max(0.01);
        let mut command = redis::cmd("BLPOP");
        command.arg(runtime.store.keys().wake()).arg(seconds);
        let blpop = command.query_async::<Option<(String, String)>>(connection);
        match tokio::time::timeout(
            runtime.idle_poll + Duration::from_millis(runtime.redis.timeout_ms),
            blpop,
        )
        .await
        {
            Ok(Ok(Some(_))) => {
                backoff.reset();
                woken.notify_one();
            }
            Ok(Ok(None)) => backoff.reset(),
            _ => {
                // The connection is in doubt (an error, or no answer in time): start a new one.
                conn = None;
                backoff.pause().await;
            }
        }
    }
}
