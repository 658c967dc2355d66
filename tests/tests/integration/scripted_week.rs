//! A scripted on-call week, in seconds, against the real binaries: incidents of several severities, teams
//! and routes; acks through the link (named and unnamed) and through the Slack button by two users; one
//! escalation to AWS; noise marks through the page, its JSON and the Slack button, one taken back; resolves,
//! a resolve without an ack, a group that fires anew without resolving, and a missed heartbeat. The report
//! (API and `versus-worker report --json`) must equal what the script did, number for number; its times are
//! checked against the summaries' own.

use redis::AsyncCommands;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use versus_tests::alertmanager_webhook::{labels, Notification, NotifiedAlert};
use versus_tests::alerts::{created, id_of, post_link_json};
use versus_tests::config_file::shipped_config_with;
use versus_tests::process::binary_path;
use versus_tests::slack_click::SignedClick;
use versus_tests::slack_messages::wait_post;
use versus_tests::topology::{Role, SETTLE};
use versus_tests::{wait_until, Topology};

const SECRET: &str = "week-signing-secret-0123456789";
const STARTS: &str = "2026-12-06T00:00:00Z";
const RESOLVED: &str = "2026-12-06T00:10:00Z";

/// The one-alert group `key` of `receiver` named `alertname`, with `team` when not empty; its alert is
/// `fingerprint`.
fn group_of(
    receiver: &str,
    alertname: &str,
    severity: &str,
    team: &str,
    key: &str,
    fingerprint: &str,
) -> Notification {
    let mut pairs = vec![("alertname", alertname), ("severity", severity)];
    if !team.is_empty() {
        pairs.push(("team", team));
    }
    Notification::group(
        receiver,
        &format!("{{}}:{{alertname=\"{alertname}\",key=\"{key}\"}}"),
        &[("alertname", alertname)],
    )
    .common_labels(&pairs)
    .alert(NotifiedAlert::firing(labels(&pairs), STARTS, fingerprint))
}

/// A group whose alert is its key.
fn group(receiver: &str, alertname: &str, severity: &str, team: &str, key: &str) -> Notification {
    group_of(receiver, alertname, severity, team, key, key)
}

struct Opened {
    id: String,
    ack_url: String,
    group: Notification,
}

async fn open(topo: &Topology, query: &str, group: Notification) -> Opened {
    let answer = created(topo, query, &group.to_json()).await;
    Opened {
        id: id_of(&answer),
        ack_url: answer["ack_url"]
            .as_str()
            .expect("an on-call incident's ack link")
            .to_string(),
        group,
    }
}

async fn resolve(topo: &Topology, opened: &Opened) {
    let body = opened.group.clone().resolved_at(RESOLVED).to_json();
    let (status, answer) = topo.post_alert("", &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["outcome"], "resolved", "{answer}");
}

async fn post_form(topo: &Topology, url: &str, fields: &[(&str, &str)]) {
    let response = topo
        .http()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{url}");
}

async fn click(topo: &Topology, action_id: &str, opened: &Opened, user: &str) {
    let token = opened.ack_url.rsplit('/').next().unwrap();
    let status = topo
        .click(SignedClick::new(SECRET, action_id, token, user))
        .await;
    assert_eq!(status, 200);
}

fn noise_url(opened: &Opened) -> String {
    opened
        .ack_url
        .replace("/api/incidents/ack/", "/api/incidents/noise/")
}

async fn summary(topo: &Topology, id: &str) -> HashMap<String, String> {
    topo.redis_conn()
        .await
        .hgetall(topo.key(&format!("report:incident:{id}")))
        .await
        .unwrap()
}

/// Nearest-rank percentile of milliseconds, in seconds, as the report defines it.
fn percentile(mut ms: Vec<i64>, p: f64) -> Value {
    ms.sort();
    let rank = ((p / 100.0) * ms.len() as f64).ceil() as usize;
    json!(ms[rank.clamp(1, ms.len()) - 1] as f64 / 1000.0)
}

