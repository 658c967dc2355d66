//! The periodic on-call digest against the real binaries: every period is posted once by two workers while
//! one of them is SIGKILLed in the middle of a post, and periods missed while no worker ran collapse into
//! one late post, after which the schedule goes on.

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use versus_tests::fake_slack::Failure;
use versus_tests::topology::{Role, TopologyBuilder};
use versus_tests::{wait_until, FakeSlack, Topology};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A topology whose workers post a digest every `every_s` seconds, the first period ending `first_in` from now.
fn digest_topology(workers: usize, every_s: u64, first_in: Duration) -> TopologyBuilder {
    let first = chrono::DateTime::from_timestamp_millis(now_ms() + first_in.as_millis() as i64)
        .unwrap()
        .to_rfc3339();
    Topology::builder()
        .workers(workers)
        .env("VERSUS__REPORTS__DIGEST__ENABLE", "true")
        .env("VERSUS__REPORTS__DIGEST__EVERY", format!("{every_s}s"))
        .env("VERSUS__REPORTS__DIGEST__FIRST_AT", first)
        // A killed worker's job runs again 3 to 4 s later instead of 16: after the next period's end at a
        // 2 s period, so a rerun finds that period instead of the one its worker was posting.
        .env("VERSUS__QUEUE__LEASE_SECONDS", "3")
}

/// The period end of each digest posted so far, in the order posted.
fn digest_periods(slack: &FakeSlack) -> Vec<i64> {
    slack
        .posts()
        .iter()
        .filter(|body| body["metadata"]["event_type"] == "versus_digest")
        .map(|body| {
            let end = &body["metadata"]["event_payload"]["period_end_ms"];
            end.as_str()
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| panic!("a digest without its period: {body}"))
        })
        .collect()
}

async fn wait_for_digests(topo: &Topology, n: usize, timeout: Duration) -> Vec<i64> {
    wait_until(
        timeout,
        || {
            format!(
                "{n} digests; got {:?}; worker logs:\n{}",
                digest_periods(&topo.slack),
                topo.all_worker_logs()
            )
        },
        async || {
            let periods = digest_periods(&topo.slack);
            (periods.len() >= n).then_some(periods)
        },
    )
    .await
}

/// The period of the last "posting the digest" line of a worker's log.
fn last_period_posting(log: &str) -> i64 {
    let line = log
        .lines()
        .rev()
        .find(|line| line.contains("posting the digest"))
        .expect("a posting line");
    let (_, rest) = line.split_once("period_end_ms=").expect("its period");
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|digits| digits.parse().ok())
        .expect("a period end in ms")
}

/// Each period posted once, and one after the other from the first to the last, `every_ms` apart.
fn assert_each_period_once(periods: &[i64], every_ms: i64) {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for period in periods {
        *counts.entry(*period).or_default() += 1;
    }
    assert!(
        counts.values().all(|n| *n == 1),
        "a period was posted twice: {periods:?}"
    );
    let ends: Vec<i64> = counts.into_keys().collect();
    for pair in ends.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            every_ms,
            "a period was skipped: {ends:?}"
        );
    }
}

#[tokio::test]
async fn every_period_is_posted_once_by_two_workers_while_one_is_killed_mid_post() {
    let mut topo = digest_topology(2, 2, Duration::from_secs(3)).start().await;
    let before = wait_for_digests(&topo, 2, Duration::from_secs(10)).await;

    // The next post hangs at Slack (which still posts it); the worker that sent it dies before it hears back.
    topo.slack
        .fail_next(1, Failure::Delay(Duration::from_secs(3)));
    let posting = |i: usize| {
        topo.log(Role::Worker, i)
            .matches("posting the digest")
            .count()
    };
    let seen = [posting(0), posting(1)];
    let killed = wait_until(
        Duration::from_secs(5),
        || "a worker to start the next post".to_string(),
        async || (0..2).find(|&i| posting(i) > seen[i]),
    )
    .await;
    topo.kill(Role::Worker, killed).await;
    let killed_at = now_ms();
    let cut_short = last_period_posting(&topo.log(Role::Worker, killed));

    // The survivor posts the killed worker's period once its lease runs out, and goes on.
    let periods = wait_for_digests(&topo, before.len() + 4, Duration::from_secs(14)).await;
    assert_each_period_once(&periods, 2000);
    let survivor = 1 - killed;
    let after_kill = periods.iter().filter(|end| **end > killed_at).count();
    assert!(after_kill >= 2, "{periods:?}");
    // The period the killed worker was posting reached Slack once; its job ran again on the survivor
    // once its lease ran out, and posted nothing more.
    assert!(periods.contains(&cut_short), "{cut_short} in {periods:?}");
    let survivor_log = topo.log(Role::Worker, survivor);
    assert!(survivor_log.contains("attempt=2"), "{survivor_log}");
    let first: Value = topo.slack.posts()[0].clone();
    assert_eq!(first["blocks"][0]["type"], "header");
    assert_eq!(first["parse"], "none");
}

#[tokio::test]
async fn periods_missed_while_no_worker_ran_are_posted_once_late_then_on_schedule() {
    let mut topo = digest_topology(1, 1, Duration::from_secs(1)).start().await;
    wait_for_digests(&topo, 1, Duration::from_secs(8)).await;
    topo.kill(Role::Worker, 0).await;
    let down = digest_periods(&topo.slack);

    // About three periods pass with no worker.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let restarted_at = now_ms();
    topo.start_again(Role::Worker, 0).await;
    let periods = wait_for_digests(&topo, down.len() + 3, Duration::from_secs(8)).await;

    let late: Vec<i64> = periods[down.len()..]
        .iter()
        .copied()
        .filter(|end| *end < restarted_at)
        .collect();
    assert_eq!(
        late.len(),
        1,
        "one late digest for the missed periods: {periods:?}"
    );
    assert!(
        late[0] >= down.last().unwrap() + 3000,
        "the late digest is the latest missed period: {periods:?}"
    );
    let resumed = &periods[down.len()..];
    assert_each_period_once(resumed, 1000);
    assert_eq!(resumed[0], late[0]);
}
