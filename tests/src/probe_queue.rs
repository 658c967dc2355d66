//! The queue itself under test, without the Versus binaries: a probe job kind, a recorder of every run, and
//! real apalis workers over `RedisBackend` running in the test process against the test's own redis-server.

use apalis::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use versus_shared::infra::config::Settings;
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::queue::{
    FatalSignal, Job, JobError, JobMeta, JobStore, PushOptions, PushOutcome, QueueRuntime,
    QueueStats, RedisBackend,
};

use crate::timing::now_ms;
use crate::wait::{poll_until, wait_until};

/// Key prefix the tests use (the product default).
pub const PREFIX: &str = "versus:";

/// What a probe job does when it runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Behaviour {
    Succeed,
    /// Sleeps this many ms, then succeeds.
    SleepMs(u64),
    /// Always fails with `JobError::Retry`.
    AlwaysRetry,
    /// Fails with `JobError::Permanent` on its first run, succeeds on any later run.
    PermanentOnFirstRun,
    /// Answers `JobError::RetryAfter` on its first `times` runs, then always `JobError::Retry`.
    RetryAfterThenRetry {
        times: u32,
        after_ms: u64,
    },
}

/// The test job kind, on its own queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeJob {
    /// The test's own number for the job.
    pub n: u64,
    pub behaviour: Behaviour,
}

impl Job for ProbeJob {
    const QUEUE: &'static str = "queue_guarantee_probe";
}

impl ProbeJob {
    pub fn new(n: u64) -> Self {
        Self {
            n,
            behaviour: Behaviour::Succeed,
        }
    }

    pub fn with(n: u64, behaviour: Behaviour) -> Self {
        Self { n, behaviour }
    }
}

/// One run of a probe job, as its handler saw it.
#[derive(Debug, Clone)]
pub struct Run {
    pub n: u64,
    pub id: String,
    pub attempt: u32,
    /// When the handler started (test process clock).
    pub at: Instant,
    /// Wall clock ms when the handler started; Redis runs on this host, so this compares with `due_ms`.
    pub wall_ms: i64,
    pub due_ms: i64,
    pub enqueued_ms: i64,
    /// Label of the worker that ran it.
    pub worker: Arc<str>,
}

#[derive(Default)]
struct Runs {
    runs: Vec<Run>,
    per_id: HashMap<String, u32>,
}

/// Records every run of every probe job; cloned into each worker (with that worker's label).
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Runs>>,
    label: Arc<str>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            label: "worker".into(),
        }
    }
}

