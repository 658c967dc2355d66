//! A node that accepts connections but never answers (SIGSTOPped) is a hazard a dead one is not: each
//! question to it costs a whole timeout. With `redis.timeout_ms` below a second, Versus must still find
//! its primary when the first Sentinel, or the first cluster seed, hangs: ingest answers `201` and every
//! alert is posted and paged once.

use std::time::Duration;

use versus_tests::redis_ha::alert_stream::send_stream;
use versus_tests::redis_ha::cluster_set::ClusterSet;
use versus_tests::redis_ha::failover_check::check;
use versus_tests::redis_ha::node_state::SENTINEL_PASSWORD;
use versus_tests::redis_ha::sentinel_set::{SentinelSet, MASTER_NAME};
use versus_tests::redis_replica::{resume, stall};
use versus_tests::timing::now_ms;
use versus_tests::Topology;

use super::cluster::TAGGED_PREFIX;
use super::drill::{installation, SERIAL};

const TIMEOUT_MS: &str = "800";
const ALERTS: usize = 6;
const WAIT: Duration = Duration::from_millis(1200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_first_sentinel_does_not_stop_ingest_or_escalation() {
    let _serial = SERIAL.lock().await;
    let set = SentinelSet::start().await;
    set.stall_sentinel(0);
    let topo = installation()
        .env("VERSUS__REDIS__TIMEOUT_MS", TIMEOUT_MS)
        .env("VERSUS__REDIS__SENTINEL__MASTER_NAME", MASTER_NAME)
        .env("VERSUS__REDIS__SENTINEL__NODES", set.sentinel_nodes())
        .env("REDIS_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
        .start()
        .await;
    deliver(&topo, "hung-sentinel").await;
    set.resume_sentinel(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_first_cluster_seed_does_not_stop_ingest_or_escalation() {
    let _serial = SERIAL.lock().await;
    let set = ClusterSet::start().await;
    let hung = set.bystander_replica(TAGGED_PREFIX);
    let others: Vec<String> = (0..set.nodes.len())
        .filter(|&i| i != hung)
        .map(|i| format!("127.0.0.1:{}", set.nodes[i].port()))
        .collect();
    stall(&set.nodes[hung]);
    let topo = installation()
        .env("VERSUS__REDIS__TIMEOUT_MS", TIMEOUT_MS)
        .env("REDIS_CLUSTER", "true")
        .env("REDIS_PORT", set.nodes[hung].port().to_string())
        .env("VERSUS__REDIS__CLUSTER_NODES", others.join(","))
        .start()
        .await;
    deliver(&topo, "hung-seed").await;
    resume(&set.nodes[hung]);
}

/// Sends a few on-call alerts and fails unless each was answered `201`, posted and paged exactly once.
async fn deliver(topo: &Topology, name: &str) {
    let stream = send_stream(
        topo.api_url(0),
        format!("{name}{}", now_ms()),
        ALERTS,
        Duration::from_millis(100),
        "oncall_enable=true&oncall_wait_minutes=0.02".into(),
    )
    .await;
    let summary = check(
        &stream,
        &topo.slack,
        &topo.ssm,
        WAIT,
        Duration::from_secs(30),
        Duration::from_secs(1),
    )
    .await;
    println!("{}", summary.line(name));
    assert_eq!(
        stream.accepted.len(),
        ALERTS,
        "unaccepted: {:?}",
        stream.unaccepted
    );
    assert_eq!(
        (summary.lost, summary.duplicate_pages),
        (0, 0),
        "{:?}",
        summary.problems
    );
    assert!(stream.unexpected.is_empty(), "{:?}", stream.unexpected);
}
