//! Heartbeats (the dead-man's switch) against the real binaries: a beat is `202` (`404` for a name not
//! configured); a silence past the interval opens exactly one incident, posted once and paged once after
//! the wait; the next beat resolves it; a heartbeat that never beats is missed too; and killing every
//! worker during the silence neither loses nor repeats the page. Intervals are seconds long.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use versus_tests::config_file::shipped_config_with;
use versus_tests::topology::{sample_value, Role};
use versus_tests::Topology;

/// `am` (3 s, pages after 1.2 s) and `never` (3 s, Slack only; nobody beats it).
const HEARTBEATS: &str = "heartbeats:\n  - { name: am, interval_minutes: 0.05, wait_minutes: 0.02 }\n  - { name: never, interval_minutes: 0.05, oncall: false }\n";

async fn start(dir: &std::path::Path, workers: usize) -> Topology {
    Topology::builder()
        .oncall_enabled()
        .workers(workers)
        .config(shipped_config_with(dir, HEARTBEATS))
        .start()
        .await
}

async fn beat(topo: &Topology, name: &str) -> (u16, Value) {
    let response = topo
        .http()
        .post(format!("{}/api/heartbeats/{name}", topo.api_url(0)))
        .header("Content-Type", "application/json")
        .body(watchdog().to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What Alertmanager sends for kube-prometheus's always-firing Watchdog.
fn watchdog() -> Value {
    json!({"version": "4", "status": "firing", "receiver": "versus-heartbeat",
        "groupLabels": {"alertname": "Watchdog"}, "commonLabels": {"alertname": "Watchdog", "severity": "none"},
        "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog"}, "startsAt": "2026-12-06T00:00:00Z"}]})
}

async fn states(topo: &Topology) -> Value {
    topo.heartbeat_states().await
}

fn posts_naming(topo: &Topology, needle: &str) -> usize {
    topo.slack
        .posts()
        .iter()
        .filter(|post| post.to_string().contains(needle))
        .count()
}

async fn wait_posts(topo: &Topology, needle: &str, timeout: Duration) -> Option<Instant> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if posts_naming(topo, needle) > 0 {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn a_silent_heartbeat_pages_once_and_its_next_beat_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let topo = start(dir.path(), 1).await;
    let (status, _) = beat(&topo, "nope").await;
    assert_eq!(status, 404);
    let (status, answer) = beat(&topo, "am").await;
    assert_eq!(status, 202, "{answer}");
    let last_beat = Instant::now();
    let listed = states(&topo).await;
    assert_eq!(listed[0]["name"], "am");
    assert_eq!(listed[0]["state"], "healthy", "{listed}");
    assert_eq!(listed[1]["state"], "waiting", "{listed}");
    assert!(listed[0]["next_deadline"].is_string(), "{listed}");

    let posted = wait_posts(&topo, "Heartbeat am missed", Duration::from_secs(8))
        .await
        .unwrap_or_else(|| panic!("no Slack message; worker log:\n{}", topo.worker_log(0)));
    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(6)).await,
        "never paged; worker log:\n{}",
        topo.worker_log(0)
    );
    let paged = topo.ssm.started()[0].received_at;
    println!(
        "heartbeat: Slack {:?} and page {:?} after the deadline (last beat + 3 s; wait 1.2 s)",
        (posted - last_beat).saturating_sub(Duration::from_secs(3)),
        paged.saturating_duration_since(last_beat + Duration::from_secs(3)),
    );
    assert!(topo.ssm.started()[0]
        .title
        .clone()
        .unwrap_or_default()
        .contains("am"));
    assert_eq!(states(&topo).await[0]["state"], "missed");

    // The never-beaten heartbeat is missed too, in Slack only, with what to check.
    assert!(
        wait_posts(&topo, "no beat was ever received", Duration::from_secs(5))
            .await
            .is_some()
    );
    let never = topo
        .slack
        .posts()
        .into_iter()
        .find(|post| post.to_string().contains("no beat was ever received"))
        .unwrap()
        .to_string();
    assert!(never.contains("/api/heartbeats/never"), "{never}");

    // More silence opens nothing more.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(posts_naming(&topo, "Heartbeat am missed"), 1);
    assert_eq!(posts_naming(&topo, "no beat was ever received"), 1);
    assert_eq!(
        topo.ssm.started().len(),
        1,
        "the never-beaten heartbeat does not page"
    );

    // The next beat resolves the incident: the message turns green.
    let (status, answer) = beat(&topo, "am").await;
    assert_eq!(status, 202);
    let id = answer["resolved_incident"]
        .as_str()
        .expect("resolved")
        .to_string();
    assert_eq!(topo.incident(&id).await["state"], "resolved");
    let resolved =
        versus_tests::wait_until(Duration::from_secs(5), "the green update", async || {
            topo.slack
                .updates()
                .into_iter()
                .find(|update| update.to_string().contains("Resolved"))
        })
        .await;
    assert!(resolved.to_string().contains("Heartbeat am"), "{resolved}");
    assert_eq!(states(&topo).await[0]["state"], "healthy");

    let worker = topo.scrape(&topo.worker_url(0)).await.unwrap();
    assert_eq!(
        sample_value(&worker, "versus_heartbeat_missed_total{name=\"am\"}"),
        Some(1.0)
    );
    let api = topo.scrape(&topo.api_url(0)).await.unwrap();
    assert!(sample_value(
        &api,
        "versus_heartbeat_last_beat_timestamp_seconds{name=\"am\"}"
    )
    .is_some_and(|at| at > 1.7e9));
}

#[tokio::test]
async fn killing_every_worker_during_the_silence_neither_loses_nor_repeats_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut topo = start(dir.path(), 2).await;
    let (status, _) = beat(&topo, "am").await;
    assert_eq!(status, 202);
    topo.kill(Role::Worker, 0).await;
    topo.kill(Role::Worker, 1).await;
    topo.restart(Role::Api, 0).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(posts_naming(&topo, "Heartbeat am missed"), 0);
    topo.start_again(Role::Worker, 0).await;
    topo.start_again(Role::Worker, 1).await;
    assert!(
        wait_posts(&topo, "Heartbeat am missed", Duration::from_secs(5))
            .await
            .is_some()
    );
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(5)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(posts_naming(&topo, "Heartbeat am missed"), 1);
    assert_eq!(topo.ssm.started().len(), 1);
}
