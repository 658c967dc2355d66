//! Turning a webhook into incidents to store.

pub mod body;
pub mod budget;
pub mod count;
pub mod offload;
pub mod parameters;
pub mod query;
pub mod read;

use crate::error::ApiError;
use body::IncidentPayload;
use query::IngestOptions;
use std::time::Duration;
use versus_shared::domain::alert::{hex_digest, hex_digest_of, AlertView};
use versus_shared::domain::incident::{NewIncident, OncallPlan};
use versus_shared::domain::report::{report_label, ReportLabels};
use versus_shared::infra::queue::new_job_id;

/// How long a delivered request is remembered, so that a sender's retry of the same POST is recognised.
/// Alertmanager retries a failed notification until its next `group_interval` (5 min by default); past
/// this window an identical free-form body is a new alert again, as a sender repeating it would expect.
pub const REQUEST_MEMORY: Duration = Duration::from_secs(600);

/// StartIncident's title limit.
pub const TITLE_MAX: usize = 200;

/// The incidents of one request body, and whether the body was an array (answered with an array).
pub fn incidents_of(
    body: impl Into<Vec<u8>>,
    options: &IngestOptions,
    query_string: &str,
    resolve_aws: bool,
) -> Result<(Vec<NewIncident>, bool), ApiError> {
    let body: Vec<u8> = body.into();
    let starts_as_array = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let payloads = body::parse(body)?;
    let is_array = payloads.len() > 1 || starts_as_array;
    let incidents = payloads
        .into_iter()
        .enumerate()
        .map(|(index, payload)| {
            new_incident(
                payload,
                options,
                &format!("{query_string}#{index}"),
                resolve_aws,
            )
        })
        .collect();
    Ok((incidents, is_array))
}

/// Builds the incident of one payload. `request_scope` distinguishes requests (query string and position
/// in the array), so identical objects in one array stay separate incidents while a retried POST does not.
pub fn new_incident(
    payload: IncidentPayload,
    options: &IngestOptions,
    request_scope: &str,
    resolve_aws: bool,
) -> NewIncident {
    let view = AlertView::new(&payload.value);
    let group_key = |identity: String| format!("am:{}", hex_digest(identity.as_bytes()));
    let dedup_key = view.group_identity().map(group_key).or_else(|| {
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
        legacy_dedup_key: view.legacy_group_identity().map(group_key),
        resolved: view.is_resolved(),
        oncall: options.oncall.as_ref().map(|(plan_arn, wait)| OncallPlan {
            wait: *wait,
            plan_arn: plan_arn.clone(),
        }),
        source: view.source(),
        severity: report_label(&view.severity().unwrap_or_default()),
        title: view.title(TITLE_MAX),
        alert_signature: view.alert_signature(),
        occurrences: view.alert_occurrences(),
        resolve_aws,
        slack_channel: options.slack_channel.clone(),
        payload: payload.text,
        unknown_parameters: options.unknown_parameters.clone(),
        report: ReportLabels::of(&view),
    }
}
