//! How many replicas the primary has online, known without asking on every write.
//!
//! A write waits for `min(goal, online replicas)`: waiting for a replica that is not there would hold every
//! write for the whole timeout. The count comes from `INFO replication` (available on managed Redis, where
//! `ROLE` may not be) and is reused for [`FRESH_FOR`], so it costs one small command a second under load.

use crate::infra::redis_conn::RedisConnection;
use redis::RedisResult;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a count is reused. A replica that attaches is waited for at most this much later; one that
/// leaves costs the writes of this window one timeout each, after which they learn it.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(super) struct OnlineReplicas {
    known: Mutex<Option<(u32, Instant)>>,
}

impl OnlineReplicas {
    /// The count, asked on `conn` when the one known is older than [`FRESH_FOR`].
    pub(super) async fn get(&self, conn: &mut RedisConnection) -> RedisResult<u32> {
        match self.fresh() {
            Some(count) => Ok(count),
            None => self.refresh(conn).await,
        }
    }

    /// Asks the primary now.
    pub(super) async fn refresh(&self, conn: &mut RedisConnection) -> RedisResult<u32> {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(conn)
            .await?;
        let count = online_replicas(&info);
        *self.known.lock().unwrap_or_else(|e| e.into_inner()) = Some((count, Instant::now()));
        Ok(count)
    }

    fn fresh(&self) -> Option<u32> {
        let known = *self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(count, _)| count)
    }
}

/// Replicas in `state=online` in the text of `INFO replication`. A replica still loading its first copy
/// (`wait_bgsave`, `send_bulk`) cannot acknowledge yet, so it is not counted; a node that is itself a
/// replica has none that could acknowledge its writes.
pub(super) fn online_replicas(info: &str) -> u32 {
    let is_primary = info.lines().any(|line| line.trim() == "role:master");
    if !is_primary {
        return 0;
    }
    info.lines()
        .filter(|line| line.starts_with("slave") && line.contains(':'))
        .filter(|line| {
            line.split_once(':')
                .is_some_and(|(_, fields)| fields.split(',').any(|f| f == "state=online"))
        })
        .count() as u32
}
