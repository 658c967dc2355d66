//! When on-call applies and what a page looks like, with the real aws-sdk-ssmincidents in
//! versus-worker talking to FakeSsm: each scenario of "Testing the Critical-Only Approach", the query
//! parameters and their `400`s, resolved payloads, and start-up errors. Acks are in `ack`, AWS
//! failures in `failures`, the ack/escalate race in `race`, how late escalations are in `lateness`.

mod ack;
mod ack_headers;
mod failures;
mod generated_ack_secret;
mod lateness;
mod race;

use std::time::Duration;

use serde_json::{json, Value};
use versus_tests::alertmanager_webhook::{Notification, CHECKOUT_RESOLVED_AT};
use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::slack_messages::{action_blocks, wait_post};
use versus_tests::timing::{ms_of, now_ms, sleep_until_ms};
use versus_tests::topology::{Role, TEST_RESPONSE_PLAN_ARN};
use versus_tests::{wait_until, Topology};

const APP_PLAN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/AppCriticalPlan";
const PLATFORM_PLAN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/PlatformPlan";

/// The documentation's curl bodies.
fn doc_alert(logs: &str, service: &str) -> Value {
    json!({"Logs": logs, "ServiceName": service, "Severity": "critical"})
}

#[tokio::test]
async fn scenario_1_by_default_a_critical_alert_does_not_page() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let body = doc_alert(
        "[CRITICAL] This is a critical alert that should not trigger on-call",
        "test-service",
    );
    let answer = created(&topo, "", &body).await;
    let id = id_of(&answer);
    assert!(answer.get("ack_url").is_none(), "{answer}");
    // It appears in Slack, without an acknowledge button.
    let post = wait_post(
        &topo.slack,
        "should not trigger on-call",
        Duration::from_secs(5),
    )
    .await
    .expect("posted to Slack");
    assert!(action_blocks(&post).is_empty(), "{post}");
    // No escalation was even scheduled, so none can ever fire.
    let incident = topo.incident(&id).await;
    assert_eq!(incident["oncall"], "0");
    assert!(!incident.contains_key("due_ms"));
    assert!(topo.job("escalate", &id).await.is_empty());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(topo.ssm.calls().is_empty(), "no AWS call at all");

    // Same with ?oncall_enable=false explicitly.
    let answer = created(
        &topo,
        "oncall_enable=false",
        &doc_alert("explicit no", "svc-x"),
    )
    .await;
    assert!(topo.job("escalate", &id_of(&answer)).await.is_empty());
}

#[tokio::test]
async fn scenario_2_oncall_enable_pages_after_the_wait_when_not_acked() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let body = Notification::sample().to_json();
    let sent = serde_json::to_string(&body).unwrap();
    let posted_ms = now_ms();
    // 0.05 minutes = 3 s.
    let answer = created(&topo, "oncall_enable=true&oncall_wait_minutes=0.05", &body).await;
    let id = id_of(&answer);
    let ack_url = answer["ack_url"].as_str().expect("an ack_url").to_string();
    let incident = topo.incident(&id).await;
    let due_ms: i64 = incident["due_ms"].parse().unwrap();
    let wait_ms = due_ms - incident["created_ms"].parse::<i64>().unwrap();
    assert_eq!(wait_ms, 3000, "due = receipt + 0.05 min");

    // The Slack message carries the acknowledge button.
    let post = wait_post(&topo.slack, "HighErrorRate", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        action_blocks(&post)[0]["elements"][0]["url"],
        ack_url.as_str()
    );
    // A link preview (GET) does not count as an ack.
    let page = topo
        .http()
        .get(&ack_url)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(10)).await,
        "never paged; worker log:\n{}",
        topo.worker_log(0)
    );
    let started = topo.ssm.started().remove(0);
    let received_ms = ms_of(started.received_at_system);
    assert!(
        received_ms >= due_ms,
        "paged {} ms before the due time",
        due_ms - received_ms
    );
    println!(
        "scenario 2: StartIncident {} ms after the due time",
        received_ms - due_ms
    );

    // What AWS receives.
    assert_eq!(started.response_plan_arn, TEST_RESPONSE_PLAN_ARN);
    let title = started.title.clone().expect("a title");
    assert!(title.chars().count() <= 200);
    for needle in ["HighErrorRate", "CRITICAL", "checkout"] {
        assert!(
            title.contains(needle),
            "{needle:?} missing from title {title:?}"
        );
    }
    assert_eq!(started.impact, Some(1), "critical is impact 1");
    assert!(
        started.client_token.contains(&id),
        "clientToken {} is not derived from {id}",
        started.client_token
    );
    let trigger = started.trigger_details.clone().expect("triggerDetails");
    assert_eq!(trigger["source"], "versus");
    let timestamp_ms = (trigger["timestamp"].as_f64().expect("epoch seconds") * 1000.0) as i64;
    assert!(
        timestamp_ms >= posted_ms - 1000 && timestamp_ms <= now_ms() + 1000,
        "trigger timestamp {timestamp_ms} is not around now"
    );
    assert_eq!(
        trigger["rawData"].as_str(),
        Some(sent.as_str()),
        "rawData is the payload as received"
    );

    // The incident record gets the AWS incident's ARN, and Slack shows the escalation.
    let (ok, incident) = topo
        .wait_incident(&id, Duration::from_secs(5), |f| {
            f.get("aws_arn") == Some(&started.incident_record_arn)
        })
        .await;
    assert!(ok, "ARN not recorded: {incident:?}");
    assert_eq!(incident["state"], "escalated");
    assert!(
        topo.slack.wait_for_updates(1, Duration::from_secs(5)).await,
        "the Slack message was not updated"
    );
    let update = topo.slack.updates().remove(0).to_string();
    assert!(
        update.contains("Escalated") && update.contains(&started.incident_record_arn),
        "{update}"
    );
    // Exactly one incident for this alert.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tokens = topo.ssm.incidents_by_token();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[&started.client_token].start_calls, 1);
}

