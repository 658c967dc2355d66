//! Query parameters Versus does not know never cost an alert (Alertmanager does not retry a `4xx`): the
//! alert is accepted and handled with the defaults, its Slack message warns about each unknown name (escaped,
//! bounded), `versus_ingest_unknown_parameters_total{name}` counts them, and Versus Incident's parameters for
//! features this release lacks are logged, not warned about. A known parameter with a bad value is still `400`.

use std::time::Duration;

use versus_tests::alerts::{created, freeform};
use versus_tests::slack_messages::wait_post;
use versus_tests::Topology;

const WARNING: &str =
    ":warning: unknown parameter `oncall_enabled` ignored: check the receiver URL";

#[tokio::test]
async fn a_misspelt_parameter_is_accepted_with_the_defaults_and_warned_about_in_slack() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let query = "oncall_enabled=false&telegram_chat_id=42&slack_channel_id=C9&incident_source=x";
    let answer = created(&topo, query, &freeform("typo")).await;
    assert!(
        answer.get("ack_url").is_some(),
        "the misspelt opt-out is ignored, so on-call applies as configured: {answer}"
    );
    let post = wait_post(&topo.slack, "svc-typo", Duration::from_secs(10))
        .await
        .expect("the alert reaches Slack");
    let text = post.to_string();
    assert!(text.contains(WARNING), "{text}");
    for silent in ["telegram_chat_id", "slack_channel_id", "incident_source"] {
        assert!(!text.contains(silent), "no warning for {silent}: {text}");
    }

    let metrics = topo
        .scrape(&topo.api_url(0))
        .await
        .expect("the API's /metrics");
    assert!(
        metrics
            .lines()
            .any(|l| l == "versus_ingest_unknown_parameters_total{name=\"oncall_enabled\"} 1"),
        "{metrics}"
    );
    let log = topo.api_log(0);
    assert_eq!(
        log.matches("query parameter telegram_chat_id is Versus Incident's")
            .count(),
        1,
        "{log}"
    );
    assert!(log.contains("unknown query parameter(s) ignored"), "{log}");
}

#[tokio::test]
async fn hostile_parameter_names_are_escaped_and_bounded_in_the_warning() {
    let topo = Topology::start().await;
    let mut query = vec!["%3C!channel%3E=1".to_string()];
    query.extend((0..300).map(|n| format!("junk{n}=1")));
    created(&topo, &query.join("&"), &freeform("hostile")).await;
    let post = wait_post(&topo.slack, "svc-hostile", Duration::from_secs(10))
        .await
        .expect("the alert reaches Slack");
    let text = post.to_string();
    assert!(
        text.contains("unknown parameter `&lt;!channel&gt;` ignored"),
        "{text}"
    );
    assert!(!text.contains("<!channel>"), "{text}");
    assert_eq!(
        text.matches(":warning: unknown parameter").count(),
        5 * 2,
        "text and blocks: {text}"
    );
    assert!(
        text.contains(":warning: 296 more unknown parameter(s) ignored"),
        "{text}"
    );
}

#[tokio::test]
async fn a_known_parameter_with_a_bad_value_is_still_refused() {
    let topo = Topology::builder().workers(0).start().await;
    let (status, answer) = topo
        .post_alert("oncall_enable=maybe&oncall_enabled=false", &freeform("bad"))
        .await;
    assert_eq!(status, 400, "{answer}");
}