/// `versus-worker report` with `args`, as this topology's workers are configured: (success, stdout, stderr).
fn cli(topo: &Topology, args: &[&str]) -> (bool, String, String) {
    let config = topo.config_path().display().to_string();
    let output = std::process::Command::new(binary_path("versus-worker"))
        .args(["--config", &config, "report"])
        .args(args)
        .envs(topo.process_env(Role::Worker, versus_tests::ports::free_port()))
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_report_of_a_scripted_week_equals_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        dir.path(),
        "heartbeats:\n  - { name: nightly-backup, interval_minutes: 0.02, oncall: false }\n",
    );
    // The digest every 2 s: the first one after the script's last step must carry the same numbers.
    let first_digest = chrono::Utc::now() + chrono::Duration::seconds(2);
    let topo = Topology::builder()
        .oncall_enabled()
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("VERSUS__REPORTS__DIGEST__ENABLE", "true")
        .env("VERSUS__REPORTS__DIGEST__EVERY", "2s")
        .env(
            "VERSUS__REPORTS__DIGEST__FIRST_AT",
            first_digest.to_rfc3339(),
        )
        .config(config)
        .start()
        .await;
    let wait = "oncall_wait_minutes=60";
    // db: acked through the link by alice, then resolved.
    let disk = open(
        &topo,
        wait,
        group("team-db", "DiskFull", "critical", "db", "f1"),
    )
    .await;
    // web: acked in Slack by bob, marked noise by him, then resolved.
    let latency = open(
        &topo,
        wait,
        group("team-web", "HighLatency", "warning", "web", "f2"),
    )
    .await;
    // web: acked in Slack by carol; still open.
    let latency_2 = open(
        &topo,
        wait,
        group("team-web", "HighLatency", "critical", "web", "f3"),
    )
    .await;
    // db: acked through the link with no name; marked noise on the page, then unmarked; resolved.
    let disk_2 = open(
        &topo,
        wait,
        group("team-db", "DiskFull", "info", "db", "f4"),
    )
    .await;
    // db: nobody acks; it pages after 1.2 s; then resolved.
    let replication = open(
        &topo,
        "oncall_wait_minutes=0.02",
        group("team-db", "Replication", "critical", "db", "f5"),
    )
    .await;
    // no team: resolves before anyone acks; marked noise afterwards.
    let flappy = open(&topo, wait, group("default", "Flappy", "warning", "", "f6")).await;
    // web, send_resolved: false: the group fires anew with another alert; the first incident closes unresolved.
    let restarts = open(
        &topo,
        wait,
        group("team-web", "PodRestarts", "critical", "web", "f7"),
    )
    .await;

    post_form(&topo, &disk.ack_url, &[("name", "alice")]).await;
    click(&topo, "versus_ack", &latency, "U0BOB").await;
    click(&topo, "versus_noise", &latency, "U0BOB").await;
    click(&topo, "versus_ack", &latency_2, "U0CAROL").await;
    post_form(&topo, &disk_2.ack_url, &[]).await;
    post_form(
        &topo,
        &noise_url(&disk_2),
        &[("noise", "1"), ("name", "alice")],
    )
    .await;
    let unmarked = post_link_json(&topo, &noise_url(&disk_2), &json!({"noise": false})).await;
    assert_eq!(unmarked["result"], "unmarked", "{unmarked}");
    resolve(&topo, &flappy).await;
    let marked = post_link_json(
        &topo,
        &noise_url(&flappy),
        &json!({"noise": true, "name": "dave"}),
    )
    .await;
    assert_eq!(marked["result"], "marked", "{marked}");
    let refired = group_of("team-web", "PodRestarts", "critical", "web", "f7", "f8");
    let (status, answer) = topo.post_alert(wait, &refired.to_json()).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (201, Some("created")),
        "{answer}"
    );
    let refired_id = id_of(&answer);

    let (paged, record) = topo
        .wait_incident(&replication.id, SETTLE, |f| {
            f.get("aws_arn").is_some_and(|a| !a.is_empty())
        })
        .await;
    assert!(paged, "the unacked incident never paged: {record:?}");
    assert!(
        wait_post(&topo.slack, "nightly-backup", SETTLE)
            .await
            .is_some(),
        "the heartbeat was never missed"
    );
    for opened in [&disk, &latency, &disk_2, &replication] {
        resolve(&topo, opened).await;
    }
    let script_ended_ms = chrono::Utc::now().timestamp_millis();

    let response = topo
        .http()
        .get(format!("{}/api/reports/oncall?days=7", topo.api_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    println!(
        "the scripted week's report: {}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    let expected = json!({
        "days": 7,
        "total": 9,
        "by_severity": {"critical": 5, "warning": 2, "info": 1, "(none)": 0},
        "by_route": {"team-db": 3, "team-web": 4, "default": 1, "heartbeat": 1},
        "by_team": {"db": 3, "web": 4, "(none)": 2},
        "acknowledged": 4,
        "escalated": 1,
        "paged": 1,
        "resolved": 5,
        "resolved_without_ack": 1,
        "closed_unresolved": 1,
        "open": 3,
        "noise": {"count": 2, "rate": 2.0 / 9.0},
        "heartbeat_misses": 1,
        "top_alerts": [
            {"alertname": "DiskFull", "count": 2}, {"alertname": "HighLatency", "count": 2},
            {"alertname": "PodRestarts", "count": 2}, {"alertname": "Flappy", "count": 1},
            {"alertname": "Replication", "count": 1}, {"alertname": "nightly-backup", "count": 1},
        ],
        "noisy_alerts": [{"alertname": "Flappy", "count": 1}, {"alertname": "HighLatency", "count": 1}],
    });
    let mut expected_severity = expected["by_severity"].as_object().unwrap().clone();
    expected_severity.remove("(none)");
    // The heartbeat's incident is critical.
    expected_severity.insert("critical".into(), json!(6));
    for (key, value) in expected.as_object().unwrap() {
        let want = if key == "by_severity" {
            Value::Object(expected_severity.clone())
        } else {
            value.clone()
        };
        assert_eq!(report[key], want, "{key}");
    }

    let summaries = {
        let mut all = HashMap::new();
        for (name, id) in [
            ("disk", &disk.id),
            ("latency", &latency.id),
            ("latency_2", &latency_2.id),
            ("disk_2", &disk_2.id),
            ("replication", &replication.id),
            ("flappy", &flappy.id),
            ("restarts", &restarts.id),
            ("refired", &refired_id),
        ] {
            all.insert(name, summary(&topo, id).await);
        }
        all
    };
    let ms = |name: &str, field: &str| -> i64 { summaries[name][field].parse().unwrap() };
    let acks = vec![
        ms("disk", "k"),
        ms("latency", "k"),
        ms("latency_2", "k"),
        ms("disk_2", "k"),
    ];
    assert_eq!(
        report["time_to_ack_seconds"],
        json!({"p50": percentile(acks.clone(), 50.0), "p90": percentile(acks, 90.0)})
    );
    let resolves = vec![
        ms("disk", "c"),
        ms("latency", "c"),
        ms("disk_2", "c"),
        ms("replication", "c"),
        ms("flappy", "c"),
    ];
    assert_eq!(
        report["time_to_resolve_seconds"],
        json!({"p50": percentile(resolves.clone(), 50.0), "p90": percentile(resolves, 90.0)})
    );
    let db_acks = vec![ms("disk", "k"), ms("disk_2", "k")];
    assert_eq!(
        report["team_times"]["db"]["time_to_ack_seconds"]["p50"],
        percentile(db_acks, 50.0)
    );
    assert_eq!(
        report["acks_by"],
        json!({
            "alice": {"count": 1, "median_seconds": ms("disk", "k") as f64 / 1000.0},
            "slack:U0BOB": {"count": 1, "median_seconds": ms("latency", "k") as f64 / 1000.0},
            "slack:U0CAROL": {"count": 1, "median_seconds": ms("latency_2", "k") as f64 / 1000.0},
        })
    );
    assert_eq!(
        report["unnamed_link_acks"],
        json!({"count": 1, "median_seconds": ms("disk_2", "k") as f64 / 1000.0})
    );
    assert_eq!(summaries["restarts"]["x"], "u");
    assert_eq!(summaries["latency"]["w"], "slack");
    assert_eq!(summaries["flappy"]["nb"], "dave");

    let digest = wait_until(
        Duration::from_secs(10),
        || "a digest of a period that ended after the script".to_string(),
        async || {
            topo.slack.posts().into_iter().find(|post| {
                post["metadata"]["event_type"] == "versus_digest"
                    && post["metadata"]["event_payload"]["period_end_ms"]
                        .as_str()
                        .and_then(|end| end.parse::<i64>().ok())
                        .is_some_and(|end| end > script_ended_ms)
            })
        },
    )
    .await;
    println!(
        "the digest as Slack received it: {}",
        serde_json::to_string_pretty(&digest).unwrap()
    );
    let blocks = digest["blocks"].to_string();
    for shown in [
        "*Incidents*\\n9",
        "*Acknowledged*\\n4",
        "*Paged*\\n1",
        "<@U0BOB>",
        "<@U0CAROL>",
        "alice",
        "HighLatency",
        "Flappy",
    ] {
        assert!(
            blocks.contains(shown),
            "{shown:?} not in the digest: {blocks}"
        );
    }

    // The terminal's report is the API's.
    let (ok, printed, _) = cli(&topo, &["--days", "7", "--json"]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<Value>(&printed).unwrap(), report);
    let (_, text, _) = cli(&topo, &["--days", "7"]);
    println!("{text}");
    assert!(
        text.contains("incidents 9  acknowledged 4  escalated 1 (paged 1)"),
        "{text}"
    );
    let (ok, _, error) = cli(&topo, &["--days", "91"]);
    assert!(!ok);
    assert!(error.contains("between 1 and 90"), "{error}");

    for bad in ["0", "91", "seven", "-1", "7.5", ""] {
        let response = topo
            .http()
            .get(format!("{}/api/reports/oncall?days={bad}", topo.api_url(0)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "days={bad}");
        let answer: Value = response.json().await.unwrap();
        assert!(
            answer["error"].as_str().unwrap().contains("from 1 to 90"),
            "{answer}"
        );
    }
}
