//! The `redis:` section: where Versus's Redis is (one server, a Sentinel-watched primary, or a Cluster),
//! how to authenticate and encrypt, and how keys are named.

use crate::infra::secret::{optional_secret, Secret};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    pub host: String,
    pub port: u16,
    /// ACL (Redis 6+) or RBAC (ElastiCache, MemoryDB) user; without it (or empty) Versus authenticates
    /// as `default`.
    #[serde(deserialize_with = "non_empty")]
    pub username: Option<String>,
    #[serde(deserialize_with = "optional_secret")]
    pub password: Option<Secret>,
    pub db: i64,
    pub tls: bool,
    pub insecure_skip_verify: bool,
    /// PEM bundle of the CA(s) that signed the servers' certificates, instead of the public roots.
    #[serde(deserialize_with = "non_empty_path")]
    pub ca_cert: Option<PathBuf>,
    /// Find the primary through Sentinels instead of `host`/`port`.
    pub sentinel: SentinelSettings,
    /// Redis Cluster (ElastiCache cluster mode, MemoryDB, Valkey/Redis Cluster): `host:port` is the
    /// first seed node.
    pub cluster: bool,
    /// More seed nodes (`host:port`) besides `host:port`, in case that one is down at start-up.
    #[serde(deserialize_with = "list_or_commas")]
    pub cluster_nodes: Vec<String>,
    /// Every key Versus writes starts with this, including the job queues.
    pub key_prefix: String,
    /// How long incident records (and their dedup keys) are kept.
    pub retention_hours: u64,
    /// Bound on connecting and on every command, so an outage answers `503` instead of hanging.
    pub timeout_ms: u64,
    /// Store received payloads zstd-compressed (about a quarter of the size). Off only while processes of a
    /// release from before compression still run: they cannot read compressed records.
    pub compress_payloads: bool,
    /// Replicas that must have a state change (an accepted alert, an ack, a resolve, the escalation claim)
    /// before it counts as done; 0 turns `WAIT` off.
    pub min_replicas_acked: u32,
    /// How long a write waits for those replicas (`WAIT`'s timeout).
    pub replication_timeout_ms: u64,
    /// Answer `503` (instead of `201` and a warning) when a write reached fewer replicas than the goal.
    pub replication_strict: bool,
}

/// `redis.sentinel`: on when `master_name` is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SentinelSettings {
    pub master_name: String,
    /// `host:port` of each Sentinel (a list, or one comma-separated string as an environment value gives).
    #[serde(deserialize_with = "list_or_commas")]
    pub nodes: Vec<String>,
    /// The Sentinels' own password (`requirepass` in sentinel.conf), when they have one.
    #[serde(deserialize_with = "optional_secret")]
    pub password: Option<Secret>,
}

/// How Versus finds its Redis primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisMode {
    /// `host:port` is the server.
    Standalone,
    /// The Sentinels name the primary of `sentinel.master_name`.
    Sentinel,
    /// The cluster's slot map names the owner of Versus's hash slot.
    Cluster,
}

impl RedisSettings {
    /// Which deployment `redis:` describes. Validation rejects Sentinel and Cluster together.
    pub fn mode(&self) -> RedisMode {
        if self.cluster {
            RedisMode::Cluster
        } else if !self.sentinel.master_name.is_empty() {
            RedisMode::Sentinel
        } else {
            RedisMode::Standalone
        }
    }

    /// The prefix every key actually starts with. It is `key_prefix` itself outside Cluster mode, so keys
    /// written by earlier releases keep their names. In Cluster mode every key must hash to one slot (Lua
    /// scripts touch many keys at once), so the prefix carries a hash tag: `key_prefix` followed by
    /// `{key_prefix without its trailing ':'}:`, e.g. `versus:{versus}:`, unless `key_prefix` already
    /// holds a `{tag}` of its own. Either way every key still starts with `key_prefix`.
    pub fn stored_prefix(&self) -> String {
        if self.mode() != RedisMode::Cluster || has_hash_tag(&self.key_prefix) {
            return self.key_prefix.clone();
        }
        let tag = self.key_prefix.trim_end_matches(':');
        format!("{}{{{tag}}}:", self.key_prefix)
    }

