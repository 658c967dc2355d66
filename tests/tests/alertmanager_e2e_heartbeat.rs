//! The dead-man's switch behind the real Prometheus Alertmanager, routed by the committed
//! `config/examples/alertmanager-heartbeat.yml` (timings shortened): Alertmanager sends the always-firing
//! Watchdog to `POST /api/heartbeats/alertmanager` every second; killed, it falls silent, and within the
//! interval plus the wait exactly one Slack message and one page follow; started again, its first beat
//! resolves the incident (and the AWS incident, with `resolve_incident` on). The lateness of the message and
//! the page beyond their due times is printed. The same with the worker SIGKILLed and the API restarted during
//! the silence.
//!
//! Needs `alertmanager` (or Debian's `prometheus-alertmanager`) and `amtool`: `scripts/install-alertmanager.sh`.

use std::time::Duration;

use redis::AsyncCommands;
use versus_tests::alertmanager_server::*;
use versus_tests::config_file::{shipped_config_with, INGEST_AUTH_FROM_ENV};
use versus_tests::timing::{ms_of, now_ms, sleep_until_ms};
use versus_tests::topology::Role;
use versus_tests::{wait_until, Topology};

const EXAMPLE: &str = "alertmanager-heartbeat.yml";
const INGEST_TOKEN: &str = "versus-e2e-heartbeat-token-0123456789";
const EXAMPLE_TOKEN_FILE: &str = "/etc/alertmanager/secrets/versus-ingest-token";
/// 6 s: at least 3 times the test's group_interval of 1 s, as the docs ask.
const INTERVAL_MS: i64 = 6_000;
const WAIT_MS: i64 = 3_000;
const HEARTBEATS: &str =
    "heartbeats:\n  - { name: alertmanager, interval_minutes: 0.1, wait_minutes: 0.05 }\n";

fn alertmanager_config(versus: &str, token_file: &str) -> String {
    render(
        EXAMPLE,
        &read_example(EXAMPLE),
        &[
            (EXAMPLE_VERSUS_URL, versus, 2),
            (EXAMPLE_TOKEN_FILE, token_file, 2),
            ("group_interval: 1m", "group_interval: 1s", 1),
            ("repeat_interval: 1m", "repeat_interval: 1s", 1),
        ],
    )
}

fn heartbeat_posts(topo: &Topology) -> usize {
    topo.slack
        .posts()
        .iter()
        .filter(|post| post.to_string().contains("Heartbeat alertmanager missed"))
        .count()
}

/// What else happens while Alertmanager is silent.
#[derive(Clone, Copy, PartialEq)]
enum During {
    Nothing,
    /// The worker is SIGKILLed and the API restarted; the worker comes back after the deadline.
    KillWorkerRestartApi,
}

#[tokio::test]
async fn a_silent_alertmanager_pages_once_and_resolves_when_it_comes_back() {
    silent_alertmanager(During::Nothing).await;
}

#[tokio::test]
async fn the_page_survives_a_killed_worker_and_a_restarted_api_during_the_silence() {
    silent_alertmanager(During::KillWorkerRestartApi).await;
}

async fn silent_alertmanager(during: During) {
    require_alertmanager();
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(dir.path(), &format!("{INGEST_AUTH_FROM_ENV}{HEARTBEATS}"));
    let token_file = dir.path().join("ingest-token");
    std::fs::write(&token_file, INGEST_TOKEN).unwrap();
    let token_file = token_file.display().to_string();
    let mut topo = Topology::builder()
        .config(&config)
        .env("VERSUS_INGEST_TOKEN", INGEST_TOKEN)
        .env(
            "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__RESOLVE_INCIDENT",
            "true",
        )
        .oncall_enabled()
        .start()
        .await;
    let am_config = alertmanager_config(&topo.api_url(0), &token_file);
    let watchdog = TestAlert::new(&[("alertname", "Watchdog"), ("severity", "none")]);
    let mut redis = topo.redis_conn().await;
    let heartbeat = topo.key("heartbeat:alertmanager");

    let am = Alertmanager::start(&am_config).await;
    am.fire(&[&watchdog]).await;
    // Beats arrive, and keep arriving (several beats, on Alertmanager's group_interval).
    let first: i64 = wait_until(Duration::from_secs(10), "a first beat", async || {
        redis
            .hget::<_, _, Option<i64>>(&heartbeat, "last_beat_ms")
            .await
            .ok()
            .flatten()
    })
    .await;
    wait_until(
        Duration::from_secs(10),
        "beats on group_interval",
        async || {
            let last: Option<i64> = redis.hget(&heartbeat, "last_beat_ms").await.ok().flatten();
            last.filter(|last| *last >= first + 2_000)
        },
    )
    .await;

    drop(am);
    let last_beat: i64 = redis.hget(&heartbeat, "last_beat_ms").await.unwrap();
    let deadline = last_beat + INTERVAL_MS;
    if during == During::KillWorkerRestartApi {
        topo.kill(Role::Worker, 0).await;
        topo.restart(Role::Api, 0).await;
        sleep_until_ms(deadline + 1_000).await;
        assert_eq!(heartbeat_posts(&topo), 0, "no worker, no message");
        topo.start_again(Role::Worker, 0).await;
    }
    let posted_ms = wait_until(
        Duration::from_millis((INTERVAL_MS + 5_000) as u64),
        "the missed-heartbeat message",
        async || (heartbeat_posts(&topo) > 0).then(now_ms),
    )
    .await;
    assert!(
        topo.ssm
            .wait_for_started(1, Duration::from_millis((WAIT_MS + 5_000) as u64))
            .await,
        "never paged; worker log:\n{}",
        topo.worker_log(0)
    );
    let paged_ms = ms_of(topo.ssm.started()[0].received_at_system);
    assert!(posted_ms >= deadline && paged_ms >= deadline + WAIT_MS);
    println!(
        "heartbeat e2e ({}): Slack message {} ms after the deadline (last beat + {INTERVAL_MS} ms, seen by polling \
         every 50 ms), page {} ms after its due time (deadline + {WAIT_MS} ms)",
        match during {
            During::Nothing => "undisturbed",
            During::KillWorkerRestartApi => "worker killed until 1 s after the deadline, API restarted",
        },
        posted_ms - deadline,
        paged_ms - deadline - WAIT_MS
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(heartbeat_posts(&topo), 1, "exactly one message per outage");
    assert_eq!(topo.ssm.started().len(), 1, "exactly one page per outage");

    // Alertmanager comes back: the first beat resolves the incident and the AWS incident.
    let am = Alertmanager::start(&am_config).await;
    am.fire(&[&watchdog]).await;
    let resolved = wait_until(Duration::from_secs(15), "the resolved update", async || {
        topo.slack
            .updates()
            .into_iter()
            .find(|update| update.to_string().contains("Resolved"))
    })
    .await;
    assert!(
        resolved.to_string().contains("Heartbeat alertmanager"),
        "{resolved}"
    );
    let update = wait_until(
        Duration::from_secs(10),
        "UpdateIncidentRecord",
        async || topo.ssm.updates().into_iter().next(),
    )
    .await;
    assert_eq!(
        update.status.as_deref(),
        Some("RESOLVED"),
        "{:?}",
        update.body
    );
    assert_eq!(topo.ssm.started().len(), 1);
    drop(am);
}
