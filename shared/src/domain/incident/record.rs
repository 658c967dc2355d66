//! An incident as stored in Redis (`{prefix}incident:{id}`, a hash).

use super::payload;
use super::state::{AckChannel, IncidentState};
use crate::domain::query_parameters::UnknownParameters;
use std::collections::HashMap;

/// The stored incident. Times are Redis server milliseconds since the epoch. A field the hash lacks, or
/// holds empty (the scripts write `''` for "none"), reads as `None`.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub state: IncidentState,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub oncall: bool,
    /// The latest payload received for it, as JSON text.
    pub payload: String,
    /// The payload before the set of firing alerts last changed.
    pub previous_payload: Option<String>,
    pub source: String,
    pub severity: String,
    pub title: String,
    pub due_ms: Option<i64>,
    /// The response plan to page with, when on-call applies.
    pub plan_arn: Option<String>,
    /// Where the incident's Slack message was posted, once it was.
    pub slack_message: Option<SlackMessageRef>,
    /// The AWS incident started for it.
    pub aws_arn: Option<String>,
    pub acked_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub acked_via: Option<AckChannel>,
    pub escalated_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    /// The state it was in when it resolved.
    pub resolved_from: Option<IncidentState>,
    /// Why paging on-call failed for good.
    pub page_failed: Option<String>,
    pub resends: u64,
    /// Query parameters of the creating request that Versus does not know (a record from before the field:
    /// none).
    pub unknown_parameters: UnknownParameters,
    /// The channel the request named, for an incident not yet posted; posted ones use the message's channel.
    pub requested_channel: Option<String>,
    /// Who marked it as noise (a typed name, "ack link", or `slack:{USER_ID}`); `None` while it is not marked.
    pub noise_by: Option<String>,
}

