//! Helpers of the operability tests (`metrics.rs`, `logs.rs`, `config_check.rs`).
#![allow(dead_code)]

use serde_json::Value;
pub use versus_tests::alerts::*;
use versus_tests::Topology;

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
