//! Every Redis operation of the queue, as plain async functions over the Lua scripts. The apalis backend
//! (`backend.rs`) drives these; tests and the operator tools call them directly.

use super::job::Job;
use super::keys::QueueKeys;
use super::scripts;
use crate::infra::config::RedisSettings;
use crate::infra::redis_conn::RedisConnection;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("Redis is unavailable ({0}); check that Redis is running and that redis.host/port/password are right")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from a queue script ({0}); is this a Redis 7 server?")]
    Reply(#[from] redis::ParsingError),
    #[error("job payload could not be encoded or decoded: {0}")]
    Codec(#[from] serde_json::Error),
}

/// Options of one push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Run no earlier than this long from now (Redis time). Millisecond precision.
    pub delay: Duration,
    /// A second push with the same key (within `idempotency_ttl`) enqueues nothing and reports a duplicate.
    pub idempotency_key: Option<String>,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Enqueued(String),
    /// The idempotency key was already used; this is the id of the job that holds it.
    Duplicate(String),
}

impl PushOutcome {
    pub fn job_id(&self) -> &str {
        match self {
            PushOutcome::Enqueued(id) | PushOutcome::Duplicate(id) => id,
        }
    }
}

/// A job leased by `fetch`, not yet decoded.
#[derive(Debug, Clone)]
pub struct LeasedJob {
    pub id: String,
    pub payload: String,
    pub attempts: u32,
    pub due_ms: i64,
    pub enqueued_ms: i64,
}

/// The answer of one `fetch`.
#[derive(Debug, Clone)]
pub struct FetchBatch {
    pub redis_now_ms: i64,
    /// Due time of the earliest job still waiting, if any.
    pub next_due_ms: Option<i64>,
    pub jobs: Vec<LeasedJob>,
}

/// One queue in Redis.
#[derive(Clone)]
pub struct JobStore {
    pub(super) conn: RedisConnection,
    pub(super) prefix: String,
    pub(super) queue: &'static str,
    pub(super) keys: QueueKeys,
    /// How long idempotency keys are remembered.
    pub idempotency_ttl: Duration,
}

impl JobStore {
    pub fn new(
        conn: impl Into<RedisConnection>,
        prefix: &str,
        queue: &'static str,
        idempotency_ttl: Duration,
    ) -> Self {
        Self {
            conn: conn.into(),
            prefix: prefix.to_string(),
            queue,
            keys: QueueKeys::new(prefix, queue),
            idempotency_ttl,
        }
    }

    pub fn for_job<J: Job>(
        conn: impl Into<RedisConnection>,
        prefix: &str,
        idempotency_ttl: Duration,
    ) -> Self {
        Self::new(conn, prefix, J::QUEUE, idempotency_ttl)
    }

    /// The store of `queue` under `redis.key_prefix`; idempotency keys live as long as incident records.
    pub fn from_settings(
        conn: RedisConnection,
        redis: &RedisSettings,
        queue: &'static str,
    ) -> Self {
        Self::new(conn, &redis.stored_prefix(), queue, redis.retention())
    }

