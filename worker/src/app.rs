//! Wiring: one apalis worker per job kind over the Redis backend, run by an apalis Monitor, plus the
//! health/metrics server. Graceful shutdown on SIGTERM: stop fetching, give in-flight jobs
//! `worker.shutdown_grace_seconds`, hand back whatever is left.

use crate::deps::{Deps, SharedDeps};
use crate::handlers;
use crate::http;
use crate::slack::{Composer, SlackClient};
use anyhow::Context;
use apalis::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use versus_shared::domain::digest::DigestStore;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::domain::incident::IncidentStore;
use versus_shared::domain::jobs::{
    AwsResolveJob, DigestJob, EscalateJob, HeartbeatCheckJob, JobKind, KindOfJob, NotifyJob,
    SlackUpdateJob,
};
use versus_shared::domain::report::ReportReader;
use versus_shared::domain::template::MessageTemplate;
use versus_shared::infra::config::Settings;
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::queue::{FatalSignal, JobStore, QueueRuntime, RedisBackend};
use versus_shared::infra::redis_conn::RedisConnection;

/// Longest a single job may run before it is treated as failed (and retried).
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// Slack message updates (the acknowledged / escalated / resolved banners) run at a quarter of
/// `worker.concurrency` (at least one). All jobs share one thread, so in an alert storm this leaves the
/// worker's time to pages and first notifications (`docs/performance.md` has the measurements). Slack
/// accepts `chat.update` at about 50 a minute per workspace (Tier 3), so a few at a time keep up with it.
const SLACK_UPDATE_SHARE: usize = 4;

/// Registers one apalis worker per job kind, from a table of `payload type => handler`, each over our Redis
/// backend with the same layers (panics become failed runs, a run is bounded in time, at most the kind's
/// concurrency at once). Evaluates to the monitor and the kinds' queue runtimes.
/// A macro because a layered worker's type cannot be named in a function signature.
macro_rules! register_job_kinds {
    ($app:expr, $monitor:expr, { $($job:ty => $handler:path),+ $(,)? }) => {{
        let mut monitor = $monitor;
        let mut runtimes = Vec::new();
        $(
            let runtime = $app.runtime(<$job as KindOfJob>::KIND);
            runtimes.push(runtime.clone());
            let deps = $app.deps.clone();
            let name = format!("{}-{}", $app.instance, <$job as KindOfJob>::KIND);
            monitor = monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(RedisBackend::<$job>::start(runtime.clone()))
                    .data(deps.clone())
                    .concurrency(runtime.concurrency)
                    .catch_panic()
                    .timeout(JOB_TIMEOUT)
                    .build($handler)
            });
        )+
        (monitor, runtimes)
    }};
}

pub struct WorkerApp {
    settings: Arc<Settings>,
    deps: SharedDeps,
    health: RedisHealth,
    redis: RedisConnection,
    fatal: FatalSignal,
    instance: String,
}

