//! Free-form alert bodies the tests send, and the checks they make of the API's answer. Alertmanager's
//! notifications are built with [`crate::alertmanager_webhook`].

use serde_json::{json, Value};

use crate::topology::{read_answer, Topology};

/// A free-form alert as the product documentation sends it, made unique by `marker`.
pub fn freeform(marker: &str) -> Value {
    json!({
        "Logs": format!("[CRITICAL] {marker}: checkout is failing"),
        "ServiceName": format!("svc-{marker}"),
        "Severity": "critical",
    })
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

/// `POST` of an ack link, asking for JSON; returns the status and the answer.
pub async fn post_ack(topo: &Topology, ack_url: &str) -> (u16, Value) {
    let response = topo
        .http()
        .post(ack_url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {ack_url}: {e}"));
    read_answer(response).await
}

/// [`post_ack`], insisting on `200`; returns the answer's `result`.
pub async fn ack(topo: &Topology, ack_url: &str) -> String {
    let (status, answer) = post_ack(topo, ack_url).await;
    assert_eq!(status, 200);
    answer["result"].as_str().unwrap_or_default().to_string()
}

/// `POST` of a JSON `body` to an ack or noise link, asking for JSON; insists on `200` and returns the answer.
pub async fn post_link_json(topo: &Topology, url: &str, body: &Value) -> Value {
    let response = topo
        .http()
        .post(url)
        .header("Accept", "application/json")
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let (status, answer) = read_answer(response).await;
    assert_eq!(status, 200, "POST {url}: {answer}");
    answer
}