    /// The Cluster seed nodes: `host:port`, then `cluster_nodes` (entries that do not parse are left to
    /// validation, which names them).
    pub fn cluster_seeds(&self) -> Vec<(String, u16)> {
        std::iter::once((self.host.clone(), self.port))
            .chain(
                self.cluster_nodes
                    .iter()
                    .filter_map(|entry| parse_node(entry).ok()),
            )
            .collect()
    }

    /// The Sentinels' addresses (entries that do not parse are left to validation).
    pub fn sentinel_nodes(&self) -> Vec<(String, u16)> {
        self.sentinel
            .nodes
            .iter()
            .filter_map(|entry| parse_node(entry).ok())
            .collect()
    }

    /// How long incident records, their identity keys and job idempotency keys are kept.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_hours.saturating_mul(3600))
    }

    /// Bound on connecting and on each command.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Bound on the Redis work of one HTTP request: a command's timeout plus room for one reconnect
    /// attempt, so an outage answers `503` instead of holding the sender.
    pub fn request_budget(&self) -> Duration {
        self.timeout() + Duration::from_millis(500)
    }

    /// How long one write waits for its replicas.
    pub fn replication_timeout(&self) -> Duration {
        Duration::from_millis(self.replication_timeout_ms)
    }

    /// Bound on the Redis work of one HTTP request that writes: [`request_budget`](Self::request_budget)
    /// plus the wait for replicas (twice: a write may wait again once it learns that a replica attached).
    pub fn write_budget(&self) -> Duration {
        self.request_budget() + 2 * self.replication_timeout()
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 6379,
            username: None,
            password: None,
            db: 0,
            tls: false,
            insecure_skip_verify: false,
            ca_cert: None,
            sentinel: SentinelSettings::default(),
            cluster: false,
            cluster_nodes: Vec::new(),
            key_prefix: "versus:".into(),
            retention_hours: 168,
            timeout_ms: 2000,
            compress_payloads: true,
            min_replicas_acked: 1,
            replication_timeout_ms: 500,
            replication_strict: false,
        }
    }
}

/// True when `text` holds a Redis Cluster hash tag: a `{` followed later by `}` with something between.
pub fn has_hash_tag(text: &str) -> bool {
    text.split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .is_some_and(|(tag, _)| !tag.is_empty())
}

/// `host:port` (or `[v6]:port`) into its parts; the error says what is wrong with it.
pub fn parse_node(entry: &str) -> Result<(String, u16), String> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Err("is empty; write host:port".into());
    }
    let Some((host, port)) = entry.rsplit_once(':') else {
        return Err(format!("{entry:?} has no port; write host:port"));
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.contains([' ', ',', '/']) {
        return Err(format!("{entry:?} has no valid host; write host:port"));
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok((host.to_string(), port)),
        _ => Err(format!(
            "{entry:?} has no valid port (1-65535); write host:port"
        )),
    }
}

/// An optional text where empty means unset (a Helm value or an environment variable left empty).
fn non_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|v| !v.is_empty()))
}

fn non_empty_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    Ok(non_empty(deserializer)?.map(PathBuf::from))
}

/// A list, or one string of comma-separated entries (what an environment override can give). Empty
/// entries are kept so that validation can name them.
fn list_or_commas<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
        // A bare key (`nodes:`) and the known-keys probe both answer a unit.
        Nothing,
    }
    Ok(match Option::<Raw>::deserialize(deserializer)? {
        None | Some(Raw::Nothing) => Vec::new(),
        Some(Raw::List(list)) => list,
        Some(Raw::Text(text)) if text.trim().is_empty() => Vec::new(),
        Some(Raw::Text(text)) => text.split(',').map(|s| s.trim().to_string()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_a_hash_tag_only_in_cluster_mode_and_stay_under_the_prefix() {
        let mut settings = RedisSettings::default();
        assert_eq!(settings.stored_prefix(), "versus:");
        settings.cluster = true;
        assert_eq!(settings.stored_prefix(), "versus:{versus}:");
        settings.key_prefix = "team-a:{t}:".into();
        assert_eq!(settings.stored_prefix(), "team-a:{t}:");
    }

    #[test]
    fn node_entries_parse_or_say_what_is_wrong() {
        assert_eq!(parse_node("10.0.0.1:26379"), Ok(("10.0.0.1".into(), 26379)));
        assert_eq!(parse_node(" [::1]:7000 "), Ok(("::1".into(), 7000)));
        for bad in ["", "  ", "host", ":26379", "h:0", "h:99999", "h:x", "a b:1"] {
            assert!(parse_node(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
