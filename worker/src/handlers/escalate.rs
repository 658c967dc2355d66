//! `escalate`: page on-call through AWS Incident Manager, exactly once, unless the incident was
//! acknowledged or resolved first. The claim (`pending -> escalated`) is atomic, and StartIncident's
//! `clientToken` is derived from the incident id, so a retried job can never open a second AWS incident.

use super::{load, now_ms};
use crate::aws::{AwsError, StartIncident};
use crate::deps::SharedDeps;
use apalis::prelude::Data;
use tracing::Instrument;
use versus_shared::domain::incident::{EscalateDecision, EscalationResult, Incident};
use versus_shared::domain::jobs::EscalateJob;
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    job: EscalateJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span =
        tracing::info_span!("escalate", incident_id = %job.incident_id, attempt = meta.attempt);
    run(&job, &meta, &deps).instrument(span).await
}

/// The idempotency token of an incident's page.
pub fn client_token(incident_id: &str) -> String {
    format!("versus-{incident_id}")
}

async fn run(job: &EscalateJob, meta: &JobMeta, deps: &SharedDeps) -> Result<(), JobError> {
    let decision = deps
        .incidents
        .escalate_begin(&job.incident_id)
        .await
        .map_err(|e| JobError::retry_because("cannot claim the escalation", e))?;
    let plan_arn = match decision {
        EscalateDecision::Start { plan_arn, .. } => plan_arn,
        EscalateDecision::Done { aws_arn } => {
            tracing::info!(%aws_arn, "already escalated and recorded");
            return Ok(());
        }
        EscalateDecision::SuppressedByAck { .. } => {
            metrics::counter!("versus_escalations_total", "outcome" => "suppressed_ack")
                .increment(1);
            tracing::info!("acknowledged before the wait ran out; not paging");
            return Ok(());
        }
        EscalateDecision::SuppressedByResolve { .. } => {
            metrics::counter!("versus_escalations_total", "outcome" => "suppressed_resolve")
                .increment(1);
            tracing::info!("resolved before the wait ran out; not paging");
            return Ok(());
        }
        EscalateDecision::Missing => {
            tracing::warn!("incident no longer exists; nothing to escalate");
            return Ok(());
        }
    };
    let Some(incident) = load(&deps.incidents, &job.incident_id).await? else {
        return Ok(());
    };
    let Some(aws) = &deps.aws else {
        let reason = "on-call is not set up on this worker (oncall.enable / initialized_only and a response plan)".to_string();
        return fail(deps, &incident, reason).await;
    };
    let page = StartIncident {
        response_plan_arn: plan_arn,
        title: incident.title.clone(),
        impact: impact(deps, &incident.severity),
        client_token: client_token(&incident.id),
        raw_data: incident.payload.clone(),
        detected_ms: incident.created_ms,
    };
    let lateness = incident
        .due_ms
        .map(|due| (now_ms() - due).max(0) as f64 / 1000.0);
    match aws.start_incident(&page).await {
        Ok(aws_arn) => {
            if let Some(lateness) = lateness {
                metrics::histogram!("versus_escalation_lateness_seconds").record(lateness);
            }
            metrics::counter!("versus_escalations_total", "outcome" => "started").increment(1);
            tracing::info!(%aws_arn, plan = %page.response_plan_arn, lateness_s = lateness, "paged on-call: AWS incident started");
            deps.incidents
                .escalate_finish(&incident.id, &EscalationResult::Started { aws_arn })
                .await
                .map_err(|e| {
                    JobError::retry_because("paged, but could not record the AWS incident yet", e)
                })?;
            Ok(())
        }
        Err(error) => {
            metrics::counter!("versus_aws_api_errors_total", "operation" => "start_incident", "code" => error.metric_code()).increment(1);
            match &error {
                AwsError::Permanent { .. } => fail(deps, &incident, error.to_string()).await,
                AwsError::Transient { .. } if meta.is_last_attempt() => {
                    fail(
                        deps,
                        &incident,
                        format!("gave up after {} attempts: {error}", meta.attempt),
                    )
                    .await
                }
                AwsError::Transient { .. } => {
                    tracing::warn!(%error, "StartIncident failed; will retry");
                    Err(error.into())
                }
            }
        }
    }
}

/// A page that could not be sent never fails silently: error log, Slack message, dead letter.
async fn fail(deps: &SharedDeps, incident: &Incident, reason: String) -> Result<(), JobError> {
    metrics::counter!("versus_escalations_total", "outcome" => "failed").increment(1);
    tracing::error!(%reason, "PAGING FAILED: on-call was not paged");
    deps.incidents
        .escalate_finish(
            &incident.id,
            &EscalationResult::Failed {
                reason: reason.clone(),
            },
        )
        .await
        .map_err(|e| JobError::retry_because("paging failed and could not be recorded yet", e))?;
    Err(JobError::permanent(format!("paging failed: {reason}")))
}

fn impact(deps: &SharedDeps, severity: &str) -> i32 {
    let aws = &deps.settings.oncall.aws_incident_manager;
    aws.impact
        .get(severity)
        .copied()
        .unwrap_or(aws.default_impact)
}
