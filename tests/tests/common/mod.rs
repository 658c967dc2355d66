//! Helpers shared by the pipeline and on-call test files (each file includes this module).
#![allow(dead_code)]

use serde_json::Value;
pub use versus_tests::alerts::*;

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
