//! Logs of the real binaries: with `log_format: json` every line is one JSON object and every
//! line of an incident's path carries its `incident_id` at the top level; and the configured secrets
//! (Slack token, signing secret, ack secret, Redis password) appear in no line of any process's output,
//! with `alert.debug_body: true` and `RUST_LOG=debug`, even when the alerts themselves contain them.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use versus_tests::alerts::{ack, created, freeform, id_of};
use versus_tests::slack_messages::wait_post;
use versus_tests::topology::TopologyBuilder;
use versus_tests::{RedisOptions, Topology, DEFAULT_SLACK_TOKEN};

const SIGNING_SECRET: &str = "sign-Zq7LeakCheck-1a2b3c";
const ACK_SECRET: &str = "ack-Zq7LeakCheck-4d5e6f";
const REDIS_PASSWORD: &str = "redis-Zq7LeakCheck-7a8b9c";

/// Every secret the processes are configured with; FakeSlack only accepts its default token.
const SECRETS: [&str; 4] = [
    DEFAULT_SLACK_TOKEN,
    SIGNING_SECRET,
    ACK_SECRET,
    REDIS_PASSWORD,
];

/// Debug logging, bodies logged, and distinctive secrets everywhere.
fn leaky_topology() -> TopologyBuilder {
    Topology::builder()
        .redis_options(RedisOptions {
            password: Some(REDIS_PASSWORD.into()),
            ..RedisOptions::default()
        })
        .env("RUST_LOG", "debug")
        .env("VERSUS__ALERT__DEBUG_BODY", "true")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("VERSUS_ACK_SECRET", ACK_SECRET)
}

/// An alert whose text, labels and free fields contain every secret.
fn alert_with_secrets(marker: &str) -> Value {
    let all = SECRETS.join(" ");
    let mut body = freeform(marker);
    body["Logs"] = json!(format!("[CRITICAL] {marker}: leaked {all}"));
    body["token"] = json!(DEFAULT_SLACK_TOKEN);
    body["nested"] = json!({ "secrets": SECRETS, "quoted": format!("\"{ACK_SECRET}\"") });
    body
}

/// Panics naming each secret found in `output`, with the lines that carry it.
fn assert_no_secret(what: &str, output: &str) {
    let mut found = Vec::new();
    for secret in SECRETS {
        for line in output.lines().filter(|l| l.contains(secret)) {
            found.push(format!("{secret}: {line}"));
        }
    }
    assert!(
        found.is_empty(),
        "{what} shows secrets:\n{}",
        found.join("\n")
    );
}

