//! Slack's failure modes and the worker's logging: rate limits are waited out, server errors
//! retried, unrecoverable `ok:false` errors dead-lettered at once with a log line that says what to fix,
//! a broken template still sends the alert's essentials, no Slack means the log shows the alert, and
//! `debug_body` logs bodies without secrets.

use std::time::Duration;

use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::slack_messages::wait_post;
use versus_tests::topology::Role;
use versus_tests::{Failure, Topology, DEFAULT_SLACK_TOKEN};

#[tokio::test]
async fn a_429_is_waited_out_for_retry_after_then_delivered() {
    let topo = Topology::start().await;
    topo.slack.fail_next(
        1,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    created(&topo, "", &freeform("rate-limited")).await;
    assert!(
        wait_post(&topo.slack, "svc-rate-limited", Duration::from_secs(10))
            .await
            .is_some(),
        "never delivered after the 429"
    );
    let calls = topo.slack.calls();
    assert_eq!(calls[0].status, 429);
    let delivered = calls.iter().find(|c| c.outcome.is_accepted()).unwrap();
    let waited = delivered.received_at.duration_since(calls[0].received_at);
    println!("429 Retry-After: 1 -> delivered {waited:?} later");
    assert!(
        waited >= Duration::from_secs(1),
        "retried after {waited:?}, before Retry-After: 1 ran out"
    );
    assert_eq!(topo.slack.posts().len(), 1);
    assert!(topo.dead_letters("notify").await.is_empty());
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_and_delivered() {
    let topo = Topology::start().await;
    topo.slack.fail_next(3, Failure::ServerError);
    let id = id_of(&created(&topo, "", &freeform("server-error")).await);
    assert!(
        wait_post(&topo.slack, "svc-server-error", Duration::from_secs(20))
            .await
            .is_some(),
        "never delivered after three 500s"
    );
    let calls = topo.slack.calls();
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [500, 500, 500, 200], "{statuses:?}");
    let gaps: Vec<Duration> = calls
        .windows(2)
        .map(|w| w[1].received_at.duration_since(w[0].received_at))
        .collect();
    println!("500, 500, 500, 200: gaps between attempts {gaps:?}");
    assert!(gaps[2] > gaps[0], "backoff grows: {gaps:?}");
    assert!(topo.dead_letters("notify").await.is_empty());
    assert!(
        topo.incident(&id).await["slack_ts"].len() > 5,
        "the message ts is recorded"
    );
}

#[tokio::test]
async fn invalid_auth_dead_letters_the_job_at_once_and_says_what_to_fix() {
    let topo = Topology::start().await;
    topo.slack.set_mode(Failure::ok_false("invalid_auth"));
    let id = id_of(&created(&topo, "", &freeform("bad-token")).await);
    let dead = topo
        .wait_dead_letter("notify", &id, Duration::from_secs(10))
        .await;
    assert!(
        dead,
        "not dead-lettered; worker log:\n{}",
        topo.worker_log(0)
    );
    assert!(topo.worker_log(0).contains("dead-lettered"));
    assert_eq!(topo.dead_letters("notify").await, [id.as_str()]);
    let job = topo.job("notify", &id).await;
    assert_eq!(job["state"], "dead");
    assert_eq!(
        job["attempts"], "1",
        "dead at once, not after retries: {job:?}"
    );
    assert!(job["last_error"].contains("invalid_auth"), "{job:?}");
    // Give a (wrong) retry the time to happen, then check there was none.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topo.slack.calls().len(), 1, "one call, no retries");
    let log = topo.worker_log(0);
    let line = log
        .lines()
        .find(|l| l.contains("invalid_auth") && l.contains("ERROR"))
        .unwrap_or_else(|| panic!("no error line naming invalid_auth:\n{log}"));
    assert!(
        line.contains("alert.slack.token") && line.contains("SLACK_TOKEN"),
        "the log line must say what to fix: {line}"
    );
    assert!(
        !log.contains(DEFAULT_SLACK_TOKEN),
        "the token itself is never logged"
    );
}

#[tokio::test]
async fn a_template_that_fails_to_render_still_sends_the_alerts_essentials() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("broken.tmpl");
    std::fs::write(
        &template,
        "*{{ ServiceName }}* is {{ no_such_function(Severity) }}\n",
    )
    .unwrap();
    let topo = Topology::builder()
        .env(
            "VERSUS__ALERT__SLACK__TEMPLATE_PATH",
            template.display().to_string(),
        )
        .start()
        .await;
    let body = serde_json::json!({
        "Logs": "[CRITICAL] disk /var is 99% full on db-7",
        "ServiceName": "svc-broken-template",
        "Severity": "critical",
    });
    created(&topo, "", &body).await;
    let post = wait_post(&topo.slack, "svc-broken-template", Duration::from_secs(5))
        .await
        .expect("an alert is never dropped for a template bug");
    let text = post["text"].as_str().unwrap();
    for needle in [
        "svc-broken-template",
        "critical",
        "disk /var is 99% full on db-7",
    ] {
        assert!(
            text.to_lowercase().contains(&needle.to_lowercase()),
            "{needle:?} missing: {text}"
        );
    }
    assert!(
        text.contains("template failed"),
        "the fallback says why: {text}"
    );
    let log = topo.worker_log(0);
    let line = log
        .lines()
        .find(|l| l.contains("message template failed"))
        .unwrap_or_else(|| panic!("the template error is not logged:\n{log}"));
    assert!(
        line.contains("no_such_function"),
        "the log names the problem: {line}"
    );
    assert!(
        line.contains("broken.tmpl"),
        "the log names the template: {line}"
    );
}

