//! Sentinel: the primary is SIGKILLed mid-stream; the Sentinels promote the replica and every process
//! follows it without a restart. The generated ack secret survives on the promoted replica.

use versus_tests::redis_ha::node_state::{query_sync, DATA_PASSWORD, SENTINEL_PASSWORD};
use versus_tests::redis_ha::sentinel_set::{SentinelSet, MASTER_NAME};

use super::drill::{assert_followed, finish, installation, start_stream, KILL_AFTER, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sentinel_failover_loses_no_accepted_alert_and_pages_each_once() {
    let _serial = SERIAL.lock().await;
    let mut set = SentinelSet::start().await;
    let topo = installation()
        .env("VERSUS__REDIS__SENTINEL__MASTER_NAME", MASTER_NAME)
        .env("VERSUS__REDIS__SENTINEL__NODES", set.sentinel_nodes())
        .env("REDIS_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
        .env("VERSUS_ACK_SECRET", "")
        .start()
        .await;
    let secret = |port: u16| {
        query_sync::<Option<String>>(
            port,
            DATA_PASSWORD,
            redis::cmd("GET").arg("versus:ack_secret"),
        )
        .expect("GET versus:ack_secret")
    };
    let generated = secret(set.primary.port()).expect("a generated ack secret");
    let stream = start_stream(&topo, "sentinel");
    tokio::time::sleep(KILL_AFTER).await;
    let old_port = set.primary.port();
    set.primary.kill();
    let new_port = set.wait_promoted(old_port).await;
    println!("redis_ha sentinel: primary {old_port} killed, {new_port} promoted");
    // The former primary comes back (as a master, with its old data, until the Sentinels demote it).
    tokio::task::block_in_place(|| set.primary.start_again());
    set.wait_replica_synced(&set.primary).await;
    let summary = finish("sentinel", stream, &topo, old_port).await;
    assert!(summary.accepted >= super::drill::ALERTS);
    assert_followed(&topo, &format!("primary=127.0.0.1:{new_port}"));
    assert_eq!(
        secret(new_port),
        Some(generated),
        "the promoted replica's ack secret"
    );
}
