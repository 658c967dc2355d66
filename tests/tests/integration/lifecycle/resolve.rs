//! Resolves: a `resolved` payload closes the open incident, cancels its page if it was still pending, turns
//! its Slack message green with the time, says so when it had been escalated, and (when configured) resolves the
//! AWS incident. A resolve with nothing open is a plain message; after a resolve the same key starts anew.

use std::time::Duration;

use serde_json::json;
use versus_tests::{wait_until, Topology};

use versus_tests::alertmanager_webhook::{checkout_group, CHECKOUT_RESOLVED_AT};
use versus_tests::alerts::{created, freeform, id_of, outcome_of};
use versus_tests::slack_messages::{
    button_ids, color, posted, shown_time, status_line, top_level, wait_top_level, wait_update,
    GREEN,
};
use versus_tests::topology::SETTLE;

#[tokio::test]
async fn resolve_before_the_due_time_prevents_the_page_and_turns_the_message_green() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let query = "oncall_wait_minutes=0.1"; // due 6 s after the POST
    let firing = checkout_group("ResolvedEarly", &["pod-a"]).to_json();
    let opened = created(&topo, query, &firing).await;
    let id = id_of(&opened);
    assert!(opened["ack_url"].is_string(), "on-call applies: {opened}");
    let message = wait_top_level(&topo.slack, "ResolvedEarly").await;
    assert_eq!(
        button_ids(&message.body),
        ["versus_ack_link", "versus_noise_link"],
        "{}",
        message.body
    );

    let resolved = checkout_group("ResolvedEarly", &["pod-a"])
        .resolved_at(CHECKOUT_RESOLVED_AT)
        .to_json();
    let answer = created(&topo, query, &resolved).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "resolved")
    );
    assert!(answer.get("ack_url").is_none(), "{answer}");
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "resolved");
    let (resolved_ms, due_ms): (i64, i64) = (
        incident["resolved_ms"].parse().unwrap(),
        incident["due_ms"].parse().unwrap(),
    );
    assert!(
        resolved_ms < due_ms,
        "the test needs the resolve to come before the page is due: {incident:?}"
    );

    let update = wait_update(&topo.slack, &message.ts, "Resolved").await;
    assert_eq!(
        status_line(&update).unwrap(),
        format!("🟢 Resolved at {}", shown_time(&incident, "resolved_ms"))
    );
    assert_eq!(color(&update).as_deref(), Some(GREEN), "{update}");
    assert_eq!(
        button_ids(&update),
        ["versus_noise_link"],
        "no acknowledge button once resolved; noise can still be marked: {update}"
    );
    assert!(
        update["text"].as_str().unwrap().starts_with("🟢 Resolved"),
        "{update}"
    );

    // The page comes due, finds the incident resolved, and does nothing.
    let job = topo
        .wait_job_finished("escalate", &id, Duration::from_secs(30))
        .await;
    assert_eq!(job["state"], "done", "{job:?}");
    assert!(
        topo.worker_log(0)
            .contains("resolved before the wait ran out; not paging"),
        "{}",
        topo.worker_log(0)
    );
    topo.settle().await;
    assert!(topo.ssm.calls().is_empty(), "{:?}", topo.ssm.calls());
    assert_eq!(topo.incident(&id).await["state"], "resolved");

    // The group fires again (Alertmanager gives the alert a new startsAt): a new incident and message.
    let mut again = firing.clone();
    again["alerts"][0]["startsAt"] = "2024-01-02T16:00:00Z".into();
    let answer = created(&topo, "oncall_wait_minutes=60", &again).await;
    assert_eq!(outcome_of(&answer), "created");
    assert_ne!(id_of(&answer), id, "a resolved incident is never reopened");
    topo.settle().await;
    let messages = top_level(&topo.slack);
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        button_ids(&messages[1].body).contains(&"versus_ack_link".to_string()),
        "pending again, with a button"
    );
}

/// Escalated, then resolved, with the default `resolve_incident: false`: Slack says it was escalated, and the AWS
/// incident is left to its responders.
#[tokio::test]
async fn resolve_after_escalation_says_the_incident_was_escalated() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=0",
            &checkout_group("ResolvedLate", &["pod-a"]).to_json(),
        )
        .await,
    );
    let message = wait_top_level(&topo.slack, "ResolvedLate").await;
    wait_update(&topo.slack, &message.ts, "arn:aws:ssm-incidents").await;

    let answer = created(
        &topo,
        "",
        &checkout_group("ResolvedLate", &["pod-a"])
            .resolved_at(CHECKOUT_RESOLVED_AT)
            .to_json(),
    )
    .await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "resolved")
    );
    let (resolved, incident) = topo
        .wait_incident(&id, SETTLE, |f| f["state"] == "resolved")
        .await;
    assert!(resolved, "incident {id} never got resolved: {incident:?}");
    assert_eq!(incident["resolved_from"], "escalated");
    let update = wait_update(&topo.slack, &message.ts, "Resolved").await;
    assert_eq!(
        status_line(&update).unwrap(),
        format!(
            "🟢 Resolved at {} (was escalated)",
            shown_time(&incident, "resolved_ms")
        )
    );
    assert_eq!(color(&update).as_deref(), Some(GREEN));
    topo.settle().await;
    assert!(topo.ssm.updates().is_empty(), "{:?}", topo.ssm.updates());
    assert!(topo.job("aws_resolve", &id).await.is_empty());
    assert_eq!(topo.ssm.started().len(), 1);
}

