//! What keeps the history from getting in the way of a page, or from growing without bound: a report write
//! that fails never fails the incident change; a day's samples and label groups are bounded; a change after
//! its day's totals are gone writes no key without an expiry.

use super::*;

fn day_keys(prefix: &str) -> (String, String) {
    let day = day_of_ms(chrono::Utc::now().timestamp_millis());
    (
        format!("{prefix}report:day:{day}"),
        format!("{prefix}report:times:{day}"),
    )
}

#[tokio::test]
async fn a_report_update_that_fails_never_fails_the_incident_change() {
    let server = RedisServer::start();
    let (store, mut redis) = store_and_redis(&server, PREFIX).await;
    let first = incident("f1", "g-f1", "critical", ["A", "r", "t", ""]);
    let second = incident("f2", "g-f2", "critical", ["A", "r", "t", ""]);
    store.ingest(&first).await.unwrap();
    store.ingest(&second).await.unwrap();
    // The day's samples are a hash, not a string: every APPEND to them fails inside the scripts.
    let (_, times) = day_keys(PREFIX);
    let _: () = redis.del(&times).await.unwrap();
    let _: () = redis.hset(&times, "broken", "1").await.unwrap();
    let acked = store
        .ack("f1", "alice", AckChannel::Link, "alice")
        .await
        .unwrap();
    assert!(
        matches!(
            acked,
            versus_shared::domain::incident::AckResult::Acked { .. }
        ),
        "{acked:?}"
    );
    store.ingest(&resolved(second)).await.unwrap();
    for (id, state) in [("f1", "acked"), ("f2", "resolved")] {
        let now: String = redis
            .hget(format!("{PREFIX}incident:{id}"), "state")
            .await
            .unwrap();
        assert_eq!(now, state);
    }
    let updates: Vec<String> = redis
        .keys(format!("{PREFIX}queue:slack_update:job:*"))
        .await
        .unwrap();
    assert_eq!(
        updates.len(),
        2,
        "the ack's and the resolve's Slack updates are queued: {updates:?}"
    );
    let log = server.log_contents();
    assert!(log.contains("the on-call report was not updated"), "{log}");
}

#[tokio::test]
async fn a_day_keeps_bounded_samples_and_label_groups() {
    let server = RedisServer::start();
    let (store, mut redis) = store_and_redis(&server, PREFIX).await;
    store
        .ingest(&incident("b1", "g-b1", "critical", ["A", "r", "t", ""]))
        .await
        .unwrap();
    let (totals, times) = day_keys(PREFIX);
    // A day that holds as many samples and label groups as a day keeps.
    let full = "x".repeat(262_140);
    let _: () = redis.set(&times, &full).await.unwrap();
    let groups: Vec<(String, i64)> = (0..600).map(|n| (format!("g:filler{n}"), 1)).collect();
    let _: () = redis.hset_multiple(&totals, &groups).await.unwrap();
    store
        .ack("b1", "alice", AckChannel::Link, "alice")
        .await
        .unwrap();
    let length: usize = redis.strlen(&times).await.unwrap();
    assert_eq!(length, full.len(), "no sample past the day's bound");
    let skipped: i64 = redis.hget(&totals, "samples_skipped").await.unwrap();
    assert_eq!(skipped, 1);
    store
        .ingest(&incident("b2", "g-b2", "warning", ["New", "r2", "t2", ""]))
        .await
        .unwrap();
    let other: i64 = redis
        .hget(&totals, "g:7:(other)7:(other)7:(other)7:(other)")
        .await
        .unwrap();
    assert_eq!(
        other, 1,
        "a new label group past the bound is counted as (other)"
    );
    store
        .ingest(&incident("b3", "g-b3", "critical", ["A", "r", "t", ""]))
        .await
        .unwrap();
    let known: i64 = redis.hget(&totals, "g:8:critical1:r1:t1:A").await.unwrap();
    assert_eq!(
        known, 2,
        "a group the day already has is still counted as itself"
    );
}

#[tokio::test]
async fn a_change_after_its_day_is_gone_writes_no_key_without_an_expiry() {
    let server = RedisServer::start();
    let (store, mut redis) = store_and_redis(&server, PREFIX).await;
    store
        .ingest(&incident("d1", "g-d1", "critical", ["A", "r", "t", ""]))
        .await
        .unwrap();
    let (totals, _) = day_keys(PREFIX);
    let _: () = redis.del(&totals).await.unwrap();
    assert_eq!(
        store.mark_noise("d1", true, "alice").await.unwrap(),
        NoiseResult::Missing
    );
    store
        .ack("d1", "alice", AckChannel::Link, "alice")
        .await
        .unwrap();
    let exists: bool = redis.exists(&totals).await.unwrap();
    assert!(
        !exists,
        "the day's totals were written again, with no expiry"
    );
}

#[tokio::test]
async fn a_noise_mark_whose_counters_fail_is_still_made_and_shown() {
    let server = RedisServer::start();
    let (store, mut redis) = store_and_redis(&server, PREFIX).await;
    store
        .ingest(&incident("n1", "g-n1", "critical", ["A", "r", "t", ""]))
        .await
        .unwrap();
    let (totals, _) = day_keys(PREFIX);
    // The day's counters are a string, not a hash: every HINCRBY on them fails inside the script.
    let _: () = redis.del(&totals).await.unwrap();
    let _: () = redis.set(&totals, "broken").await.unwrap();
    assert_eq!(
        store.mark_noise("n1", true, "alice").await.unwrap(),
        NoiseResult::Marked
    );
    let noise_by: String = redis
        .hget(format!("{PREFIX}incident:n1"), "noise_by")
        .await
        .unwrap();
    assert_eq!(noise_by, "alice", "the message and the page show the mark");
    let updates: Vec<String> = redis
        .keys(format!("{PREFIX}queue:slack_update:job:*"))
        .await
        .unwrap();
    assert_eq!(updates.len(), 1, "its Slack update is queued: {updates:?}");
}
