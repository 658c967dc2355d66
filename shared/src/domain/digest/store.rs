//! The calls that run the digest schedule's scripts.

use super::claim::{Claim, ClaimReply};
use super::scripts;
use crate::domain::incident::StoreError;
use crate::infra::queue::new_job_id;
use crate::infra::redis_conn::RedisConnection;
use std::time::Duration;

/// The schedule as it stands after an arming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    /// The pending digest job.
    pub job: String,
    /// The anchor stored in Redis (the first period's end, ms): the first arming's, whatever was configured since.
    pub anchor_ms: i64,
    /// When the next run is due (ms).
    pub due_ms: i64,
}

/// The digest's schedule in Redis (`{prefix}digest:anchor` and the `{prefix}digest` hash).
#[derive(Clone)]
pub struct DigestStore {
    conn: RedisConnection,
    prefix: String,
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

impl DigestStore {
    pub fn new(conn: impl Into<RedisConnection>, prefix: &str) -> Self {
        Self {
            conn: conn.into(),
            prefix: prefix.to_string(),
        }
    }

    /// The schedule's hash.
    pub fn key(&self) -> String {
        format!("{}digest", self.prefix)
    }

    /// Stores `anchor_ms` as the first period's end unless one is stored, and makes sure one digest job is
    /// pending (idempotent). A period that ended unposted and unclaimed makes the job due at once.
    pub async fn arm(&self, anchor_ms: i64, every: Duration) -> Result<Armed, StoreError> {
        let (job, anchor, due): (String, String, String) = scripts::ARM
            .key(self.key())
            .arg(&self.prefix)
            .arg(anchor_ms)
            .arg(millis(every))
            .arg(new_job_id())
            .invoke_async(&mut self.conn.clone())
            .await?;
        let number = |text: &str| text.parse::<i64>().unwrap_or(0);
        Ok(Armed {
            job,
            anchor_ms: number(&anchor),
            due_ms: number(&due),
        })
    }

    /// The run of digest job `job_id`: claims the latest ended period for it and arms the next run.
    pub async fn claim(
        &self,
        job_id: &str,
        anchor_ms: i64,
        every: Duration,
    ) -> Result<Claim, StoreError> {
        let reply: ClaimReply = scripts::CLAIM
            .key(self.key())
            .arg(&self.prefix)
            .arg(job_id)
            .arg(anchor_ms)
            .arg(millis(every))
            .arg(new_job_id())
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(Claim::from_reply(reply)?)
    }

    /// Records that the period ending at `period_end_ms` was posted. Returns false when a later period was
    /// recorded already.
    pub async fn record_posted(&self, period_end_ms: i64) -> Result<bool, StoreError> {
        let recorded: i64 = scripts::RECORD
            .key(self.key())
            .arg(&self.prefix)
            .arg(period_end_ms)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(recorded == 1)
    }
}
