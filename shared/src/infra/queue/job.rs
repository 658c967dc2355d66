//! What a job is to the queue: a serialisable value that names its queue, plus how its handler reports failure.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use thiserror::Error;

/// A kind of job. Each kind has its own Redis queue (`{prefix}queue:{QUEUE}:*`) and retry policy.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    const QUEUE: &'static str;

    /// The incident this job acts on, put on the queue's own log lines about it (retry, dead letter) so
    /// that an operator can follow an incident by its id.
    fn incident_id(&self) -> Option<&str> {
        None
    }
}

/// Facts about the current run of a job, available to handlers as `Data<JobMeta>`.
#[derive(Debug, Clone)]
pub struct JobMeta {
    pub id: String,
    pub queue: &'static str,
    /// 1 for the first run.
    pub attempt: u32,
    pub max_attempts: u32,
    /// When the job was due, in Redis server time (ms since the epoch).
    pub due_ms: i64,
    pub enqueued_ms: i64,
    pub(crate) lease: String,
}

impl JobMeta {
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// How a handler failed, which decides what the queue does next.
#[derive(Debug, Error)]
pub enum JobError {
    /// Worth another try after the policy's backoff (network errors, `5xx`).
    #[error("{0}")]
    Retry(String),
    /// Worth another try after a delay the far side asked for (Slack `429 Retry-After`, AWS throttling).
    #[error("{message} (retry after {after:?})")]
    RetryAfter { message: String, after: Duration },
    /// Can never succeed as it is (bad token, unknown channel, access denied): dead-letter at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self::Retry(message.into())
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent(message.into())
    }
}