#[tokio::test]
async fn without_slack_the_worker_log_shows_the_notification() {
    let topo = Topology::builder()
        .slack_disabled()
        .oncall_initialized_only()
        .start()
        .await;
    created(&topo, "", &freeform("log-only")).await;
    assert!(
        topo.wait_for_log(Role::Worker, 0, "svc-log-only", Duration::from_secs(5))
            .await,
        "the notification is not in the worker log:\n{}",
        topo.worker_log(0)
    );
    // The rendered message spans several lines of the log: take the entry from its first line.
    let log = topo.worker_log(0);
    let start = log
        .find("notification (Slack is not configured")
        .expect("the entry");
    let entry = &log[start..];
    assert!(entry.contains("svc-log-only"), "{entry}");
    assert!(
        entry.contains("checkout is failing"),
        "the rendered alert is shown: {entry}"
    );
    // With on-call, the log gives the ack link too, so a new user can acknowledge from it.
    let answer = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=60",
        &freeform("log-ack"),
    )
    .await;
    let ack_url = answer["ack_url"].as_str().unwrap();
    assert!(
        topo.wait_for_log(Role::Worker, 0, ack_url, Duration::from_secs(5))
            .await,
        "the ack link is not in the worker log:\n{}",
        topo.worker_log(0)
    );
    assert!(topo.slack.calls().is_empty());
}

#[tokio::test]
async fn debug_body_logs_the_body_but_never_the_slack_token() {
    let topo = Topology::builder()
        .env("VERSUS__ALERT__DEBUG_BODY", "true")
        .env("RUST_LOG", "info,versus_api=debug")
        .start()
        .await;
    let body = serde_json::json!({
        "Logs": format!("leaked config: token={DEFAULT_SLACK_TOKEN}"),
        "ServiceName": "svc-debug-body",
        "Severity": "critical",
    });
    created(&topo, "", &body).await;
    assert!(
        topo.wait_for_log(Role::Api, 0, "svc-debug-body", Duration::from_secs(5))
            .await,
        "debug_body: true did not log the body:\n{}",
        topo.api_log(0)
    );
    let log = topo.api_log(0);
    let line = log.lines().find(|l| l.contains("svc-debug-body")).unwrap();
    assert!(line.contains("token=[redacted]"), "{line}");
    assert!(
        !log.contains(DEFAULT_SLACK_TOKEN),
        "the Slack token leaked into the API log"
    );
    assert!(
        wait_post(&topo.slack, "svc-debug-body", Duration::from_secs(5))
            .await
            .is_some()
    );
    assert!(!topo.worker_log(0).contains(DEFAULT_SLACK_TOKEN));
}

#[tokio::test]
async fn without_debug_body_no_body_is_logged() {
    let topo = Topology::builder()
        .workers(0)
        .env("RUST_LOG", "info,versus_api=debug")
        .start()
        .await;
    created(&topo, "", &freeform("quiet-body")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !topo.api_log(0).contains("svc-quiet-body"),
        "debug_body is off by default:\n{}",
        topo.api_log(0)
    );
}
