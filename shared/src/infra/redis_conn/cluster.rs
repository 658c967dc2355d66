//! Finding the owner of Versus's hash slot in a Redis Cluster (`redis.cluster`).
//!
//! Every key Versus writes carries one hash tag (see `RedisSettings::stored_prefix`), so all of them live
//! in one slot, on one primary: Versus talks to that node alone, directly, and finds it again when it
//! answers `MOVED`, goes away, or turns out to be a replica. To find it, every known node is asked for
//! `CLUSTER NODES` at once and the master that claims the slot with the highest config epoch wins: that is
//! how the cluster itself settles competing claims, so a former primary that comes back with an old view
//! of the slot map is not believed over the nodes that saw the failover.

use super::endpoint::Endpoint;
use super::sentinel::describe;
use crate::infra::config::RedisSettings;
use redis::{Client, ErrorKind, RedisError, RedisResult};
use std::time::Duration;

/// Nodes learned from the cluster's answers are remembered as seeds, up to this many.
const MAX_KNOWN_NODES: usize = 64;

pub struct ClusterLocator {
    endpoint: Endpoint,
    /// Configured seeds first, then nodes the cluster reported.
    known: Vec<(String, u16)>,
    slot: u16,
    timeout: Duration,
}

/// One line of `CLUSTER NODES` that matters here: a master and the slots it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    pub host: String,
    pub port: u16,
    pub master: bool,
    pub failed: bool,
    pub epoch: u64,
    pub slots: Vec<(u16, u16)>,
}

impl ClusterLocator {
    pub fn new(settings: &RedisSettings, endpoint: &Endpoint) -> Self {
        Self {
            endpoint: endpoint.clone(),
            known: settings.cluster_seeds(),
            slot: key_slot(&settings.stored_prefix()),
            timeout: settings.timeout(),
        }
    }

    /// A client for the primary that serves Versus's slot now, with its address for the logs.
    pub async fn locate(&mut self) -> RedisResult<(Client, String)> {
        let this = &*self;
        let asks = this.known.iter().map(|(host, port)| {
            let (host, port) = (host.clone(), *port);
            async move {
                let reply = tokio::time::timeout(this.timeout, this.cluster_nodes(&host, port))
                    .await
                    .unwrap_or_else(|_| {
                        Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into())
                    });
                (host, reply)
            }
        });
        let replies = futures::future::join_all(asks).await;
        let mut best: Option<NodeLine> = None;
        let mut last_error = None;
        let mut learned = Vec::new();
        for (asked, reply) in replies {
            let text = match reply {
                Ok(text) => text,
                Err(error) => {
                    last_error = Some(error);
                    continue;
                }
            };
            for node in parse_cluster_nodes(&text, &asked) {
                learned.push((node.host.clone(), node.port));
                let claims = node.master
                    && !node.failed
                    && node
                        .slots
                        .iter()
                        .any(|(a, b)| (*a..=*b).contains(&self.slot));
                if claims && best.as_ref().is_none_or(|b| node.epoch > b.epoch) {
                    best = Some(node);
                }
            }
        }
        self.remember(learned);
        let Some(owner) = best else {
            return Err(last_error.unwrap_or_else(|| {
                RedisError::from((
                    ErrorKind::ClusterConnectionNotFound,
                    "no reachable cluster node names a master for Versus's slot",
                    format!("slot {}", self.slot),
                ))
            }));
        };
        let client = self.endpoint.client(&owner.host, owner.port)?;
        let address = describe(client.get_connection_info().addr());
        Ok((client, address))
    }

    async fn cluster_nodes(&self, host: &str, port: u16) -> RedisResult<String> {
        let client = self.endpoint.client(host, port)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async(&mut conn)
            .await
    }

    fn remember(&mut self, learned: Vec<(String, u16)>) {
        for node in learned {
            if self.known.len() >= MAX_KNOWN_NODES {
                break;
            }
            if !self.known.contains(&node) {
                self.known.push(node);
            }
        }
    }
}

/// The lines of a `CLUSTER NODES` reply, as asked of `asked_host` (a node that does not know its own
/// address yet reports an empty one). A node's announced hostname, when it has one, is preferred: TLS
/// certificates name hosts, not addresses.
pub fn parse_cluster_nodes(text: &str, asked_host: &str) -> Vec<NodeLine> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 {
                return None;
            }
            let (address, hostname) = match fields[1].split_once(',') {
                Some((address, hostname)) => (address, Some(hostname)),
                None => (fields[1], None),
            };
            let address = address.split('@').next()?;
            let (ip, port) = address.rsplit_once(':')?;
            let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
            let host = match hostname.filter(|h| !h.is_empty()) {
                Some(name) => name,
                None if ip.is_empty() => asked_host,
                None => ip,
            };
            let flags: Vec<&str> = fields[2].split(',').collect();
            let slots = fields[8..]
                .iter()
                .filter(|range| !range.starts_with('['))
                .filter_map(|range| match range.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => range.parse().ok().map(|s| (s, s)),
                })
                .collect();
            Some(NodeLine {
                host: host.to_string(),
                port,
                master: flags.contains(&"master"),
                failed: flags.contains(&"fail") || flags.contains(&"noaddr"),
                epoch: fields[6].parse().unwrap_or(0),
                slots,
            })
        })
        .collect()
}

/// The cluster slot of `key`: CRC16 of its hash tag (the text between the first `{` and the next `}`,
/// when not empty) or of the whole key, modulo 16384.
pub fn key_slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let hashed = key
        .find('{')
        .and_then(|open| {
            let rest = &bytes[open + 1..];
            let close = rest.iter().position(|b| *b == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(bytes);
    crc16_xmodem(hashed) % 16384
}

fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for byte in data {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_hash_tag_as_redis_computes_them() {
        assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
        assert_eq!(key_slot("foo"), 12182);
        assert_eq!(key_slot("{user1000}.following"), key_slot("user1000"));
        assert_eq!(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));
        assert_ne!(key_slot("foo{}{bar}"), key_slot("bar"));
        assert_eq!(
            key_slot("versus:{versus}:incident:1"),
            key_slot("versus:{versus}:queue:notify:due")
        );
    }

    #[test]
    fn reads_masters_their_slots_and_epochs() {
        let text = "\
07c3 127.0.0.1:30004@40004 master - 0 1700000000000 7 connected 0-5460 [5461->-e7d1]
67ed 127.0.0.1:30001@40001,node-1.example master,fail - 1700000000000 1700000000000 1 disconnected
e7d1 :30002@40002 myself,master - 0 0 2 connected 5461-10922 12000
292f 127.0.0.1:30005@40005 slave e7d1 0 1700000000000 2 connected
";
        let nodes = parse_cluster_nodes(text, "seed.local");
        assert_eq!(nodes.len(), 4);
        assert_eq!(
            nodes[0],
            NodeLine {
                host: "127.0.0.1".into(),
                port: 30004,
                master: true,
                failed: false,
                epoch: 7,
                slots: vec![(0, 5460)],
            }
        );
        assert_eq!(nodes[1].host, "node-1.example");
        assert!(nodes[1].failed);
        assert_eq!(nodes[2].host, "seed.local");
        assert_eq!(nodes[2].slots, vec![(5461, 10922), (12000, 12000)]);
        assert!(!nodes[3].master);
    }
}
