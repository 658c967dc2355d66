//! AWS failures with the real SDK against FakeSsm: throttling is retried and pages exactly
//! once; AccessDenied and ResourceNotFound are permanent, so the job is dead-lettered at once with an
//! error log naming the permission or ARN, and the alert's Slack channel hears that paging failed.

use std::time::Duration;

use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::slack_messages::wait_post;
use versus_tests::topology::TEST_RESPONSE_PLAN_ARN;
use versus_tests::{wait_until, SsmFailure, Topology};

#[tokio::test]
async fn throttling_for_a_stretch_is_retried_and_pages_exactly_once() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    topo.ssm.set_mode(SsmFailure::Throttling);
    let answer = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0",
        &freeform("throttled"),
    )
    .await;
    let id = id_of(&answer);
    let throttled = |topo: &Topology| {
        topo.ssm
            .calls()
            .iter()
            .filter(|c| c.error_type.as_deref() == Some("ThrottlingException"))
            .count()
    };
    wait_until(
        Duration::from_secs(15),
        || format!("StartIncident to be retried; calls: {:?}", topo.ssm.calls()),
        async || throttled(&topo) >= 3,
    )
    .await;
    topo.ssm.clear_mode();
    assert!(
        topo.ssm.wait_for_started(1, Duration::from_secs(20)).await,
        "never paged after the throttling ended; worker log:\n{}",
        topo.worker_log(0)
    );
    let arn = topo.ssm.started()[0].incident_record_arn.clone();
    let (ok, incident) = topo
        .wait_incident(&id, Duration::from_secs(5), |f| {
            f.get("aws_arn") == Some(&arn)
        })
        .await;
    assert!(ok, "{incident:?}");
    // Nothing more happens afterwards.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let tokens = topo.ssm.incidents_by_token();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let (token, started) = tokens.iter().next().unwrap();
    assert!(token.contains(&id));
    assert_eq!(started.start_calls, 1, "exactly one accepted StartIncident");
    let attempts = topo.ssm.calls().len();
    println!(
        "throttled {} times, paged on attempt {attempts}",
        throttled(&topo)
    );
    assert!(topo.dead_letters("escalate").await.is_empty());
    assert!(topo.worker_log(0).contains("will retry"));
    assert!(!topo.worker_log(0).contains("PAGING FAILED"));
}

/// Posts an alert that pages at once while FakeSsm answers `failure`; checks the permanent-failure
/// path and returns the worker's error line.
async fn permanent_failure(
    failure: SsmFailure,
    query_extra: &str,
    plan: &str,
    marker: &str,
) -> String {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .env(
            "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__OTHER_RESPONSE_PLAN_ARNS__GONE",
            "arn:aws:ssm-incidents::123456789012:response-plan/Deleted",
        )
        .start()
        .await;
    topo.ssm.set_mode(failure.clone());
    let query = format!("oncall_enable=true&oncall_wait_minutes=0{query_extra}");
    let id = id_of(&created(&topo, &query, &freeform(marker)).await);

    let dead = topo
        .wait_dead_letter("escalate", &id, Duration::from_secs(10))
        .await;
    assert!(
        dead,
        "{failure:?}: not dead-lettered; worker log:\n{}",
        topo.worker_log(0)
    );
    assert_eq!(topo.dead_letters("escalate").await, [id.as_str()]);
    let job = topo.job("escalate", &id).await;
    assert_eq!(job["attempts"], "1", "dead at once: {job:?}");

    // The channel hears about it.
    let warning = wait_post(
        &topo.slack,
        "Paging on-call FAILED",
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|| {
        panic!(
            "{failure:?}: no Slack message about the failed page: {:?}",
            topo.slack.calls()
        )
    });
    let text = warning["text"].as_str().unwrap();
    assert!(text.contains(&format!("svc-{marker}")), "{text}");
    assert!(text.contains(failure.error_type()), "{text}");
    let incident = topo.incident(&id).await;
    assert!(
        incident["page_failed"].contains(failure.error_type()),
        "{incident:?}"
    );
    assert!(incident.get("aws_arn").is_none_or(|a| a.is_empty()));

    // No retries of a permanent error.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topo.ssm.calls().len(), 1, "{failure:?} was retried");
    assert!(topo.ssm.started().is_empty());

    let log = topo.worker_log(0);
    let line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("PAGING FAILED"))
        .unwrap_or_else(|| panic!("no error line about the failed page:\n{log}"))
        .to_string();
    assert!(line.contains(plan), "the log names the ARN {plan}: {line}");
    line
}

