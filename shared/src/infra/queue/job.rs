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

/// Any error a handler fails with, kept as it is so its cause stays inspectable.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The longest delay a [`JobError::RetryAfter`] can ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// How a handler failed, which decides what the queue does next. Each variant keeps the error itself; its
/// text (the error's, with any context) is what the retry log lines and the dead-letter record say.
#[derive(Debug, Error)]
pub enum JobError {
    /// Worth another try after the policy's backoff (network errors, `5xx`).
    #[error(transparent)]
    Retry(BoxError),
    /// Worth another try after a delay the far side asked for (Slack `429 Retry-After`, AWS throttling).
    #[error("{source} (retry after {after:?})")]
    RetryAfter {
        #[source]
        source: BoxError,
        after: Duration,
    },
    /// Can never succeed as it is (bad token, unknown channel, access denied): dead-letter at once.
    #[error(transparent)]
    Permanent(BoxError),
}

impl JobError {
    pub fn retry(error: impl Into<BoxError>) -> Self {
        Self::Retry(error.into())
    }

    /// Retry after `after`, which a peer chose: it is cut to [`MAX_RETRY_AFTER`] so that no answer can
    /// park a job for longer, or overflow the queue's clock.
    pub fn retry_after(error: impl Into<BoxError>, after: Duration) -> Self {
        Self::RetryAfter {
            source: error.into(),
            after: after.min(MAX_RETRY_AFTER),
        }
    }

    pub fn permanent(error: impl Into<BoxError>) -> Self {
        Self::Permanent(error.into())
    }

    /// Retry, saying what was being done when `error` happened.
    pub fn retry_because(context: impl Into<String>, error: impl Into<BoxError>) -> Self {
        Self::Retry(Box::new(InContext::new(context, error)))
    }

    /// Give up, saying what was being done when `error` happened.
    pub fn permanent_because(context: impl Into<String>, error: impl Into<BoxError>) -> Self {
        Self::Permanent(Box::new(InContext::new(context, error)))
    }

    /// The queue will run the job again.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, JobError::Permanent(_))
    }
}

/// An error with what was being done when it happened: shown as `context: error`, with the error kept as
/// the source.
#[derive(Debug, Error)]
#[error("{context}: {source}")]
pub struct InContext {
    context: String,
    #[source]
    source: BoxError,
}

impl InContext {
    pub fn new(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            context: context.into(),
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn context_is_said_first_and_the_cause_is_kept() {
        let cause = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        let error = JobError::retry_because("cannot read incident a1", cause);
        assert_eq!(error.to_string(), "cannot read incident a1: timed out");
        // `Retry` is transparent: its source is the cause the context was given.
        let kept = error.source().expect("the cause");
        assert!(kept.downcast_ref::<std::io::Error>().is_some());
        assert!(error.is_retryable());
    }

    #[test]
    fn a_retry_after_says_the_delay() {
        let error = JobError::retry_after("rate limited", Duration::from_millis(1500));
        assert_eq!(error.to_string(), "rate limited (retry after 1.5s)");
        assert!(!JobError::permanent("no").is_retryable());
    }

    #[test]
    fn a_retry_after_is_bounded() {
        let JobError::RetryAfter { after, .. } = JobError::retry_after("x", Duration::MAX) else {
            panic!("not a RetryAfter");
        };
        assert_eq!(after, MAX_RETRY_AFTER);
    }
}
