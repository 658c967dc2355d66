//! The heartbeat checks' own failure modes against the real binaries: beats need the ingest credentials;
//! a dead-lettered check is re-armed by the next beat (and counted in the dead-letter gauge the
//! `VersusHeartbeatCheckDeadLettered` rule reads); a check of a heartbeat removed from the configuration ends
//! without opening anything and drops its state, so a re-added one starts a fresh clock; and a check ended
//! behind the worker's back (a worker with an older configuration) is re-armed by the periodic arming.

use redis::AsyncCommands;
use std::time::{Duration, Instant};
use versus_tests::config_file::{shipped_config_with, INGEST_AUTH_FROM_ENV};
use versus_tests::topology::{sample_value, Role};
use versus_tests::Topology;

const TOKEN: &str = "heartbeat-ingest-token-0123456789";

async fn post_beat(topo: &Topology, name: &str, token: Option<&str>) -> u16 {
    let mut request = topo
        .http()
        .post(format!("{}/api/heartbeats/{name}", topo.api_url(0)));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn beats_need_the_ingest_credentials_and_a_beat_rearms_a_dead_lettered_check() {
    let dir = tempfile::tempdir().unwrap();
    let extra =
        format!("{INGEST_AUTH_FROM_ENV}heartbeats:\n  - {{ name: am, interval_minutes: 60 }}\n");
    let topo = Topology::builder()
        .env("VERSUS_INGEST_TOKEN", TOKEN)
        .config(shipped_config_with(dir.path(), &extra))
        .start()
        .await;
    assert_eq!(post_beat(&topo, "am", None).await, 401);
    assert_eq!(
        post_beat(&topo, "am", Some("wrong-token-0123456789")).await,
        401
    );
    assert_eq!(post_beat(&topo, "am", Some(TOKEN)).await, 202);

    // The worker armed one check at start-up; beats do not add more.
    let mut redis = topo.redis_conn().await;
    let heartbeat = topo.key("heartbeat:am");
    let first: String = redis.hget(&heartbeat, "check_job").await.unwrap();
    assert_eq!(post_beat(&topo, "am", Some(TOKEN)).await, 202);
    let due: Vec<String> = redis
        .zrange(topo.key("queue:heartbeat_check:due"), 0, -1)
        .await
        .unwrap();
    assert_eq!(due, vec![first.clone()]);

    // The check fails for good (as the queue's dead-letter script leaves it) ...
    let job = topo.key(&format!("queue:heartbeat_check:job:{first}"));
    let _: () = redis
        .zrem(topo.key("queue:heartbeat_check:due"), &first)
        .await
        .unwrap();
    let _: () = redis.hset(&job, "state", "dead").await.unwrap();
    let _: () = redis
        .zadd(topo.key("queue:heartbeat_check:dead"), &first, 1)
        .await
        .unwrap();
    let gauge = versus_tests::wait_until(
        Duration::from_secs(5),
        "the dead-letter gauge",
        async || {
            let metrics = topo.scrape(&topo.worker_url(0)).await?;
            sample_value(
                &metrics,
                "versus_dead_letter_jobs{queue=\"heartbeat_check\"}",
            )
            .filter(|value| *value >= 1.0)
        },
    )
    .await;
    assert_eq!(gauge, 1.0);
    // ... and the next beat arms a new one.
    assert_eq!(post_beat(&topo, "am", Some(TOKEN)).await, 202);
    let second: String = redis.hget(&heartbeat, "check_job").await.unwrap();
    assert_ne!(second, first);
    let state: String = redis
        .hget(
            topo.key(&format!("queue:heartbeat_check:job:{second}")),
            "state",
        )
        .await
        .unwrap();
    assert_eq!(state, "due");
}

#[tokio::test]
async fn a_heartbeat_removed_from_the_configuration_is_no_longer_checked_and_a_re_add_starts_afresh(
) {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        dir.path(),
        "heartbeats:\n  - { name: kept, interval_minutes: 60 }\n",
    );
    let mut topo = Topology::builder()
        .oncall_enabled()
        .config(config)
        .start()
        .await;
    // A check left behind by a configuration that had `gone`, silent for long.
    let mut redis = topo.redis_conn().await;
    let store = versus_shared::infra::queue::JobStore::new(
        versus_shared::infra::redis_conn::RedisConnection::from(
            redis::aio::ConnectionManager::new(redis::Client::open(topo.redis.url()).unwrap())
                .await
                .unwrap(),
        ),
        &topo.key(""),
        "heartbeat_check",
        Duration::from_secs(60),
    );
    let pushed = store
        .push(
            &versus_shared::domain::jobs::HeartbeatCheckJob {
                heartbeat: "gone".into(),
            },
            versus_shared::infra::queue::PushOptions {
                delay: Duration::from_secs(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let _: () = redis
        .hset_multiple(
            topo.key("heartbeat:gone"),
            &[("armed_ms", "1000"), ("check_job", pushed.job_id())],
        )
        .await
        .unwrap();
    let job = topo
        .wait_job_finished("heartbeat_check", pushed.job_id(), Duration::from_secs(5))
        .await;
    assert_eq!(
        job.get("state").map(String::as_str),
        Some("done"),
        "{job:?}"
    );
    assert!(topo.worker_log(0).contains("no longer configured"));
    assert_eq!(topo.incident_count().await, 0);
    let left: bool = redis.exists(topo.key("heartbeat:gone")).await.unwrap();
    assert!(!left, "a removed heartbeat's state must be dropped");

    // Re-added (3 s interval, pages after 1.2 s): a fresh clock, not the days-old silence.
    shipped_config_with(
        dir.path(),
        "heartbeats:\n  - { name: kept, interval_minutes: 60 }\n  - { name: gone, interval_minutes: 0.05, wait_minutes: 0.02 }\n",
    );
    topo.restart(Role::Worker, 0).await;
    topo.restart(Role::Api, 0).await;
    let re_added = Instant::now();
    let states = topo.heartbeat_states().await;
    assert_eq!(states[1]["name"], "gone", "{states}");
    assert_eq!(states[1]["state"], "waiting", "{states}");
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(re_added.elapsed())).await;
    assert_eq!(
        topo.incident_count().await,
        0,
        "missed before a full interval"
    );
    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(8)).await,
        "the re-added heartbeat never paged; worker log:\n{}",
        topo.worker_log(0)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topo.ssm.started().len(), 1);
    assert_eq!(topo.incident_count().await, 1);
}