/// The Slack callback endpoint with a wrong signature and the secrets in its body.
async fn forged_slack_callback(topo: &Topology) {
    let body = format!(
        "payload={}",
        serde_json::to_string(&json!({"token": DEFAULT_SLACK_TOKEN, "secret": SIGNING_SECRET}))
            .unwrap()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let response = topo
        .http()
        .post(format!("{}/api/slack/interactions", topo.api_url(0)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", now.to_string())
        .header("X-Slack-Signature", format!("v0={}", "0".repeat(64)))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn json_lines_carry_the_incident_id_and_no_secret() {
    let topo = leaky_topology()
        .oncall_initialized_only()
        .env("VERSUS_LOG_FORMAT", "json")
        .start()
        .await;

    // Paged after 3 s: notify, escalate (AWS SDK at debug) and slack_update all run for it.
    let paged = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0.05",
        &alert_with_secrets("logs-paged"),
    )
    .await;
    // Acknowledged through its link.
    let acked = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=5",
        &alert_with_secrets("logs-acked"),
    )
    .await;
    assert!(
        wait_post(&topo.slack, "logs-acked", Duration::from_secs(10))
            .await
            .is_some()
    );
    assert_eq!(
        ack(&topo, acked["ack_url"].as_str().expect("ack_url")).await,
        "acked"
    );
    forged_slack_callback(&topo).await;
    // Refused bodies are logged too (at debug).
    let refused = topo
        .post_raw(
            "",
            Some("application/json"),
            format!("{{\"token\": \"{DEFAULT_SLACK_TOKEN}\", \"secret\": \"{ACK_SECRET}\""),
        )
        .await;
    assert_eq!(refused.status(), 400);

    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(15)).await,
        "never paged"
    );
    // The updates after the escalation and the ack.
    assert!(
        topo.slack
            .wait_for_updates(2, Duration::from_secs(10))
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let ids: BTreeSet<String> = [id_of(&paged), id_of(&acked)].into();
    let handler_spans = ["notify", "escalate", "slack_update", "aws_resolve", "job"];
    for (name, output) in [
        ("versus-api", topo.api_log(0)),
        ("versus-worker", topo.worker_log(0)),
    ] {
        assert_no_secret(name, &output);
        let mut lines_with_id: BTreeSet<String> = BTreeSet::new();
        for line in output.lines().filter(|l| !l.trim().is_empty()) {
            let parsed: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name} wrote a line that is not JSON ({e}): {line}"));
            for field in ["timestamp", "level", "message"] {
                assert!(parsed.get(field).is_some(), "{name}: no {field}: {line}");
            }
            assert!(parsed.get("span").is_none(), "{name}: nested span: {line}");
            let incident_id = parsed["incident_id"].as_str();
            let in_handler = parsed["spans"].as_array().is_some_and(|spans| {
                spans
                    .iter()
                    .any(|s| handler_spans.contains(&s.as_str().unwrap_or("")))
            });
            assert!(
                !in_handler || incident_id.is_some(),
                "{name}: a line inside a job handler without a top-level incident_id: {line}"
            );
            for id in &ids {
                if line.contains(id.as_str()) {
                    assert_eq!(
                        incident_id,
                        Some(id.as_str()),
                        "{name}: a line about incident {id} without it as incident_id: {line}"
                    );
                }
            }
            if let Some(id) = incident_id {
                lines_with_id.insert(id.to_string());
            }
        }
        assert_eq!(lines_with_id, ids, "{name}: incidents seen in the log");
    }

    let api = topo.api_log(0);
    // The bodies were logged, with the secrets replaced.
    let bodies: Vec<&str> = api
        .lines()
        .filter(|l| l.contains("received webhook body"))
        .collect();
    assert!(bodies.len() >= 2, "no debug body lines:\n{api}");
    assert!(
        bodies.iter().all(|l| l.contains("[redacted]")),
        "{bodies:?}"
    );
    // Lines the path must have, each with its incident's id.
    let has = |output: &str, message: &str, id: &str| {
        output.lines().any(|l| {
            serde_json::from_str::<Value>(l)
                .is_ok_and(|v| v["message"] == message && v["incident_id"] == id)
        })
    };
    for id in &ids {
        assert!(
            has(&api, "incident created", id),
            "API: no 'incident created' for {id}"
        );
        assert!(
            has(&topo.worker_log(0), "posted to Slack", id),
            "worker: no 'posted to Slack' for {id}"
        );
    }
    assert!(has(&api, "acknowledgement", &id_of(&acked)));
    assert!(has(
        &topo.worker_log(0),
        "paged on-call: AWS incident started",
        &id_of(&paged)
    ));
}

#[tokio::test]
async fn text_lines_with_slack_off_show_no_secret() {
    // With Slack off, the worker prints each notification, rendered from the body, to its log.
    let topo = leaky_topology().slack_disabled().start().await;
    let answer = created(&topo, "", &alert_with_secrets("logs-text")).await;
    let id = id_of(&answer);
    assert!(
        topo.wait_for_log(
            versus_tests::Role::Worker,
            0,
            "notification (Slack is not configured",
            Duration::from_secs(10)
        )
        .await
    );
    forged_slack_callback(&topo).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let worker = topo.worker_log(0);
    assert_no_secret("versus-api", &topo.api_log(0));
    assert_no_secret("versus-worker", &worker);
    // Log entries: a multi-line field value continues the entry until the next timestamp.
    let mut entries: Vec<String> = Vec::new();
    for line in worker.lines() {
        let starts_entry =
            line.len() > 5 && line[..4].bytes().all(|b| b.is_ascii_digit()) && &line[4..5] == "-";
        match entries.last_mut() {
            Some(entry) if !starts_entry => {
                entry.push('\n');
                entry.push_str(line);
            }
            _ => entries.push(line.to_string()),
        }
    }
    let notification = entries
        .iter()
        .find(|e| e.contains("notification (Slack is not configured"))
        .unwrap();
    assert!(notification.contains("logs-text"), "{notification}");
    assert!(notification.contains("[redacted]"), "{notification}");
    assert!(
        notification.contains(&format!("incident_id={id}")),
        "{notification}"
    );
}
