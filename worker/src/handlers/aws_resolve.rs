//! `aws_resolve`: resolve the AWS incident of an escalated incident whose alert resolved
//! (`oncall.aws_incident_manager.resolve_incident: true`).

use super::load;
use crate::deps::SharedDeps;
use apalis::prelude::Data;
use tracing::Instrument;
use versus_shared::domain::incident::IncidentState;
use versus_shared::domain::jobs::AwsResolveJob;
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    job: AwsResolveJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span =
        tracing::info_span!("aws_resolve", incident_id = %job.incident_id, attempt = meta.attempt);
    run(&job, &deps).instrument(span).await
}

async fn run(job: &AwsResolveJob, deps: &SharedDeps) -> Result<(), JobError> {
    let Some(incident) = load(&deps.incidents, &job.incident_id).await? else {
        return Ok(());
    };
    let Some(aws_arn) = &incident.aws_arn else {
        if incident.page_failed.is_none()
            && incident.resolved_from == Some(IncidentState::Escalated)
        {
            return Err(JobError::retry("the AWS incident is still being started"));
        }
        return Ok(());
    };
    let Some(aws) = &deps.aws else {
        return Err(JobError::permanent(
            "on-call is not set up on this worker; cannot resolve the AWS incident",
        ));
    };
    aws.resolve(aws_arn, &format!("versus-resolve-{}", incident.id))
        .await
        .inspect_err(|e| {
            metrics::counter!("versus_aws_api_errors_total", "operation" => "update_incident_record", "code" => e.metric_code()).increment(1);
            tracing::warn!(error = %e, "UpdateIncidentRecord failed");
        })?;
    tracing::info!(%aws_arn, "AWS incident resolved");
    Ok(())
}
