//! The ack flow against the real binaries: an ack before the due time prevents the page (a GET
//! does not ack), a second ack says when the first happened, an ack after the page names the AWS
//! incident, forged tokens change nothing, and `/api/ack/{token}` behaves the same.

use std::time::Duration;

use serde_json::Value;
use versus_shared::domain::ack_token::AckSigner;
use versus_tests::alerts::{created, freeform, id_of, post_ack};
use versus_tests::timing::sleep_until_ms;
use versus_tests::topology::TEST_ACK_SECRET;
use versus_tests::Topology;

/// Posts an on-call alert due after `wait_minutes`; returns (id, ack_url).
async fn paged_alert(topo: &Topology, marker: &str, wait_minutes: &str) -> (String, String) {
    let query = format!("oncall_enable=true&oncall_wait_minutes={wait_minutes}");
    let answer = created(topo, &query, &freeform(marker)).await;
    let url = answer["ack_url"]
        .as_str()
        .unwrap_or_else(|| panic!("no ack_url: {answer}"))
        .to_string();
    (id_of(&answer), url)
}

async fn get_html(topo: &Topology, url: &str) -> (u16, String) {
    let response = topo
        .http()
        .get(url)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_ack_before_the_due_time_prevents_the_page_and_a_get_changes_nothing() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let (id, ack_url) = paged_alert(&topo, "acked-in-time", "0.05").await;

    // What a link preview or mail scanner does: GET, as HTML and as JSON. Nothing changes.
    let (status, html) = get_html(&topo, &ack_url).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("svc-acked-in-time"),
        "the page shows the alert: {html}"
    );
    assert!(
        html.contains("pending") && html.contains("<form method=\"post\""),
        "{html}"
    );
    let shown: Value = topo
        .http()
        .get(&ack_url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["state"], "pending", "{shown}");
    let incident = topo.incident(&id).await;
    assert_eq!(
        incident["state"], "pending",
        "a GET acknowledged: {incident:?}"
    );
    assert!(!incident.contains_key("acked_ms"));

    let (status, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "acked", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("will not be paged"),
        "{answer}"
    );
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "acked");
    assert_eq!(incident["acked_via"], "link");

    let due_ms: i64 = incident["due_ms"].parse().unwrap();
    sleep_until_ms(due_ms + 1500).await;
    let job = topo.job("escalate", &id).await;
    assert_eq!(
        job.get("state").map(String::as_str),
        Some("done"),
        "the escalate job ran: {job:?}"
    );
    assert!(
        topo.ssm.calls().is_empty(),
        "paged despite the ack: {:?}",
        topo.ssm.calls()
    );
    assert_eq!(topo.incident(&id).await["state"], "acked");
    assert!(topo
        .worker_log(0)
        .contains("acknowledged before the wait ran out"));
    // The Slack message says who acknowledged.
    assert!(topo.slack.wait_for_updates(1, Duration::from_secs(5)).await);
    assert!(topo.slack.updates()[0].to_string().contains("Acknowledged"));
}

#[tokio::test]
async fn a_second_ack_answers_already_acknowledged_with_the_time() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .workers(0)
        .start()
        .await;
    let (id, ack_url) = paged_alert(&topo, "acked-twice", "60").await;
    let (_, first) = post_ack(&topo, &ack_url).await;
    assert_eq!(first["result"], "acked", "{first}");
    let (status, second) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["result"], "already_acked", "{second}");
    assert_eq!(second["at"], first["at"], "the time of the first ack");
    let message = second["message"].as_str().unwrap();
    let at = first["at"].as_str().unwrap();
    assert!(
        message.contains("Already acknowledged") && message.contains(at),
        "{message}"
    );
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "acked");

    // Through the HTML form a person sees the same.
    let response = topo
        .http()
        .post(&ack_url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Already acknowledged") && html.contains(at),
        "{html}"
    );
}

