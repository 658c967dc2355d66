//! Every state change shows on the incident's one Slack message: an ack (through the link or the interactive
//! button) says who and when and removes the button, an escalation shows the AWS incident ARN, a failed page
//! is shown on the message and said in the channel.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;
use versus_tests::{wait_until, Failure, SsmFailure, Topology};

use versus_tests::alertmanager_webhook::checkout_group;
use versus_tests::alerts::{created, id_of};
use versus_tests::slack_messages::{
    button_ids, buttons, color, posted, shown_time, status_line, top_level, updates_of,
    wait_top_level, wait_update, Posted, ACKED_BLUE, ESCALATED_RED, PAGING_FAILED_RED,
};
use versus_tests::topology::SETTLE;

#[tokio::test]
async fn an_ack_through_the_link_edits_the_message_to_say_who_and_when_and_removes_the_button() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let created = created(
        &topo,
        "oncall_wait_minutes=0.1", // due 6 s after the POST
        &checkout_group("AckedByLink", &["pod-a"]).to_json(),
    )
    .await;
    let id = id_of(&created);
    let ack_url = created["ack_url"]
        .as_str()
        .expect("an ack link")
        .to_string();
    let message = wait_top_level(&topo.slack, "AckedByLink").await;
    assert_eq!(buttons(&message.body)[0]["url"], ack_url.as_str());

    let response = topo
        .http()
        .post(&ack_url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["result"], "acked", "{answer}");

    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "acked");
    assert!(
        incident["acked_ms"].parse::<i64>().unwrap() < incident["due_ms"].parse::<i64>().unwrap(),
        "the test needs the ack to come before the page is due: {incident:?}"
    );
    let update = wait_update(&topo.slack, &message.ts, "Acknowledged").await;
    assert_eq!(
        status_line(&update).unwrap(),
        format!(
            "✅ Acknowledged by ack link at {}",
            shown_time(&incident, "acked_ms")
        )
    );
    assert_eq!(
        button_ids(&update),
        ["versus_noise_link"],
        "the acknowledge button is gone, the noise button stays: {update}"
    );
    assert_eq!(color(&update).as_deref(), Some(ACKED_BLUE));

    // The page comes due and is not sent.
    let job = topo
        .wait_job_finished("escalate", &id, Duration::from_secs(30))
        .await;
    assert_eq!(job["state"], "done", "{job:?}");
    topo.settle().await;
    assert!(topo.ssm.calls().is_empty(), "{:?}", topo.ssm.calls());
    assert_eq!(top_level(&topo.slack).len(), 1);
    assert_eq!(updates_of(&topo.slack, &message.ts).len(), 1);
}

/// With `alert.slack.signing_secret`, the button is interactive: a signed click acknowledges, and the message
/// then names the Slack user.
#[tokio::test]
async fn a_click_on_the_interactive_button_edits_the_message_to_name_the_slack_user() {
    const SECRET: &str = "lifecycle-signing-secret-0123456789";
    let topo = Topology::builder()
        .oncall_enabled()
        .env("SLACK_SIGNING_SECRET", SECRET)
        .start()
        .await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=60",
            &checkout_group("AckedInSlack", &["pod-a"]).to_json(),
        )
        .await,
    );
    let message = wait_top_level(&topo.slack, "AckedInSlack").await;
    let button = buttons(&message.body)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no button: {}", message.body));
    assert_eq!(button["action_id"], "versus_ack", "{button}");
    assert!(button.get("url").is_none(), "not a link: {button}");
    let token = button["value"].as_str().expect("the ack token");

    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0ONCALL", "username": "oncall-person"},
        "channel": {"id": versus_tests::topology::TEST_SLACK_CHANNEL},
        "message": {"ts": message.ts},
        "actions": [{"action_id": "versus_ack", "block_id": "versus_ack", "value": token, "type": "button"}]
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let timestamp = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    let response = topo
        .http()
        .post(format!("{}/api/slack/interactions", topo.api_url(0)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", timestamp.to_string())
        .header("X-Slack-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);

    let (acked, incident) = topo
        .wait_incident(&id, SETTLE, |f| f["state"] == "acked")
        .await;
    assert!(acked, "incident {id} never got acked: {incident:?}");
    let update = wait_update(&topo.slack, &message.ts, "Acknowledged").await;
    assert_eq!(
        status_line(&update).unwrap(),
        format!(
            "✅ Acknowledged by <@U0ONCALL> at {}",
            shown_time(&incident, "acked_ms")
        )
    );
    assert_eq!(
        button_ids(&update),
        ["versus_noise"],
        "the acknowledge button is gone, the noise button stays: {update}"
    );
}

#[tokio::test]
async fn an_escalation_edits_the_message_to_show_the_aws_incident_arn() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=0",
            &checkout_group("Escalated", &["pod-a"]).to_json(),
        )
        .await,
    );
    assert!(topo.ssm.wait_for_started(1, SETTLE).await, "never paged");
    let arn = topo.ssm.started()[0].incident_record_arn.clone();
    let message = wait_top_level(&topo.slack, "Escalated").await;
    let update = wait_update(&topo.slack, &message.ts, &arn).await;
    let incident = topo.incident(&id).await;
    assert_eq!(incident["aws_arn"], arn);
    assert_eq!(
        status_line(&update).unwrap(),
        format!(
            "🚨 Escalated to on-call at {}: `{arn}`",
            shown_time(&incident, "escalated_ms")
        )
    );
    assert_eq!(color(&update).as_deref(), Some(ESCALATED_RED));
    assert_eq!(
        button_ids(&update),
        ["versus_noise_link"],
        "too late to acknowledge: {update}"
    );
}

