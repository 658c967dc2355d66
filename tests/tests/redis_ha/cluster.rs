//! Cluster: the primary that serves Versus's hash slot is SIGKILLed mid-stream; its replica takes over
//! and every process follows it without a restart. The generated ack secret is in the slot and survives.

use versus_shared::infra::config::RedisSettings;
use versus_shared::infra::redis_conn::RedisConnection;
use versus_shared::infra::secret::Secret;
use versus_tests::redis_ha::cluster_set::ClusterSet;

use versus_tests::redis_ha::node_state::{query_sync, DATA_PASSWORD, VERSUS_PASSWORD, VERSUS_USER};

use super::drill::{
    assert_followed, finish, installation, start_stream, ALERTS, KILL_AFTER, SERIAL,
};

/// The prefix of every key Versus writes in Cluster mode with the shipped `key_prefix`.
pub(super) const TAGGED_PREFIX: &str = "versus:{versus}:";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_failover_loses_no_accepted_alert_and_pages_each_once() {
    let _serial = SERIAL.lock().await;
    let mut set = ClusterSet::start().await;
    let (first_port, other_seeds) = set.seeds();
    // No ack secret configured: the generated one is stored under the tagged prefix and must survive too.
    let topo = installation()
        .env("REDIS_CLUSTER", "true")
        .env("REDIS_PORT", first_port.to_string())
        .env("VERSUS__REDIS__CLUSTER_NODES", other_seeds)
        .env("VERSUS_ACK_SECRET", "")
        .start()
        .await;
    let stream = start_stream(&topo, "cluster");
    tokio::time::sleep(KILL_AFTER).await;
    let owner = set
        .owner_of(TAGGED_PREFIX)
        .expect("a node serves Versus's slot");
    let old_port = set.nodes[owner].port();
    set.nodes[owner].kill();
    let successor = set.wait_taken_over(TAGGED_PREFIX, owner).await;
    println!(
        "redis_ha cluster: primary {old_port} killed, {} took over",
        set.nodes[successor].port()
    );
    tokio::task::block_in_place(|| set.nodes[owner].start_again());
    set.wait_replica(owner).await;
    let summary = finish("cluster", stream, &topo, old_port).await;
    assert!(summary.accepted >= super::drill::ALERTS);
    let new_primary = format!("primary=127.0.0.1:{}", set.nodes[successor].port());
    assert_followed(&topo, &new_primary);

    // Every key is under the key prefix, carries the hash tag, and so lives on the slot's new owner.
    let mut keys_seen = 0;
    for (i, node) in set.nodes.iter().enumerate() {
        let keys: Vec<String> = query_sync(
            node.port(),
            DATA_PASSWORD,
            redis::cmd("KEYS").arg("versus:*"),
        )
        .expect("KEYS");
        let role: String =
            query_sync::<Vec<redis::Value>>(node.port(), DATA_PASSWORD, &redis::cmd("ROLE"))
                .ok()
                .and_then(|r| r.first().cloned())
                .and_then(|v| redis::from_redis_value(v).ok())
                .unwrap_or_default();
        if role != "master" {
            continue;
        }
        let untagged: Vec<&String> = keys
            .iter()
            .filter(|k| !k.starts_with(TAGGED_PREFIX))
            .collect();
        assert!(
            untagged.is_empty(),
            "keys without the hash tag: {untagged:?}"
        );
        if i == successor {
            keys_seen = keys.len();
            let secret = format!("{TAGGED_PREFIX}ack_secret");
            assert!(keys.contains(&secret), "no {secret} after the failover");
        } else {
            assert!(keys.is_empty(), "node {i} holds Versus keys: {keys:?}");
        }
    }
    assert!(
        keys_seen > ALERTS,
        "the slot's owner holds {keys_seen} keys"
    );
}

/// A graceful failover (`CLUSTER FAILOVER` on the replica) leaves the old primary up, answering `MOVED`:
/// the connection follows the slot to its new owner and sends the command again, once, without an error.
/// `INCR` shows that it ran exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_slot_is_followed_and_the_command_runs_once() {
    let _serial = SERIAL.lock().await;
    let set = ClusterSet::start().await;
    let (first_port, other_seeds) = set.seeds();
    let settings = RedisSettings {
        host: "127.0.0.1".into(),
        port: first_port,
        cluster: true,
        cluster_nodes: other_seeds.split(',').map(String::from).collect(),
        username: Some(VERSUS_USER.into()),
        password: Some(Secret::new(VERSUS_PASSWORD)),
        ..RedisSettings::default()
    };
    let key = format!("{}moved-probe", settings.stored_prefix());
    let mut conn = RedisConnection::from_settings(&settings).unwrap();
    let first: i64 = redis::cmd("INCR")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(first, 1);

    let owner = set.owner_of(&key).unwrap();
    let replica = set.replica_of(owner);
    let _: () = query_sync(
        set.nodes[replica].port(),
        DATA_PASSWORD,
        redis::cmd("CLUSTER").arg("FAILOVER"),
    )
    .expect("CLUSTER FAILOVER");
    assert_eq!(set.wait_taken_over(&key, owner).await, replica);

    let second: i64 = redis::cmd("INCR")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("the command follows the slot without an error");
    assert_eq!(second, 2, "the command ran exactly once");
}
