//! After a stream across a failover: was every accepted alert posted to Slack and paged exactly once,
//! how long did ingest stand still, and how late was the worst escalation.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use super::alert_stream::StreamResult;
use crate::fake_slack::FakeSlack;
use crate::fake_ssm::FakeSsm;

/// The figures of the summary line.
#[derive(Debug, Default)]
pub struct FailoverSummary {
    pub accepted: usize,
    /// Accepted alerts without a Slack post or without a page.
    pub lost: usize,
    /// Alerts paged more than once (two AWS incidents for one alert).
    pub duplicate_pages: usize,
    /// Extra Slack posts of one alert (at-least-once delivery allows them; they are counted).
    pub duplicate_slack_posts: usize,
    pub seconds_without_ingest: f64,
    /// Worst time from an alert's due time to its StartIncident, in seconds.
    pub worst_lateness: f64,
    /// Pages whose StartIncident was repeated with the same clientToken but other parameters, which AWS may
    /// refuse as a conflict.
    pub inconsistent_repeats: usize,
    pub problems: Vec<String>,
}

impl FailoverSummary {
    pub fn line(&self, name: &str) -> String {
        format!(
            "redis_ha {name}: accepted={} lost={} duplicate_pages={} duplicate_slack_posts={} seconds_without_ingest={:.1} worst_escalation_lateness_s={:.1}",
            self.accepted,
            self.lost,
            self.duplicate_pages,
            self.duplicate_slack_posts,
            self.seconds_without_ingest,
            self.worst_lateness
        )
    }
}

/// Waits (up to `limit`) until every accepted alert has a Slack post and a page, waits `linger` more for
/// any duplicate to show, and counts.
pub async fn check(
    stream: &StreamResult,
    slack: &FakeSlack,
    ssm: &FakeSsm,
    wait: Duration,
    limit: Duration,
    linger: Duration,
) -> FailoverSummary {
    let started = Instant::now();
    while started.elapsed() < limit && !all_delivered(stream, slack, ssm) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(linger).await;

    let posts: Vec<String> = slack.posts().iter().map(|p| p.to_string()).collect();
    let mut pages: HashMap<String, Vec<SystemTime>> = HashMap::new();
    for started in ssm.started().into_iter().filter(|s| s.new_incident) {
        let id = started
            .client_token
            .trim_start_matches("versus-")
            .to_string();
        pages
            .entry(id)
            .or_default()
            .push(started.received_at_system);
    }
    let mut summary = FailoverSummary {
        accepted: stream.accepted.len(),
        seconds_without_ingest: stream.longest_gap().as_secs_f64(),
        ..FailoverSummary::default()
    };
    let mut paged_ids = 0;
    for alert in &stream.accepted {
        let posted = posts.iter().filter(|p| p.contains(&alert.marker)).count();
        let paged = pages.get(&alert.id).map(Vec::as_slice).unwrap_or_default();
        paged_ids += usize::from(!paged.is_empty());
        if posted == 0 || paged.is_empty() {
            summary.lost += 1;
            summary.problems.push(format!(
                "{} (incident {}): {posted} Slack posts, {} pages",
                alert.marker,
                alert.id,
                paged.len()
            ));
        }
        summary.duplicate_slack_posts += posted.saturating_sub(1);
        summary.duplicate_pages += usize::from(paged.len() > 1);
        if let Some(first) = paged.iter().min() {
            let due = alert.sent_at + wait;
            let late = first.duration_since(due).unwrap_or_default();
            summary.worst_lateness = summary.worst_lateness.max(late.as_secs_f64());
        }
    }
    for (token, page) in ssm.incidents_by_token() {
        if page.params_mismatch {
            summary.inconsistent_repeats += 1;
            summary.problems.push(format!(
                "{token}: StartIncident was repeated with the same clientToken but other parameters"
            ));
        }
    }
    // A page for an incident no sender was told about: a second incident made for one alert.
    let strangers = pages.len().saturating_sub(paged_ids);
    if strangers > 0 {
        summary.duplicate_pages += strangers;
        summary.problems.push(format!(
            "{strangers} page(s) for incidents no sender was answered with"
        ));
    }
    summary
}

fn all_delivered(stream: &StreamResult, slack: &FakeSlack, ssm: &FakeSsm) -> bool {
    let posts: Vec<String> = slack.posts().iter().map(|p| p.to_string()).collect();
    let tokens = ssm.incidents_by_token();
    stream.accepted.iter().all(|alert| {
        tokens.contains_key(&format!("versus-{}", alert.id))
            && posts.iter().any(|p| p.contains(&alert.marker))
    })
}