/// A posted Slack message: what `chat.update` and thread replies address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackMessageRef {
    pub channel: String,
    pub ts: String,
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
        let mut take = |name: &str| fields.remove(name).filter(|value| !value.is_empty());
        let id = take("id")?;
        let number = |value: Option<String>| value.and_then(|v| v.parse::<i64>().ok());
        let slack_channel = take("slack_channel");
        let slack_ts = take("slack_ts");
        let requested_channel = slack_channel.clone().filter(|_| slack_ts.is_none());
        let slack_message = slack_ts.map(|ts| SlackMessageRef {
            channel: slack_channel.unwrap_or_default(),
            ts,
        });
        Some(Self {
            id,
            state: take("state")?.parse().ok()?,
            created_ms: number(take("created_ms")).unwrap_or(0),
            updated_ms: number(take("updated_ms")).unwrap_or(0),
            oncall: take("oncall").as_deref() == Some("1"),
            payload: take("payload").unwrap_or_default(),
            previous_payload: take("previous_payload"),
            source: take("source").unwrap_or_default(),
            severity: take("severity").unwrap_or_default(),
            title: take("title").unwrap_or_default(),
            due_ms: number(take("due_ms")),
            plan_arn: take("plan_arn"),
            slack_message,
            aws_arn: take("aws_arn"),
            acked_ms: number(take("acked_ms")),
            acked_by: take("acked_by"),
            acked_via: take("acked_via").as_deref().and_then(AckChannel::parse),
            escalated_ms: number(take("escalated_ms")),
            resolved_ms: number(take("resolved_ms")),
            resolved_from: take("resolved_from").and_then(|state| state.parse().ok()),
            page_failed: take("page_failed"),
            resends: number(take("resends")).unwrap_or(0).max(0) as u64,
            unknown_parameters: take("unknown_params")
                .map(|text| UnknownParameters::from_field(&text))
                .unwrap_or_default(),
            requested_channel,
            noise_by: take("noise_by"),
        })
    }

    pub fn payload_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }

    /// [`previous_payload`](Self::previous_payload) parsed; `Null` when the alerts never changed.
    pub fn previous_payload_json(&self) -> serde_json::Value {
        self.previous_payload
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// Why paging failed, while the incident is escalated with no AWS incident to show for it: a person has
    /// to handle it by hand (and may still acknowledge it).
    pub fn failed_page(&self) -> Option<&str> {
        match (self.state, &self.aws_arn) {
            (IncidentState::Escalated, None) => self.page_failed.as_deref(),
            _ => None,
        }
    }

    /// On-call was paged (or paging was claimed) for it at some point.
    pub fn was_escalated(&self) -> bool {
        self.state == IncidentState::Escalated
            || self.resolved_from == Some(IncidentState::Escalated)
            || self.aws_arn.is_some()
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
        assert_eq!(incident.previous_payload.as_deref(), Some(r#"{"x":0}"#));
    }

    #[test]
    fn empty_fields_of_the_stored_hash_read_as_none() {
        let fields = decode_fields(raw(&[
            ("id", b"a1"),
            ("state", b"escalated"),
            ("slack_ts", b""),
            ("slack_channel", b""),
            ("aws_arn", b""),
            ("acked_by", b""),
            ("acked_via", b""),
            ("page_failed", b"AccessDenied"),
            ("resolved_from", b""),
            ("previous_payload", b""),
        ]));
        let incident = Incident::from_hash(fields).unwrap();
        assert_eq!(incident.slack_message, None);
        assert_eq!(incident.aws_arn, None);
        assert_eq!(incident.acked_by, None);
        assert_eq!(incident.acked_via, None);
        assert_eq!(incident.resolved_from, None);
        assert_eq!(incident.previous_payload, None);
        assert_eq!(incident.noise_by, None);
        assert_eq!(incident.failed_page(), Some("AccessDenied"));
    }

    #[test]
    fn a_resolved_record_of_an_acked_and_paged_incident_reads_whole() {
        let fields = decode_fields(raw(&[
            ("id", b"a1"),
            ("state", b"resolved"),
            ("slack_ts", b"1700000000.000100"),
            ("slack_channel", b"C1"),
            ("aws_arn", b"arn:aws:ssm-incidents::1:incident-record/p/x"),
            ("acked_by", b"ack link"),
            ("acked_via", b"link"),
            ("resolved_from", b"escalated"),
            ("resends", b"3"),
            ("noise_by", b"slack:U0ONCALL"),
        ]));
        let incident = Incident::from_hash(fields).unwrap();
        assert_eq!(
            incident.slack_message,
            Some(SlackMessageRef {
                channel: "C1".into(),
                ts: "1700000000.000100".into()
            })
        );
        assert_eq!(incident.acked_via, Some(AckChannel::Link));
        assert_eq!(incident.resolved_from, Some(IncidentState::Escalated));
        assert!(incident.was_escalated());
        assert_eq!(incident.failed_page(), None);
        assert_eq!(incident.resends, 3);
        assert_eq!(incident.noise_by.as_deref(), Some("slack:U0ONCALL"));
        assert_eq!(
            incident.requested_channel, None,
            "a posted incident uses its message's channel"
        );
    }

    #[test]
    fn a_channel_stored_before_the_post_is_the_requested_one() {
        let fields = decode_fields(raw(&[
            ("id", b"a1"),
            ("state", b"pending"),
            ("slack_channel", b"C0DB"),
        ]));
        let incident = Incident::from_hash(fields).unwrap();
        assert_eq!(incident.requested_channel.as_deref(), Some("C0DB"));
        assert_eq!(incident.slack_message, None);
        let fields = decode_fields(raw(&[("id", b"a1"), ("state", b"pending")]));
        assert_eq!(Incident::from_hash(fields).unwrap().requested_channel, None);
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
            incident.plan_arn.as_deref(),
            Some("arn:aws:ssm-incidents::1:response-plan/p")
        );
        assert_eq!(incident.payload, "");
        assert!(incident.payload_json().is_null());
    }
}