impl WorkerApp {
    pub async fn build(settings: Settings, config_path: &std::path::Path) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let redis =
            RedisConnection::from_settings(&settings.redis).context("invalid Redis settings")?;
        let template = MessageTemplate::from_settings(&settings.alert.slack, config_path)
            .map_err(|e| anyhow::anyhow!(e.report()))?;
        if let Some(template) = &template {
            tracing::info!(template = template.name(), syntax = %template.syntax(), "message template loaded");
        }
        let aws = match settings.oncall.is_ready() {
            true => Some(crate::aws::IncidentManager::from_env().await),
            false => None,
        };
        let deps = Arc::new(Deps {
            composer: Composer::new(&settings, template),
            incidents: IncidentStore::from_settings(redis.clone(), &settings),
            heartbeats: HeartbeatStore::from_settings(redis.clone(), &settings),
            digest: DigestStore::new(redis.clone(), &settings.redis.stored_prefix()),
            // A connection of its own: a digest's day-sized reads must not hold up the escalations' scripts.
            reports: ReportReader::from_settings(
                RedisConnection::from_settings(&settings.redis)
                    .context("invalid Redis settings")?,
                &settings,
            ),
            slack: SlackClient::from_settings(&settings.alert.slack)?,
            settings: settings.clone(),
            aws,
        });
        Ok(Self {
            settings,
            deps,
            health: RedisHealth::new(),
            redis,
            fatal: FatalSignal::default(),
            instance: instance_name(),
        })
    }

    /// The queue of one job kind: its store, retry policy and share of the worker.
    fn runtime(&self, kind: JobKind) -> QueueRuntime {
        let store = JobStore::from_settings(self.redis.clone(), &self.settings.redis, kind.queue());
        let mut runtime = QueueRuntime::from_settings(
            &self.settings,
            store,
            kind.retry_policy(&self.settings.queue).clone(),
            self.health.clone(),
            self.fatal.clone(),
            &self.instance,
        );
        if kind == JobKind::SlackUpdate {
            runtime.concurrency = (runtime.concurrency / SLACK_UPDATE_SHARE).max(1);
        }
        runtime
    }

    /// Runs until SIGTERM/SIGINT (exit 0) or until the queue cannot work (error: exit non-zero).
    pub async fn run(self) -> anyhow::Result<()> {
        let metrics = versus_shared::infra::metrics::install();
        crate::heartbeats::arm_all(&self.deps.heartbeats, &self.settings).await?;
        tokio::spawn(crate::heartbeats::keep_armed(
            self.deps.heartbeats.clone(),
            self.settings.clone(),
        ));
        // Unlike a heartbeat, the digest pages no one: a Redis outage at start-up must not keep this worker
        // from taking pages, so it is armed in the background and re-armed every period as usual.
        let (digest, settings) = (self.deps.digest.clone(), self.settings.clone());
        tokio::spawn(async move {
            if let Err(error) = crate::digest::arm_at_startup(&digest, &settings).await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "the digest is not armed yet; the periodic re-arm tries again"
                );
            }
            crate::digest::keep_armed(digest, settings).await;
        });
        let http = http::serve(
            &self.settings,
            self.redis.clone(),
            self.health.clone(),
            metrics,
        )?;
        let http_handle = http.handle();
        tokio::spawn(http);

        let (monitor, runtimes) = register_job_kinds!(self, Monitor::new(), {
            NotifyJob => handlers::notify::handle,
            EscalateJob => handlers::escalate::handle,
            SlackUpdateJob => handlers::slack_update::handle,
            AwsResolveJob => handlers::aws_resolve::handle,
            HeartbeatCheckJob => handlers::heartbeat_check::handle,
            DigestJob => handlers::digest::handle,
        });
        ensure_every_kind_runs(&runtimes)?;
        for runtime in &runtimes {
            tokio::spawn(versus_shared::infra::queue::run_maintenance(
                runtime.clone(),
            ));
        }
        let monitor = monitor.shutdown_timeout(self.settings.worker.shutdown_grace());

        tracing::info!(instance = %self.instance, port = self.settings.worker.port, "versus-worker started");
        // `biased`, fatal first: a queue that gives up raises the signal before its worker (and so the
        // monitor) ends, and an unbiased select picked the monitor's Ok half the time: exit 0.
        let outcome = tokio::select! {
            biased;
            reason = self.fatal.raised() => Err(anyhow::anyhow!(reason)),
            result = monitor.run_with_signal(shutdown_signal()) => result.context("workers stopped with an error"),
        };
        // Whatever is still leased (jobs that outlived the grace period) runs again elsewhere at once.
        for runtime in &runtimes {
            hand_back(runtime).await;
        }
        http_handle.stop(true).await;
        outcome
    }
}

/// A job kind without a worker would pile up unseen: refuse to start instead.
fn ensure_every_kind_runs(runtimes: &[QueueRuntime]) -> anyhow::Result<()> {
    let running: Vec<&str> = runtimes.iter().map(|r| r.store.queue()).collect();
    let missing: Vec<&str> = JobKind::ALL
        .iter()
        .map(|kind| kind.queue())
        .filter(|queue| !running.contains(queue))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "no worker is registered for the job queue(s) {missing:?}"
    );
    Ok(())
}

/// This process's name among the workers: host, pid and a random suffix, so a restart is a new instance.
fn instance_name() -> String {
    format!(
        "{}-{}-{}",
        hostname(),
        std::process::id(),
        &versus_shared::infra::queue::new_job_id()[24..]
    )
}

async fn hand_back(runtime: &QueueRuntime) {
    let held = runtime.leases.snapshot();
    if held.is_empty() {
        return;
    }
    let mut by_lease: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (id, lease) in held {
        by_lease.entry(lease).or_default().push(id);
    }
    for (lease, ids) in by_lease {
        match runtime.store.release(&lease, &ids).await {
            Ok(released) => tracing::warn!(
                queue = runtime.store.queue(),
                released,
                "handed back jobs still running at the end of the grace period"
            ),
            Err(error) => {
                tracing::warn!(queue = runtime.store.queue(), %error, "could not hand back running jobs; they run again when their leases expire")
            }
        }
    }
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: finishing in-flight jobs"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: finishing in-flight jobs"),
    }
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "worker".into())
}
