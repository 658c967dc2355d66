//! Turning a webhook into incidents to store.

pub mod body;
pub mod query;

use body::IncidentPayload;
use query::IngestOptions;
use std::time::Duration;
use versus_shared::domain::alert::{hex_digest, hex_digest_of, AlertView};
use versus_shared::domain::incident::{NewIncident, OncallPlan};
use versus_shared::infra::queue::new_job_id;

/// How long a delivered request is remembered, so that a sender's retry of the same POST is recognised.
/// Alertmanager retries a failed notification until its next `group_interval` (5 min by default); past
/// this window an identical free-form body is a new alert again, as a sender repeating it would expect.
pub const REQUEST_MEMORY: Duration = Duration::from_secs(600);

/// StartIncident's title limit.
pub const TITLE_MAX: usize = 200;

/// Builds the incident of one payload. `request_scope` distinguishes requests (query string and position
/// in the array), so identical objects in one array stay separate incidents while a retried POST does not.
pub fn new_incident(
    payload: IncidentPayload,
    options: &IngestOptions,
    request_scope: &str,
    resolve_aws: bool,
) -> NewIncident {
    let view = AlertView::new(&payload.value);
    let dedup_key = view
        .group_identity()
        .map(|identity| format!("am:{}", hex_digest(identity.as_bytes())))
        .or_else(|| {
            options
                .dedup_key
                .as_ref()
                .map(|key| format!("key:{}", hex_digest(key.as_bytes())))
        });
    let request_key = hex_digest_of(&[request_scope.as_bytes(), b"\n", payload.text.as_bytes()]);
    NewIncident {
        id: new_job_id(),
        request_key: Some(request_key),
        request_ttl: REQUEST_MEMORY,
        dedup_key,
        resolved: view.is_resolved(),
        oncall: options.oncall.as_ref().map(|(plan_arn, wait)| OncallPlan {
            wait: *wait,
            plan_arn: plan_arn.clone(),
        }),
        source: view.source(),
        severity: view.severity().unwrap_or_default(),
        title: view.title(TITLE_MAX),
        alert_signature: view.alert_signature(),
        occurrences: view.alert_occurrences(),
        resolve_aws,
        slack_channel: options.slack_channel.clone(),
        payload: payload.text,
    }
}