impl Recorder {
    /// The same record, with runs attributed to `label`.
    pub fn labelled(&self, label: &str) -> Self {
        Self {
            inner: self.inner.clone(),
            label: label.into(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Runs> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a run; returns how many runs of this job id came before it.
    fn record(&self, job: &ProbeJob, meta: &JobMeta) -> u32 {
        let run = Run {
            n: job.n,
            id: meta.id.clone(),
            attempt: meta.attempt,
            at: Instant::now(),
            wall_ms: now_ms(),
            due_ms: meta.due_ms,
            enqueued_ms: meta.enqueued_ms,
            worker: self.label.clone(),
        };
        let mut runs = self.lock();
        let count = runs.per_id.entry(run.id.clone()).or_default();
        let before = *count;
        *count += 1;
        runs.runs.push(run);
        before
    }

    pub fn total(&self) -> usize {
        self.lock().runs.len()
    }

    pub fn distinct(&self) -> usize {
        self.lock().per_id.len()
    }

    pub fn runs(&self) -> Vec<Run> {
        self.lock().runs.clone()
    }

    pub fn runs_of(&self, id: &str) -> Vec<Run> {
        self.lock()
            .runs
            .iter()
            .filter(|r| r.id == id)
            .cloned()
            .collect()
    }

    pub fn count_of(&self, id: &str) -> u32 {
        self.lock().per_id.get(id).copied().unwrap_or(0)
    }

    /// Job ids that ran more than once, with their run counts.
    pub fn repeated(&self) -> Vec<(String, u32)> {
        self.lock()
            .per_id
            .iter()
            .filter(|(_, c)| **c > 1)
            .map(|(id, c)| (id.clone(), *c))
            .collect()
    }

    pub fn per_worker(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for run in &self.lock().runs {
            *out.entry(run.worker.to_string()).or_default() += 1;
        }
        out
    }
}

/// The handler every test worker runs.
async fn handle(
    job: ProbeJob,
    meta: Data<JobMeta>,
    recorder: Data<Recorder>,
) -> Result<(), JobError> {
    let before = recorder.record(&job, &meta);
    match job.behaviour {
        Behaviour::Succeed => Ok(()),
        Behaviour::SleepMs(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        }
        Behaviour::AlwaysRetry => Err(JobError::retry(format!("probe {} fails again", job.n))),
        Behaviour::PermanentOnFirstRun if before == 0 => Err(JobError::permanent(format!(
            "probe {} can never work",
            job.n
        ))),
        Behaviour::PermanentOnFirstRun => Ok(()),
        Behaviour::RetryAfterThenRetry { times, after_ms } if before < times => {
            Err(JobError::retry_after(
                format!("probe {} rate limited", job.n),
                Duration::from_millis(after_ms),
            ))
        }
        Behaviour::RetryAfterThenRetry { .. } => {
            Err(JobError::retry(format!("probe {} fails again", job.n)))
        }
    }
}

/// Settings as the product defaults them, pointed at the test's Redis.
pub fn settings(redis_port: u16) -> Settings {
    let mut settings = Settings::default();
    settings.redis.host = "127.0.0.1".into();
    settings.redis.port = redis_port;
    settings
}

/// A store for the probe queue on its own reconnecting connection (a producer, like versus-api).
pub fn producer(redis_port: u16) -> JobStore {
    let settings = settings(redis_port);
    let conn = versus_shared::infra::redis_conn::RedisConnection::from_settings(&settings.redis)
        .expect("redis settings");
    JobStore::for_job::<ProbeJob>(conn, PREFIX, Duration::from_secs(3600))
}

/// A consumer runtime with every setting at the product default (idle poll, lease, reap interval,
/// retry policy of `notify`, concurrency), on its own connection, as one worker process would have.
pub fn runtime(redis_port: u16, instance: &str) -> QueueRuntime {
    let settings = settings(redis_port);
    QueueRuntime::from_settings(
        &settings,
        producer(redis_port),
        settings.queue.notify.clone(),
        RedisHealth::new(),
        FatalSignal::default(),
        instance,
    )
}

/// An apalis worker (Monitor + WorkerBuilder, wired like `worker/src/app.rs`) plus the queue's
/// maintenance loop, running in the test's Tokio runtime. Stopped when dropped.
pub struct TestWorker {
    pub runtime: QueueRuntime,
    stop: Option<oneshot::Sender<()>>,
    monitor: JoinHandle<Result<(), String>>,
    maintenance: JoinHandle<()>,
}

impl TestWorker {
    pub fn start(runtime: QueueRuntime, recorder: Recorder, name: &str) -> Self {
        let maintenance = tokio::spawn(versus_shared::infra::queue::run_maintenance(
            runtime.clone(),
        ));
        let (stop, stopped) = oneshot::channel::<()>();
        let factory_runtime = runtime.clone();
        let recorder = recorder.labelled(name);
        let name = name.to_string();
        let monitor = Monitor::new().register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(RedisBackend::<ProbeJob>::start(factory_runtime.clone()))
                .data(recorder.clone())
                .catch_panic()
                .timeout(Duration::from_secs(60))
                .concurrency(factory_runtime.concurrency)
                .build(handle)
        });
        let monitor = tokio::spawn(async move {
            monitor
                .run_with_signal(async move {
                    let _ = stopped.await;
                    Ok(())
                })
                .await
                .map_err(|e| e.to_string())
        });
        Self {
            runtime,
            stop: Some(stop),
            monitor,
            maintenance,
        }
    }

    /// True while the apalis worker has not stopped (it stops on a fatal backend error).
    pub fn is_running(&self) -> bool {
        !self.monitor.is_finished()
    }
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.monitor.abort();
        self.maintenance.abort();
    }
}

/// Pushes `job` now, retrying while Redis is unreachable (as a webhook sender retries a `503`).
pub async fn push_retrying(store: &JobStore, job: &ProbeJob, within: Duration) -> PushOutcome {
    // Owned by the condition: with borrowed ones the compiler cannot prove the future `Send`, and the tests
    // push from spawned tasks.
    let (store, job) = (store.clone(), job.clone());
    wait_until(
        within,
        format!("a push of probe {}", job.n),
        async move || store.push(&job, PushOptions::default()).await,
    )
    .await
}

pub async fn stats(store: &JobStore) -> QueueStats {
    store.stats().await.expect("queue stats")
}

/// Waits until a job of the queue is in its dead-letter set.
pub async fn wait_dead_letter(store: &JobStore, timeout: Duration) {
    wait_until(timeout, "a job in the dead-letter set", async || {
        stats(store).await.dead > 0
    })
    .await;
}

/// Waits until the queue has nothing due, scheduled or in flight; false on timeout.
pub async fn wait_queue_empty(store: &JobStore, timeout: Duration) -> bool {
    poll_until(timeout, async || {
        let s = stats(store).await;
        s.ready == 0 && s.scheduled == 0 && s.inflight == 0
    })
    .await
    .is_some()
}
