//! Ingest with `WAIT`: the saturation load against the primary alone (no replica online, so no `WAIT`),
//! then with one replica attached (every accepted alert waits for it). The replica is another
//! redis-server on the same machine, so its CPU comes out of the same two cores.

use super::Bench;
use crate::stats::round;
use anyhow::Context;
use serde_json::{json, Value};
use std::time::Duration;
use versus_tests::redis_replica::{online_replicas, start_replica_of, PRIMARY_ARGS};

/// Longer than the API's reuse of its replica count, so every measured write knows of the replica.
const REPLICA_NOTICED: Duration = Duration::from_millis(1500);

impl Bench {
    pub async fn replication(&mut self, redis_set_per_s: f64) -> anyhow::Result<Value> {
        let (connections, measure) = (self.sizes.connections, self.sizes.sweep_measure);
        let warmup = Duration::from_secs(1);

        self.stack.flushall().await?;
        let without = self
            .ingest_saturation(redis_set_per_s, connections, warmup, measure)
            .await;
        eprintln!("      primary alone (no WAIT): {without}");

        let mut conn = self.stack.conn().await?;
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(PRIMARY_ARGS[0].trim_start_matches("--"))
            .arg(PRIMARY_ARGS[1])
            .query_async(&mut conn)
            .await
            .context("CONFIG SET repl-diskless-sync-delay")?;
        self.stack.flushall().await?;
        let replica = start_replica_of(&self.stack.redis).await;
        tokio::time::sleep(REPLICA_NOTICED).await;
        let with = self
            .ingest_saturation(redis_set_per_s, connections, warmup, measure)
            .await;
        let still_online = online_replicas(&self.stack.redis);
        eprintln!("      with one replica (WAIT 1): {with}");
        drop(replica);
        tokio::time::sleep(REPLICA_NOTICED).await;
        self.stack.flushall().await?;

        let rate = |r: &Value| r["requests_per_s"].as_f64().unwrap_or(0.0);
        Ok(json!({
            "connections": connections,
            "without_replica": without,
            "with_one_replica": with,
            "replica_online_at_end": still_online,
            "throughput_ratio": round(rate(&with) / rate(&without).max(1.0)),
        }))
    }
}