    pub fn queue(&self) -> &'static str {
        self.queue
    }

    pub fn keys(&self) -> &QueueKeys {
        &self.keys
    }

    pub fn connection(&self) -> RedisConnection {
        self.conn.clone()
    }

    pub async fn push<J: Job>(
        &self,
        job: &J,
        options: PushOptions,
    ) -> Result<PushOutcome, QueueError> {
        debug_assert_eq!(J::QUEUE, self.queue);
        let payload = serde_json::to_string(job)?;
        self.push_raw(&payload, &options).await
    }

    pub async fn push_raw(
        &self,
        payload: &str,
        options: &PushOptions,
    ) -> Result<PushOutcome, QueueError> {
        let id = new_job_id();
        let (id, created): (String, i64) = scripts::PUSH
            .key(self.keys.due())
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(&id)
            .arg(payload)
            .arg(options.delay.as_millis() as u64)
            .arg(options.idempotency_key.as_deref().unwrap_or(""))
            .arg(self.idempotency_ttl.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(if created == 1 {
            PushOutcome::Enqueued(id)
        } else {
            PushOutcome::Duplicate(id)
        })
    }

    /// Pushes many jobs in one pipeline (a storm of alerts, or tests).
    pub async fn push_many<J: Job>(
        &self,
        jobs: &[(J, PushOptions)],
    ) -> Result<Vec<PushOutcome>, QueueError> {
        let mut pipe = redis::pipe();
        for (job, options) in jobs {
            let payload = serde_json::to_string(job)?;
            pipe.invoke_script(
                scripts::PUSH
                    .key(self.keys.due())
                    .arg(&self.prefix)
                    .arg(self.queue)
                    .arg(new_job_id())
                    .arg(payload)
                    .arg(options.delay.as_millis() as u64)
                    .arg(options.idempotency_key.as_deref().unwrap_or(""))
                    .arg(self.idempotency_ttl.as_millis() as u64),
            );
        }
        // Make sure the script is cached: a pipeline of EVALSHA cannot fall back to EVAL by itself.
        scripts::PUSH
            .prepare_invoke()
            .load_async(&mut self.conn.clone())
            .await?;
        let results: Vec<(String, i64)> = pipe.query_async(&mut self.conn.clone()).await?;
        Ok(results
            .into_iter()
            .map(|(id, created)| {
                if created == 1 {
                    PushOutcome::Enqueued(id)
                } else {
                    PushOutcome::Duplicate(id)
                }
            })
            .collect())
    }

    /// Leases up to `limit` due jobs for `lease`.
    pub async fn fetch(
        &self,
        limit: usize,
        lease: &str,
        lease_for: Duration,
    ) -> Result<FetchBatch, QueueError> {
        let raw: Vec<redis::Value> = scripts::FETCH
            .key(self.keys.due())
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(limit)
            .arg(lease_for.as_millis() as u64)
            .arg(lease)
            .invoke_async(&mut self.conn.clone())
            .await?;
        parse_fetch(raw)
    }

    pub async fn complete(
        &self,
        id: &str,
        lease: &str,
        finished_ttl: Duration,
    ) -> Result<bool, QueueError> {
        let done: i64 = scripts::COMPLETE
            .key(self.keys.job(id))
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(id)
            .arg(lease)
            .arg(finished_ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(done == 1)
    }

    /// Schedules another attempt after `delay`. With `refund`, this run does not count as an attempt.
    pub async fn retry(
        &self,
        id: &str,
        lease: &str,
        delay: Duration,
        error: &str,
        refund: bool,
    ) -> Result<bool, QueueError> {
        let done: i64 = scripts::RETRY
            .key(self.keys.job(id))
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(id)
            .arg(lease)
            .arg(delay.as_millis() as u64)
            .arg(error)
            .arg(if refund { "1" } else { "0" })
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(done == 1)
    }

    pub async fn dead_letter(
        &self,
        id: &str,
        lease: &str,
        error: &str,
    ) -> Result<bool, QueueError> {
        let done: i64 = scripts::DEAD
            .key(self.keys.job(id))
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(id)
            .arg(lease)
            .arg(error)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(done == 1)
    }

    /// Hands back leased jobs that never started.
    pub async fn release(&self, lease: &str, ids: &[String]) -> Result<usize, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let released: usize = scripts::RELEASE
            .key(self.keys.inflight())
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(lease)
            .arg(ids)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(released)
    }

    /// Extends leases still held: `held` is (job id, lease) pairs.
    pub async fn renew(
        &self,
        held: &[(String, String)],
        lease_for: Duration,
    ) -> Result<usize, QueueError> {
        if held.is_empty() {
            return Ok(0);
        }
        let mut invocation = scripts::RENEW.prepare_invoke();
        invocation
            .key(self.keys.inflight())
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(lease_for.as_millis() as u64);
        for (id, lease) in held {
            invocation.arg(id).arg(lease);
        }
        Ok(invocation.invoke_async(&mut self.conn.clone()).await?)
    }

    /// Requeues (or dead-letters, past `max_attempts`) jobs whose worker died. Returns (requeued, dead).
    pub async fn reap(&self, limit: usize, max_attempts: u32) -> Result<(u64, u64), QueueError> {
        Ok(scripts::REAP
            .key(self.keys.inflight())
            .arg(&self.prefix)
            .arg(self.queue)
            .arg(limit)
            .arg(max_attempts)
            .invoke_async(&mut self.conn.clone())
            .await?)
    }
}

/// Time-ordered, unique job ids.
pub fn new_job_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn parse_fetch(raw: Vec<redis::Value>) -> Result<FetchBatch, QueueError> {
    use redis::FromRedisValue;
    let mut values = raw.into_iter();
    let mut next = |what: &str| {
        values.next().ok_or_else(|| {
            QueueError::Reply(redis::ParsingError::from(format!(
                "fetch reply ends before {what}"
            )))
        })
    };
    let redis_now_ms = i64::from_redis_value(next("now")?)?;
    let next_due = i64::from_redis_value(next("next_due")?)?;
    let mut jobs = Vec::new();
    loop {
        let Ok(id) = next("id") else { break };
        jobs.push(LeasedJob {
            id: String::from_redis_value(id)?,
            payload: String::from_redis_value(next("payload")?)?,
            attempts: u32::from_redis_value(next("attempts")?)?,
            due_ms: i64::from_redis_value(next("due_ms")?)?,
            enqueued_ms: i64::from_redis_value(next("enqueued_ms")?)?,
        });
    }
    Ok(FetchBatch {
        redis_now_ms,
        next_due_ms: (next_due >= 0).then_some(next_due),
        jobs,
    })
}
