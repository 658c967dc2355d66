//! Helpers of the incident-lifecycle tests: Alertmanager payloads with a chosen set of firing alerts, and
//! readers of what reached FakeSlack (top-level messages, thread replies, updates, status lines).
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use versus_tests::{wait_until, FakeSlack, Topology};

/// Side-bar colours of the status banners (`worker/src/slack/blocks.rs`, `colors`).
pub const GREEN: &str = "#2eb886";
pub const ACKED_BLUE: &str = "#439fe0";
pub const ESCALATED_RED: &str = "#e01e5a";
pub const PAGING_FAILED_RED: &str = "#a30200";

/// Long enough for anything the worker does on its own (posting, retrying a racing update once or twice).
pub const SETTLE: Duration = Duration::from_secs(15);

/// An Alertmanager v4 webhook for the group `alertname=<alert>` of receiver `versus-critical`, with one
/// alert per instance (`firing`), in the given order. `status` is the group's status.
pub fn alertmanager(alert: &str, status: &str, instances: &[&str]) -> Value {
    let alerts: Vec<Value> = instances
        .iter()
        .map(|instance| {
            json!({
                "status": status,
                "labels": {"alertname": alert, "instance": instance, "service": "checkout", "severity": "critical"},
                "annotations": {"summary": format!("{alert} on {instance}")},
                "startsAt": "2024-01-02T15:04:05Z",
                "endsAt": if status == "resolved" { "2024-01-02T15:34:05Z" } else { "0001-01-01T00:00:00Z" },
                "fingerprint": format!("fp-{alert}-{instance}"),
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alert}\"}}"),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "versus-critical",
        "groupLabels": {"alertname": alert},
        "commonLabels": {"alertname": alert, "service": "checkout", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager-0:9093",
        "alerts": alerts,
    })
}

pub use versus_tests::alerts::{created as accepted, freeform, id_of, outcome_of};

/// A message Versus posted with `chat.postMessage`, with the `ts` Slack gave it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub ts: String,
    pub body: Value,
}

impl Posted {
    pub fn thread_ts(&self) -> Option<&str> {
        self.body["thread_ts"].as_str()
    }
}

/// Every accepted `chat.postMessage`, in order.
pub fn posted(slack: &FakeSlack) -> Vec<Posted> {
    slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "chat.postMessage" && c.outcome.is_accepted())
        .map(|c| Posted {
            ts: c.response["ts"].as_str().unwrap_or_default().to_string(),
            body: c.body.unwrap_or(Value::Null),
        })
        .collect()
}

/// Top-level messages (not thread replies).
pub fn top_level(slack: &FakeSlack) -> Vec<Posted> {
    posted(slack)
        .into_iter()
        .filter(|p| p.thread_ts().is_none())
        .collect()
}

/// Replies in the thread of `ts`.
pub fn replies_to(slack: &FakeSlack, ts: &str) -> Vec<Posted> {
    posted(slack)
        .into_iter()
        .filter(|p| p.thread_ts() == Some(ts))
        .collect()
}

/// Accepted `chat.update` bodies of the message `ts`.
pub fn updates_of(slack: &FakeSlack, ts: &str) -> Vec<Value> {
    slack
        .updates()
        .into_iter()
        .filter(|u| u["ts"] == ts)
        .collect()
}

/// Waits for the first top-level message mentioning `needle`.
pub async fn wait_top_level(slack: &FakeSlack, needle: &str) -> Posted {
    let find = || {
        top_level(slack)
            .into_iter()
            .find(|p| p.body.to_string().contains(needle))
    };
    wait_until(SETTLE, || find().is_some()).await;
    find().unwrap_or_else(|| {
        panic!(
            "no top-level Slack message mentions {needle:?}; calls: {:#?}",
            slack.calls()
        )
    })
}

