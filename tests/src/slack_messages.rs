//! Reading what Versus posted to FakeSlack: messages and their thread replies, updates of a message, and
//! the parts of a message the tests check (status line, side-bar colour, buttons).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::Value;

use crate::topology::SETTLE;
use crate::wait::{poll_until, wait_until};
use crate::FakeSlack;

/// Side-bar colours of the status banners (`worker/src/slack/`).
pub const GREEN: &str = "#2eb886";
pub const ACKED_BLUE: &str = "#439fe0";
pub const ESCALATED_RED: &str = "#e01e5a";
pub const PAGING_FAILED_RED: &str = "#a30200";

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
    poll_until(timeout, async || {
        posts_mentioning(slack, needle).into_iter().next()
    })
    .await
}

/// Waits for the first top-level message mentioning `needle`.
pub async fn wait_top_level(slack: &FakeSlack, needle: &str) -> Posted {
    let awaited = || {
        format!(
            "a top-level Slack message mentioning {needle:?}; calls: {:#?}",
            slack.calls()
        )
    };
    wait_until(SETTLE, awaited, async || {
        top_level(slack)
            .into_iter()
            .find(|p| p.body.to_string().contains(needle))
    })
    .await
}

/// Waits for an update of `ts` whose status line contains `needle`; returns it.
pub async fn wait_update(slack: &FakeSlack, ts: &str, needle: &str) -> Value {
    let awaited = || {
        format!(
            "an update of {ts} with a status line containing {needle:?}; updates: {:#?}",
            updates_of(slack, ts)
        )
    };
    wait_until(SETTLE, awaited, async || {
        updates_of(slack, ts)
            .into_iter()
            .rev()
            .find(|u| status_line(u).is_some_and(|line| line.contains(needle)))
    })
    .await
}

/// All blocks of a message, top-level or inside its attachments.
pub fn all_blocks(body: &Value) -> Vec<Value> {
    let mut blocks: Vec<Value> = body["blocks"].as_array().cloned().unwrap_or_default();
    for attachment in body["attachments"].as_array().into_iter().flatten() {
        blocks.extend(attachment["blocks"].as_array().cloned().unwrap_or_default());
    }
    blocks
}

/// The `actions` blocks of a message.
pub fn action_blocks(body: &Value) -> Vec<Value> {
    all_blocks(body)
        .into_iter()
        .filter(|b| b["type"] == "actions")
        .collect()
}

/// The buttons of a message.
pub fn buttons(body: &Value) -> Vec<Value> {
    action_blocks(body)
        .into_iter()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The `action_id`s of a message's buttons, in order.
pub fn button_ids(body: &Value) -> Vec<String> {
    buttons(body)
        .iter()
        .map(|b| b["action_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The line that says who marked the incident as noise (`block_id` `versus_noise_status`), if any.
pub fn noise_line(body: &Value) -> Option<String> {
    all_blocks(body)
        .into_iter()
        .find(|b| b["block_id"] == "versus_noise_status")
        .and_then(|b| b["elements"][0]["text"].as_str().map(str::to_string))
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
