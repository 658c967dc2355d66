//! Finding the owner of Versus's hash slot in a Redis Cluster (`redis.cluster`).
//!
//! Every key Versus writes carries one hash tag (see `RedisSettings::stored_prefix`), so all of them live
//! in one slot, on one primary: Versus talks to that node alone, directly, and finds it again when it
//! answers `MOVED`, goes away, or turns out to be a replica. To find it, every known node is asked for
//! `CLUSTER NODES` at once, each question bounded (see [`probe`](super::probe)), and once a majority has
//! answered, the master that claims the slot with the highest config epoch wins: that is
//! how the cluster itself settles competing claims, so a former primary that comes back with an old view
//! of the slot map is not believed over the nodes that saw the failover.

use super::endpoint::Endpoint;
use super::probe::{ask, gather, majority, probe_timeout};
use super::sentinel::describe;
use crate::infra::config::RedisSettings;
use redis::{Client, ErrorKind, RedisError, RedisResult};
use std::time::Duration;

/// Nodes learned from the cluster's answers are remembered as seeds, up to this many.
const MAX_KNOWN_NODES: usize = 64;

/// A learned node that fails this many searches in a row is forgotten (until the cluster reports it healthy
/// again), so nodes that were removed or keep hanging stop counting towards the answers awaited.
const FORGET_AFTER_FAILURES: u32 = 3;

pub struct ClusterLocator {
    endpoint: Endpoint,
    /// Configured seeds first, then nodes the cluster reported.
    known: Vec<Known>,
    slot: u16,
    probe: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    host: String,
    port: u16,
    /// Configured: never forgotten.
    seed: bool,
    /// Searches in a row this node failed to answer.
    failures: u32,
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
        let known = settings
            .cluster_seeds()
            .into_iter()
            .map(|(host, port)| Known {
                host,
                port,
                seed: true,
                failures: 0,
            })
            .collect();
        Self {
            endpoint: endpoint.clone(),
            known,
            slot: key_slot(&settings.stored_prefix()),
            probe: probe_timeout(settings.timeout()),
        }
    }

    /// A client for the primary that serves Versus's slot now, with its address for the logs. Every known
    /// node is asked at once; the search goes on when a majority of them has answered.
    pub async fn locate(&mut self) -> RedisResult<(Client, String)> {
        let mut question = redis::cmd("CLUSTER");
        question.arg("NODES");
        let (endpoint, probe) = (&self.endpoint, self.probe);
        let asks = self.known.iter().map(|node| {
            let question = &question;
            async move {
                let client = endpoint.client(&node.host, node.port)?;
                ask::<String>(&client, question, probe).await
            }
        });
        let gathered = gather(asks, majority(self.known.len())).await;
        let mut best: Option<NodeLine> = None;
        let mut learned = Vec::new();
        for (i, text) in &gathered.answers {
            for node in parse_cluster_nodes(text, &self.known[*i].host) {
                if !node.failed {
                    learned.push((node.host.clone(), node.port));
                }
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
        let answered: Vec<usize> = gathered.answers.iter().map(|(i, _)| *i).collect();
        self.tally(&answered, &gathered.failed);
        self.remember(learned);
        let Some(owner) = best else {
            return Err(gathered.last_error.unwrap_or_else(|| {
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

    /// Counts this search's failures and forgets learned nodes that keep failing. Nodes still being asked
    /// when enough had answered count neither way.
    fn tally(&mut self, answered: &[usize], failed: &[usize]) {
        for i in answered {
            self.known[*i].failures = 0;
        }
        for i in failed {
            self.known[*i].failures += 1;
        }
        self.known
            .retain(|node| node.seed || node.failures < FORGET_AFTER_FAILURES);
    }

    fn remember(&mut self, learned: Vec<(String, u16)>) {
        for (host, port) in learned {
            if self.known.len() >= MAX_KNOWN_NODES {
                break;
            }
            if !self.known.iter().any(|k| k.host == host && k.port == port) {
                self.known.push(Known {
                    host,
                    port,
                    seed: false,
                    failures: 0,
                });
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
    fn learned_nodes_that_keep_failing_are_forgotten_but_seeds_are_kept() {
        let settings = RedisSettings {
            host: "127.0.0.1".into(),
            port: 30001,
            cluster: true,
            ..RedisSettings::default()
        };
        let mut locator =
            ClusterLocator::new(&settings, &Endpoint::from_settings(&settings).unwrap());
        locator.remember(vec![
            ("127.0.0.1".into(), 30002),
            ("127.0.0.1".into(), 30001),
        ]);
        assert_eq!(locator.known.len(), 2);
        for _ in 0..FORGET_AFTER_FAILURES - 1 {
            locator.tally(&[], &[0, 1]);
        }
        assert_eq!(locator.known.len(), 2, "not forgotten before the limit");
        locator.tally(&[1], &[0]);
        for _ in 0..FORGET_AFTER_FAILURES - 1 {
            locator.tally(&[], &[0, 1]);
        }
        assert_eq!(locator.known.len(), 2, "an answer starts the count again");
        locator.tally(&[], &[0, 1]);
        let ports: Vec<u16> = locator.known.iter().map(|k| k.port).collect();
        assert_eq!(
            ports,
            vec![30001],
            "the seed stays, the failing learned node goes"
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
