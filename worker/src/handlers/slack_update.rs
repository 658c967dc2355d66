//! `slack_update`: bring the incident's Slack message up to date after a state change, and say in the
//! channel what needs a person's attention (a failed page, a change in the alert group).

use super::load;
use crate::deps::SharedDeps;
use crate::slack::message_body;
use apalis::prelude::Data;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tracing::Instrument;
use versus_shared::domain::alert::{truncate_chars, AlertView};
use versus_shared::domain::incident::Incident;
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
    let Some(posted) = &incident.slack_message else {
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
        .update(&posted.channel, &posted.ts, message_body(&message))
        .await
        .map_err(|e| fail(e, "update"));
    if page_failed {
        // Said in the channel, not only in the edited message, so that someone notices. Only once the update is
        // done (a retried update must not say it twice), or can never be done (say it all the same).
        if matches!(&updated, Err(error) if error.is_retryable()) {
            return updated;
        }
        say_page_failed(slack, &incident, Some(&posted.ts)).await?;
    }
    updated?;
    if job.reason == SlackUpdateReason::AlertsChanged {
        let text = group_change_text(&incident.previous_payload_json(), &incident.payload_json());
        let body = json!({ "text": text, "thread_ts": posted.ts });
        slack
            .post(body)
            .await
            .map_err(|e| fail(e, "thread_reply"))?;
    }
    metrics::counter!("versus_notifications_sent_total", "channel" => "slack_update").increment(1);
    tracing::info!(state = %incident.state, "Slack message updated");
    Ok(())
}

/// At most this many alerts are named in a thread reply; the rest are counted.
const NAMED_ALERTS: usize = 5;

/// The thread reply when an alert group changes: how many alerts fire now, and which started or stopped firing
/// since the previous payload (`Null` when unknown, and then only the count is said).
fn group_change_text(before: &Value, after: &Value) -> String {
    let now = firing_alerts(after);
    let mut text = format!(
        ":arrows_counterclockwise: The alert group changed: {} alert(s) firing now ({}).",
        now.len(),
        escape(&AlertView::new(after).title(150))
    );
    if before.is_null() {
        return text;
    }
    let was = firing_alerts(before);
    let started: Vec<&String> = now
        .iter()
        .filter(|(id, _)| !was.contains_key(*id))
        .map(|(_, name)| name)
        .collect();
    let stopped: Vec<&String> = was
        .iter()
        .filter(|(id, _)| !now.contains_key(*id))
        .map(|(_, name)| name)
        .collect();
    for (label, names) in [("Started firing", started), ("Stopped firing", stopped)] {
        if names.is_empty() {
            continue;
        }
        let mut list: Vec<String> = names.iter().take(NAMED_ALERTS).map(|n| escape(n)).collect();
        if names.len() > NAMED_ALERTS {
            list.push(format!("{} more", names.len() - NAMED_ALERTS));
        }
        text.push_str(&format!(" {label}: {}.", list.join("; ")));
    }
    text
}

/// The firing alerts of a payload by identity (fingerprint, else labels, as the alert signature counts them),
/// each with a short name for people: the labels that set it apart from the group's common labels.
fn firing_alerts(payload: &Value) -> BTreeMap<String, String> {
    let common = payload["commonLabels"].as_object();
    payload["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|alert| alert["status"] != "resolved")
        .map(|alert| {
            let id = match alert["fingerprint"].as_str().map(str::trim) {
                Some(fp) if !fp.is_empty() => fp.to_string(),
                _ => alert["labels"].to_string(),
            };
            let own: Vec<String> = alert["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(key, value)| common.and_then(|c| c.get(*key)) != Some(*value))
                .map(|(key, value)| match value.as_str() {
                    Some(text) => format!("{key}={text}"),
                    None => format!("{key}={value}"),
                })
                .collect();
            let name = if own.is_empty() {
                alert["labels"]["alertname"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| id.clone())
            } else {
                own.join(", ")
            };
            (id, truncate_chars(&name, 80))
        })
        .collect()
}

/// Slack's three control characters in message text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The channel message of a failed page: a reply in the incident's thread, broadcast to the channel.
async fn say_page_failed(
    slack: &crate::slack::SlackClient,
    incident: &Incident,
    thread_ts: Option<&str>,
) -> Result<(), JobError> {
    let text = format!(
        ":warning: *Paging on-call FAILED* for {}: {}. Nobody has been paged; please handle this incident by hand.",
        incident.title,
        incident.page_failed.as_deref().unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn group(alerts: &[(&str, &str, &str)]) -> Value {
        json!({
            "groupKey": "{}:{alertname=\"HighErrorRate\"}",
            "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
            "alerts": alerts.iter().map(|(fp, instance, status)| json!({
                "status": status, "fingerprint": fp,
                "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": instance},
            })).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn names_the_alerts_that_started_and_stopped_firing() {
        let before = group(&[("a", "pod-a", "firing"), ("b", "pod-b", "firing")]);
        let after = group(&[
            ("a", "pod-a", "resolved"),
            ("b", "pod-b", "firing"),
            ("c", "pod-<c>", "firing"),
        ]);
        let text = group_change_text(&before, &after);
        assert!(text.contains("2 alert(s) firing now"), "{text}");
        assert!(
            text.ends_with(
                "Started firing: instance=pod-&lt;c&gt;. Stopped firing: instance=pod-a."
            ),
            "{text}"
        );
    }

    #[test]
    fn without_a_previous_payload_only_the_count_is_said_and_long_lists_are_cut() {
        let many: Vec<(String, String)> = (0..8)
            .map(|i| (format!("fp{i}"), format!("pod-{i}")))
            .collect();
        let alerts: Vec<(&str, &str, &str)> = many
            .iter()
            .map(|(f, p)| (f.as_str(), p.as_str(), "firing"))
            .collect();
        let after = group(&alerts);
        let text = group_change_text(&Value::Null, &after);
        assert!(
            text.contains("8 alert(s) firing now") && !text.contains("Started"),
            "{text}"
        );
        let text = group_change_text(&group(&[]), &after);
        assert!(text.contains("instance=pod-4; 3 more."), "{text}");
    }
}
