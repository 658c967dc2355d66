//! A Redis Cluster of three primaries and three replicas on 127.0.0.1, made with `redis-cli --cluster
//! create`, tuned so that a killed primary's replica takes over within seconds (`cluster-node-timeout`
//! 1000).

use std::process::Command;

use versus_shared::infra::redis_conn::cluster::{key_slot, parse_cluster_nodes, NodeLine};

use super::node_state::{auth_args, info_field, query_sync, wait_for, DATA_PASSWORD};
use super::sentinel_set::FAILOVER_LIMIT;
use crate::ports::free_cluster_ports;
use crate::redis_server::{RedisOptions, RedisServer};

pub struct ClusterSet {
    pub nodes: Vec<RedisServer>,
}

impl ClusterSet {
    pub async fn start() -> Self {
        let nodes: Vec<RedisServer> = free_cluster_ports(6)
            .into_iter()
            .map(|port| {
                let mut extra_args = auth_args();
                extra_args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "1000",
                        // A replica may always take over, however long its link was down.
                        "--cluster-replica-validity-factor",
                        "0",
                        "--repl-diskless-sync-delay",
                        "0",
                    ]
                    .map(String::from),
                );
                RedisServer::start_with(RedisOptions {
                    port: Some(port),
                    password: Some(DATA_PASSWORD.into()),
                    extra_args,
                    ..RedisOptions::default()
                })
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let output = Command::new("redis-cli")
            .args([
                "-a",
                DATA_PASSWORD,
                "--no-auth-warning",
                "--cluster",
                "create",
            ])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .expect("run redis-cli --cluster create (apt-get install -y redis-tools)");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let set = Self { nodes };
        for node in &set.nodes {
            let port = node.port();
            wait_for(
                FAILOVER_LIMIT,
                "every cluster node to report cluster_state:ok",
                || {
                    let info: String =
                        query_sync(port, DATA_PASSWORD, redis::cmd("CLUSTER").arg("INFO"))?;
                    Ok(info_field(&info, "cluster_state") == Some("ok"))
                },
            )
            .await;
            wait_for(FAILOVER_LIMIT, "every replica in sync", || {
                let info: String =
                    query_sync(port, DATA_PASSWORD, redis::cmd("INFO").arg("replication"))?;
                Ok(info_field(&info, "role") == Some("master")
                    || info_field(&info, "master_link_status") == Some("up"))
            })
            .await;
        }
        set
    }

    /// `redis.host`/`redis.port` (the first seed) and `redis.cluster_nodes` (the others, comma-separated).
    pub fn seeds(&self) -> (u16, String) {
        let rest = self.nodes[1..]
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect::<Vec<_>>()
            .join(",");
        (self.nodes[0].port(), rest)
    }

    /// Which node serves the slot of `key` as primary, by the highest config epoch among the claims of
    /// every node that answers (the cluster's own rule).
    pub fn owner_of(&self, key: &str) -> redis::RedisResult<usize> {
        let slot = key_slot(key);
        let mut best: Option<NodeLine> = None;
        let mut last_error = None;
        for node in self.nodes.iter().filter(|n| n.pid().is_some()) {
            let text: String = match query_sync(
                node.port(),
                DATA_PASSWORD,
                redis::cmd("CLUSTER").arg("NODES"),
            ) {
                Ok(text) => text,
                Err(error) => {
                    last_error = Some(error);
                    continue;
                }
            };
            for line in parse_cluster_nodes(&text, "127.0.0.1") {
                let claims = line.master
                    && !line.failed
                    && line.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot));
                if claims && best.as_ref().is_none_or(|b| line.epoch > b.epoch) {
                    best = Some(line);
                }
            }
        }
        let owner = best.ok_or_else(|| {
            last_error.unwrap_or_else(|| {
                redis::RedisError::from((redis::ErrorKind::Client, "no node claims the slot"))
            })
        })?;
        Ok(self
            .nodes
            .iter()
            .position(|n| n.port() == owner.port)
            .expect("the owner is one of the nodes"))
    }

    /// Waits until another node than `old` serves the slot of `key` and the cluster is whole again.
    pub async fn wait_taken_over(&self, key: &str, old: usize) -> usize {
        wait_for(FAILOVER_LIMIT, "a replica to take over the slot", || {
            let owner = self.owner_of(key)?;
            if owner == old {
                return Ok(false);
            }
            let info: String = query_sync(
                self.nodes[owner].port(),
                DATA_PASSWORD,
                redis::cmd("CLUSTER").arg("INFO"),
            )?;
            Ok(info_field(&info, "cluster_state") == Some("ok"))
        })
        .await;
        self.owner_of(key).expect("a node serves the slot")
    }

    /// Waits until node `i` is a replica in sync with its primary.
    pub async fn wait_replica(&self, i: usize) {
        let port = self.nodes[i].port();
        wait_for(
            FAILOVER_LIMIT,
            "the former primary to rejoin as a replica",
            || {
                let info: String =
                    query_sync(port, DATA_PASSWORD, redis::cmd("INFO").arg("replication"))?;
                Ok(info_field(&info, "role") == Some("slave")
                    && info_field(&info, "master_link_status") == Some("up"))
            },
        )
        .await;
    }

    /// A replica whose primary does not serve the slot of `key`: stopping it changes nothing about where
    /// Versus's keys live, and the cluster stays whole.
    pub fn bystander_replica(&self, key: &str) -> usize {
        let owner = self.owner_of(key).expect("a node serves the slot");
        let other_primary = (0..self.nodes.len())
            .find(|&i| {
                i != owner
                    && query_sync::<String>(
                        self.nodes[i].port(),
                        DATA_PASSWORD,
                        redis::cmd("INFO").arg("replication"),
                    )
                    .is_ok_and(|info| info_field(&info, "role") == Some("master"))
            })
            .expect("the cluster has three primaries");
        self.replica_of(other_primary)
    }

    /// The replica of node `primary`.
    pub fn replica_of(&self, primary: usize) -> usize {
        let port = self.nodes[primary].port().to_string();
        self.nodes
            .iter()
            .position(|n| {
                query_sync::<String>(
                    n.port(),
                    DATA_PASSWORD,
                    redis::cmd("INFO").arg("replication"),
                )
                .is_ok_and(|info| info_field(&info, "master_port") == Some(port.as_str()))
            })
            .expect("every primary has a replica")
    }
}
