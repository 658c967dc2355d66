//! The API's memory under concurrent maximum-size requests: many senders posting bodies of
//! `alert.body_limit_bytes` at once, in two shapes, on an API of its own (so its VmHWM is this
//! scenario's alone). The body budget (`alert.body_budget_bytes`) turns the excess away with `503`;
//! the figure is the API's peak RSS, against the chart's memory limit of 256Mi.

use crate::fakes::Fakes;
use crate::stack::{memory, Stack};
use crate::stats::round;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The shipped `alert.body_limit_bytes`.
const BODY_LIMIT: usize = 1024 * 1024;

/// 100 Alertmanager-like incidents (the default `alert.max_incidents_per_request`) filling the limit.
fn array_of_incidents() -> Vec<u8> {
    let item = |i: usize, pad: usize| {
        json!({"receiver": "bench", "groupKey": format!("{{}}:{{n=\"{i}\"}}"), "status": "firing",
               "alerts": [{"labels": {"alertname": "Large", "n": i.to_string()},
                           "annotations": {"description": "d".repeat(pad)}}]})
    };
    let overhead = serde_json::to_vec(&Value::Array((0..100).map(|i| item(i, 0)).collect()))
        .expect("serialises")
        .len();
    let pad = (BODY_LIMIT - overhead - 100) / 100;
    serde_json::to_vec(&Value::Array((0..100).map(|i| item(i, pad)).collect())).expect("serialises")
}

/// One object whose bytes are nearly all tiny values: the shape that costs the most memory to parse.
fn tiny_values() -> Vec<u8> {
    let head = br#"{"Logs":"large body","v":["#;
    let mut body = head.to_vec();
    while body.len() + 4 < BODY_LIMIT {
        body.extend_from_slice(b"0,");
    }
    body.extend_from_slice(b"0]}");
    body
}

/// Runs `seconds` of `connections` senders per shape; answers the statuses and the API's peak RSS.
pub async fn large_bodies(
    fakes: &Fakes,
    env: &[(String, String)],
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Value> {
    let mut stack = Stack::new(fakes, env);
    stack.start_api().await;
    let pid = stack.api_pid();
    let peak_mb = || {
        pid.and_then(memory)
            .map(|m| round(m.hwm_kb as f64 / 1024.0))
    };
    let idle = peak_mb();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut shapes = serde_json::Map::new();
    for (name, body) in [
        ("array_of_100_incidents", array_of_incidents()),
        ("tiny_values", tiny_values()),
    ] {
        let body = bytes::Bytes::from(body);
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let until = Instant::now() + Duration::from_secs(seconds);
        let url = format!("{}/api/incidents", stack.api_url());
        let senders: Vec<_> = (0..connections)
            .map(|_| {
                let (client, body, counts, url) =
                    (client.clone(), body.clone(), counts.clone(), url.clone());
                tokio::spawn(async move {
                    while Instant::now() < until {
                        let answer = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        let slot = match answer.map(|a| a.status().as_u16()) {
                            Ok(201) => 0,
                            Ok(503) => 1,
                            _ => 2,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                        if slot == 1 {
                            // As a sender honouring a short Retry-After would, without idling the run.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.await?;
        }
        shapes.insert(
            name.into(),
            json!({
                "body_bytes": body.len(),
                "created": counts[0].load(Ordering::Relaxed),
                "busy_503": counts[1].load(Ordering::Relaxed),
                "other": counts[2].load(Ordering::Relaxed),
                "api_peak_mb_so_far": peak_mb(),
            }),
        );
    }
    Ok(json!({
        "connections": connections,
        "seconds_per_shape": seconds,
        "api_idle_peak_mb": idle,
        "api_peak_mb": peak_mb(),
        "limit_mb": 256,
        "shapes": Value::Object(shapes),
    }))
}
