//! Posting and updating incidents' Slack messages.

pub mod blocks;
mod client;
pub mod compose;
mod rate_gate;

pub use client::{MissingSlackToken, Posted, SlackClient, SlackError};
pub use compose::Composer;

/// The JSON body of `chat.postMessage` / `chat.update` (without channel and ts) for a composed message.
pub fn message_body(message: &blocks::SlackMessage) -> serde_json::Value {
    serde_json::to_value(blocks::to_message_content(message))
        .unwrap_or_else(|_| serde_json::json!({ "text": message.text }))
}
