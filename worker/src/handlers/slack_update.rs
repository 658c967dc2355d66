//! `slack_update`: bring the incident's Slack message up to date after a state change, and say in the
//! channel what needs a person's attention (a failed page, a change in the alert group).

use super::load;
use crate::deps::SharedDeps;
use crate::slack::message_body;
use apalis::prelude::Data;
use serde_json::json;
use tracing::Instrument;
use versus_shared::alert::AlertView;
use versus_shared::incident::Incident;
use versus_shared::jobs::SlackUpdateJob;
use versus_shared::queue::{JobError, JobMeta};

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
    let page_failed = job.reason == "page_failed";
    if incident.slack_ts.is_empty() {
        if page_failed && meta.is_last_attempt() {
            // The incident's message never got posted: say it in the channel on its own rather than not at all.
            return say_page_failed(slack, &incident, None).await;
        }
        // The notify job has not posted yet; it will post the current state. Retry in case it is racing us.
        return Err(JobError::retry(
            "the incident's Slack message is not posted yet",
        ));
    }
    let message = deps.composer.compose(&incident);
    let updated = slack
        .update(
            &incident.slack_channel,
            &incident.slack_ts,
            message_body(&message),
        )
        .await
        .map_err(|e| fail(e, "update"));
    if page_failed {
        // Said in the channel, not only in the edited message, so that someone notices. Only once the update is
        // done (a retried update must not say it twice), or can never be done (say it all the same).
        if let Err(error @ (JobError::Retry(_) | JobError::RetryAfter { .. })) = updated {
            return Err(error);
        }
        say_page_failed(slack, &incident, Some(&incident.slack_ts)).await?;
    }
    updated?;
    if job.reason == "alerts_changed" {
        let payload = incident.payload_json();
        let firing = payload["alerts"]
            .as_array()
            .map(|alerts| alerts.iter().filter(|a| a["status"] != "resolved").count())
            .unwrap_or(0);
        let text = format!(
            ":arrows_counterclockwise: The alert group changed: {firing} alert(s) firing now ({}).",
            AlertView::new(&payload).title(150)
        );
        let body = json!({ "text": text, "thread_ts": incident.slack_ts });
        slack
            .post(body)
            .await
            .map_err(|e| fail(e, "thread_reply"))?;
    }
    metrics::counter!("versus_notifications_sent_total", "channel" => "slack_update").increment(1);
    tracing::info!(state = %incident.state, "Slack message updated");
    Ok(())
}

/// The channel message of a failed page: a reply in the incident's thread, broadcast to the channel.
async fn say_page_failed(
    slack: &crate::slack::SlackClient,
    incident: &Incident,
    thread_ts: Option<&str>,
) -> Result<(), JobError> {
    let text = format!(
        ":warning: *Paging on-call FAILED* for {}: {}. Nobody has been paged; please handle this incident by hand.",
        incident.title, incident.page_failed
    );
    let mut body = json!({ "text": text });
    if let Some(ts) = thread_ts {
        body["thread_ts"] = json!(ts);
        body["reply_broadcast"] = json!(true);
    }
    slack
        .post(body)
        .await
        .map(|_| ())
        .map_err(|e| fail(e, "page_failed"))
}

fn fail(error: crate::slack::SlackError, what: &'static str) -> JobError {
    metrics::counter!("versus_notifications_failed_total", "channel" => "slack_update", "reason" => error.reason()).increment(1);
    tracing::warn!(%error, what, "Slack update failed");
    error.into()
}
