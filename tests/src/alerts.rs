//! Alert bodies the tests send, and the checks they make of the API's answer and of what reached Slack.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{wait_until, FakeSlack, Topology};

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
    serde_json::from_str(versus_shared::domain::template::SAMPLE_ALERTMANAGER_JSON)
        .expect("sample JSON")
}

/// Posts `body` with `query` to the first API and insists on `201`; returns the answer.
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

/// The `outcome` of a single-incident answer (`created`, `updated`, ...).
pub fn outcome_of(answer: &Value) -> &str {
    answer["outcome"]
        .as_str()
        .unwrap_or_else(|| panic!("no outcome in {answer}"))
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
    let found = wait_until(timeout, || !posts_mentioning(slack, needle).is_empty()).await;
    found.then(|| posts_mentioning(slack, needle).remove(0))
}