/// A page AWS refuses (the worker's role lacks `ssm-incidents:StartIncident`) is shown on the message and said in
/// the channel as a broadcast reply, once.
#[tokio::test]
async fn a_failed_page_shows_on_the_message_and_is_said_once_in_the_channel() {
    let topo = Topology::builder().oncall_enabled().start().await;
    topo.ssm.set_mode(SsmFailure::AccessDenied);
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=0",
            &checkout_group("PageRefused", &["pod-a"]).to_json(),
        )
        .await,
    );
    let message = wait_top_level(&topo.slack, "PageRefused").await;
    let update = wait_update(&topo.slack, &message.ts, "Paging FAILED").await;
    assert_eq!(color(&update).as_deref(), Some(PAGING_FAILED_RED));
    assert!(
        status_line(&update).unwrap().contains("AccessDenied"),
        "{update}"
    );
    let job = topo.wait_job_finished("escalate", &id, SETTLE).await;
    assert_eq!(job["state"], "dead", "{job:?}");
    topo.settle().await;
    assert_page_failure_said_once(&topo, &message.ts);
}

/// The same, when Slack is slow to take the incident's first message, so that the page has failed before the
/// message exists: the warning is still said once, in the message's thread.
#[tokio::test]
async fn a_failed_page_is_said_once_even_when_it_fails_before_the_message_is_posted() {
    let topo = Topology::builder().oncall_enabled().start().await;
    topo.ssm.set_mode(SsmFailure::AccessDenied);
    topo.slack.set_mode(Failure::Delay(Duration::from_secs(3)));
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=0",
            &checkout_group("PageRefusedEarly", &["pod-a"]).to_json(),
        )
        .await,
    );
    let (failed, incident) = topo
        .wait_incident(&id, SETTLE, |f| {
            f.get("page_failed").is_some_and(|r| !r.is_empty())
        })
        .await;
    assert!(
        failed,
        "incident {id} never got the page failure: {incident:?}"
    );
    wait_until(SETTLE, "a call to Slack", async || {
        !topo.slack.calls().is_empty()
    })
    .await;
    topo.slack.clear_mode();
    let message = wait_top_level(&topo.slack, "PageRefusedEarly").await;
    wait_update(&topo.slack, &message.ts, "Paging FAILED").await;
    topo.settle().await;
    assert_page_failure_said_once(&topo, &message.ts);
}

fn assert_page_failure_said_once(topo: &Topology, ts: &str) {
    let warnings: Vec<Posted> = posted(&topo.slack)
        .into_iter()
        .filter(|p| p.body.to_string().contains("Paging on-call FAILED"))
        .collect();
    assert_eq!(warnings.len(), 1, "said once: {warnings:#?}");
    let warning = &warnings[0];
    assert_eq!(warning.thread_ts(), Some(ts), "{:?}", warning.body);
    assert_eq!(warning.body["reply_broadcast"], true, "{:?}", warning.body);
    assert!(
        warning.body["text"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "says why: {:?}",
        warning.body
    );
    let incident_messages: Vec<Posted> = top_level(&topo.slack);
    assert_eq!(incident_messages.len(), 1, "{incident_messages:#?}");
}