/// Waits for an update of `ts` whose status line contains `needle`; returns it.
pub async fn wait_update(slack: &FakeSlack, ts: &str, needle: &str) -> Value {
    let find = || {
        updates_of(slack, ts)
            .into_iter()
            .rev()
            .find(|u| status_line(u).is_some_and(|line| line.contains(needle)))
    };
    wait_until(SETTLE, || find().is_some()).await;
    find().unwrap_or_else(|| {
        panic!(
            "no update of {ts} with a status line containing {needle:?}; updates: {:#?}",
            updates_of(slack, ts)
        )
    })
}

/// All blocks of a message, top-level or inside its attachments.
pub fn all_blocks(body: &Value) -> Vec<Value> {
    let mut blocks: Vec<Value> = body["blocks"].as_array().cloned().unwrap_or_default();
    for attachment in body["attachments"].as_array().into_iter().flatten() {
        blocks.extend(attachment["blocks"].as_array().cloned().unwrap_or_default());
    }
    blocks
}

/// The status line (`block_id` `versus_status`) of a message, if it has one.
pub fn status_line(body: &Value) -> Option<String> {
    all_blocks(body)
        .into_iter()
        .find(|b| b["block_id"] == "versus_status")
        .and_then(|b| b["elements"][0]["text"].as_str().map(str::to_string))
}

/// The side-bar colour of a message (its attachment's `color`).
pub fn color(body: &Value) -> Option<String> {
    body["attachments"][0]["color"].as_str().map(str::to_string)
}

/// The buttons of a message.
pub fn buttons(body: &Value) -> Vec<Value> {
    all_blocks(body)
        .into_iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// A time field of an incident hash (Redis milliseconds) as the Slack status lines write it.
pub fn shown_time(incident: &HashMap<String, String>, field: &str) -> String {
    let ms: i64 = incident
        .get(field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("incident has no {field}: {incident:?}"));
    Utc.timestamp_millis_opt(ms)
        .single()
        .expect("a valid time")
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// How many incident records Redis holds.
pub async fn incident_count(topo: &Topology) -> usize {
    let mut conn = topo.redis_conn().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(topo.key("incident:*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    keys.len()
}

/// Waits for `check` on incident `id`, panicking with the record when it does not come.
pub async fn wait_incident(
    topo: &Topology,
    id: &str,
    what: &str,
    check: impl Fn(&HashMap<String, String>) -> bool,
) -> HashMap<String, String> {
    let (ok, fields) = topo.wait_incident(id, SETTLE, check).await;
    assert!(ok, "incident {id} never got {what}: {fields:?}");
    fields
}

/// Waits until the job `id` of `queue` has finished (`done` or `dead`); returns its hash.
pub async fn wait_job_finished(
    topo: &Topology,
    queue: &str,
    id: &str,
    timeout: Duration,
) -> HashMap<String, String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let job = topo.job(queue, id).await;
        let state = job.get("state").map(String::as_str);
        if matches!(state, Some("done" | "dead")) {
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{queue} job {id} did not finish within {timeout:?}: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the Slack-facing queues (`notify`, `slack_update`) and `aws_resolve` have nothing due, scheduled
/// for a retry or in flight, for 400 ms on end: everything the requests so far caused has happened. For
/// "nothing more" checks.
pub async fn settle(topo: &Topology) {
    const QUIET: Duration = Duration::from_millis(400);
    let deadline = std::time::Instant::now() + SETTLE;
    let mut quiet_since = None;
    let mut conn = topo.redis_conn().await;
    loop {
        let mut pending = 0usize;
        for queue in ["notify", "slack_update", "aws_resolve"] {
            for set in ["due", "inflight"] {
                let n: usize = redis::cmd("ZCARD")
                    .arg(topo.key(&format!("queue:{queue}:{set}")))
                    .query_async(&mut conn)
                    .await
                    .expect("ZCARD");
                pending += n;
            }
        }
        if pending == 0 {
            if quiet_since.is_some_and(|t: std::time::Instant| t.elapsed() >= QUIET) {
                return;
            }
            quiet_since.get_or_insert_with(std::time::Instant::now);
        } else {
            quiet_since = None;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queues still hold {pending} jobs after {SETTLE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
