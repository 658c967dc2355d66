//! An Alertmanager group changing while its incident is open: the one Slack message is edited in place and a
//! short thread reply says what changed; a re-send with the same firing alerts says nothing.

use versus_tests::alertmanager_webhook::checkout_group;
use versus_tests::alerts::{created, id_of, outcome_of};
use versus_tests::slack_messages::{posted, replies_to, top_level, updates_of, wait_top_level};
use versus_tests::topology::SETTLE;
use versus_tests::topology::TEST_SLACK_CHANNEL;
use versus_tests::{wait_until, Topology};

#[tokio::test]
async fn an_alert_joining_or_leaving_the_group_edits_the_message_and_says_so_in_its_thread() {
    let topo = Topology::start().await;
    let two = checkout_group("GroupGrows", &["pod-a", "pod-b"]).to_json();
    let id = id_of(&created(&topo, "", &two).await);
    let message = wait_top_level(&topo.slack, "GroupGrows").await;
    assert!(!message.body.to_string().contains("pod-c"));

    // pod-c joins.
    let three = checkout_group("GroupGrows", &["pod-a", "pod-b", "pod-c"]).to_json();
    let answer = created(&topo, "", &three).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "updated")
    );
    wait_until(
        SETTLE,
        || format!("a thread reply; posted: {:#?}", posted(&topo.slack)),
        async || replies_to(&topo.slack, &message.ts).len() == 1,
    )
    .await;
    let updates = updates_of(&topo.slack, &message.ts);
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(updates[0]["channel"], TEST_SLACK_CHANNEL);
    assert!(
        updates[0].to_string().contains("pod-c"),
        "the edited message shows the new alert: {}",
        updates[0]
    );
    let reply = &replies_to(&topo.slack, &message.ts)[0];
    let text = reply.body["text"].as_str().expect("a text reply");
    println!("thread reply when pod-c joined: {text}");
    assert!(text.chars().count() <= 300, "short: {text}");
    assert!(text.contains("3 alert(s) firing"), "{text}");
    assert!(
        text.contains("pod-c"),
        "names the alert that joined: {text}"
    );
    assert!(
        reply.body.get("reply_broadcast").is_none(),
        "a routine change stays in the thread: {}",
        reply.body
    );

    // The same firing set again, in another order (a re-send at group_interval), and the previous POST
    // again (a retry): nothing to say.
    let mut reordered = three.clone();
    reordered["alerts"].as_array_mut().unwrap().reverse();
    let answer = created(&topo, "", &reordered).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "unchanged")
    );
    let answer = created(&topo, "", &three).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "duplicate_request")
    );
    topo.settle().await;
    assert_eq!(posted(&topo.slack).len(), 2, "{:#?}", posted(&topo.slack));
    assert_eq!(topo.slack.updates().len(), 1);

    // pod-a stops firing (Alertmanager sends it as resolved within the still-firing group).
    let mut shrunk = three.clone();
    shrunk["alerts"][0]["status"] = "resolved".into();
    let answer = created(&topo, "", &shrunk).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "updated")
    );
    wait_until(
        SETTLE,
        || format!("a second thread reply; posted: {:#?}", posted(&topo.slack)),
        async || replies_to(&topo.slack, &message.ts).len() == 2,
    )
    .await;
    let text = replies_to(&topo.slack, &message.ts)[1].body["text"]
        .as_str()
        .unwrap()
        .to_string();
    println!("thread reply when pod-a resolved: {text}");
    assert!(text.contains("2 alert(s) firing"), "{text}");
    assert!(text.contains("pod-a"), "names the alert that left: {text}");
    topo.settle().await;
    assert_eq!(updates_of(&topo.slack, &message.ts).len(), 2);
    assert_eq!(
        top_level(&topo.slack).len(),
        1,
        "never a new top-level message: {:#?}",
        posted(&topo.slack)
    );
    assert_eq!(topo.incident(&id).await["slack_ts"], message.ts);
    assert!(
        topo.slack.rejected().is_empty(),
        "{:?}",
        topo.slack.rejected()
    );
}

/// Rewrites incident `id` as the release before compressed payloads stored it: the payload as JSON text and
/// no `occurrences` field.
async fn store_as_before_occurrences(topo: &Topology, id: &str, payload: &serde_json::Value) {
    use redis::AsyncCommands;
    let key = topo.key(&format!("incident:{id}"));
    let mut conn = topo.redis_conn().await;
    let _: () = conn.hdel(&key, "occurrences").await.unwrap();
    let _: () = conn
        .hset(&key, "payload", payload.to_string())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_incident_stored_before_occurrences_still_tells_a_resend_from_a_group_that_fired_anew() {
    let topo = Topology::start().await;
    let first = checkout_group("StoredBefore", &["pod-a"]).to_json();
    let id = id_of(&created(&topo, "", &first).await);

    // The same alert re-sent (another body, so it is not a retried request): it joins.
    store_as_before_occurrences(&topo, &id, &first).await;
    let mut resend = first.clone();
    resend["externalURL"] = "http://alertmanager-1:9093".into();
    let answer = created(&topo, "", &resend).await;
    assert_eq!(
        (id_of(&answer), outcome_of(&answer)),
        (id.clone(), "unchanged")
    );

    // Only an alert the open incident never saw: the group fired anew, so a new incident.
    store_as_before_occurrences(&topo, &id, &first).await;
    let other = checkout_group("StoredBefore", &["pod-b"]).to_json();
    let answer = created(&topo, "", &other).await;
    assert_eq!(outcome_of(&answer), "created", "{answer}");
    assert_ne!(id_of(&answer), id);
    let stale = topo.incident(&id).await;
    assert_eq!(stale["state"], "resolved", "{stale:?}");
    assert_eq!(stale["resolved_by"], "fired_anew", "{stale:?}");
}
