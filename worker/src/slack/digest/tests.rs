use super::*;
use serde_json::{json, Value};

fn report(value: Value) -> ReportView {
    serde_json::from_value(value).unwrap()
}

fn week() -> ReportView {
    report(json!({
        "days": 7, "from": "2026-11-30T00:00:00+00:00", "to": "2026-12-07T00:00:00+00:00",
        "total": 12, "acknowledged": 9, "escalated": 2, "paged": 2, "resolved_without_ack": 1,
        "time_to_ack_seconds": {"p50": 250.0, "p90": 900.0},
        "time_to_resolve_seconds": {"p50": 3600.0, "p90": null},
        "acks_by": {
            "slack:U012ABCDEF": {"count": 5, "median_seconds": 190.0},
            "<!channel> & co": {"count": 3, "median_seconds": 60.0},
            "slack:U1|<!here>": {"count": 1, "median_seconds": null}
        },
        "unnamed_link_acks": {"count": 2, "median_seconds": 30.0},
        "noise": {"count": 2, "rate": 0.1667},
        "top_alerts": [{"alertname": "DiskFull", "count": 7}, {"alertname": "<@U999> @here", "count": 5}],
        "noisy_alerts": [{"alertname": "Flappy&Co", "count": 2}]
    }))
}

fn previous() -> ReportView {
    report(json!({
        "from": "2026-11-23T00:00:00+00:00", "to": "2026-11-30T00:00:00+00:00", "total": 9, "acknowledged": 9, "paged": 3,
        "resolved_without_ack": 1,
        "time_to_ack_seconds": {"p50": 310.0, "p90": 900.0},
        "noise": {"count": 1, "rate": 0.1111}
    }))
}

fn body(message: &DigestMessage) -> Value {
    serde_json::to_value(message.content()).unwrap()
}

/// Every piece of text in the blocks, one after the other.
fn texts(message: &DigestMessage) -> String {
    let mut out = String::new();
    collect(&body(message)["blocks"], &mut out);
    out
}

fn collect(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get("text") {
                out.push_str(text);
                out.push('\n');
            }
            map.values().for_each(|v| collect(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn the_header_names_the_window_and_the_metadata_the_period() {
    let message = compose(&week(), &previous(), 1_796_634_000_000);
    let body = body(&message);
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(
        body["blocks"][0]["text"]["text"],
        "On-call report: 2026-11-30 – 2026-12-06"
    );
    assert_eq!(body["metadata"]["event_type"], DIGEST_EVENT_TYPE);
    assert_eq!(
        body["metadata"]["event_payload"]["period_end_ms"],
        "1796634000000"
    );
    assert!(message
        .text
        .starts_with("On-call report 2026-11-30 – 2026-12-06: 12 (▲3) incidents"));
    assert!(texts(&message).contains("against 2026-11-23 – 2026-11-29"));
}

#[test]
fn headline_numbers_carry_their_change() {
    let text = texts(&compose(&week(), &previous(), 0));
    for expected in [
        "*Incidents*\n12 (▲3)",
        "*Acknowledged*\n9 (=)",
        "*Paged*\n2 (▼1)",
        "*Resolved without ack*\n1 (=)",
        "*Noise*\n2 (▲1) · 17% (▲6 pts)",
        "*Time to acknowledge*\np50 4m 10s (▼1m) · p90 15m (=)",
        "*Time to resolve*\np50 1h · p90 –",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
}

#[test]
fn slack_users_are_mentioned_and_every_other_name_is_escaped() {
    let text = texts(&compose(&week(), &previous(), 0));
    assert!(
        text.contains("• <@U012ABCDEF> — 5 acks, median 3m 10s"),
        "{text}"
    );
    assert!(
        text.contains("• &lt;!channel&gt; &amp; co — 3 acks, median 1m"),
        "{text}"
    );
    // Not a real user id: written as text, never as a mention.
    assert!(
        text.contains("• slack:U1|&lt;!here&gt; — 1 ack, median –"),
        "{text}"
    );
    assert!(
        text.contains("• _Unnamed link acks_ — 2 acks, median 30s"),
        "{text}"
    );
    assert!(
        text.contains("• &lt;@U999&gt; @\u{2060}here — 5 incidents"),
        "{text}"
    );
    assert!(
        text.contains("• Flappy&amp;Co — 2 marked as noise"),
        "{text}"
    );
    for raw in ["<!channel>", "<!here>", "<@U999>", "@here"] {
        assert!(!text.contains(raw), "{raw:?} reached the message: {text}");
    }
}

#[test]
fn the_busiest_people_come_first_and_the_rest_are_counted() {
    let mut many = week();
    many.acks_by = (0..13)
        .map(|i| {
            (
                format!("person{i:02}"),
                view::Acks {
                    count: i,
                    median_seconds: Some(1.0),
                },
            )
        })
        .collect();
    let text = texts(&compose(&many, &previous(), 0));
    let first = text.find("person12").unwrap();
    let second = text.find("person11").unwrap();
    assert!(first < second);
    assert!(!text.contains("person02"));
    assert!(text.contains("… and 3 more"));
}

#[test]
fn long_hostile_names_are_cut_before_escaping_and_sections_stay_within_slack_limits() {
    let mut hostile = week();
    hostile.top_alerts = (0..10)
        .map(|i| view::AlertCount {
            alertname: format!("{i}{}", "<".repeat(127)),
            count: 1,
        })
        .collect();
    let body = body(&compose(&hostile, &previous(), 0));
    for block in body["blocks"].as_array().unwrap() {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.encode_utf16().count() <= SECTION_TEXT_MAX);
            if text.starts_with("*Most frequent alerts*") {
                assert!(!text.contains('<'), "{text}");
                assert!(!text.contains("&l…"), "an escape was split: {text}");
            }
        }
    }
    assert!(texts(&compose(&hostile, &previous(), 0)).contains(&format!("{}…", "&lt;".repeat(59))));
}

#[test]
fn an_empty_report_still_says_each_section() {
    let empty =
        report(json!({"from": "2026-12-07T00:00:00+00:00", "to": "2026-12-08T00:00:00+00:00"}));
    let message = compose(&empty, &empty, 5);
    let text = texts(&message);
    assert_eq!(
        body(&message)["blocks"][0]["text"]["text"],
        "On-call report: 2026-12-07"
    );
    assert!(text.contains("*Incidents*\n0 (=)"), "{text}");
    assert!(
        text.contains("*Time to acknowledge*\np50 – · p90 –"),
        "{text}"
    );
    assert!(text.contains("*Who carried the pager*\n_No acknowledgements._"));
    assert!(text.contains("*Noisiest alerts*\n_Nothing was marked as noise._"));
    assert!(text.contains("*Most frequent alerts*\n_No incidents._"));
    assert_eq!(message.blocks.len(), 6);
}
