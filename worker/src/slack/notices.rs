//! What Versus says in the channel beside an incident's own message: that its alert group changed, and that
//! paging on-call failed.

use serde_json::Value;
use slack_morphism::prelude::SlackMessageContent;
use versus_shared::domain::alert::{truncate_chars, AlertView, FiringAlert, FiringChange};
use versus_shared::domain::incident::Incident;
use versus_shared::domain::mrkdwn;

/// At most this many alerts are named in a group-change note; the rest are counted.
const NAMED_ALERTS: usize = 5;
/// Bound on the name of one alert in a group-change note.
const ALERT_NAME_MAX: usize = 80;

/// The note when an alert group changes: how many alerts fire now, and which started or stopped firing since
/// the previous payload (`Null` when unknown, and then only the count is said).
pub fn group_change(before: &Value, after: &Value) -> SlackMessageContent {
    SlackMessageContent::new().with_text(group_change_text(before, after))
}

/// The warning that paging on-call failed for the incident, and why. The title comes from the alert and the
/// reason can quote AWS's answer, so both are escaped.
pub fn page_failed(incident: &Incident) -> SlackMessageContent {
    SlackMessageContent::new().with_text(page_failed_text(incident))
}

fn page_failed_text(incident: &Incident) -> String {
    format!(
        ":warning: *Paging on-call FAILED* for {}: {}. Nobody has been paged; please handle this incident by hand.",
        mrkdwn::escape(&incident.title),
        mrkdwn::escape(incident.page_failed.as_deref().unwrap_or_default())
    )
}

fn group_change_text(before: &Value, after: &Value) -> String {
    let now = AlertView::new(after);
    let before = (!before.is_null()).then(|| AlertView::new(before));
    let change = FiringChange::between(before, now);
    let mut text = format!(
        ":arrows_counterclockwise: The alert group changed: {} alert(s) firing now ({}).",
        change.firing.len(),
        mrkdwn::escape(&now.title(150))
    );
    for (label, alerts) in [
        ("Started firing", &change.started),
        ("Stopped firing", &change.stopped),
    ] {
        if alerts.is_empty() {
            continue;
        }
        let mut list: Vec<String> = alerts
            .iter()
            .take(NAMED_ALERTS)
            .map(|alert| mrkdwn::escape(&name_for_people(alert)))
            .collect();
        if alerts.len() > NAMED_ALERTS {
            list.push(format!("{} more", alerts.len() - NAMED_ALERTS));
        }
        text.push_str(&format!(" {label}: {}.", list.join("; ")));
    }
    text
}

/// A short name: the labels that set the alert apart in its group, else its alertname, else its identity.
fn name_for_people(alert: &FiringAlert) -> String {
    let own: Vec<String> = alert
        .own_labels()
        .map(|(key, value)| match value.as_str() {
            Some(text) => format!("{key}={text}"),
            None => format!("{key}={value}"),
        })
        .collect();
    let name = if own.is_empty() {
        alert
            .alertname()
            .map(str::to_string)
            .unwrap_or_else(|| alert.identity())
    } else {
        own.join(", ")
    };
    truncate_chars(&name, ALERT_NAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn the_page_failed_warning_escapes_the_title_and_the_reason() {
        let mut fields = std::collections::HashMap::new();
        for (name, value) in [
            ("id", "i1"),
            ("state", "escalated"),
            (
                "title",
                "<!channel> disk <https://evil.example|Click here to acknowledge>",
            ),
            ("page_failed", "AccessDenied: <@U123> & <!here>"),
        ] {
            fields.insert(name.to_string(), value.to_string());
        }
        let incident = Incident::from_hash(fields).unwrap();
        let text = page_failed_text(&incident);
        for forbidden in ["<!channel>", "<!here>", "<@U123>", "<https://evil.example"] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
        assert!(
            text.contains("for &lt;!channel&gt; disk &lt;https://evil.example|Click here to acknowledge&gt;: AccessDenied: &lt;@U123&gt; &amp; &lt;!here&gt;."),
            "{text}"
        );
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
