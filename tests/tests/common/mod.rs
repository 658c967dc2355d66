//! Helpers shared by the pipeline and on-call test files (each file includes this module).
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};
use versus_tests::{FakeSlack, Topology};

/// A free-form alert as the product documentation sends it, made unique by `marker`.
pub fn freeform(marker: &str) -> Value {
    json!({
        "Logs": format!("[CRITICAL] {marker}: checkout is failing"),
        "ServiceName": format!("svc-{marker}"),
        "Severity": "critical",
    })
}

/// The sample Alertmanager v4 webhook the product ships for `--check`.
pub fn alertmanager() -> Value {
    serde_json::from_str(versus_shared::template::SAMPLE_ALERTMANAGER_JSON).expect("sample JSON")
}

/// Accepted `chat.postMessage` bodies whose fallback text or blocks mention `needle`.
pub fn posts_mentioning(slack: &FakeSlack, needle: &str) -> Vec<Value> {
    slack
        .posts()
        .into_iter()
        .filter(|p| p.to_string().contains(needle))
        .collect()
}

/// Waits until a post mentioning `needle` was accepted; returns it.
pub async fn wait_post(slack: &FakeSlack, needle: &str, timeout: Duration) -> Option<Value> {
    let found =
        versus_tests::wait_until(timeout, || !posts_mentioning(slack, needle).is_empty()).await;
    found.then(|| posts_mentioning(slack, needle).remove(0))
}

/// Posts `body` and insists on `201`; returns the answer.
pub async fn created(topo: &Topology, query: &str, body: &Value) -> Value {
    let (status, answer) = topo.post_alert(query, body).await;
    assert_eq!(status, 201, "POST ?{query} answered {status}: {answer}");
    answer
}

/// The `id` of a single-incident answer.
pub fn id_of(answer: &Value) -> String {
    answer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {answer}"))
        .to_string()
}

/// The `actions` blocks of a Slack message body (top-level blocks or inside attachments).
pub fn action_blocks(body: &Value) -> Vec<Value> {
    let mut blocks: Vec<Value> = body["blocks"].as_array().cloned().unwrap_or_default();
    for attachment in body["attachments"].as_array().into_iter().flatten() {
        blocks.extend(attachment["blocks"].as_array().cloned().unwrap_or_default());
    }
    blocks
        .into_iter()
        .filter(|b| b["type"] == "actions")
        .collect()
}

/// p50, p99 and max of `values` (sorted copy), in the same unit.
pub fn percentiles(values: &[f64]) -> (f64, f64, f64) {
    assert!(!values.is_empty(), "no values to summarise");
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), *sorted.last().expect("non-empty"))
}
