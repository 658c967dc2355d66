//! What the incident scripts answer, as types. Each script returns a flat array of strings (Lua has no
//! richer reply); this is the one place that reads those arrays, so a script and its Rust reading change
//! together.

use super::state::IncidentState;
use std::time::Duration;
use thiserror::Error;

/// A script answered something its Rust reading does not know: a script and this file disagree.
#[derive(Debug, Error)]
#[error("the {script} script answered {answer:?}, which this release does not understand; are processes of different releases sharing this Redis? See docs/upgrading.md")]
pub struct UnexpectedReply {
    pub script: &'static str,
    pub answer: String,
}

fn unexpected(script: &'static str, answer: impl Into<String>) -> UnexpectedReply {
    UnexpectedReply {
        script,
        answer: answer.into(),
    }
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn millis(text: &str) -> i64 {
    text.parse().unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Created,
    /// A re-send of an open incident whose set of firing alerts changed.
    Updated,
    /// A re-send of an open incident with nothing new.
    Unchanged,
    /// `open_for` is how long the incident was open, for time-to-resolve.
    Resolved {
        previous: IncidentState,
        open_for: Duration,
    },
    /// The very same request was already accepted.
    DuplicateRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestResult {
    pub outcome: IngestOutcome,
    pub id: String,
}

/// `ingest.lua`: `{outcome, incident_id, previous_state, open_ms}`.
pub type IngestReply = (String, String, String, String);

impl IngestResult {
    pub(super) fn from_reply(
        (outcome, id, previous, open_ms): IngestReply,
    ) -> Result<Self, UnexpectedReply> {
        let outcome = match outcome.as_str() {
            "created" => IngestOutcome::Created,
            "updated" => IngestOutcome::Updated,
            "unchanged" => IngestOutcome::Unchanged,
            "duplicate_request" => IngestOutcome::DuplicateRequest,
            "resolved" => IngestOutcome::Resolved {
                previous: previous
                    .parse()
                    .map_err(|_| unexpected("ingest", format!("resolved from {previous:?}")))?,
                open_for: Duration::from_millis(open_ms.parse().unwrap_or(0)),
            },
            other => return Err(unexpected("ingest", other)),
        };
        Ok(IngestResult { outcome, id })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult {
    /// This call acknowledged it. `created_ms` lets the caller measure time to acknowledge.
    Acked {
        at_ms: i64,
        created_ms: i64,
    },
    AlreadyAcked {
        at_ms: i64,
        by: Option<String>,
    },
    /// Too late: it was escalated at `at_ms` (`aws_arn` is `None` while StartIncident is still running).
    Escalated {
        at_ms: i64,
        aws_arn: Option<String>,
    },
    Resolved {
        at_ms: i64,
    },
    Missing,
}

/// `ack.lua`: `{result, state, time_ms, detail}`.
pub type AckReply = (String, String, String, String);

impl AckResult {
    pub(super) fn from_reply(
        (result, _state, time, detail): AckReply,
    ) -> Result<Self, UnexpectedReply> {
        let at_ms = millis(&time);
        Ok(match result.as_str() {
            "acked" => AckResult::Acked {
                at_ms,
                created_ms: millis(&detail),
            },
            "already_acked" => AckResult::AlreadyAcked {
                at_ms,
                by: optional(detail),
            },
            "escalated" => AckResult::Escalated {
                at_ms,
                aws_arn: optional(detail),
            },
            "resolved" => AckResult::Resolved { at_ms },
            "missing" => AckResult::Missing,
            other => return Err(unexpected("ack", other)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateDecision {
    /// Call StartIncident with this plan.
    Start {
        plan_arn: String,
        due_ms: i64,
    },
    /// Already escalated and recorded.
    Done {
        aws_arn: String,
    },
    SuppressedByAck {
        due_ms: i64,
    },
    SuppressedByResolve {
        due_ms: i64,
    },
    Missing,
}

/// `escalate_begin.lua`: `{decision, plan_arn, aws_arn, due_ms}`.
pub type EscalateReply = (String, String, String, String);

impl EscalateDecision {
    pub(super) fn from_reply(
        (decision, plan_arn, aws_arn, due): EscalateReply,
    ) -> Result<Self, UnexpectedReply> {
        let due_ms = millis(&due);
        Ok(match decision.as_str() {
            "start" => EscalateDecision::Start { plan_arn, due_ms },
            "done" => EscalateDecision::Done { aws_arn },
            "suppressed_ack" => EscalateDecision::SuppressedByAck { due_ms },
            "suppressed_resolve" => EscalateDecision::SuppressedByResolve { due_ms },
            "missing" => EscalateDecision::Missing,
            other => return Err(unexpected("escalate_begin", other)),
        })
    }
}

/// What StartIncident came to, for `escalate_finish.lua`.
#[derive(Debug, Clone)]
pub enum EscalationResult {
    Started { aws_arn: String },
    Failed { reason: String },
}

impl EscalationResult {
    /// The script's arguments: outcome and detail.
    pub(super) fn to_args(&self) -> (&'static str, &str) {
        match self {
            EscalationResult::Started { aws_arn } => ("started", aws_arn),
            EscalationResult::Failed { reason } => ("failed", reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(parts: [&str; 4]) -> (String, String, String, String) {
        let [a, b, c, d] = parts.map(String::from);
        (a, b, c, d)
    }

    #[test]
    fn every_ack_answer_reads_as_its_variant() {
        let read = |parts| AckResult::from_reply(reply(parts)).unwrap();
        assert_eq!(
            read(["acked", "acked", "20", "10"]),
            AckResult::Acked {
                at_ms: 20,
                created_ms: 10
            }
        );
        assert_eq!(
            read(["already_acked", "acked", "20", ""]),
            AckResult::AlreadyAcked {
                at_ms: 20,
                by: None
            }
        );
        assert_eq!(
            read(["escalated", "escalated", "30", "arn:x"]),
            AckResult::Escalated {
                at_ms: 30,
                aws_arn: Some("arn:x".into())
            }
        );
        assert_eq!(
            read(["resolved", "resolved", "40", ""]),
            AckResult::Resolved { at_ms: 40 }
        );
        assert_eq!(read(["missing", "", "0", ""]), AckResult::Missing);
        assert!(AckResult::from_reply(reply(["maybe", "", "", ""])).is_err());
    }

    #[test]
    fn every_escalate_answer_reads_as_its_variant() {
        let read = |parts| EscalateDecision::from_reply(reply(parts)).unwrap();
        assert_eq!(
            read(["start", "arn:plan", "", "5"]),
            EscalateDecision::Start {
                plan_arn: "arn:plan".into(),
                due_ms: 5
            }
        );
        assert_eq!(
            read(["done", "arn:plan", "arn:inc", "5"]),
            EscalateDecision::Done {
                aws_arn: "arn:inc".into()
            }
        );
        assert_eq!(
            read(["suppressed_ack", "", "", "5"]),
            EscalateDecision::SuppressedByAck { due_ms: 5 }
        );
        assert_eq!(
            read(["suppressed_resolve", "", "", "5"]),
            EscalateDecision::SuppressedByResolve { due_ms: 5 }
        );
        assert_eq!(read(["missing", "", "", "0"]), EscalateDecision::Missing);
        assert!(EscalateDecision::from_reply(reply(["page", "", "", ""])).is_err());
    }

    #[test]
    fn every_ingest_answer_reads_as_its_variant() {
        let read = |parts| IngestResult::from_reply(reply(parts)).unwrap().outcome;
        assert_eq!(read(["created", "i", "", ""]), IngestOutcome::Created);
        assert_eq!(
            read(["updated", "i", "pending", ""]),
            IngestOutcome::Updated
        );
        assert_eq!(
            read(["unchanged", "i", "pending", ""]),
            IngestOutcome::Unchanged
        );
        assert_eq!(
            read(["duplicate_request", "i", "", ""]),
            IngestOutcome::DuplicateRequest
        );
        assert_eq!(
            read(["resolved", "i", "acked", "1500"]),
            IngestOutcome::Resolved {
                previous: IncidentState::Acked,
                open_for: Duration::from_millis(1500)
            }
        );
        assert!(IngestResult::from_reply(reply(["resolved", "i", "gone", "1"])).is_err());
        assert!(IngestResult::from_reply(reply(["merged", "i", "", ""])).is_err());
    }
}

/// What marking an incident as noise (or taking the mark back) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseResult {
    Marked,
    AlreadyMarked,
    Unmarked,
    NotMarked,
    /// No summary: an incident from before reports, or past `reports.retention_days`.
    Missing,
}

impl NoiseResult {
    pub(super) fn from_reply((result,): (String,)) -> Result<Self, UnexpectedReply> {
        Ok(match result.as_str() {
            "marked" => NoiseResult::Marked,
            "already_marked" => NoiseResult::AlreadyMarked,
            "unmarked" => NoiseResult::Unmarked,
            "not_marked" => NoiseResult::NotMarked,
            "missing" => NoiseResult::Missing,
            other => return Err(unexpected("noise", other)),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NoiseResult::Marked => "marked",
            NoiseResult::AlreadyMarked => "already_marked",
            NoiseResult::Unmarked => "unmarked",
            NoiseResult::NotMarked => "not_marked",
            NoiseResult::Missing => "missing",
        }
    }

    /// Whether the incident is marked after the call (`None` when it has no summary).
    pub fn is_noise(self) -> Option<bool> {
        match self {
            NoiseResult::Marked | NoiseResult::AlreadyMarked => Some(true),
            NoiseResult::Unmarked | NoiseResult::NotMarked => Some(false),
            NoiseResult::Missing => None,
        }
    }
}
