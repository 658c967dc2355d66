use super::*;
use serde_json::json;
use std::path::Path;

const SHIPPED: &str = include_str!("../../../../config/slack_message.tmpl");
const BASIC: &str = include_str!("../../../../config/examples/slack_message_basic.tmpl");

fn with_ack(ack_url: Option<&str>) -> RenderExtras<'_> {
    RenderExtras {
        ack_url,
        escalate_after_ms: ack_url.map(|_| SAMPLE_ESCALATE_AFTER_MS),
    }
}

fn compile(source: &str) -> MessageTemplate {
    MessageTemplate::from_source("test.tmpl", source.to_string()).unwrap()
}

fn shipped() -> MessageTemplate {
    MessageTemplate::from_source("config/slack_message.tmpl", SHIPPED.to_string()).unwrap()
}

#[test]
fn sample_payload_is_a_realistic_alertmanager_v4_body() {
    let p: serde_json::Value = serde_json::from_str(SAMPLE_ALERTMANAGER_JSON).unwrap();
    assert_eq!(p["version"], "4");
    assert_eq!(p["status"], "firing");
    for key in [
        "groupKey",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
    ] {
        assert!(!p[key].is_null(), "missing {key}");
    }
    assert!(p["truncatedAlerts"].is_number());
    let alerts = p["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 3);
    for a in alerts {
        for l in [
            "alertname",
            "severity",
            "instance",
            "service",
            "system",
            "team",
        ] {
            assert!(a["labels"][l].is_string(), "label {l}");
        }
        for n in ["summary", "description", "runbook", "dashboard"] {
            assert!(a["annotations"][n].is_string(), "annotation {n}");
        }
        let starts = a["startsAt"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(starts).is_ok());
        assert!(a["generatorURL"].is_string() && a["fingerprint"].is_string());
    }
    assert_eq!(sample_alertmanager_payload(), p);
}

#[test]
fn data_is_top_level_fields_plus_ack_url() {
    let t = compile(
        "{{ status }}|{{ commonLabels.severity | upper }}|{{ alerts | length }}|{{ AckURL }}",
    );
    let sample = sample_alertmanager_payload();
    assert_eq!(
        t.render(&sample, with_ack(Some("https://x/ack/1")))
            .unwrap(),
        "firing|CRITICAL|3|https://x/ack/1"
    );
    assert_eq!(
        t.render(&sample, with_ack(None)).unwrap(),
        "firing|CRITICAL|3|"
    );
}

#[test]
fn ack_url_is_empty_without_on_call_and_cannot_be_spoofed() {
    let t = compile("{% if AckURL %}ack: {{ AckURL }}{% else %}no ack{% endif %}");
    let spoofed = json!({ "AckURL": "https://evil.example" });
    assert_eq!(t.render(&spoofed, with_ack(None)).unwrap(), "no ack");
    assert_eq!(
        t.render(&spoofed, with_ack(Some("https://v/ack/t")))
            .unwrap(),
        "ack: https://v/ack/t"
    );
}

#[test]
fn non_object_payloads_render_with_only_ack_url() {
    let t = compile("[{{ status }}][{{ AckURL }}]");
    for p in [
        json!([1, 2]),
        json!("text"),
        json!(42),
        serde_json::Value::Null,
    ] {
        assert_eq!(t.render(&p, with_ack(Some("u"))).unwrap(), "[][u]");
    }
}

#[test]
fn undefined_lookups_render_empty() {
    let t = compile(
        "{{ commonLabels.instance }}|{{ alerts[0].labels.x }}|{{ a.b.c.d | upper }}|{% for x in nothing %}x{% endfor %}",
    );
    assert_eq!(
        t.render(&sample_freeform_payload(), with_ack(None))
            .unwrap(),
        "|||"
    );
}

#[test]
fn shipped_templates_render_sample_and_freeform_payloads() {
    for (name, source) in [
        ("config/slack_message.tmpl", SHIPPED),
        ("basic.tmpl", BASIC),
    ] {
        let t = MessageTemplate::from_source(name, source.to_string()).unwrap();
        t.check().unwrap();
        for ack in [None, Some(SAMPLE_ACK_URL)] {
            let out = t
                .render(&sample_alertmanager_payload(), with_ack(ack))
                .unwrap();
            assert!(out.contains("HighErrorRate"), "{name}: {out}");
            assert!(out.contains("CRITICAL"), "{name}: {out}");
            assert_eq!(
                out.contains(SAMPLE_ACK_URL) || out.contains("escalate"),
                ack.is_some(),
                "{name}: {out}"
            );
            // The basic template is a literal translation that only knows Alertmanager fields; it must still
            // render free-form JSON without failing.
            let free = t.render(&sample_freeform_payload(), with_ack(ack)).unwrap();
            if name != "basic.tmpl" {
                assert!(free.contains("test-service"), "{name}: {free}");
                assert!(free.contains("CRITICAL"), "{name}: {free}");
            }
        }
    }
}

#[test]
fn shipped_enhanced_template_output() {
    let out = shipped()
        .render(
            &sample_alertmanager_payload(),
            with_ack(Some(SAMPLE_ACK_URL)),
        )
        .unwrap();
    assert!(
        out.starts_with("🔥 *CRITICAL Alert: HighErrorRate*"),
        "{out}"
    );
    for want in [
        "🌐 *System*: `payments`",
        "🚨 *Status*: `firing`",
        "⏱️ *Detected*: `Jan 02, 2024 15:04:05 UTC`",
        "📚 *Runbook*: https://runbooks.example.com/checkout/high-error-rate",
        "📊 *Dashboard*:",
        "⚠️ *Auto-escalation*: This alert will escalate in 3 minutes if not acknowledged.",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // The three alerts fire on different instances, so commonLabels has none: all three are listed.
    assert!(out.contains("checkout-7f9c6d5b8-2xkqp:8080"), "{out}");
    assert_eq!(out.matches("📝 *Description*").count(), 3, "{out}");
    assert!(!out.contains("\n\n\n"), "no runs of blank lines:\n{out}");
    let free = shipped()
        .render(&sample_freeform_payload(), with_ack(None))
        .unwrap();
    assert!(
        free.contains("[CRITICAL] This is a critical alert"),
        "{free}"
    );
    assert!(!free.contains("Auto-escalation"), "{free}");
}

#[test]
fn shipped_enhanced_template_survives_odd_payloads() {
    for payload in [
        json!({ "alerts": 5, "commonLabels": "x" }),
        json!({ "alerts": "text" }),
        json!({ "alerts": [1, { "labels": 3, "annotations": [] }, null] }),
        json!({ "alerts": [], "status": { "nested": true } }),
        json!({ "Severity": 3, "ServiceName": ["a"], "Logs": null }),
        json!([1, 2]),
        serde_json::Value::Null,
    ] {
        for ack in [None, Some(SAMPLE_ACK_URL)] {
            if let Err(err) = shipped().render(&payload, with_ack(ack)) {
                panic!("{payload}: {}", err.report());
            }
        }
    }
}

#[test]
fn documented_minijinja_forms_work() {
    // The right-hand column of docs/templates.md's Go-to-minijinja table, rendered against the sample.
    let payload = json!({
        "status": "firing",
        "commonLabels": { "severity": "critical", "app-name": "shop" },
        "commonAnnotations": { "runbook": "https://rb" },
        "alerts": [{ "labels": { "instance": "a" }, "annotations": { "description": "d1" } },
                   { "labels": { "instance": "b" }, "annotations": { "description": "d2" } }],
        "startsAt": "2024-01-02T15:04:05Z",
        "X": "", "list": ["a", "b"], "name": "disk", "pct": 93, "a": true, "b": false
    });
    for (source, want) in [
        ("{{ status }}", "firing"),
        ("{{ commonLabels.severity | upper }}", "CRITICAL"),
        ("{{ commonLabels[\"app-name\"] }}", "shop"),
        ("{% for alert in alerts %}{{ alert.annotations.description }};{% endfor %}", "d1;d2;"),
        ("{% for a in alerts %}{{ loop.index0 }}{% endfor %}", "01"),
        ("{% if AckURL %}ack{% endif %}", "ack"),
        ("{% if commonLabels.severity == \"critical\" %}yes{% endif %}", "yes"),
        ("{% if status != \"resolved\" %}yes{% endif %}", "yes"),
        ("{% if a and b %}1{% elif a or b %}2{% else %}3{% endif %}{% if not b %}4{% endif %}", "24"),
        ("{% if commonAnnotations.runbook %}{{ commonAnnotations.runbook }}{% endif %}", "https://rb"),
        ("{% set sev = commonLabels.severity %}{{ sev }}", "critical"),
        ("{{ alerts | length }}", "2"),
        ("{{ startsAt | date(\"Jan 02, 2006 15:04:05 MST\") }}", "Jan 02, 2024 15:04:05 UTC"),
        ("{{ missing | default(\"n/a\") }}|{{ X | default(\"n/a\") }}|{{ X | default(\"n/a\", true) }}", "n/a||n/a"),
        ("{{ list | join(\", \") }}", "a, b"),
        ("{{ alerts | map(attribute=\"labels.instance\") | join(\", \") }}", "a, b"),
        ("{{ commonLabels | tojson }}", r#"{"app-name": "shop", "severity": "critical"}"#),
        ("{{ \"%s is %d%%\" | format(name, pct) }}", "disk is 93%"),
        ("<{{ AckURL }}|Click here>", "<https://v/ack|Click here>"),
        ("{# comment #}x {{- \" y \" -}} z", "x y z"),
    ] {
        let out = compile(source).render(&payload, with_ack(Some("https://v/ack")));
        assert_eq!(out.as_deref().map_err(|e| e.to_string()), Ok(want), "{source}");
    }
}

#[test]
fn syntax_error_reports_line_and_column() {
    let err = MessageTemplate::from_source(
        "config/slack_message.tmpl",
        "line one\n\nsecond {{ status }\n".into(),
    )
    .unwrap_err();
    assert!(matches!(err, TemplateError::Syntax(_)), "{err:?}");
    assert_eq!(err.line(), Some(3));
    assert!(err.column().is_some(), "{err:?}");
    assert!(
        err.to_string().starts_with("config/slack_message.tmpl:3:"),
        "{err}"
    );
    assert!(
        err.report().contains("\n 3 | second {{ status }"),
        "{}",
        err.report()
    );
}

#[test]
fn unknown_filter_is_reported_at_compile_time_with_a_suggestion() {
    let source = "🔥 *{{ commonLabels.severity | upper }}*\n{% if false %}\n    {{ startsAt | datee(\"Jan 02\") }}\n{% endif %}\n";
    let err = MessageTemplate::from_source("config/slack_message.tmpl", source.into()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "config/slack_message.tmpl:3:19: unknown filter 'datee' — did you mean 'date'?"
        ),
        "{text}"
    );
    assert!(
        err.report().contains("\n   |                   ^"),
        "{}",
        err.report()
    );
    let err =
        MessageTemplate::from_source("t", "{% if x is defind %}{% endif %}".into()).unwrap_err();
    assert_eq!(
        err.to_string().split(" — ").next().unwrap(),
        "t:1:12: unknown test 'defind'"
    );
}

#[test]
fn go_template_syntax_gets_a_migration_hint() {
    for (source, hint) in [
        (
            "🔥 {{ .commonLabels.severity | upper }}",
            "drop the leading dot",
        ),
        ("{{ range .alerts }}x{{ end }}", "{% for alert in alerts %}"),
        (
            "{% if x %}{{ if eq .a \"b\" }}{% endif %}",
            "{% if AckURL %}",
        ),
        ("ok\n{{ end }}", "{% endif %}"),
        ("{{ $first := index .alerts 0 }}", "{% set name = value %}"),
        ("{{/* a comment */}}", "{# … #}"),
        ("{{ startsAt | date \"Jan 02\" }}", "parentheses"),
    ] {
        let err = MessageTemplate::from_source("go.tmpl", source.into()).unwrap_err();
        assert!(err.to_string().contains(hint), "{source}: {err}");
    }
}

#[test]
fn render_error_carries_location() {
    let t = compile("ok\n{{ t | date(\"%Q\") }}");
    let err = t
        .render(&json!({"t": "2024-01-02T15:04:05Z"}), with_ack(None))
        .unwrap_err();
    assert!(matches!(err, TemplateError::Render(_)), "{err:?}");
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().starts_with("test.tmpl:2:"), "{err}");
    assert!(err.to_string().contains("strftime"), "{err}");
}

#[test]
fn missing_file_names_the_path_and_the_config_key() {
    let err = MessageTemplate::from_file(Path::new("/nonexistent/slack.tmpl")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("/nonexistent/slack.tmpl: cannot read the template"),
        "{text}"
    );
    assert!(text.contains("alert.slack.template_path"), "{text}");
}

#[test]
fn from_file_uses_the_path_as_name() {
    let dir = std::env::temp_dir().join(format!("versus-template-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.tmpl");
    std::fs::write(&path, "a\r\n{{ x | nosuchfilter }}\r\n").unwrap();
    let err = MessageTemplate::from_file(&path).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}:2:8: unknown filter 'nosuchfilter'",
            path.display()
        )),
        "{err}"
    );
    std::fs::write(&path, SHIPPED).unwrap();
    let t = MessageTemplate::from_file(&path).unwrap();
    assert_eq!(t.name(), path.display().to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn message_template_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MessageTemplate>();
    assert_send_sync::<TemplateError>();
}
