//! The essentials of an alert as mrkdwn, for when the message template fails, so that an alert is never dropped
//! for a template bug.

use super::text_fit::{ellipsize, units};
use serde_json::Value;
use versus_shared::domain::mrkdwn;

/// Bound on [`plain_fallback`]'s output.
pub const PLAIN_FALLBACK_MAX: usize = 3000;

/// The essentials of an alert as mrkdwn, for when the template fails: Alertmanager's alertname, severity,
/// status, instance, service, summary and description, or the top-level keys of free-form JSON. Values are
/// escaped (they cannot form Slack links or mentions) and the whole is at most [`PLAIN_FALLBACK_MAX`] characters.
pub fn plain_fallback(payload: &Value) -> String {
    const NOTE: &str = "_(the message template failed, so this shows the alert's essentials)_";
    let mut lines: Vec<String> = Vec::new();
    match payload {
        Value::Object(map)
            if map.get("alerts").is_some_and(Value::is_array)
                || map.contains_key("commonLabels") =>
        {
            alertmanager_lines(map, &mut lines)
        }
        Value::Object(map) => freeform_lines(map, &mut lines),
        other => lines.push(format!(
            "🔥 *Alert*: {}",
            mrkdwn::escape(&ellipsize(&scalar(other), 1500))
        )),
    }
    let budget = PLAIN_FALLBACK_MAX - units(NOTE) - 2;
    let mut out = String::new();
    for line in lines {
        let needed = units(&line) + 1;
        if units(&out) + needed > budget {
            let room = budget.saturating_sub(units(&out) + 1);
            if room > 20 {
                out.push_str(&ellipsize(&line, room));
                out.push('\n');
            }
            break;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(NOTE);
    out
}

fn alertmanager_lines(map: &serde_json::Map<String, Value>, lines: &mut Vec<String>) {
    let alerts: &[Value] = map
        .get("alerts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let label = |key: &str| -> Option<String> {
        ["commonLabels", "groupLabels"]
            .iter()
            .find_map(|group| map.get(*group).and_then(|g| g.get(key)).map(scalar))
            .or_else(|| {
                alerts
                    .first()
                    .and_then(|a| a.get("labels"))
                    .and_then(|l| l.get(key))
                    .map(scalar)
            })
            .filter(|v| !v.is_empty())
    };
    let status = map
        .get("status")
        .map(scalar)
        .unwrap_or_else(|| "unknown".into());
    let alertname = label("alertname").unwrap_or_else(|| "alert".into());
    let icon = if status == "resolved" { "✅" } else { "🔥" };
    lines.push(format!(
        "{icon} *[{}:{}] {}*",
        mrkdwn::escape(&status.to_uppercase()),
        alerts.len(),
        mrkdwn::escape(&ellipsize(&alertname, 200))
    ));
    lines.push(format!("*Status*: {}", mrkdwn::escape(&status)));
    for (title, key) in [
        ("Severity", "severity"),
        ("Instance", "instance"),
        ("Service", "service"),
    ] {
        if let Some(value) = label(key) {
            lines.push(format!(
                "*{title}*: {}",
                mrkdwn::escape(&ellipsize(&value, 300))
            ));
        }
    }
    let common_annotation = |key: &str| {
        map.get("commonAnnotations")
            .and_then(|a| a.get(key))
            .map(scalar)
    };
    if alerts.is_empty() {
        for (title, key) in [("Summary", "summary"), ("Description", "description")] {
            if let Some(value) = common_annotation(key) {
                lines.push(format!(
                    "*{title}*: {}",
                    mrkdwn::escape(&ellipsize(&value, 1000))
                ));
            }
        }
    }
    const SHOWN: usize = 10;
    for alert in alerts.iter().take(SHOWN) {
        let field = |group: &str, key: &str| alert.get(group).and_then(|g| g.get(key)).map(scalar);
        let mut parts = Vec::new();
        if let Some(instance) = field("labels", "instance") {
            parts.push(format!("`{}`", mrkdwn::escape(&ellipsize(&instance, 200))));
        }
        for key in ["summary", "description"] {
            if let Some(text) = field("annotations", key).filter(|t| !t.is_empty()) {
                parts.push(mrkdwn::escape(&ellipsize(&text, 500)));
            }
        }
        if parts.is_empty() {
            parts.push(mrkdwn::escape(&ellipsize(&scalar(alert), 500)));
        }
        lines.push(format!("• {}", parts.join(" — ")));
    }
    if alerts.len() > SHOWN {
        lines.push(format!("… and {} more alerts", alerts.len() - SHOWN));
    }
}

fn freeform_lines(map: &serde_json::Map<String, Value>, lines: &mut Vec<String>) {
    const FIRST: &[&str] = &[
        "alertname",
        "title",
        "name",
        "summary",
        "message",
        "severity",
        "status",
        "servicename",
        "service",
        "instance",
        "host",
        "description",
        "logs",
    ];
    let rank = |key: &str| {
        let lower = key.to_ascii_lowercase();
        FIRST
            .iter()
            .position(|k| *k == lower)
            .unwrap_or(FIRST.len())
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| rank(k)); // stable: the rest keep their order
    let severity = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("severity"))
        .map(|(_, v)| scalar(v));
    lines.push(match severity {
        Some(s) if !s.is_empty() => format!(
            "🔥 *{} Alert*",
            mrkdwn::escape(&ellipsize(&s.to_uppercase(), 100))
        ),
        _ => "🔥 *Alert*".to_string(),
    });
    const SHOWN: usize = 20;
    for key in keys.iter().take(SHOWN) {
        let value = scalar(&map[key.as_str()]);
        lines.push(format!(
            "*{}*: {}",
            mrkdwn::escape(&ellipsize(key, 100)),
            mrkdwn::escape(&ellipsize(&value, 1000))
        ));
    }
    if keys.len() > SHOWN {
        lines.push(format!("… and {} more fields", keys.len() - SHOWN));
    }
}

/// A JSON value as text: strings as they are, anything else as compact JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::blocks::tests::{assert_within_limits, link, props, unmarked};
    use crate::slack::blocks::StatusBanner;
    use serde_json::json;

    #[test]
    fn plain_fallback_for_alertmanager() {
        let payload = json!({
            "status": "firing",
            "commonLabels": { "alertname": "HighErrorRate", "severity": "critical", "service": "checkout" },
            "alerts": [
                { "labels": { "instance": "a:8080" }, "annotations": { "summary": "High errors", "description": "rate > 0.5 <!channel>" } },
                { "labels": { "instance": "b:8080" }, "annotations": { "description": "rate 0.7" } }
            ]
        });
        let text = plain_fallback(&payload);
        assert!(
            text.starts_with("🔥 *[FIRING:2] HighErrorRate*\n"),
            "{text}"
        );
        for want in [
            "*Status*: firing",
            "*Severity*: critical",
            "*Service*: checkout",
            "*Instance*: a:8080",
            "• `a:8080` — High errors — rate &gt; 0.5 &lt;!channel&gt;",
            "• `b:8080` — rate 0.7",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
        assert!(text.ends_with("essentials)_"));
    }

    #[test]
    fn plain_fallback_for_freeform_json() {
        let payload = json!({ "zeta": {"nested": [1, 2]}, "Logs": "[CRITICAL] disk full", "ServiceName": "test-service", "Severity": "critical" });
        let text = plain_fallback(&payload);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "🔥 *CRITICAL Alert*");
        assert_eq!(lines[1], "*Severity*: critical");
        assert_eq!(lines[2], "*ServiceName*: test-service");
        assert_eq!(lines[3], "*Logs*: [CRITICAL] disk full");
        assert_eq!(lines[4], r#"*zeta*: {"nested":[1,2]}"#);
    }

    #[test]
    fn plain_fallback_is_bounded_and_never_panics() {
        let huge = json!({ "Logs": "ß".repeat(1_000_000), "alerts": "not a list" });
        for payload in [
            huge,
            json!(null),
            json!("just text"),
            json!([1, 2, 3]),
            json!({}),
            json!({ "alerts": [] }),
            json!({ "alerts": [1, "x", null, {"labels": 5}] }),
            json!({ "commonLabels": "oops", "alerts": (0..500).map(|i| json!({"annotations": {"description": "d".repeat(i)}})).collect::<Vec<_>>() }),
            json!((0..100)
                .map(|i| (format!("k{i}"), json!("v".repeat(5000))))
                .collect::<serde_json::Map<_, _>>()),
        ] {
            let text = plain_fallback(&payload);
            assert!(units(&text) <= PLAIN_FALLBACK_MAX, "{} units", units(&text));
            assert!(!text.trim().is_empty());
            // The fallback itself must fit in a message.
            assert_within_limits(&unmarked(&text, &link(), &props(), &StatusBanner::Firing));
        }
    }
}
