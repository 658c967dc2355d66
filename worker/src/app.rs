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
use versus_shared::domain::incident::IncidentStore;
use versus_shared::domain::jobs::{AwsResolveJob, EscalateJob, NotifyJob, SlackUpdateJob};
use versus_shared::domain::template::MessageTemplate;
use versus_shared::infra::config::{RetryPolicySettings, Settings};
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::queue::{FatalSignal, Job, JobStore, QueueRuntime, RedisBackend};

/// Longest a single job may run before it is treated as failed (and retried).
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// Slack message updates (the acknowledged / escalated / resolved banners) run at a quarter of
/// `worker.concurrency` (at least one). All jobs share one thread, so in an alert storm this leaves the
/// worker's time to pages and first notifications: with 10,000 escalations due within a second,
/// `make bench` measured lateness p99 1.8-3.0 s instead of 2.6-4.0 s (three runs each). Slack accepts
/// `chat.update` at about 50 a minute per workspace (Tier 3), so a few at a time keep up with it.
const SLACK_UPDATE_SHARE: usize = 4;

/// Registers one apalis worker for a job kind: our Redis backend, shared dependencies, and the same layers
/// for every kind (panics become failed runs, a run is bounded in time, `worker.concurrency` at once).
/// A macro because the worker's layered type cannot be named in a function signature.
macro_rules! register {
    ($monitor:expr, $job:ty, $runtime:expr, $handler:path, $deps:expr, $name:expr) => {{
        let (runtime, deps, name) = ($runtime, $deps.clone(), $name);
        $monitor.register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(RedisBackend::<$job>::start(runtime.clone()))
                .data(deps.clone())
                .concurrency(runtime.concurrency)
                .catch_panic()
                .timeout(JOB_TIMEOUT)
                .build($handler)
        })
    }};
}

pub struct WorkerApp {
    settings: Arc<Settings>,
    deps: SharedDeps,
    health: RedisHealth,
    redis: redis::aio::ConnectionManager,
    fatal: FatalSignal,
    instance: String,
}

impl WorkerApp {
    pub async fn build(settings: Settings, config_path: &std::path::Path) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let redis = versus_shared::infra::redis_conn::managed(&settings.redis)
            .context("invalid Redis settings")?;
        let retention = Duration::from_secs(settings.redis.retention_hours * 3600);
        let incidents = IncidentStore::new(redis.clone(), &settings.redis.key_prefix, retention);
        let slack_settings = &settings.alert.slack;
        let (slack, template) = if slack_settings.enable {
            let path = versus_shared::infra::config::resolve_template_path(
                &slack_settings.template_path,
                config_path,
            )
            .unwrap_or_else(|| slack_settings.template_path.clone());
            let template =
                MessageTemplate::from_file(&path).map_err(|e| anyhow::anyhow!(e.report()))?;
            let token = slack_settings
                .token
                .clone()
                .context("alert.slack.token is required")?;
            (
                Some(SlackClient::new(
                    &slack_settings.api_url,
                    token,
                    &slack_settings.channel_id,
                )),
                Some(template),
            )
        } else {
            let template = versus_shared::infra::config::resolve_template_path(
                &slack_settings.template_path,
                config_path,
            )
            .and_then(|path| MessageTemplate::from_file(&path).ok());
            (None, template)
        };
        let aws = if settings.oncall.is_ready() {
            Some(crate::aws::IncidentManager::from_env().await)
        } else {
            None
        };
        let deps = Arc::new(Deps {
            composer: Composer::new(&settings, template),
            settings: settings.clone(),
            incidents,
            slack,
            aws,
        });
        let instance = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            &versus_shared::infra::queue::new_job_id()[24..]
        );
        Ok(Self {
            settings,
            deps,
            health: RedisHealth::new(),
            redis,
            fatal: FatalSignal::default(),
            instance,
        })
    }

    fn runtime<J: Job>(&self, policy: &RetryPolicySettings) -> QueueRuntime {
        let retention = Duration::from_secs(self.settings.redis.retention_hours * 3600);
        let store = JobStore::for_job::<J>(
            self.redis.clone(),
            &self.settings.redis.key_prefix,
            retention,
        );
        QueueRuntime::from_settings(
            &self.settings,
            store,
            policy.clone(),
            self.health.clone(),
            self.fatal.clone(),
            &self.instance,
        )
    }

    /// Runs until SIGTERM/SIGINT (exit 0) or until the queue cannot work (error: exit non-zero).
    pub async fn run(self) -> anyhow::Result<()> {
        let metrics = versus_shared::infra::metrics::install();
        let http = http::serve(
            &self.settings,
            self.redis.clone(),
            self.health.clone(),
            metrics,
        )?;
        let http_handle = http.handle();
        tokio::spawn(http);

        let queue = &self.settings.queue;
        let notify = self.runtime::<NotifyJob>(&queue.notify);
        let escalate = self.runtime::<EscalateJob>(&queue.escalate);
        let mut slack_update = self.runtime::<SlackUpdateJob>(&queue.slack_update);
        slack_update.concurrency = (slack_update.concurrency / SLACK_UPDATE_SHARE).max(1);
        let aws_resolve = self.runtime::<AwsResolveJob>(&queue.escalate);
        let runtimes = [
            notify.clone(),
            escalate.clone(),
            slack_update.clone(),
            aws_resolve.clone(),
        ];
        for runtime in &runtimes {
            tokio::spawn(versus_shared::infra::queue::run_maintenance(
                runtime.clone(),
            ));
        }

        let deps = self.deps.clone();
        let name = |queue: &str| format!("{}-{queue}", self.instance);
        let monitor = Monitor::new();
        let monitor = register!(
            monitor,
            NotifyJob,
            notify,
            handlers::notify::handle,
            deps,
            name("notify")
        );
        let monitor = register!(
            monitor,
            EscalateJob,
            escalate,
            handlers::escalate::handle,
            deps,
            name("escalate")
        );
        let monitor = register!(
            monitor,
            SlackUpdateJob,
            slack_update,
            handlers::slack_update::handle,
            deps,
            name("slack_update")
        );
        let monitor = register!(
            monitor,
            AwsResolveJob,
            aws_resolve,
            handlers::aws_resolve::handle,
            deps,
            name("aws_resolve")
        );
        let monitor = monitor.shutdown_timeout(Duration::from_secs(
            self.settings.worker.shutdown_grace_seconds,
        ));

        tracing::info!(instance = %self.instance, port = self.settings.worker.port, "versus-worker started");
        // `biased`, fatal first: a queue that gives up raises the signal before its worker (and so the
        // monitor) ends, and an unbiased select picked the monitor's Ok half the time: exit 0.
        let outcome = tokio::select! {
            biased;
            reason = self.fatal.raised() => Err(anyhow::anyhow!("{reason}")),
            result = monitor.run_with_signal(shutdown_signal()) => result.map_err(|e| anyhow::anyhow!("workers stopped with an error: {e}")),
        };
        // Whatever is still leased (jobs that outlived the grace period) runs again elsewhere at once.
        for runtime in &runtimes {
            hand_back(runtime).await;
        }
        http_handle.stop(true).await;
        outcome
    }
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