#[tokio::test]
async fn a_check_ended_behind_the_workers_back_is_re_armed_and_the_silence_still_pages_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        dir.path(),
        "heartbeats:\n  - { name: lone, interval_minutes: 0.05, wait_minutes: 0.02 }\n",
    );
    let topo = Topology::builder()
        .oncall_enabled()
        .env("VERSUS_HEARTBEAT_REARM_SECONDS", "1")
        .config(config)
        .start()
        .await;
    // A worker with an older configuration (that lacks `lone`) completes its pending check.
    let mut redis = topo.redis_conn().await;
    let first: String = redis
        .hget(topo.key("heartbeat:lone"), "check_job")
        .await
        .unwrap();
    let _: () = redis
        .zrem(topo.key("queue:heartbeat_check:due"), &first)
        .await
        .unwrap();
    let _: () = redis
        .hset(
            topo.key(&format!("queue:heartbeat_check:job:{first}")),
            "state",
            "done",
        )
        .await
        .unwrap();

    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(10)).await,
        "the never-beaten heartbeat never paged; worker log:\n{}",
        topo.worker_log(0)
    );
    let pending: Option<String> = redis
        .hget(topo.key("heartbeat:lone"), "check_job")
        .await
        .unwrap();
    assert_ne!(pending.as_deref(), Some(first.as_str()));
    // Re-arming goes on during the open outage without opening or paging anything more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(topo.ssm.started().len(), 1);
    assert_eq!(topo.incident_count().await, 1);
}
