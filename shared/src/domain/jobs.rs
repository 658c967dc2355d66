//! The job kinds Versus runs, in one table: [`JobKind`] names each kind's queue, payload type and retry
//! policy, and the worker's wiring, the dead-letter tool, the config checks and the metrics iterate over it.
//!
//! Jobs carry only the incident id (and for a Slack update, what changed): the worker reads the incident
//! record, so a payload is stored once and a job always acts on the incident's latest state. The incident
//! scripts (`incident/lua/lib.lua`) write the same JSON; a test in the integration suite pins the two
//! together.

use crate::infra::config::{QueueSettings, RetryPolicySettings};
use crate::infra::queue::Job;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind of job, with the queue it lives in (`{prefix}queue:{name}:*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// [`NotifyJob`]: post the incident's Slack message.
    Notify,
    /// [`EscalateJob`]: page on-call when the wait runs out.
    Escalate,
    /// [`SlackUpdateJob`]: bring the Slack message up to date.
    SlackUpdate,
    /// [`AwsResolveJob`]: resolve the AWS incident of a resolved alert.
    AwsResolve,
    /// [`HeartbeatCheckJob`]: open an incident when a heartbeat's deadline passed without a beat.
    HeartbeatCheck,
    /// [`DigestJob`]: post the periodic on-call digest of the period that just ended.
    Digest,
}

impl JobKind {
    pub const ALL: [JobKind; 6] = [
        JobKind::Notify,
        JobKind::Escalate,
        JobKind::SlackUpdate,
        JobKind::AwsResolve,
        JobKind::HeartbeatCheck,
        JobKind::Digest,
    ];

    /// The queue's name, as keys, metrics labels, config keys and the dead-letter tool spell it.
    pub const fn queue(self) -> &'static str {
        match self {
            JobKind::Notify => "notify",
            JobKind::Escalate => "escalate",
            JobKind::SlackUpdate => "slack_update",
            JobKind::AwsResolve => "aws_resolve",
            JobKind::HeartbeatCheck => "heartbeat_check",
            JobKind::Digest => "digest",
        }
    }

    pub fn from_queue(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.queue() == name)
    }

    /// Attempts and backoff of this kind (`queue.{name}`). Without a `queue.aws_resolve` of its own,
    /// resolving an AWS incident retries as starting one does (`queue.escalate`, as tuned); a heartbeat
    /// check, which opens what escalates, retries as an escalation does too; the digest, a Slack post,
    /// retries as a notification does.
    pub fn retry_policy(self, queue: &QueueSettings) -> &RetryPolicySettings {
        match self {
            JobKind::Notify => &queue.notify,
            JobKind::Escalate => &queue.escalate,
            JobKind::SlackUpdate => &queue.slack_update,
            JobKind::AwsResolve => queue.aws_resolve.as_ref().unwrap_or(&queue.escalate),
            JobKind::HeartbeatCheck => &queue.escalate,
            JobKind::Digest => &queue.notify,
        }
    }

    /// The policy written under this kind's own key, if any (what the config checks look at).
    pub fn own_retry_policy(self, queue: &QueueSettings) -> Option<&RetryPolicySettings> {
        match self {
            JobKind::AwsResolve => queue.aws_resolve.as_ref(),
            JobKind::HeartbeatCheck | JobKind::Digest => None,
            other => Some(other.retry_policy(queue)),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.queue())
    }
}

/// A job payload of one of Versus's kinds.
pub trait KindOfJob: Job {
    const KIND: JobKind;
}

macro_rules! job_payload {
    ($payload:ty, $kind:expr) => {
        impl Job for $payload {
            const QUEUE: &'static str = $kind.queue();

            fn incident_id(&self) -> Option<&str> {
                Some(&self.incident_id)
            }
        }

        impl KindOfJob for $payload {
            const KIND: JobKind = $kind;
        }
    };
}

/// Post the incident's Slack message (or log it when Slack is off).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotifyJob {
    pub incident_id: String,
}
job_payload!(NotifyJob, JobKind::Notify);

/// Page on-call unless the incident was acknowledged or resolved first. Due at receipt + wait.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EscalateJob {
    pub incident_id: String,
}
job_payload!(EscalateJob, JobKind::Escalate);

/// Bring the incident's Slack message up to date after a state change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SlackUpdateJob {
    pub incident_id: String,
    pub reason: SlackUpdateReason,
}
job_payload!(SlackUpdateJob, JobKind::SlackUpdate);

/// What changed, so the update can say more than the edited message where a person must notice.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SlackUpdateReason {
    Acked,
    Escalated,
    /// Paging failed for good: also said in the channel.
    PageFailed,
    Resolved,
    /// The set of firing alerts changed: also said in the thread.
    AlertsChanged,
    /// A reason a later release writes: the message is brought up to date and nothing more is said, so
    /// that processes of this release keep working through a rolling upgrade.
    #[serde(other)]
    Other,
}

impl SlackUpdateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SlackUpdateReason::Acked => "acked",
            SlackUpdateReason::Escalated => "escalated",
            SlackUpdateReason::PageFailed => "page_failed",
            SlackUpdateReason::Resolved => "resolved",
            SlackUpdateReason::AlertsChanged => "alerts_changed",
            SlackUpdateReason::Other => "other",
        }
    }
}

impl fmt::Display for SlackUpdateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Resolve the AWS incident of an escalated incident whose alert resolved (`resolve_incident: true`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AwsResolveJob {
    pub incident_id: String,
}
job_payload!(AwsResolveJob, JobKind::AwsResolve);

/// Check a heartbeat: open its incident if its deadline passed without a beat, else re-arm for the deadline.
/// It carries the heartbeat's name only: its interval and paging come from the worker's configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HeartbeatCheckJob {
    pub heartbeat: String,
}

impl Job for HeartbeatCheckJob {
    const QUEUE: &'static str = JobKind::HeartbeatCheck.queue();
}

impl KindOfJob for HeartbeatCheckJob {
    const KIND: JobKind = JobKind::HeartbeatCheck;
}

/// Post the on-call digest of the latest period that ended. It carries nothing: the period comes from the
/// schedule in Redis (`domain::digest`) and the clock, so a late or repeated run still posts each period once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DigestJob {}

impl Job for DigestJob {
    const QUEUE: &'static str = JobKind::Digest.queue();
}

impl KindOfJob for DigestJob {
    const KIND: JobKind = JobKind::Digest;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_are_unique_and_read_back() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::from_queue(kind.queue()), Some(kind));
        }
        assert_eq!(JobKind::from_queue("page"), None);
        assert_eq!(NotifyJob::QUEUE, "notify");
        assert_eq!(AwsResolveJob::KIND, JobKind::AwsResolve);
        assert_eq!(HeartbeatCheckJob::QUEUE, "heartbeat_check");
        assert_eq!(DigestJob::QUEUE, "digest");
    }

    #[test]
    fn the_digest_job_reads_the_payload_its_script_writes() {
        let job: DigestJob = serde_json::from_str("{}").unwrap();
        assert_eq!(job, DigestJob {});
        assert_eq!(serde_json::to_string(&job).unwrap(), "{}");
    }

    #[test]
    fn slack_update_reasons_are_spelled_as_the_scripts_write_them() {
        for (reason, text) in [
            (SlackUpdateReason::Acked, "acked"),
            (SlackUpdateReason::Escalated, "escalated"),
            (SlackUpdateReason::PageFailed, "page_failed"),
            (SlackUpdateReason::Resolved, "resolved"),
            (SlackUpdateReason::AlertsChanged, "alerts_changed"),
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), text);
            assert_eq!(reason.as_str(), text);
        }
    }

    #[test]
    fn a_slack_update_of_a_reason_this_release_does_not_know_still_decodes() {
        let job: SlackUpdateJob =
            serde_json::from_str(r#"{"incident_id":"a1","reason":"noise_marked"}"#).unwrap();
        assert_eq!(job.reason, SlackUpdateReason::Other);
    }
}
