//! One handler per job kind. Each reads the incident's current state first, so a retried or late job acts
//! on what is true now and never repeats an effect that was already recorded.

pub mod aws_resolve;
pub mod digest;
pub mod escalate;
pub mod heartbeat_check;
pub mod notify;
pub mod slack_update;

use versus_shared::domain::incident::{Incident, IncidentStore};
use versus_shared::infra::queue::JobError;

/// The incident, or None when it no longer exists (expired after the retention period).
pub async fn load(incidents: &IncidentStore, id: &str) -> Result<Option<Incident>, JobError> {
    incidents
        .get(id)
        .await
        .map_err(|e| JobError::retry_because(format!("cannot read incident {id}"), e))
}

/// Wall-clock milliseconds, for latency figures measured against Redis timestamps.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