#[tokio::test]
async fn an_ack_after_escalation_answers_with_the_aws_incident_arn() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let (id, ack_url) = paged_alert(&topo, "acked-late", "0").await;
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(5)).await);
    let arn = topo.ssm.started()[0].incident_record_arn.clone();
    let (ok, _) = topo
        .wait_incident(&id, Duration::from_secs(5), |f| {
            f.get("aws_arn") == Some(&arn)
        })
        .await;
    assert!(ok, "ARN not recorded");

    let (status, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "escalated", "{answer}");
    assert_eq!(answer["aws_incident_arn"], arn.as_str());
    assert!(
        answer["message"].as_str().unwrap().contains(&arn),
        "{answer}"
    );
    let incident = topo.incident(&id).await;
    assert_eq!(
        incident["state"], "escalated",
        "a late ack does not undo the page"
    );
    assert!(!incident.contains_key("acked_ms"));
    let (_, html) = get_html(&topo, &ack_url).await;
    assert!(
        html.contains(&arn) && !html.contains("id=\"ack\""),
        "no ack form once escalated: {html}"
    );
}

#[tokio::test]
async fn forged_or_garbled_tokens_are_404_and_change_nothing() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .workers(0)
        .start()
        .await;
    let (id, ack_url) = paged_alert(&topo, "forged", "60").await;
    let (_, other_id_url) = paged_alert(&topo, "forged-other", "60").await;
    let base = topo.api_url(0);
    let token = ack_url.rsplit('/').next().unwrap().to_string();
    let (token_id, signature) = token.split_once('.').unwrap();
    assert_eq!(token_id, id, "the token carries the incident id");
    let other_signature = other_id_url.rsplit('.').next().unwrap();

    let mut flipped = signature.to_string();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let forged = [
        format!("{id}.{flipped}"),         // one character changed
        format!("{id}.{other_signature}"), // another incident's signature
        AckSigner::new("a-different-secret-0123456789").token(&id), // signed with the wrong key
        format!("{id}."),                  // no signature
        id.clone(),                        // the bare id
        format!("{id}.%%%"),               // not base64
        "garbage".to_string(),
        format!("{}{}", &token[..token.len() - 4], "....."),
    ];
    for bad in &forged {
        for path in ["api/incidents/ack", "api/ack"] {
            let url = format!("{base}/{path}/{bad}");
            let (status, answer) = post_ack(&topo, &url).await;
            assert_eq!(status, 404, "POST {url}: {answer}");
            let (status, html) = get_html(&topo, &url).await;
            assert_eq!(status, 404, "GET {url}");
            assert!(html.contains("not valid"), "{html}");
        }
    }
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "pending", "{incident:?}");
    assert!(!incident.contains_key("acked_ms"));
    // The genuine token still works, and was made with the configured secret.
    assert_eq!(AckSigner::new(TEST_ACK_SECRET).token(&id), token);
    let (_, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(answer["result"], "acked", "{answer}");
}

#[tokio::test]
async fn the_api_ack_path_works_the_same() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let (id, ack_url) = paged_alert(&topo, "new-path", "0.05").await;
    let token = ack_url.rsplit('/').next().unwrap();
    let url = format!("{}/api/ack/{token}", topo.api_url(0));

    let (status, html) = get_html(&topo, &url).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("svc-new-path") && html.contains("pending"),
        "{html}"
    );
    assert_eq!(topo.incident(&id).await["state"], "pending");

    let (status, answer) = post_ack(&topo, &url).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "acked");
    let (_, again) = post_ack(&topo, &url).await;
    assert_eq!(again["result"], "already_acked");

    let due_ms: i64 = topo.incident(&id).await["due_ms"].parse().unwrap();
    sleep_until_ms(due_ms + 1500).await;
    assert!(topo.ssm.calls().is_empty(), "paged despite the ack");
    assert_eq!(topo.incident(&id).await["state"], "acked");
}
