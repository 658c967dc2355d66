//! `slack_update`: bring the incident's Slack message up to date after a state change, and say in the
//! channel what needs a person's attention (a failed page, a change in the alert group).

use super::load;
use crate::deps::SharedDeps;
use crate::slack::{notices, to_message_content, Placement, SlackClient, SlackError};
use apalis::prelude::Data;
use tracing::Instrument;
use versus_shared::domain::incident::{Incident, SlackMessageRef};
use versus_shared::domain::jobs::{SlackUpdateJob, SlackUpdateReason};
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    job: SlackUpdateJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span = tracing::info_span!("slack_update", incident_id = %job.incident_id, reason = %job.reason, attempt = meta.attempt);
    run(&job, &meta, &deps).instrument(span).await
}

async fn run(job: &SlackUpdateJob, meta: &JobMeta, deps: &SharedDeps) -> Result<(), JobError> {
    let Some(incident) = load(&deps.incidents, &job.incident_id).await? else {
        return Ok(());
    };
    let Some(slack) = &deps.slack else {
        tracing::info!(state = %incident.state, title = %incident.title, "incident changed (Slack is not configured, so it is logged here)");
        return Ok(());
    };
    let page_failed = job.reason == SlackUpdateReason::PageFailed;
    let Some(SlackMessageRef { channel, ts }) = &incident.slack_message else {
        if page_failed && meta.is_last_attempt() {
            // The incident's message never got posted: say it in the channel on its own rather than not at all.
            return say_page_failed(slack, &incident, None).await;
        }
        // The notify job has not posted yet; it will post the current state. Retry in case it is racing us.
        return Err(JobError::retry(
            "the incident's Slack message is not posted yet",
        ));
    };
    let message = deps.composer.compose(&incident);
    let updated = slack
        .update(channel, ts, to_message_content(&message))
        .await
        .map_err(|e| fail(e, "update"));
    if page_failed {
        // Said in the channel, not only in the edited message, so that someone notices. Only once the update is
        // done (a retried update must not say it twice), or can never be done (say it all the same).
        if matches!(&updated, Err(error) if error.is_retryable()) {
            return updated;
        }
        say_page_failed(slack, &incident, Some(ts)).await?;
    }
    updated?;
    if job.reason == SlackUpdateReason::AlertsChanged {
        let note =
            notices::group_change(&incident.previous_payload_json(), &incident.payload_json());
        slack
            .post(
                Some(channel.as_str()).filter(|c| !c.is_empty()),
                note,
                Placement::Thread(ts),
            )
            .await
            .map_err(|e| fail(e, "thread_reply"))?;
    }
    metrics::counter!("versus_notifications_sent_total", "channel" => "slack_update").increment(1);
    tracing::info!(state = %incident.state, "Slack message updated");
    Ok(())
}

/// The warning of a failed page: a reply in the incident's thread, broadcast to the channel, or a message of
/// its own when the incident has none.
async fn say_page_failed(
    slack: &SlackClient,
    incident: &Incident,
    thread_ts: Option<&str>,
) -> Result<(), JobError> {
    let placement = thread_ts.map_or(Placement::Channel, Placement::ThreadAndChannel);
    // The incident's own channel: where its message is, or the one its request named.
    let channel = incident
        .slack_message
        .as_ref()
        .map(|message| message.channel.as_str())
        .filter(|channel| !channel.is_empty())
        .or(incident.requested_channel.as_deref());
    slack
        .post(channel, notices::page_failed(incident), placement)
        .await
        .map(|_| ())
        .map_err(|e| fail(e, "page_failed"))
}

fn fail(error: SlackError, what: &'static str) -> JobError {
    metrics::counter!("versus_notifications_failed_total", "channel" => "slack_update", "reason" => error.reason()).increment(1);
    tracing::warn!(%error, what, "Slack update failed");
    error.into()
}
