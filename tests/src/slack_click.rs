//! A click of a Slack button as Slack sends it: a `block_actions` payload, form-encoded, signed with the
//! app's signing secret (v0: HMAC-SHA256 over `v0:{timestamp}:{body}`), with the time it was signed.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::topology::Topology;

pub struct SignedClick {
    pub body: String,
    pub timestamp: i64,
    pub signature: String,
}

/// `X-Slack-Signature` of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

impl SignedClick {
    /// Slack user `user` pressing the button `action_id` whose value is `token`, now.
    pub fn new(secret: &str, action_id: &str, token: &str, user: &str) -> Self {
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user},
            "actions": [{"action_id": action_id, "block_id": "versus_ack", "value": token, "type": "button"}]
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())])
            .expect("a payload form-encodes");
        let timestamp = chrono::Utc::now().timestamp();
        Self {
            signature: sign(secret, timestamp, &body),
            body,
            timestamp,
        }
    }
}

impl Topology {
    /// Sends `click` to API 0's `POST /api/slack/interactions`; returns the status.
    pub async fn click(&self, click: SignedClick) -> u16 {
        self.http()
            .post(format!("{}/api/slack/interactions", self.api_url(0)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Slack-Request-Timestamp", click.timestamp.to_string())
            .header("X-Slack-Signature", click.signature)
            .body(click.body)
            .send()
            .await
            .expect("the API answers")
            .status()
            .as_u16()
    }
}