/// With `oncall.aws_incident_manager.resolve_incident: true`, resolving an escalated incident also resolves its
/// AWS incident: `UpdateIncidentRecord` with the ARN StartIncident returned and status RESOLVED.
#[tokio::test]
async fn resolve_after_escalation_resolves_the_aws_incident_when_configured() {
    let topo = Topology::builder()
        .oncall_enabled()
        .env(
            "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__RESOLVE_INCIDENT",
            "true",
        )
        .start()
        .await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=0",
            &checkout_group("ResolvedInAws", &["pod-a"]).to_json(),
        )
        .await,
    );
    assert!(topo.ssm.wait_for_started(1, SETTLE).await, "never paged");
    let arn = topo.ssm.started()[0].incident_record_arn.clone();
    let (recorded, incident) = topo
        .wait_incident(&id, SETTLE, |f| f.get("aws_arn") == Some(&arn))
        .await;
    assert!(
        recorded,
        "incident {id} never got the AWS incident ARN: {incident:?}"
    );

    let answer = created(
        &topo,
        "",
        &checkout_group("ResolvedInAws", &["pod-a"])
            .resolved_at(CHECKOUT_RESOLVED_AT)
            .to_json(),
    )
    .await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "resolved")
    );
    wait_until(
        SETTLE,
        || format!("an UpdateIncidentRecord; calls: {:?}", topo.ssm.calls()),
        async || !topo.ssm.updates().is_empty(),
    )
    .await;
    let update = &topo.ssm.updates()[0];
    assert_eq!(update.arn, arn);
    assert_eq!(
        update.status.as_deref(),
        Some("RESOLVED"),
        "{:?}",
        update.body
    );
    let message = wait_top_level(&topo.slack, "ResolvedInAws").await;
    wait_update(&topo.slack, &message.ts, "(was escalated)").await;
    topo.settle().await;
    assert_eq!(topo.ssm.updates().len(), 1, "{:?}", topo.ssm.updates());
    assert_eq!(topo.job("aws_resolve", &id).await["state"], "done");
}

/// A `resolved` webhook for a group with nothing open (Versus restarted with an empty Redis, or the firing
/// notification went elsewhere) is posted as a message of its own and never pages; the group's next firing
/// notification is a new incident.
#[tokio::test]
async fn a_resolved_payload_with_no_open_incident_is_posted_as_a_plain_message() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let resolved = checkout_group("NothingOpen", &["pod-a"])
        .resolved_at(CHECKOUT_RESOLVED_AT)
        .to_json();
    let answer = created(&topo, "oncall_wait_minutes=0", &resolved).await;
    let id = id_of(&answer);
    assert_eq!(outcome_of(&answer), "created");
    assert!(
        answer.get("ack_url").is_none(),
        "nothing to acknowledge: {answer}"
    );
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "resolved");
    assert_eq!(
        incident["oncall"], "0",
        "a resolve never pages: {incident:?}"
    );
    assert!(
        topo.job("escalate", &id).await.is_empty(),
        "no page is scheduled"
    );

    let message = wait_top_level(&topo.slack, "NothingOpen").await;
    assert!(
        !button_ids(&message.body).contains(&"versus_ack_link".to_string()),
        "{}",
        message.body
    );
    assert!(
        message.body.to_string().contains("✅"),
        "the template's resolved form: {}",
        message.body
    );
    assert_eq!(color(&message.body).as_deref(), Some(GREEN));

    // A retry of it is recognised; a firing notification afterwards opens an incident as usual.
    let retry = created(&topo, "oncall_wait_minutes=0", &resolved).await;
    assert_eq!(
        (id_of(&retry), outcome_of(&retry)),
        (id.clone(), "duplicate_request")
    );
    let firing = created(
        &topo,
        "oncall_wait_minutes=60",
        &checkout_group("NothingOpen", &["pod-a"]).to_json(),
    )
    .await;
    assert_eq!(outcome_of(&firing), "created");
    assert_ne!(id_of(&firing), id);
    topo.settle().await;
    assert_eq!(top_level(&topo.slack).len(), 2);
    assert!(
        topo.slack.updates().is_empty(),
        "{:?}",
        topo.slack.updates()
    );
    assert!(topo.ssm.calls().is_empty());
}

/// Free-form JSON with `?dedup_key=` resolves the same way, and once resolved the key starts a new incident,
/// even when the new alert is word for word the old one (a flapping check that sends a fixed body).
#[tokio::test]
async fn once_resolved_the_same_key_starts_a_new_incident_even_with_an_identical_body() {
    let topo = Topology::start().await;
    let query = "dedup_key=backup-job";
    let body = freeform("backup");
    let first = created(&topo, query, &body).await;
    let message = wait_top_level(&topo.slack, "svc-backup").await;

    let resolve =
        json!({"status": "resolved", "ServiceName": "svc-backup", "Logs": "backup finished"});
    let answer = created(&topo, query, &resolve).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id_of(&first), "resolved")
    );
    wait_update(&topo.slack, &message.ts, "Resolved").await;

    let again = created(&topo, query, &body).await;
    assert_eq!(
        outcome_of(&again),
        "created",
        "the check fired again after it resolved: {again}"
    );
    assert_ne!(id_of(&again), id_of(&first));
    topo.settle().await;
    assert_eq!(
        top_level(&topo.slack).len(),
        2,
        "{:#?}",
        posted(&topo.slack)
    );
    // A retry of that new delivery is still recognised.
    let retry = created(&topo, query, &body).await;
    assert_eq!(
        (id_of(&retry), outcome_of(&retry)),
        (id_of(&again), "duplicate_request")
    );
}