#[tokio::test]
async fn access_denied_dead_letters_logs_the_missing_permission_and_tells_slack() {
    let line = permanent_failure(
        SsmFailure::AccessDenied,
        "",
        TEST_RESPONSE_PLAN_ARN,
        "denied",
    )
    .await;
    assert!(line.contains("AccessDeniedException"), "{line}");
    assert!(
        line.contains("ssm-incidents:StartIncident"),
        "the log names the permission: {line}"
    );
}

#[tokio::test]
async fn a_missing_response_plan_dead_letters_and_names_the_arn_and_key() {
    let plan = "arn:aws:ssm-incidents::123456789012:response-plan/Deleted";
    let line = permanent_failure(
        SsmFailure::ResourceNotFound,
        "&awsim_other_response_plan=gone",
        plan,
        "gone-plan",
    )
    .await;
    assert!(line.contains("ResourceNotFoundException"), "{line}");
    assert!(
        line.contains("other_response_plan_arns"),
        "the log names the key to fix: {line}"
    );
}

#[tokio::test]
async fn aws_server_errors_are_retried_and_page_once() {
    // A server error is transient: retried until AWS answers, then paged once.
    let topo = Topology::builder().oncall_initialized_only().start().await;
    topo.ssm.fail_next(2, SsmFailure::InternalServer);
    let id = id_of(
        &created(
            &topo,
            "oncall_enable=true&oncall_wait_minutes=0",
            &freeform("aws-500"),
        )
        .await,
    );
    assert!(topo.ssm.wait_for_started(1, Duration::from_secs(15)).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(topo.ssm.calls().len(), 3, "two 500s, then success");
    assert_eq!(topo.ssm.incident_count(), 1);
    assert!(topo.ssm.started()[0].client_token.contains(&id));
    assert!(topo.dead_letters("escalate").await.is_empty());
}

#[tokio::test]
async fn impact_follows_severity_and_long_alerts_are_cut_to_start_incidents_limits() {
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let cases = [
        ("warning", 3),
        ("info", 4),
        ("CRITICAL", 1),
        ("something-else", 3),
    ];
    for (severity, _) in cases {
        let body = serde_json::json!({
            "Logs": format!("impact check {severity}"),
            "ServiceName": format!("svc-impact-{severity}"),
            "Severity": severity,
        });
        created(&topo, "oncall_enable=true&oncall_wait_minutes=0", &body).await;
    }
    // 500-character service name (multi-byte), 60 KB of logs.
    let service = format!("svc-long-{}", "é".repeat(500));
    let logs = "ünïcødé log line that goes on and on\n".repeat(1600);
    let long = serde_json::json!({"Logs": logs, "ServiceName": service, "Severity": "critical"});
    let long_id = id_of(&created(&topo, "oncall_enable=true&oncall_wait_minutes=0", &long).await);

    assert!(
        topo.ssm
            .wait_for_started(cases.len() + 1, Duration::from_secs(10))
            .await,
        "not every page was accepted: {:?}",
        topo.ssm.rejected()
    );
    assert!(topo.ssm.rejected().is_empty(), "{:?}", topo.ssm.rejected());
    let started = topo.ssm.started();
    for (severity, impact) in cases {
        let page = started
            .iter()
            .find(|s| {
                s.title
                    .as_deref()
                    .is_some_and(|t| t.contains(&format!("svc-impact-{severity}")))
            })
            .unwrap_or_else(|| panic!("no page for {severity}"));
        assert_eq!(page.impact, Some(impact), "severity {severity}");
    }
    let page = started
        .iter()
        .find(|s| s.client_token.contains(&long_id))
        .expect("the long alert paged");
    let title = page.title.as_deref().unwrap();
    assert!(
        title.chars().count() <= 200,
        "title of {} characters",
        title.chars().count()
    );
    assert!(title.starts_with("[CRITICAL] svc-long-é"), "{title}");
    let raw = page.trigger_details.as_ref().unwrap()["rawData"]
        .as_str()
        .unwrap();
    assert!(
        raw.chars().count() <= 10_000,
        "rawData of {} characters",
        raw.chars().count()
    );
    let sent = long.to_string();
    assert!(sent.starts_with(raw), "rawData is the start of the payload");
    assert!(raw.chars().count() > 9_000, "cut, not dropped");
}
