//! Records each run's outcome in Redis: done, retry after backoff, or dead-letter. This is the backend's
//! apalis middleware, so it wraps every other layer and sees the final result, panics included.

use super::job::{Job, JobError, JobMeta};
use super::runtime::QueueRuntime;
use crate::infra::backoff::{retry_within, Backoff};
use apalis_core::error::BoxDynError;
use apalis_core::task::Task;
use futures::future::BoxFuture;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};
use tracing::Instrument;

#[derive(Clone)]
pub struct SettleLayer {
    runtime: QueueRuntime,
}

impl SettleLayer {
    pub fn new(runtime: QueueRuntime) -> Self {
        Self { runtime }
    }
}

impl<S> Layer<S> for SettleLayer {
    type Service = SettleService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SettleService {
            inner,
            runtime: self.runtime.clone(),
        }
    }
}

#[derive(Clone)]
pub struct SettleService<S> {
    inner: S,
    runtime: QueueRuntime,
}

/// What to do with a finished run.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    /// `refund`: the run was turned away (rate limit) and does not count against the attempt limit.
    Retry {
        after: Duration,
        error: String,
        refund: bool,
    },
    Dead {
        error: String,
    },
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
        }
    }
}

/// Decides the outcome of a run from its result and the queue's retry policy.
pub fn decide(result: &Result<(), BoxDynError>, meta: &JobMeta, runtime: &QueueRuntime) -> Outcome {
    let Err(error) = result else {
        return Outcome::Done;
    };
    let message = match error.downcast_ref::<JobError>() {
        Some(permanent @ JobError::Permanent(_)) => {
            return Outcome::Dead {
                error: permanent.to_string(),
            }
        }
        Some(JobError::RetryAfter { source, after }) => {
            return Outcome::Retry {
                after: *after,
                error: source.to_string(),
                refund: true,
            }
        }
        Some(retry @ JobError::Retry(_)) => retry.to_string(),
        // Timeouts, panics and anything untyped are treated as transient.
        None => error.to_string(),
    };
    if meta.attempt >= runtime.policy.max_attempts {
        return Outcome::Dead {
            error: format!("gave up after {} attempts: {message}", meta.attempt),
        };
    }
    Outcome::Retry {
        after: runtime.policy.backoff(meta.attempt),
        error: message,
        refund: false,
    }
}

impl<S, J> Service<Task<J>> for SettleService<S>
where
    S: Service<Task<J>, Response = ()>,
    S::Error: Into<BoxDynError>,
    S::Future: Send + 'static,
    J: Job,
{
    type Response = ();
    type Error = BoxDynError;
    type Future = BoxFuture<'static, Result<(), BoxDynError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, task: Task<J>) -> Self::Future {
        let meta = task.data().get::<JobMeta>().cloned();
        // The lines below are logged outside the handler's span: give them the incident id themselves.
        let span = match task.args.incident_id() {
            Some(incident_id) => tracing::info_span!("job", incident_id),
            None => tracing::info_span!("job"),
        };
        let future = self.inner.call(task);
        let runtime = self.runtime.clone();
        Box::pin(async move {
            let result = future.await.map_err(Into::into);
            let Some(meta) = meta else {
                return result; // Not one of ours: nothing to settle.
            };
            async {
                let outcome = decide(&result, &meta, &runtime);
                metrics::counter!("versus_jobs_total", "queue" => meta.queue, "outcome" => outcome.label()).increment(1);
                match &outcome {
                    Outcome::Done => {}
                    Outcome::Retry { after, error, .. } => {
                        tracing::warn!(queue = meta.queue, job_id = %meta.id, attempt = meta.attempt, retry_in = ?after, %error, "job failed; will retry")
                    }
                    Outcome::Dead { error } => {
                        tracing::error!(queue = meta.queue, job_id = %meta.id, attempt = meta.attempt, %error, "job dead-lettered; list with `versus-worker dead-letters list`")
                    }
                }
                settle(&runtime, &meta, &outcome).await;
                runtime.leases.remove(&meta.id, &meta.lease);
            }
            .instrument(span)
            .await;
            result
        })
    }
}

/// Writes the outcome, retrying through short Redis outages. If Redis stays away longer than the lease,
/// the lease expires and the job runs again: at-least-once, never lost.
async fn settle(runtime: &QueueRuntime, meta: &JobMeta, outcome: &Outcome) {
    let store = &runtime.store;
    let write = || async {
        match outcome {
            Outcome::Done => {
                store
                    .complete(&meta.id, &meta.lease, runtime.finished_ttl)
                    .await
            }
            Outcome::Retry {
                after,
                error,
                refund,
            } => {
                store
                    .retry(&meta.id, &meta.lease, *after, error, *refund)
                    .await
            }
            Outcome::Dead { error } => store.dead_letter(&meta.id, &meta.lease, error).await,
        }
    };
    let backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    let written = retry_within(runtime.lease_for, backoff, write, |error, _| {
        tracing::warn!(queue = meta.queue, job_id = %meta.id, %error, "cannot record job outcome yet; retrying")
    })
    .await;
    match written {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(queue = meta.queue, job_id = %meta.id, "lease was lost before the job settled; another run owns it now")
        }
        Err(error) => {
            tracing::error!(queue = meta.queue, job_id = %meta.id, %error, "gave up recording job outcome; the job will run again when its lease expires")
        }
    }
}
