//! Accepted alerts are on a replica before the `201`: the API holds its answer until the replica has the
//! incident (and stays ready meanwhile), a Redis without replicas still accepts but counts and logs each
//! such write, and strict mode answers `503` instead, storing nothing that a retry would duplicate.

use std::collections::HashMap;
use std::time::Duration;

use redis::AsyncCommands;
use serde_json::Value;
use versus_shared::domain::ack_token::AckSigner;
use versus_tests::alerts::{ack, created, freeform, id_of, outcome_of, post_ack};
use versus_tests::redis_replica::{primary_options, resume, stall, start_replica_of};
use versus_tests::topology::{read_answer, TEST_ACK_SECRET};
use versus_tests::{RedisServer, Topology};

const PAGE_NOW: &str = "oncall_enable=true&oncall_wait_minutes=0";
const UNREPLICATED: &str = "versus_redis_unreplicated_writes_total";

/// The value of `versus_redis_unreplicated_writes_total{operation}` at `base`'s `/metrics`.
async fn unreplicated(topo: &Topology, base: &str, operation: &str) -> f64 {
    let text = topo
        .http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("{UNREPLICATED}{{operation=\"{operation}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap_or_else(|| panic!("{series} is not served:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// The incident hash as the replica has it.
async fn on_replica(replica: &RedisServer, id: &str) -> HashMap<String, Vec<u8>> {
    replica
        .conn()
        .await
        .hgetall(format!("versus:incident:{id}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_201_waits_until_the_replica_has_the_incident_and_readiness_does_not() {
    let topo = Topology::builder()
        .workers(0)
        .redis_options(primary_options())
        .env("VERSUS__REDIS__REPLICATION_TIMEOUT_MS", "10000")
        .start()
        .await;
    let replica = start_replica_of(&topo.redis).await;

    stall(&replica);
    let request = topo
        .http()
        .post(format!("{}/api/incidents", topo.api_url(0)))
        .json(&freeform("held-for-the-replica"))
        .send();
    let answer = tokio::spawn(async move { read_answer(request.await.unwrap()).await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !answer.is_finished(),
        "answered while the replica could not have the incident: {:?}",
        answer.await
    );
    let ready = topo
        .http()
        .get(format!("{}/readyz", topo.api_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "a stalled replica held back readiness");

    resume(&replica);
    let (status, answer): (u16, Value) = answer.await.unwrap();
    assert_eq!(status, 201, "{answer}");
    let stored = on_replica(&replica, &id_of(&answer)).await;
    assert_eq!(
        stored.get("state").map(Vec::as_slice),
        Some(&b"pending"[..]),
        "the replica lacks the incident the 201 was for: {:?}",
        stored.keys()
    );
    assert_eq!(unreplicated(&topo, &topo.api_url(0), "ingest").await, 0.0);
}

#[tokio::test]
async fn without_a_replica_writes_are_accepted_counted_and_logged_and_the_page_goes_out() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let paged = created(&topo, PAGE_NOW, &freeform("no-replica-page")).await;
    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(10)).await,
        "the claim's missing replica held back the page; worker log:\n{}",
        topo.worker_log(0)
    );
    assert!(topo.ssm.started()[0].client_token.contains(&id_of(&paged)));
    let later = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=5",
        &freeform("no-replica-ack"),
    )
    .await;
    assert_eq!(
        ack(&topo, later["ack_url"].as_str().unwrap()).await,
        "acked"
    );

    let (api, worker) = (topo.api_url(0), topo.worker_url(0));
    assert_eq!(unreplicated(&topo, &api, "ingest").await, 2.0);
    assert_eq!(unreplicated(&topo, &api, "ack").await, 1.0);
    assert_eq!(unreplicated(&topo, &worker, "escalate").await, 1.0);
    for log in [topo.api_log(0), topo.worker_log(0)] {
        assert!(
            log.contains("WARN") && log.contains("fewer replicas than redis.min_replicas_acked"),
            "{log}"
        );
    }
}

#[tokio::test]
async fn strict_mode_without_a_replica_answers_503_and_a_retry_stores_and_pages_once() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .redis_options(primary_options())
        .env("VERSUS__REDIS__REPLICATION_STRICT", "true")
        .start()
        .await;
    let body = freeform("strict-no-replica");
    let (status, refused) = topo.post_alert(PAGE_NOW, &body).await;
    assert_eq!(status, 503, "{refused}");
    let message = refused["error"].as_str().unwrap();
    assert!(message.contains("redis.replication_strict"), "{message}");

    // The primary kept what the script wrote: the page goes out (the claim is never refused), and an ack
    // without a replica is refused like the alert.
    assert_eq!(topo.incident_count().await, 1);
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(10)).await);
    let id = topo.ssm.started()[0]
        .client_token
        .trim_start_matches("versus-")
        .to_string();
    let ack_url = AckSigner::new(TEST_ACK_SECRET).ack_url(&topo.api_url(0), &id);
    let (status, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 503, "{answer}");

    // Alertmanager retries the same notification once a replica is there.
    let replica = start_replica_of(&topo.redis).await;
    let retried = created(&topo, PAGE_NOW, &body).await;
    assert_eq!(id_of(&retried), id, "the retry made a second incident");
    assert_eq!(outcome_of(&retried), "duplicate_request", "{retried}");
    assert!(!on_replica(&replica, &id).await.is_empty());

    assert!(topo.slack.wait_for_posts(1, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topo.incident_count().await, 1);
    assert_eq!(topo.ssm.started().len(), 1, "paged twice");
    assert_eq!(topo.slack.posts().len(), 1, "posted twice");
}

#[tokio::test]
async fn the_first_alert_after_a_redis_restart_is_accepted_at_once() {
    let mut topo = Topology::builder().workers(0).start().await;
    created(&topo, "", &freeform("before-the-restart")).await;
    // The write's pooled connection is closed by the restart; it must not cost the next sender a 503.
    topo.redis.restart();
    let answer = created(&topo, "", &freeform("after-the-restart")).await;
    assert_eq!(outcome_of(&answer), "created");
    assert_eq!(topo.incident_count().await, 2, "AOF kept the first one");
}
