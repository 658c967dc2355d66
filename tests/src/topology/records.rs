//! What the installation keeps in its Redis: incident records, jobs and dead letters, and waiting for
//! them to change.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use versus_shared::domain::incident::decode_fields;

use super::{Topology, KEY_PREFIX, SETTLE};
use crate::wait::{poll_until, wait_until};

/// An incident record or a job, field by field.
pub type Fields = HashMap<String, String>;

/// The queues whose jobs talk to Slack or close AWS incidents: what [`Topology::settle`] waits out.
const SETTLING_QUEUES: [&str; 3] = ["notify", "slack_update", "aws_resolve"];

/// How long those queues must stay empty for [`Topology::settle`].
const QUIET: Duration = Duration::from_millis(400);

impl Topology {
    /// A new multiplexed connection to the topology's Redis.
    pub async fn redis_conn(&self) -> redis::aio::MultiplexedConnection {
        self.redis.conn().await
    }

    /// `KEY_PREFIX` + `rest`, e.g. `key("queue:notify:dead")`.
    pub fn key(&self, rest: &str) -> String {
        format!("{KEY_PREFIX}{rest}")
    }

    /// The incident hash `versus:incident:{id}` (empty when there is none).
    pub async fn incident(&self, id: &str) -> Fields {
        let mut conn = self.redis_conn().await;
        let raw: HashMap<String, Vec<u8>> = conn
            .hgetall(self.key(&format!("incident:{id}")))
            .await
            .unwrap_or_else(|e| panic!("HGETALL of incident {id} failed: {e}"));
        decode_fields(raw)
    }

    /// How many incident records Redis holds.
    pub async fn incident_count(&self) -> usize {
        let mut conn = self.redis_conn().await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(self.key("incident:*"))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        keys.len()
    }

    /// Waits until incident `id` satisfies `check`; returns whether it did and the last hash seen.
    pub async fn wait_incident(
        &self,
        id: &str,
        timeout: Duration,
        check: impl Fn(&Fields) -> bool,
    ) -> (bool, Fields) {
        let mut fields = Fields::new();
        let met = poll_until(timeout, async || {
            fields = self.incident(id).await;
            check(&fields)
        })
        .await
        .is_some();
        (met, fields)
    }

    /// Job ids in the dead-letter set of `queue` (`notify`, `escalate`, `slack_update`, ...).
    pub async fn dead_letters(&self, queue: &str) -> Vec<String> {
        let mut conn = self.redis_conn().await;
        conn.zrange(self.key(&format!("queue:{queue}:dead")), 0, -1)
            .await
            .unwrap_or_else(|e| panic!("ZRANGE of the {queue} dead letters failed: {e}"))
    }

    /// Waits until job `id` is in the dead-letter set of `queue`; false on timeout. (The worker logs
    /// "dead-lettered" just before it writes to Redis, so wait for Redis, not the log line.)
    pub async fn wait_dead_letter(&self, queue: &str, id: &str, timeout: Duration) -> bool {
        poll_until(timeout, async || {
            self.dead_letters(queue).await.iter().any(|d| d == id)
        })
        .await
        .is_some()
    }

    /// The job hash `versus:queue:{queue}:job:{id}` (empty when there is none).
    pub async fn job(&self, queue: &str, id: &str) -> Fields {
        let mut conn = self.redis_conn().await;
        conn.hgetall(self.key(&format!("queue:{queue}:job:{id}")))
            .await
            .unwrap_or_else(|e| panic!("HGETALL of {queue} job {id} failed: {e}"))
    }

    /// Waits until the job `id` of `queue` has finished (`done` or `dead`); returns its hash.
    pub async fn wait_job_finished(&self, queue: &str, id: &str, timeout: Duration) -> Fields {
        wait_until(timeout, format!("{queue} job {id} to finish"), async || {
            let job = self.job(queue, id).await;
            match job.get("state").map(String::as_str) {
                Some("done" | "dead") => Ok(job),
                _ => Err(format!("{job:?}")),
            }
        })
        .await
    }

    /// Waits until the queues that talk to Slack or close AWS incidents have nothing due, scheduled for a
    /// retry or in flight, for 400 ms on end: everything the requests so far caused has happened. For
    /// "nothing more" checks.
    pub async fn settle(&self) {
        let mut conn = self.redis_conn().await;
        let mut quiet_since: Option<Instant> = None;
        wait_until(SETTLE, "the queues to empty", async || {
            let mut sizes = redis::pipe();
            for queue in SETTLING_QUEUES {
                for set in ["due", "inflight"] {
                    sizes.zcard(self.key(&format!("queue:{queue}:{set}")));
                }
            }
            let sizes: Vec<usize> = sizes.query_async(&mut conn).await.expect("ZCARD");
            let pending: usize = sizes.iter().sum();
            if pending > 0 {
                quiet_since = None;
                return Err(format!("{pending} jobs"));
            }
            let quiet_for = quiet_since.get_or_insert_with(Instant::now).elapsed();
            if quiet_for >= QUIET {
                Ok(())
            } else {
                Err(format!("empty for less than {QUIET:?}"))
            }
        })
        .await
    }
}
