//! Everything one queue's consumer needs at run time, derived once from the configuration.

use super::lease::LeaseRegistry;
use super::store::JobStore;
use crate::infra::config::{RedisSettings, RetryPolicySettings, Settings};
use crate::infra::health::RedisHealth;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Raised when a queue can no longer work (Redis gone too long); the binary exits non-zero on it.
#[derive(Clone)]
pub struct FatalSignal {
    sender: Arc<watch::Sender<Option<String>>>,
}

impl Default for FatalSignal {
    fn default() -> Self {
        Self {
            sender: Arc::new(watch::channel(None).0),
        }
    }
}

impl FatalSignal {
    pub fn raise(&self, reason: String) {
        self.sender.send_replace(Some(reason));
    }

    /// Resolves with the reason once the signal is raised.
    pub async fn raised(&self) -> String {
        let mut receiver = self.sender.subscribe();
        let reason = match receiver.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => String::new(),
        };
        reason
    }
}

#[derive(Clone)]
pub struct QueueRuntime {
    pub store: JobStore,
    pub policy: RetryPolicySettings,
    pub redis: RedisSettings,
    pub health: RedisHealth,
    pub leases: LeaseRegistry,
    /// Jobs this worker runs at once (and at most this many are leased ahead).
    pub concurrency: usize,
    pub lease_for: Duration,
    pub idle_poll: Duration,
    pub reap_interval: Duration,
    pub finished_ttl: Duration,
    /// Give up (fatal backend error, the process exits non-zero) after Redis has been gone this long.
    pub exit_after_redis_down: Duration,
    pub fatal: FatalSignal,
}

impl QueueRuntime {
    pub fn from_settings(
        settings: &Settings,
        store: JobStore,
        policy: RetryPolicySettings,
        health: RedisHealth,
        fatal: FatalSignal,
        instance: &str,
    ) -> Self {
        let queue = &settings.queue;
        Self {
            leases: LeaseRegistry::new(&format!("{instance}:{}", store.queue())),
            store,
            policy,
            redis: settings.redis.clone(),
            health,
            concurrency: settings.worker.concurrency,
            lease_for: queue.lease(),
            idle_poll: queue.idle_poll(),
            reap_interval: queue.reap_interval(),
            finished_ttl: queue.finished_ttl(),
            exit_after_redis_down: settings.worker.redis_down_exit(),
            fatal,
        }
    }
}
