//! What an operator looks at in a queue: its sizes, and its dead letters with a way to put them back.

use super::scripts;
use super::store::{JobStore, QueueError};

/// Sizes of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub ready: u64,
    pub scheduled: u64,
    pub inflight: u64,
    pub dead: u64,
}

/// A dead-lettered job as an operator sees it.
#[derive(Debug, Clone)]
pub struct DeadJob {
    pub id: String,
    pub dead_ms: i64,
    pub attempts: u32,
    pub last_error: String,
    pub payload: String,
}

impl JobStore {
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let (ready, scheduled, inflight, dead): (u64, u64, u64, u64) = scripts::STATS
            .key(self.keys.due())
            .arg(&self.prefix)
            .arg(self.queue)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(QueueStats {
            ready,
            scheduled,
            inflight,
            dead,
        })
    }

    /// The dead-letter set, oldest first.
    pub async fn list_dead(&self, limit: usize) -> Result<Vec<DeadJob>, QueueError> {
        let mut conn = self.conn.clone();
        let entries: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.keys.dead())
            .arg(0)
            .arg(limit.saturating_sub(1) as i64)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        let mut jobs = Vec::with_capacity(entries.len());
        for (id, dead_ms) in entries {
            let (attempts, last_error, payload): (Option<u32>, Option<String>, Option<String>) =
                redis::cmd("HMGET")
                    .arg(self.keys.job(&id))
                    .arg("attempts")
                    .arg("last_error")
                    .arg("payload")
                    .query_async(&mut conn)
                    .await?;
            jobs.push(DeadJob {
                id,
                dead_ms: dead_ms as i64,
                attempts: attempts.unwrap_or(0),
                last_error: last_error.unwrap_or_default(),
                payload: payload.unwrap_or_default(),
            });
        }
        Ok(jobs)
    }

    /// Puts dead-lettered jobs back with a fresh attempt budget; `None` requeues all of them.
    pub async fn requeue_dead(&self, ids: Option<&[String]>) -> Result<usize, QueueError> {
        let mut invocation = scripts::REQUEUE_DEAD.prepare_invoke();
        invocation
            .key(self.keys.dead())
            .arg(&self.prefix)
            .arg(self.queue);
        match ids {
            Some([]) => return Ok(0),
            Some(ids) => invocation.arg(ids),
            None => invocation.arg("*"),
        };
        Ok(invocation.invoke_async(&mut self.conn.clone()).await?)
    }
}
