//! `heartbeat_check`: at a heartbeat's deadline, open its incident if no beat came, or re-arm for the new
//! deadline. Opening is one atomic script that records the outage it opened for, so a rerun after a crash
//! or a second worker never opens a second incident for the same silence.

use super::now_ms;
use crate::deps::SharedDeps;
use apalis::prelude::Data;
use tracing::Instrument;
use versus_shared::domain::heartbeat::{CheckOutcome, CheckPlan};
use versus_shared::domain::jobs::HeartbeatCheckJob;
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    job: HeartbeatCheckJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span =
        tracing::info_span!("heartbeat_check", heartbeat = %job.heartbeat, attempt = meta.attempt);
    run(&job, &meta, &deps).instrument(span).await
}

async fn run(job: &HeartbeatCheckJob, meta: &JobMeta, deps: &SharedDeps) -> Result<(), JobError> {
    let settings = &deps.settings;
    let Some(heartbeat) = settings.heartbeat(&job.heartbeat) else {
        let dropped = deps
            .heartbeats
            .forget(&job.heartbeat, &meta.id)
            .await
            .map_err(|e| JobError::retry_because("cannot drop the removed heartbeat's state", e))?;
        tracing::info!(
            state_dropped = dropped,
            "this heartbeat is no longer configured; its checks stop here"
        );
        return Ok(());
    };
    let plan = CheckPlan {
        interval: heartbeat.interval(),
        page: heartbeat
            .page_wait(&settings.oncall)
            .map(|wait| (wait, heartbeat.plan_arn(&settings.oncall).to_string())),
        slack_channel: heartbeat.slack_channel_id.clone(),
    };
    let outcome = deps
        .heartbeats
        .check(&heartbeat.name, &meta.id, &plan)
        .await
        .map_err(|e| JobError::retry_because("cannot check the heartbeat", e))?;
    match outcome {
        CheckOutcome::Healthy { deadline_ms, .. } => {
            tracing::debug!(
                deadline_ms,
                "beaten in time; checking again at the deadline"
            )
        }
        CheckOutcome::Opened {
            incident_id,
            since_ms,
            deadline_ms,
        } => {
            metrics::counter!("versus_heartbeat_missed_total", "name" => heartbeat.name.clone())
                .increment(1);
            let late_s = (now_ms() - deadline_ms).max(0) as f64 / 1000.0;
            tracing::warn!(%incident_id, since_ms, late_s, paged = plan.page.is_some(), "heartbeat missed: incident opened");
        }
        CheckOutcome::AlreadyOpen { incident_id } => {
            tracing::info!(%incident_id, "still silent; this outage's incident is already open")
        }
        CheckOutcome::Superseded => {
            tracing::debug!("another check of this heartbeat is pending; this one ends")
        }
    }
    Ok(())
}
