//! Payload values are escaped for Slack by default, cannot change the template's links, and `EscalateAfterMinutes`
//! is the real wait.

use super::*;
use serde_json::json;

const SHIPPED: &str = include_str!("../../../../config/slack_message.tmpl");
const BASIC: &str = include_str!("../../../../config/examples/slack_message_basic.tmpl");
const HOSTILE: &str =
    "<!channel> <!here> <@U123> <https://evil.example|Click here to acknowledge> & more";
const FORBIDDEN: &[&str] = &["<!channel>", "<!here>", "<@U123>", "<https://evil.example"];

fn compile(source: &str) -> MessageTemplate {
    MessageTemplate::from_source("test.tmpl", source.to_string()).unwrap()
}

fn oncall(minutes_ms: i64) -> RenderExtras<'static> {
    RenderExtras::oncall(SAMPLE_ACK_URL, minutes_ms)
}

fn hostile_alertmanager() -> serde_json::Value {
    let mut payload = sample_alertmanager_payload();
    payload["commonLabels"]["alertname"] = HOSTILE.into();
    payload["commonLabels"]["system"] = HOSTILE.into();
    for alert in payload["alerts"].as_array_mut().unwrap() {
        alert["labels"]["instance"] = HOSTILE.into();
        alert["annotations"]["description"] = HOSTILE.into();
        alert["annotations"]["runbook"] = HOSTILE.into();
    }
    payload
}

#[test]
fn shipped_templates_escape_hostile_labels_and_annotations() {
    let freeform = json!({ "Logs": HOSTILE, "ServiceName": HOSTILE, "Severity": HOSTILE });
    for (name, source) in [("slack_message.tmpl", SHIPPED), ("basic.tmpl", BASIC)] {
        let t = MessageTemplate::from_source(name, source.to_string()).unwrap();
        for payload in [hostile_alertmanager(), freeform.clone()] {
            for extras in [RenderExtras::default(), oncall(180_000)] {
                let out = t.render(&payload, extras).unwrap();
                for forbidden in FORBIDDEN {
                    assert!(!out.contains(forbidden), "{name}: {forbidden} in\n{out}");
                }
                if name == "slack_message.tmpl" || payload == hostile_alertmanager() {
                    assert!(
                        out.contains("&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;"),
                        "{name}: {out}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_ack_link_the_template_builds_keeps_working() {
    let out = compile(BASIC)
        .render(&sample_alertmanager_payload(), oncall(300_000))
        .unwrap();
    assert!(
        out.contains(&format!(
            "<{SAMPLE_ACK_URL}|Click here to acknowledge> within 5 minute(s)"
        )),
        "{out}"
    );
}

#[test]
fn a_payload_value_inside_link_syntax_cannot_change_the_link() {
    let t = compile("<{{ url }}|{{ text }}> <{{ AckURL }}|{{ text }}> <{{ url | tojson }}>");
    let payload = json!({
        "url": "https://ok.example/x|Click here to acknowledge",
        "text": "Details> <!channel> <https://evil.example|Click",
    });
    let out = t.render(&payload, oncall(0)).unwrap();
    assert_eq!(
        out,
        format!(
            "<https://ok.example/x%7CClick here to acknowledge|Details&gt; &lt;!channel&gt; &lt;https://evil.example∣Click> \
             <{SAMPLE_ACK_URL}|Details&gt; &lt;!channel&gt; &lt;https://evil.example∣Click> \
             <\"https://ok.example/x%7CClick here to acknowledge\">"
        )
    );
    let mention = compile("<{{ target }}|open>")
        .render(&json!({ "target": "!channel" }), RenderExtras::default())
        .unwrap();
    assert_eq!(mention, "<%21channel|open>");
}

#[test]
fn safe_opts_one_value_out_and_nothing_is_escaped_twice() {
    let payload = json!({ "x": "<!here> & co", "y": "<b>" });
    for (source, want) in [
        ("{{ x | safe }} {{ y }}", "<!here> & co &lt;b&gt;"),
        ("{{ x | slack_escape }}", "&lt;!here&gt; &amp; co"),
        (
            "{% set z %}[{{ x }}]{% endset %}{{ z }}",
            "[&lt;!here&gt; &amp; co]",
        ),
        (
            "{% macro m(v) %}({{ v }}){% endmacro %}{{ m(x) }}",
            "(&lt;!here&gt; &amp; co)",
        ),
        (
            "{{ [x, y] | join(\", \") }}",
            "&lt;!here&gt; &amp; co, &lt;b&gt;",
        ),
        ("{{ x ~ y }}", "&lt;!here&gt; &amp; co&lt;b&gt;"),
        ("{{ x | upper }}", "&lt;!HERE&gt; &amp; CO"),
        ("{% autoescape false %}{{ y }}{% endautoescape %}", "<b>"),
        ("{{ \"<!channel>\" }}", "&lt;!channel&gt;"),
        ("{{ missing }}|{{ none }}|{{ 3 }}", "|None|3"),
    ] {
        let out = compile(source).render(&payload, RenderExtras::default());
        assert_eq!(
            out.as_deref().map_err(|e| e.to_string()),
            Ok(want),
            "{source}"
        );
    }
}

#[test]
fn marker_characters_in_a_payload_never_reach_slack() {
    let payload = json!({ "u": "a\u{E001}|\u{E000}b", "m": { "\u{E000}k": "v" } });
    let out = compile("<{{ u }}|t> {{ u | tojson }} {% for k, v in m | items %}{{ k }}{% endfor %} {{ m | tojson }}")
        .render(&payload, RenderExtras::default())
        .unwrap();
    assert_eq!(out, "<a%7Cb|t> \"a|b\" k {\"k\": \"v\"}");
    assert!(!out.contains(['\u{E000}', '\u{E001}']), "{out:?}");
}

#[test]
fn escalate_after_minutes_is_the_real_wait() {
    let t = compile("[{{ EscalateAfterMinutes }}]");
    for (ms, want) in [
        (0, "[0]"),
        (60_000, "[1]"),
        (300_000, "[5]"),
        (30_000, "[0.5]"),
        (90_000, "[1.5]"),
        (1_440 * 60_000, "[1440]"),
        (-5, "[0]"),
    ] {
        assert_eq!(t.render(&json!({}), oncall(ms)).unwrap(), want, "{ms} ms");
    }
    let spoofed = json!({ "EscalateAfterMinutes": 999 });
    assert_eq!(
        t.render(&spoofed, RenderExtras::default()).unwrap(),
        "[None]"
    );
    assert_eq!(t.render(&spoofed, oncall(120_000)).unwrap(), "[2]");
}

#[test]
fn shipped_templates_say_the_real_wait() {
    let shipped = compile(SHIPPED);
    let sample = sample_alertmanager_payload();
    for (ms, want) in [
        (
            600_000,
            "This alert will escalate in 10 minutes if not acknowledged.",
        ),
        (
            60_000,
            "This alert will escalate in 1 minute if not acknowledged.",
        ),
        (
            45_000,
            "This alert will escalate in 0.75 minutes if not acknowledged.",
        ),
        (0, "This alert escalates to on-call at once."),
    ] {
        let out = shipped.render(&sample, oncall(ms)).unwrap();
        assert!(out.contains(want), "{ms}: {out}");
    }
    let basic = compile(BASIC);
    let out = basic.render(&sample, oncall(0)).unwrap();
    assert!(out.contains("escalates to on-call at once"), "{out}");
    let out = basic.render(&sample, oncall(420_000)).unwrap();
    assert!(out.contains("within 7 minute(s)"), "{out}");
}
