//! Helpers of the operability tests (`metrics.rs`, `logs.rs`, `config_check.rs`).
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

/// The sample Alertmanager webhook `--check` renders templates against.
pub fn alertmanager() -> Value {
    serde_json::from_str(versus_shared::template::SAMPLE_ALERTMANAGER_JSON).expect("sample JSON")
}

/// Posts `body` with `query` and insists on `201`; returns the answer.
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

/// Waits until Slack accepted a post mentioning `needle`.
pub async fn wait_post(slack: &FakeSlack, needle: &str, timeout: Duration) -> bool {
    versus_tests::wait_until(timeout, || {
        slack.posts().iter().any(|p| p.to_string().contains(needle))
    })
    .await
}

/// `POST` of an ack link, asking for JSON; returns the answer's `result`.
pub async fn ack(topo: &Topology, ack_url: &str) -> String {
    let response = topo
        .http()
        .post(ack_url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {ack_url}: {e}"));
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("a JSON answer");
    answer["result"].as_str().unwrap_or_default().to_string()
}
