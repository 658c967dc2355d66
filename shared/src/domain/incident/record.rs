//! An incident as stored in Redis (`{prefix}incident:{id}`, a hash).

use super::payload;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentState {
    /// Posted (or about to be); if on-call applies, an escalation is scheduled.
    Pending,
    Acked,
    Escalated,
    Resolved,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Pending => "pending",
            IncidentState::Acked => "acked",
            IncidentState::Escalated => "escalated",
            IncidentState::Resolved => "resolved",
        }
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Self::Pending),
            "acked" => Ok(Self::Acked),
            "escalated" => Ok(Self::Escalated),
            "resolved" => Ok(Self::Resolved),
            other => Err(format!("unknown incident state {other:?}")),
        }
    }
}

/// The stored incident. Times are Redis server milliseconds since the epoch.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub state: IncidentState,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub oncall: bool,
    /// The latest payload received for it, as JSON text.
    pub payload: String,
    /// The payload before the set of firing alerts last changed (empty until it changes).
    pub previous_payload: String,
    pub source: String,
    pub severity: String,
    pub title: String,
    pub due_ms: Option<i64>,
    pub plan_arn: String,
    pub slack_channel: String,
    pub slack_ts: String,
    pub aws_arn: String,
    pub acked_ms: Option<i64>,
    pub acked_by: String,
    pub acked_via: String,
    pub escalated_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub resolved_from: String,
    pub page_failed: String,
    pub resends: u64,
}

/// The hash fields that hold a payload (compressed, see [`payload`]).
const PAYLOAD_FIELDS: [&str; 2] = ["payload", "previous_payload"];

/// An incident hash as read from Redis (`HGETALL`), as text: payloads decompressed, other fields as written.
///
/// A payload that cannot be decoded is logged and read as empty, never an error: acknowledging and paging
/// need only the other fields, and the Slack message falls back to the incident's title without it.
pub fn decode_fields(raw: HashMap<String, Vec<u8>>) -> HashMap<String, String> {
    raw.into_iter()
        .map(|(name, value)| {
            let text = if PAYLOAD_FIELDS.contains(&name.as_str()) {
                payload::decode(&value).unwrap_or_else(|error| {
                    tracing::error!(field = %name, %error, "an incident's stored payload is unreadable; going on without it");
                    String::new()
                })
            } else {
                String::from_utf8(value)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            };
            (name, text)
        })
        .collect()
}

impl Incident {
    /// The incident of [`decode_fields`]'s map; `None` when there is no such record.
    pub fn from_hash(mut fields: HashMap<String, String>) -> Option<Self> {
        let mut take = |name: &str| fields.remove(name).unwrap_or_default();
        let id = take("id");
        if id.is_empty() {
            return None;
        }
        let number = |value: String| value.parse::<i64>().ok();
        Some(Self {
            id,
            state: take("state").parse().ok()?,
            created_ms: number(take("created_ms")).unwrap_or(0),
            updated_ms: number(take("updated_ms")).unwrap_or(0),
            oncall: take("oncall") == "1",
            payload: take("payload"),
            previous_payload: take("previous_payload"),
            source: take("source"),
            severity: take("severity"),
            title: take("title"),
            due_ms: number(take("due_ms")),
            plan_arn: take("plan_arn"),
            slack_channel: take("slack_channel"),
            slack_ts: take("slack_ts"),
            aws_arn: take("aws_arn"),
            acked_ms: number(take("acked_ms")),
            acked_by: take("acked_by"),
            acked_via: take("acked_via"),
            escalated_ms: number(take("escalated_ms")),
            resolved_ms: number(take("resolved_ms")),
            resolved_from: take("resolved_from"),
            page_failed: take("page_failed"),
            resends: take("resends").parse().unwrap_or(0),
        })
    }

    pub fn payload_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }

    /// [`previous_payload`](Self::previous_payload) parsed; `Null` when the alerts never changed.
    pub fn previous_payload_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.previous_payload).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(fields: &[(&str, &[u8])]) -> HashMap<String, Vec<u8>> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect()
    }

    #[test]
    fn decodes_compressed_and_plain_payloads() {
        let fields = decode_fields(raw(&[
            ("id", b"a1"),
            ("state", b"pending"),
            ("payload", &payload::encode(r#"{"x":1}"#)),
            ("previous_payload", br#"{"x":0}"#),
        ]));
        let incident = Incident::from_hash(fields).unwrap();
        assert_eq!(incident.payload, r#"{"x":1}"#);
        assert_eq!(incident.previous_payload, r#"{"x":0}"#);
    }

    #[test]
    fn an_unreadable_payload_leaves_the_rest_of_the_incident_usable() {
        let mut damaged = payload::encode(r#"{"x":1}"#);
        damaged.truncate(7);
        let fields = decode_fields(raw(&[
            ("id", b"a1"),
            ("state", b"pending"),
            ("due_ms", b"1700000000000"),
            ("plan_arn", b"arn:aws:ssm-incidents::1:response-plan/p"),
            ("payload", &damaged),
        ]));
        let incident = Incident::from_hash(fields).expect("the incident is still read");
        assert_eq!(incident.state, IncidentState::Pending);
        assert_eq!(incident.due_ms, Some(1_700_000_000_000));
        assert_eq!(
            incident.plan_arn,
            "arn:aws:ssm-incidents::1:response-plan/p"
        );
        assert_eq!(incident.payload, "");
        assert!(incident.payload_json().is_null());
    }
}
