//! `RedisBackend<J>`: the apalis [`Backend`] over Versus's Redis queue.
//!
//! apalis drives it like any backend: `poll_next` yields `Task<J>` (with [`JobMeta`] in its data), the
//! worker's layers (concurrency, timeout, catch-panic, tracing) run the handler, and the backend's own
//! middleware, [`SettleLayer`], records the outcome in Redis. `poll_close` hands back any job that was
//! leased but never started.

use super::fetcher::{self, Fetched};
use super::job::{Job, JobMeta};
use super::runtime::QueueRuntime;
use super::settle::SettleLayer;
use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::task::{Context, Poll};
use thiserror::Error;
use tokio::sync::mpsc;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error("{0}")]
    Fatal(String),
}

pub struct RedisBackend<J: Job> {
    runtime: QueueRuntime,
    rx: mpsc::Receiver<Fetched>,
    fetcher: tokio::task::JoinHandle<()>,
    closing: Option<BoxFuture<'static, ()>>,
    _job: PhantomData<fn() -> J>,
}

impl<J: Job> RedisBackend<J> {
    /// Starts the fetch loop for `J`'s queue. Must be called inside a Tokio runtime.
    pub fn start(runtime: QueueRuntime) -> Self {
        let (tx, rx) = mpsc::channel(runtime.concurrency.max(1));
        let fetcher = tokio::spawn(fetcher::run(runtime.clone(), tx));
        Self {
            runtime,
            rx,
            fetcher,
            closing: None,
            _job: PhantomData,
        }
    }

    fn decode(
        &self,
        job: super::store::LeasedJob,
        lease: String,
    ) -> Result<Task<J>, (String, String, String)> {
        match serde_json::from_str::<J>(&job.payload) {
            Ok(args) => {
                let meta = JobMeta {
                    id: job.id,
                    queue: J::QUEUE,
                    attempt: job.attempts,
                    max_attempts: self.runtime.policy.max_attempts,
                    due_ms: job.due_ms,
                    enqueued_ms: job.enqueued_ms,
                    lease,
                };
                Ok(TaskBuilder::new(args).data(meta).build())
            }
            Err(error) => Err((
                job.id,
                lease,
                format!("payload does not decode as a {} job: {error}", J::QUEUE),
            )),
        }
    }
}

impl<J: Job> Backend for RedisBackend<J> {
    type Task = Task<J>;
    type Error = BackendError;

    fn poll_ready(
        &mut self,
        _cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        loop {
            return match self.rx.poll_recv(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Fetched::Fatal(message))) => {
                    Poll::Ready(Some(Err(BackendError::Fatal(message))))
                }
                Poll::Ready(Some(Fetched::Job { job, lease })) => match self.decode(job, lease) {
                    Ok(task) => Poll::Ready(Some(Ok(task))),
                    Err((id, lease, error)) => {
                        // A payload that cannot decode can never succeed: dead-letter it, keep going.
                        tracing::error!(queue = J::QUEUE, job_id = %id, %error, "dead-lettering undecodable job");
                        let store = self.runtime.store.clone();
                        let leases = self.runtime.leases.clone();
                        tokio::spawn(async move {
                            let _ = store.dead_letter(&id, &lease, &error).await;
                            leases.remove(&id, &lease);
                        });
                        continue;
                    }
                },
            };
        }
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        if self.closing.is_none() {
            self.fetcher.abort();
            self.rx.close();
            let mut by_lease: HashMap<String, Vec<String>> = HashMap::new();
            while let Ok(fetched) = self.rx.try_recv() {
                if let Fetched::Job { job, lease } = fetched {
                    by_lease.entry(lease).or_default().push(job.id);
                }
            }
            let runtime = self.runtime.clone();
            self.closing = Some(
                async move {
                    for (lease, ids) in by_lease {
                        match runtime.store.release(&lease, &ids).await {
                            Ok(released) => tracing::info!(queue = runtime.store.queue(), released, "handed back prefetched jobs"),
                            Err(error) => tracing::warn!(queue = runtime.store.queue(), %error, "could not hand back prefetched jobs; their leases will expire"),
                        }
                        for id in &ids {
                            runtime.leases.remove(id, &lease);
                        }
                    }
                }
                .boxed(),
            );
        }
        let closing = self.closing.as_mut().expect("set above");
        closing.poll_unpin(cx).map(Ok)
    }
}

impl<J: Job> BackendConfig for RedisBackend<J> {
    type Args = J;
    type Id = ();
    type Kind = Ephemeral;
    type Config = QueueRuntime;
    type Layer = SettleLayer;

    fn config(&self) -> &Self::Config {
        &self.runtime
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        SettleLayer::new(self.runtime.clone())
    }
}

impl<J: Job> Drop for RedisBackend<J> {
    fn drop(&mut self) {
        self.fetcher.abort();
    }
}
