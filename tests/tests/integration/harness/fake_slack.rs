//! Tests of `FakeSlack`: it answers like Slack, refuses what Slack refuses, and fails on demand.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use versus_tests::{CallOutcome, Failure, FakeSlack, DEFAULT_SLACK_TOKEN};

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn call(
    slack: &FakeSlack,
    method: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut req = client()
        .post(format!("{}/{method}", slack.url()))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (
        status,
        retry_after,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(slack: &FakeSlack, body: Value) -> (u16, Option<String>, Value) {
    call(slack, "chat.postMessage", Some(DEFAULT_SLACK_TOKEN), body).await
}

fn message() -> Value {
    json!({"channel": "C0ALERTS", "text": "disk full", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*disk full*"}}]})
}

#[tokio::test]
async fn accepts_a_well_formed_post_and_records_it() {
    let slack = FakeSlack::start();
    let (status, _, answer) = post(&slack, message()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["channel"], "C0ALERTS");
    let ts = answer["ts"].as_str().unwrap();
    let (secs, micros) = ts.split_once('.').unwrap();
    assert!(
        secs.len() == 10 && micros.len() == 6,
        "ts should look like 1700000000.000001: {ts}"
    );
    assert_eq!(answer["message"]["text"], "disk full");

    assert!(slack.wait_for_posts(1, Duration::from_secs(1)).await);
    assert_eq!(slack.posts(), vec![message()]);
    let calls = slack.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(format!("Bearer {DEFAULT_SLACK_TOKEN}").as_str())
    );
    assert_eq!(calls[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(calls[0].outcome, CallOutcome::Accepted);
    assert_eq!(calls[0].status, 200);
}

#[tokio::test]
async fn refuses_missing_or_wrong_bearer_tokens() {
    let slack = FakeSlack::start();
    let (status, _, answer) = call(&slack, "chat.postMessage", None, message()).await;
    assert_eq!(
        (status, answer["ok"].clone(), answer["error"].clone()),
        (200, json!(false), json!("not_authed"))
    );
    let (status, _, answer) = call(&slack, "chat.postMessage", Some("xoxb-wrong"), message()).await;
    assert_eq!(
        (status, answer["error"].clone()),
        (200, json!("invalid_auth"))
    );
    assert!(slack.posts().is_empty());
    assert_eq!(slack.rejected().len(), 2);
    assert!(!slack.wait_for_posts(1, Duration::from_millis(100)).await);
}

#[tokio::test]
async fn refuses_bad_content_type_and_malformed_bodies() {
    let slack = FakeSlack::start();
    let form = client()
        .post(format!("{}/chat.postMessage", slack.url()))
        .bearer_auth(DEFAULT_SLACK_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("channel=C1&text=hi")
        .send()
        .await
        .unwrap();
    let answer: Value = form.json().await.unwrap();
    assert_eq!(answer["error"], "invalid_arguments");

    let charset = client()
        .post(format!("{}/chat.postMessage", slack.url()))
        .bearer_auth(DEFAULT_SLACK_TOKEN)
        .header("content-type", "application/json; charset=utf-8")
        .body(message().to_string())
        .send()
        .await
        .unwrap();
    let answer: Value = charset.json().await.unwrap();
    assert_eq!(answer["ok"], true, "a charset suffix is allowed");

    for (body, error) in [
        (json!({"text": "no channel"}), "invalid_arguments"),
        (json!({"channel": 5, "text": "x"}), "invalid_arguments"),
        (json!({"channel": "C1"}), "no_text"),
        (json!({"channel": "C1", "blocks": "[]"}), "invalid_blocks"),
        (json!({"channel": "C1", "text": ["x"]}), "invalid_arguments"),
        (json!(["not", "an", "object"]), "invalid_arguments"),
    ] {
        let (status, _, answer) = post(&slack, body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (200, Some(error)),
            "for {body}"
        );
    }
    assert_eq!(slack.posts().len(), 1);
    assert_eq!(slack.rejected().len(), 7);
}

#[tokio::test]
async fn updates_only_messages_that_were_posted() {
    let slack = FakeSlack::start();
    let (_, _, posted) = post(&slack, message()).await;
    let ts = posted["ts"].as_str().unwrap().to_string();
    let update = json!({"channel": "C0ALERTS", "ts": ts, "text": "acknowledged"});
    let (_, _, answer) = call(
        &slack,
        "chat.update",
        Some(DEFAULT_SLACK_TOKEN),
        update.clone(),
    )
    .await;
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["ts"], ts.as_str());
    assert_eq!(slack.updates(), vec![update]);

    let unknown = json!({"channel": "C0ALERTS", "ts": "1.000001", "text": "x"});
    let (_, _, answer) = call(&slack, "chat.update", Some(DEFAULT_SLACK_TOKEN), unknown).await;
    assert_eq!(answer["error"], "message_not_found");
    let no_ts = json!({"channel": "C0ALERTS", "text": "x"});
    let (_, _, answer) = call(&slack, "chat.update", Some(DEFAULT_SLACK_TOKEN), no_ts).await;
    assert_eq!(answer["error"], "invalid_arguments");
    assert!(slack.wait_for_updates(1, Duration::from_millis(100)).await);
    assert!(!slack.wait_for_updates(2, Duration::from_millis(100)).await);
}

#[tokio::test]
async fn ts_values_are_unique_and_increasing() {
    let slack = FakeSlack::start();
    let mut last = 0.0f64;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let (_, _, answer) = post(&slack, message()).await;
        let ts = answer["ts"].as_str().unwrap().to_string();
        let value: f64 = ts.parse().unwrap();
        assert!(value > last, "{ts} is not after {last}");
        assert!(seen.insert(ts));
        last = value;
    }
}

#[tokio::test]
async fn programmed_failures_then_recovery() {
    let slack = FakeSlack::start();
    slack.fail_next(
        1,
        Failure::RateLimited {
            retry_after_secs: 7,
        },
    );
    slack.fail_next(1, Failure::ServerError);
    slack.fail_next(1, Failure::ok_false("channel_not_found"));

    let (status, retry_after, answer) = post(&slack, message()).await;
    assert_eq!(
        (status, retry_after.as_deref(), answer["error"].as_str()),
        (429, Some("7"), Some("ratelimited"))
    );
    let (status, _, _) = post(&slack, message()).await;
    assert_eq!(status, 500);
    let (status, _, answer) = post(&slack, message()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (200, Some("channel_not_found"))
    );
    let (status, _, answer) = post(&slack, message()).await;
    assert_eq!((status, answer["ok"].as_bool()), (200, Some(true)));

    slack.set_mode(Failure::ServerError);
    for _ in 0..3 {
        assert_eq!(post(&slack, message()).await.0, 500);
    }
    slack.clear_mode();
    assert_eq!(post(&slack, message()).await.2["ok"], true);

    assert_eq!(slack.posts().len(), 2);
    let injected = slack
        .calls()
        .iter()
        .filter(|c| matches!(c.outcome, CallOutcome::Injected(_)))
        .count();
    assert_eq!(injected, 6);

    slack.clear();
    assert!(slack.calls().is_empty());
}

#[tokio::test]
async fn a_delay_holds_the_answer_but_still_succeeds() {
    let slack = FakeSlack::start();
    slack.fail_next(1, Failure::Delay(Duration::from_millis(400)));
    let started = Instant::now();
    let (_, _, answer) = post(&slack, message()).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(answer["ok"], true);
    let started = Instant::now();
    post(&slack, message()).await;
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "only the next call is delayed"
    );
}

#[actix_web::test]
async fn works_from_an_actix_runtime_too() {
    let slack = FakeSlack::start_with("xoxb-other");
    let (_, _, answer) = call(&slack, "chat.postMessage", Some("xoxb-other"), message()).await;
    assert_eq!(answer["ok"], true);
    assert!(slack.wait_for_posts(1, Duration::from_secs(1)).await);
}