#[tokio::test]
async fn oncall_enable_in_config_pages_unless_the_request_opts_out() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let opted_out = created(
        &topo,
        "oncall_enable=false&oncall_wait_minutes=0",
        &freeform("opt-out"),
    )
    .await;
    assert!(opted_out.get("ack_url").is_none(), "{opted_out}");
    let paged = created(&topo, "oncall_wait_minutes=0", &freeform("by-default")).await;
    assert!(paged["ack_url"].is_string(), "{paged}");
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(5)).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = topo.ssm.started();
    assert_eq!(
        started.len(),
        1,
        "only the alert that did not opt out pages"
    );
    assert!(started[0].client_token.contains(&id_of(&paged)));
}

#[tokio::test]
async fn scenario_3_a_wait_of_zero_pages_at_once_through_the_queue() {
    let mut topo = Topology::builder().oncall_initialized_only().start().await;
    // With the worker stopped, the API alone must not page: the page goes through the queue.
    topo.kill(Role::Worker, 0).await;
    let body = doc_alert(
        "[CRITICAL] This is a critical alert that should trigger on-call IMMEDIATELY",
        "test-service",
    );
    let answer = created(&topo, "oncall_enable=true&oncall_wait_minutes=0", &body).await;
    let id = id_of(&answer);
    let job = topo.job("escalate", &id).await;
    assert_eq!(job.get("state").map(String::as_str), Some("due"), "{job:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        topo.ssm.calls().is_empty(),
        "the API paged inside the HTTP request"
    );

    topo.start_again(Role::Worker, 0).await;
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(5)).await);
    drop(topo);

    // With a worker running, "at once" means within a second of the 201.
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let body = doc_alert("[CRITICAL] immediate, measured", "test-service");
    let answer = created(&topo, "oncall_enable=true&oncall_wait_minutes=0", &body).await;
    let accepted = std::time::Instant::now();
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(5)).await);
    let started = topo.ssm.started().remove(0);
    let took = started.received_at.saturating_duration_since(accepted);
    println!("scenario 3: StartIncident {took:?} after the 201");
    assert!(
        took <= Duration::from_secs(1),
        "a wait of 0 paged after {took:?}"
    );
    assert!(started.client_token.contains(&id_of(&answer)));
    assert_eq!(
        started.trigger_details.unwrap()["rawData"],
        body.to_string()
    );
}

#[tokio::test]
async fn scenario_4_the_response_plan_override_uses_the_other_arn_and_unknown_keys_are_listed() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .env(
            "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__OTHER_RESPONSE_PLAN_ARNS__APP",
            APP_PLAN,
        )
        .env(
            "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__OTHER_RESPONSE_PLAN_ARNS__PLATFORM",
            PLATFORM_PLAN,
        )
        .start()
        .await;
    for (key, arn) in [("app", APP_PLAN), ("platform", PLATFORM_PLAN)] {
        let body = doc_alert(
            "[CRITICAL] Platform issue requiring specific team",
            &format!("{key}-service"),
        );
        let query =
            format!("oncall_enable=true&oncall_wait_minutes=0&awsim_other_response_plan={key}");
        let id = id_of(&created(&topo, &query, &body).await);
        let started = wait_until(
            Duration::from_secs(5),
            format!("{key} to page"),
            async || {
                topo.ssm
                    .started()
                    .into_iter()
                    .find(|s| s.client_token.contains(&id))
            },
        )
        .await;
        assert_eq!(
            started.response_plan_arn, arn,
            "awsim_other_response_plan={key}"
        );
        assert!(started
            .incident_record_arn
            .contains(arn.rsplit('/').next().unwrap()));
    }

    let (status, answer) = topo
        .post_alert(
            "oncall_enable=true&awsim_other_response_plan=network",
            &freeform("unknown-plan"),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(message.contains("network"), "{message}");
    assert!(message.contains("known keys: [app, platform]"), "{message}");
}

