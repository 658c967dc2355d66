//! An incident's life, end to end with the real `versus-api` and `versus-worker` binaries, Redis,
//! FakeSlack and FakeSsm: incident identity (Alertmanager `receiver + groupKey`, `?dedup_key=`, retried
//! POSTs) here, line breaks in `receiver`/`groupKey` and keys of the previous release in `identity`; an alert group changing in `group_changes`; resolves in `resolve`; acks, escalations and
//! failed pages showing in Slack in `state_banners`; names and noise marks in Slack in `noise_in_slack`.

mod group_changes;
mod identity;
mod noise_in_slack;
mod resolve;
mod state_banners;

use futures::future::join_all;
use serde_json::Value;
use versus_api::ingest::REQUEST_MEMORY;
use versus_tests::alertmanager_webhook::checkout_group;
use versus_tests::alerts::{created, freeform, id_of, outcome_of};
use versus_tests::slack_messages::{posted, replies_to, top_level, wait_top_level};
use versus_tests::topology::read_answer;
use versus_tests::topology::SETTLE;
use versus_tests::Topology;

/// Alertmanager re-sends the same group over and over: retries of one delivery (byte-identical) and the same
/// notification from the other replica of an HA pair (same group and alerts, another `externalURL`). Twenty of
/// them at once, spread over two API processes, are one incident, one Slack message and one page.
#[tokio::test]
async fn a_burst_of_20_resends_across_two_apis_is_one_incident_one_message_and_one_page() {
    let topo = Topology::builder().apis(2).oncall_enabled().start().await;
    let replica_0 = checkout_group("BurstErrors", &["pod-a", "pod-b"]).to_json();
    let mut replica_1 = replica_0.clone();
    replica_1["externalURL"] = "http://alertmanager-1:9093".into();
    let bodies = [
        serde_json::to_vec(&replica_0).unwrap(),
        serde_json::to_vec(&replica_1).unwrap(),
    ];
    let query = "oncall_wait_minutes=0.05"; // pages 3 s after the first one
    let sends = (0..20).map(|i| {
        let body = bodies[(i / 2) % 2].clone();
        let topo = &topo;
        async move {
            read_answer(
                topo.post_raw_to(i % 2, query, Some("application/json"), body)
                    .await,
            )
            .await
        }
    });
    let answers: Vec<(u16, Value)> = join_all(sends).await;

    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
    }
    let id = id_of(&answers[0].1);
    assert!(
        answers.iter().all(|(_, a)| id_of(a) == id),
        "every re-send names the same incident: {answers:?}"
    );
    let mut outcomes: Vec<&str> = answers.iter().map(|(_, a)| outcome_of(a)).collect();
    outcomes.sort();
    let count = |o: &str| outcomes.iter().filter(|x| **x == o).count();
    // Each body is stored once (the first of it), every repeat of a body is a retried request.
    assert_eq!(
        (
            count("created"),
            count("unchanged"),
            count("duplicate_request")
        ),
        (1, 1, 18),
        "{outcomes:?}"
    );
    assert_eq!(topo.incident_count().await, 1, "one incident record");

    let message = wait_top_level(&topo.slack, "BurstErrors").await;
    assert!(
        topo.ssm.wait_for_started(1, SETTLE).await,
        "on-call was never paged: {:?}",
        topo.ssm.calls()
    );
    topo.wait_job_finished("escalate", &id, SETTLE).await;
    topo.settle().await;
    assert_eq!(
        topo.ssm.started().len(),
        1,
        "exactly one StartIncident: {:?}",
        topo.ssm.started()
    );
    assert_eq!(topo.ssm.incident_count(), 1);
    assert_eq!(
        top_level(&topo.slack).len(),
        1,
        "one top-level message: {:#?}",
        posted(&topo.slack)
    );
    assert!(
        replies_to(&topo.slack, &message.ts).is_empty(),
        "the firing alerts never changed, so nothing is said in the thread"
    );
    assert!(
        topo.slack.updates().iter().all(|u| u["ts"] == message.ts),
        "only the one message is ever updated"
    );
    let incident = topo.incident(&id).await;
    assert_eq!(incident["slack_ts"], message.ts);
    assert_eq!(incident["state"], "escalated");
}

