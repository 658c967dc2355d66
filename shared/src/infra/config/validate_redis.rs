//! Start-up checks of the `redis:` section, each naming its key.

use super::redis_settings::{has_hash_tag, parse_node, RedisMode, RedisSettings};
use super::validate::Problems;

pub(super) fn check_redis(p: &mut Problems, redis: &RedisSettings) {
    let sentinel_on = !redis.sentinel.master_name.is_empty();
    p.check(
        !(redis.cluster && sentinel_on),
        "redis.sentinel",
        "cannot be used together with redis.cluster: a Redis Cluster has no Sentinels; remove one of them",
    );
    if redis.mode() != RedisMode::Sentinel {
        p.check(
            !redis.host.is_empty(),
            "redis.host",
            "is required: Versus keeps incidents and jobs in Redis",
        );
        p.check(redis.port != 0, "redis.port", "must be between 1 and 65535");
    }
    p.check(redis.db >= 0, "redis.db", "must not be negative");
    p.check(
        !redis.key_prefix.is_empty(),
        "redis.key_prefix",
        "must not be empty; several installations may share one Redis",
    );
    p.check(
        redis.retention_hours > 0,
        "redis.retention_hours",
        "must be at least 1 hour",
    );
    p.check(
        redis.timeout_ms > 0,
        "redis.timeout_ms",
        "must be greater than 0",
    );
    if sentinel_on {
        p.check(
            !redis.sentinel.nodes.is_empty(),
            "redis.sentinel.nodes",
            "is required when redis.sentinel.master_name is set: the Sentinels' host:port, e.g. [\"10.0.0.1:26379\"]",
        );
        for (i, entry) in redis.sentinel.nodes.iter().enumerate() {
            if let Err(why) = parse_node(entry) {
                p.check(false, &format!("redis.sentinel.nodes[{i}]"), why);
            }
        }
    } else {
        p.check(
            redis.sentinel.nodes.is_empty(),
            "redis.sentinel.master_name",
            "is required when redis.sentinel.nodes is set: the name the Sentinels monitor the primary under",
        );
    }
    if redis.cluster {
        p.check(
            redis.db == 0,
            "redis.db",
            "must be 0 in Cluster mode: a Redis Cluster has only database 0",
        );
        let braces = redis.key_prefix.contains(['{', '}']);
        p.check(
            !braces || has_hash_tag(&redis.key_prefix),
            "redis.key_prefix",
            "holds '{' or '}' but no {tag} that Redis Cluster would hash: use no braces (Versus adds a tag) or one non-empty {tag}",
        );
        p.check(
            braces || has_hash_tag(&redis.stored_prefix()),
            "redis.key_prefix",
            "gives an empty hash tag: Versus tags keys with the prefix without its trailing ':', which leaves nothing here; use a prefix with a name, e.g. \"versus:\"",
        );
    }
    for (i, entry) in redis.cluster_nodes.iter().enumerate() {
        if let Err(why) = parse_node(entry) {
            p.check(false, &format!("redis.cluster_nodes[{i}]"), why);
        }
    }
    p.check(
        redis.cluster || redis.cluster_nodes.is_empty(),
        "redis.cluster_nodes",
        "is set but redis.cluster is false; set redis.cluster: true (or REDIS_CLUSTER=true) for a Redis Cluster",
    );
    if let Some(ca) = &redis.ca_cert {
        p.check(
            ca.is_file(),
            "redis.ca_cert",
            format!(
                "file {} does not exist (a relative path is read from the working directory); give the PEM bundle of your Redis servers' CA",
                ca.display()
            ),
        );
        p.check(
            redis.tls,
            "redis.ca_cert",
            "is set but redis.tls is false; set redis.tls: true to connect with TLS",
        );
    }
}
