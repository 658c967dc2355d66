//! Text that reaches Slack from an alert is escaped end to end, through the real binaries and the shipped
//! template; the message says the real wait before paging; and a `429` asking to wait for ever neither
//! crashes the worker nor silences it for longer than 5 minutes.

use std::time::Duration;

use serde_json::{json, Value};
use versus_tests::alertmanager_webhook::Notification;
use versus_tests::alerts::{created, id_of};
use versus_tests::slack_messages::wait_post;
use versus_tests::timing::now_ms;
use versus_tests::topology::sample_value;
use versus_tests::{wait_until, Failure, SsmFailure, Topology};

const HOSTILE: &str =
    "<!channel> <!here> <@U123> <https://evil.example|Click here to acknowledge> & co @channel @here";
const FORBIDDEN: &[&str] = &[
    "<!channel>",
    "<!here>",
    "<@U123>",
    "<https://evil.example",
    "@channel",
    "@here",
];
const ESCAPED: &str = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|Click here to acknowledge&gt; &amp; co @\u{2060}channel @\u{2060}here";

fn assert_escaped(what: &str, message: &Value) {
    let text = message.to_string();
    for forbidden in FORBIDDEN {
        assert!(
            !text.contains(forbidden),
            "{what}: {forbidden} reached Slack: {text}"
        );
    }
    assert!(text.contains(ESCAPED), "{what}: {text}");
    assert_eq!(message["link_names"], false, "{what}: {text}");
    assert_eq!(message["parse"], "none", "{what}: {text}");
}

fn hostile_alertmanager(marker: &str) -> Value {
    let mut payload = Notification::sample().to_json();
    payload["groupKey"] = format!("{{}}:{{alertname=\"{marker}\"}}").into();
    payload["commonLabels"]["alertname"] = format!("{marker} {HOSTILE}").into();
    for alert in payload["alerts"].as_array_mut().unwrap() {
        alert["annotations"]["description"] = HOSTILE.into();
        alert["labels"]["instance"] = HOSTILE.into();
    }
    payload
}

#[tokio::test]
async fn hostile_labels_reach_slack_escaped_and_the_message_says_the_real_wait() {
    let topo = Topology::builder().oncall_enabled().start().await;
    created(
        &topo,
        "oncall_wait_minutes=7",
        &hostile_alertmanager("hostile-am"),
    )
    .await;
    let post = wait_post(&topo.slack, "hostile-am", Duration::from_secs(10))
        .await
        .expect("the Alertmanager alert reached Slack");
    assert_escaped("Alertmanager alert", &post);
    assert!(
        post.to_string()
            .contains("This alert will escalate in 7 minutes if not acknowledged."),
        "{post}"
    );

    let freeform =
        json!({ "Logs": HOSTILE, "ServiceName": "hostile-free", "Severity": "critical" });
    created(&topo, "oncall_enable=false", &freeform).await;
    let post = wait_post(&topo.slack, "hostile-free", Duration::from_secs(10))
        .await
        .expect("the free-form alert reached Slack");
    assert_escaped("free-form alert", &post);
    assert!(!post.to_string().contains("escalate"), "{post}");
}

#[tokio::test]
async fn the_page_failed_warning_escapes_the_alert_title() {
    let topo = Topology::builder().oncall_enabled().start().await;
    topo.ssm.set_mode(SsmFailure::AccessDenied);
    let freeform = json!({ "ServiceName": format!("svc {HOSTILE}"), "Severity": "critical" });
    created(&topo, "oncall_wait_minutes=0", &freeform).await;
    let warning = wait_post(
        &topo.slack,
        "Paging on-call FAILED",
        Duration::from_secs(15),
    )
    .await
    .unwrap_or_else(|| panic!("no page-failed warning: {:?}", topo.slack.calls()));
    let text = warning["text"].as_str().unwrap();
    for forbidden in FORBIDDEN {
        assert!(
            !text.contains(forbidden),
            "{forbidden} in the warning: {text}"
        );
    }
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
}

async fn worker_metric(topo: &Topology, name: &str) -> Option<f64> {
    sample_value(&topo.scrape(&topo.worker_url(0)).await?, name)
}

#[tokio::test]
async fn a_huge_retry_after_is_clamped_counted_and_the_worker_keeps_working() {
    let topo = Topology::builder().oncall_enabled().start().await;
    topo.slack.fail_next(
        1,
        Failure::RateLimited {
            retry_after_secs: u64::MAX,
        },
    );
    let id = id_of(
        &created(
            &topo,
            "oncall_enable=false",
            &json!({"ServiceName": "svc-429"}),
        )
        .await,
    );
    wait_until(
        Duration::from_secs(10),
        || {
            format!(
                "the clamp to be counted; worker log:\n{}",
                topo.worker_log(0)
            )
        },
        async || worker_metric(&topo, "versus_slack_retry_after_clamped_total").await == Some(1.0),
    )
    .await;
    // The notify job waits 5 minutes, not for ever (nor for a wrapped-around clock).
    let job = topo.job("notify", &id).await;
    let wait_ms = job["due_ms"].parse::<i64>().unwrap() - now_ms();
    assert!(
        (240_000..=301_000).contains(&wait_ms),
        "the notify job is due in {wait_ms} ms: {job:?}"
    );
    // The worker is up and still works: a page goes out while Slack's gate is closed.
    let answer = created(
        &topo,
        "oncall_wait_minutes=0",
        &json!({"ServiceName": "svc-page"}),
    )
    .await;
    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(10)).await,
        "no page after the 429; worker log:\n{}",
        topo.worker_log(0)
    );
    assert!(answer["ack_url"].is_string(), "{answer}");
    let healthz = topo
        .http()
        .get(format!("{}/healthz", topo.worker_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    assert!(
        !topo.worker_log(0).contains("panicked"),
        "{}",
        topo.worker_log(0)
    );
}