/// `?dedup_key=` gives free-form JSON an identity: posts with the same key are one incident, another key is
/// another incident, and without a key every (different) POST is an incident of its own.
#[tokio::test]
async fn dedup_key_groups_free_form_json_and_without_it_each_post_is_its_own_incident() {
    let topo = Topology::start().await;

    let first = created(&topo, "dedup_key=db-disk-full", &freeform("disk-1")).await;
    assert_eq!(outcome_of(&first), "created");
    let again = created(&topo, "dedup_key=db-disk-full", &freeform("disk-2")).await;
    assert_eq!(
        id_of(&again),
        id_of(&first),
        "same key, same incident: {again}"
    );
    assert_eq!(outcome_of(&again), "unchanged");
    let other = created(&topo, "dedup_key=db-cpu", &freeform("cpu-1")).await;
    assert_ne!(
        id_of(&other),
        id_of(&first),
        "another key, another incident"
    );

    let loose_1 = created(&topo, "", &freeform("loose-1")).await;
    let loose_2 = created(&topo, "", &freeform("loose-2")).await;
    assert_eq!(outcome_of(&loose_1), "created");
    assert_eq!(outcome_of(&loose_2), "created");
    assert_ne!(id_of(&loose_1), id_of(&loose_2));
    assert_eq!(topo.incident_count().await, 4);

    // The incident keeps the latest payload; Slack got one message per incident.
    let stored = topo.incident(&id_of(&first)).await;
    assert!(stored["payload"].contains("disk-2"), "{stored:?}");
    wait_top_level(&topo.slack, "svc-loose-2").await;
    topo.settle().await;
    let messages = top_level(&topo.slack);
    assert_eq!(messages.len(), 4, "{messages:#?}");
    let mentioning = |needle: &str| {
        messages
            .iter()
            .filter(|m| m.body.to_string().contains(needle))
            .count()
    };
    assert_eq!(mentioning("svc-disk-"), 1, "{messages:#?}");
    assert!(
        topo.slack.updates().is_empty(),
        "no alert set, nothing to update"
    );
}

/// A sender that timed out retries the very same POST. Delivered twice, in a row or at once to two API
/// processes, it is one incident, one message and one page.
#[tokio::test]
async fn the_same_post_delivered_twice_is_one_incident_one_message_and_one_page() {
    let topo = Topology::builder().apis(2).oncall_enabled().start().await;
    let query = "oncall_wait_minutes=0";

    // In a row: free-form JSON without a dedup key, where only the request itself identifies it.
    let body = freeform("retried");
    let first = created(&topo, query, &body).await;
    let retry = created(&topo, query, &body).await;
    assert_eq!(outcome_of(&first), "created");
    assert_eq!(outcome_of(&retry), "duplicate_request");
    assert_eq!(id_of(&retry), id_of(&first));

    // At once, on two API processes: an Alertmanager delivery and its retry racing each other.
    let am = serde_json::to_vec(&checkout_group("RetriedGroup", &["pod-a"]).to_json()).unwrap();
    let (a, b) = tokio::join!(
        topo.post_raw_to(0, query, Some("application/json"), am.clone()),
        topo.post_raw_to(1, query, Some("application/json"), am.clone()),
    );
    let (a, b) = (read_answer(a).await, read_answer(b).await);
    assert_eq!((a.0, b.0), (201, 201), "{a:?} {b:?}");
    assert_eq!(id_of(&a.1), id_of(&b.1));
    let mut outcomes = [outcome_of(&a.1), outcome_of(&b.1)];
    outcomes.sort();
    assert_eq!(outcomes, ["created", "duplicate_request"]);

    assert!(
        topo.ssm.wait_for_started(2, SETTLE).await,
        "both incidents page: {:?}",
        topo.ssm.calls()
    );
    for id in [id_of(&first), id_of(&a.1)] {
        topo.wait_job_finished("escalate", &id, SETTLE).await;
    }
    topo.settle().await;
    assert_eq!(topo.incident_count().await, 2);
    assert_eq!(
        top_level(&topo.slack).len(),
        2,
        "{:#?}",
        posted(&topo.slack)
    );
    assert_eq!(topo.ssm.started().len(), 2, "{:?}", topo.ssm.started());
    assert_eq!(topo.ssm.incident_count(), 2);

    // Requests are remembered for `REQUEST_MEMORY` (longer than a sender's retries go on), so a late retry is
    // still recognised.
    let memory_ms = REQUEST_MEMORY.as_millis() as i64;
    let mut conn = topo.redis_conn().await;
    let remembered: Vec<String> = redis::cmd("KEYS")
        .arg(topo.key("request:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(remembered.len(), 2, "{remembered:?}");
    for key in remembered {
        let ttl_ms: i64 = redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            (memory_ms - 60_000..=memory_ms).contains(&ttl_ms),
            "{key} expires in {ttl_ms} ms"
        );
    }
    let late = created(&topo, query, &body).await;
    assert_eq!(outcome_of(&late), "duplicate_request");
    assert_eq!(id_of(&late), id_of(&first));
}