#[tokio::test]
async fn bad_waits_are_400_with_the_allowed_range_and_store_nothing() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .workers(0)
        .start()
        .await;
    for wait in ["-1", "abc", "1441", "NaN", "inf", "", "1e9"] {
        let (status, answer) = topo
            .post_alert(
                &format!("oncall_enable=true&oncall_wait_minutes={wait}"),
                &freeform("bad-wait"),
            )
            .await;
        assert_eq!(status, 400, "wait {wait:?}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(
            message.contains("from 0 to 1440"),
            "wait {wait:?}: {message}"
        );
    }
    // The edges are allowed.
    for wait in ["0", "1440", "0.5"] {
        let (status, answer) = topo
            .post_alert(
                &format!("oncall_enable=true&oncall_wait_minutes={wait}"),
                &freeform(&format!("edge-{wait}")),
            )
            .await;
        assert_eq!(status, 201, "wait {wait:?}: {answer}");
    }
    let (status, answer) = topo
        .post_alert("oncall_enable=perhaps", &freeform("bad-flag"))
        .await;
    assert_eq!(status, 400, "{answer}");
    drop(topo);

    // On-call not set up at all: asking for it is an error, not a silent no-page.
    let topo = Topology::builder().workers(0).start().await;
    let (status, answer) = topo
        .post_alert("oncall_enable=true", &freeform("not-set-up"))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("oncall.enable"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_resolved_payload_never_starts_an_escalation() {
    let topo = Topology::builder().oncall_enabled().start().await;
    // A resolved payload with nothing open: posted, never paged, not even scheduled.
    let answer = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0",
        &Notification::sample()
            .resolved_at(CHECKOUT_RESOLVED_AT)
            .to_json(),
    )
    .await;
    let id = id_of(&answer);
    assert!(answer.get("ack_url").is_none(), "{answer}");
    assert_eq!(topo.incident(&id).await["state"], "resolved");
    assert!(
        topo.job("escalate", &id).await.is_empty(),
        "an escalation was scheduled"
    );

    // A firing alert that resolves before its due time is not paged either.
    let firing = created(
        &topo,
        "oncall_wait_minutes=0.05",
        &Notification::sample().to_json(),
    )
    .await;
    let firing_id = id_of(&firing);
    assert_ne!(firing_id, id);
    let resolved = created(
        &topo,
        "oncall_wait_minutes=0.05",
        &Notification::sample()
            .resolved_at(CHECKOUT_RESOLVED_AT)
            .to_json(),
    )
    .await;
    assert_eq!(
        id_of(&resolved),
        firing_id,
        "the resolve joins the open incident"
    );
    assert_eq!(resolved["outcome"], "resolved");
    let due_ms: i64 = topo.incident(&firing_id).await["due_ms"].parse().unwrap();
    sleep_until_ms(due_ms + 1500).await;
    let job = topo.job("escalate", &firing_id).await;
    assert_eq!(
        job.get("state").map(String::as_str),
        Some("done"),
        "the escalate job ran: {job:?}"
    );
    assert!(topo.ssm.calls().is_empty(), "a resolved incident was paged");
    assert_eq!(topo.incident(&firing_id).await["state"], "resolved");
    assert!(topo
        .worker_log(0)
        .contains("resolved before the wait ran out"));
}

#[tokio::test]
async fn oncall_without_a_response_plan_or_with_a_short_ack_secret_or_without_redis_host_is_a_start_up_error(
) {
    let topo = Topology::builder().apis(0).workers(0).start().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("ONCALL_ENABLE", "true"),
                ("AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN", ""),
            ],
            "oncall.aws_incident_manager.response_plan_arn",
        ),
        (
            &[
                ("ONCALL_INITIALIZED_ONLY", "true"),
                ("AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN", ""),
            ],
            "oncall.aws_incident_manager.response_plan_arn",
        ),
        (
            &[
                ("ONCALL_ENABLE", "true"),
                ("VERSUS_ACK_SECRET", "too-short"),
            ],
            "oncall.ack_secret",
        ),
        (
            // REDIS_HOST="" would fall back to the file's ${REDIS_HOST:-127.0.0.1}; the override does not.
            &[("ONCALL_ENABLE", "true"), ("VERSUS__REDIS__HOST", "")],
            "redis.host",
        ),
    ];
    for (overrides, key) in cases {
        for role in [Role::Api, Role::Worker] {
            let mut process = topo.spawn_unchecked(role, overrides);
            let status = process
                .wait_exit(Duration::from_secs(20))
                .await
                .unwrap_or_else(|| panic!("{role:?} with {overrides:?} kept running"));
            assert!(
                !status.success(),
                "{role:?} with {overrides:?} exited {status}"
            );
            let log = process.log_contents();
            assert!(
                log.contains(key),
                "{role:?} with {overrides:?} did not name {key}:\n{log}"
            );
        }
    }
}
