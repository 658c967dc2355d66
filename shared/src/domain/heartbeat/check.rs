//! What a check job asks of `check.lua`, and what it answers.

use crate::domain::incident::UnexpectedReply;
use std::time::Duration;

/// How a missed heartbeat's incident pages, from the heartbeat's settings.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub interval: Duration,
    /// `None`: Slack only.
    pub page: Option<(Duration, String)>,
    /// `None`: `alert.slack.channel_id`.
    pub slack_channel: Option<String>,
}

/// `check.lua`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Beaten in time: the next check is due at `deadline_ms`.
    Healthy { next_job: String, deadline_ms: i64 },
    /// Silent past the deadline: this run opened `incident_id`.
    Opened {
        incident_id: String,
        since_ms: i64,
        deadline_ms: i64,
    },
    /// Silent past the deadline, and this outage's incident was opened before (a rerun, another worker).
    AlreadyOpen { incident_id: String },
    /// Another check job is pending for the heartbeat: this one is a leftover and ends.
    Superseded,
}

/// `{outcome, detail, since_ms, deadline_ms}`.
pub(super) type CheckReply = (String, String, String, String);

impl CheckOutcome {
    pub(super) fn from_reply(
        (outcome, detail, since, deadline): CheckReply,
    ) -> Result<Self, UnexpectedReply> {
        let millis = |text: &str| text.parse::<i64>().unwrap_or(0);
        Ok(match outcome.as_str() {
            "healthy" => CheckOutcome::Healthy {
                next_job: detail,
                deadline_ms: millis(&deadline),
            },
            "opened" => CheckOutcome::Opened {
                incident_id: detail,
                since_ms: millis(&since),
                deadline_ms: millis(&deadline),
            },
            "open" => CheckOutcome::AlreadyOpen {
                incident_id: detail,
            },
            "superseded" => CheckOutcome::Superseded,
            other => {
                return Err(UnexpectedReply {
                    script: "heartbeat check",
                    answer: other.to_string(),
                })
            }
        })
    }
}
