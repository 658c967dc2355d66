//! The job kinds Versus runs. Jobs carry only the incident id: the worker reads the incident record, so a
//! payload is stored once and a job always acts on the incident's latest state.

use crate::infra::queue::Job;
use serde::{Deserialize, Serialize};

/// Post the incident's Slack message (or log it when Slack is off).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotifyJob {
    pub incident_id: String,
}

impl Job for NotifyJob {
    const QUEUE: &'static str = "notify";

    fn incident_id(&self) -> Option<&str> {
        Some(&self.incident_id)
    }
}

/// Page on-call unless the incident was acknowledged or resolved first. Due at receipt + wait.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EscalateJob {
    pub incident_id: String,
}

impl Job for EscalateJob {
    const QUEUE: &'static str = "escalate";

    fn incident_id(&self) -> Option<&str> {
        Some(&self.incident_id)
    }
}

/// Bring the incident's Slack message up to date after a state change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SlackUpdateJob {
    pub incident_id: String,
    /// What changed: `acked`, `escalated`, `page_failed`, `resolved`, `alerts_changed`.
    pub reason: String,
}

impl Job for SlackUpdateJob {
    const QUEUE: &'static str = "slack_update";

    fn incident_id(&self) -> Option<&str> {
        Some(&self.incident_id)
    }
}

/// Resolve the AWS incident of an escalated incident whose alert resolved (`resolve_incident: true`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AwsResolveJob {
    pub incident_id: String,
}

impl Job for AwsResolveJob {
    const QUEUE: &'static str = "aws_resolve";

    fn incident_id(&self) -> Option<&str> {
        Some(&self.incident_id)
    }
}
