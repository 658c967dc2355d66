//! `notify`: post the incident's Slack message once (or print it to the log when Slack is off).

use super::{load, now_ms};
use crate::deps::SharedDeps;
use crate::slack::{to_message_content, Placement};
use apalis::prelude::Data;
use std::time::Duration;
use tracing::Instrument;
use versus_shared::domain::jobs::NotifyJob;
use versus_shared::infra::backoff::{retry_within, Backoff};
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    job: NotifyJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span =
        tracing::info_span!("notify", incident_id = %job.incident_id, attempt = meta.attempt);
    run(&job, &deps).instrument(span).await
}

async fn run(job: &NotifyJob, deps: &SharedDeps) -> Result<(), JobError> {
    let Some(incident) = load(&deps.incidents, &job.incident_id).await? else {
        tracing::warn!("incident no longer exists; nothing to notify");
        return Ok(());
    };
    if let Some(message) = &incident.slack_message {
        tracing::info!(ts = %message.ts, "already posted (a retried job); not posting again");
        return Ok(());
    }
    let Some(slack) = &deps.slack else {
        let text = deps.composer.render_text(&incident);
        metrics::counter!("versus_notifications_sent_total", "channel" => "log").increment(1);
        tracing::info!(title = %incident.title, ack_url = deps.composer.ack_url(&incident).unwrap_or_default(), text = %text, "notification (Slack is not configured, so it is logged here)");
        return Ok(());
    };
    let message = deps.composer.compose(&incident);
    let posted = match slack
        .post(
            incident.requested_channel.as_deref(),
            to_message_content(&message),
            Placement::Channel,
        )
        .await
    {
        Ok(posted) => posted,
        Err(error) => {
            metrics::counter!("versus_notifications_failed_total", "channel" => "slack", "reason" => error.reason()).increment(1);
            return Err(error.into());
        }
    };
    metrics::counter!("versus_notifications_sent_total", "channel" => "slack").increment(1);
    metrics::histogram!("versus_notify_latency_seconds")
        .record((now_ms() - incident.created_ms).max(0) as f64 / 1000.0);
    // Record the message before the job finishes: only a crash between the post and this line can repeat it.
    match record_post(deps, &incident.id, &posted).await {
        Ok(kept) if kept != posted.ts => {
            tracing::warn!(kept = %kept, duplicate = %posted.ts, "another run posted this incident first; this post is a duplicate")
        }
        Ok(_) => tracing::info!(ts = %posted.ts, channel = %posted.channel, "posted to Slack"),
        Err(error) => {
            // Posted but not recorded: retrying would post twice, so keep going and let updates find no ts.
            tracing::error!(%error, ts = %posted.ts, "posted to Slack but could not record the message; later updates of it may be lost")
        }
    }
    Ok(())
}

/// Records the posted message, riding out a short Redis outage: failing here would make a retry post twice.
async fn record_post(
    deps: &SharedDeps,
    incident_id: &str,
    posted: &crate::slack::Posted,
) -> Result<String, versus_shared::domain::incident::StoreError> {
    retry_within(
        Duration::from_secs(10),
        Backoff::new(Duration::from_millis(100), Duration::from_secs(2)),
        || {
            deps.incidents
                .slack_posted(incident_id, &posted.channel, &posted.ts)
        },
        |error, _| tracing::warn!(%error, "cannot record the posted message yet; retrying"),
    )
    .await
}
