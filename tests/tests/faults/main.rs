//! Fault injection: nothing accepted is lost or paged twice, under crashes and outages.
//!
//! The main test starts a whole installation on 127.0.0.1 — redis-server with `appendonly yes`, two
//! `versus-api`, two `versus-worker`, FakeSlack and FakeSsm — and sends a few thousand Alertmanager
//! webhooks over both APIs (plain, on-call left alone, on-call acknowledged through the ack link,
//! on-call resolved, some re-sent) while it SIGKILLs workers at random moments and starts them again,
//! SIGKILLs Redis and starts it from its AOF (probing that the APIs answer `503`, never `201` or `500`, and
//! that every `/readyz` is not ready meanwhile, then that all of it recovers by itself), makes Slack answer
//! `429` and `500` and AWS `ThrottlingException` for stretches, and SIGTERMs an API during the load. The
//! sender behaves like Alertmanager: only `201` counts, `503` and broken connections are retried.
//!
//! Once the queues are empty it checks every accepted incident: it has a Slack message, it paged AWS
//! exactly once (one `clientToken` `versus-{id}`) if it was on-call and nobody acknowledged or resolved it
//! in time, and not at all otherwise. It prints one summary line:
//!
//! `faults: accepted=N notified=N escalated=N suppressed=N lost=0 duplicate_pages=0 duplicate_slack_posts=N worker_kills=K redis_restarts=R`
//!
//! and fails on any lost incident, any duplicate page, any `500`, any hang, or anything not recovered.
//! Two smaller tests cover graceful shutdown of a worker and of the API.
//!
//! Run: `cargo build --workspace --bins && cargo test -p versus-tests --test faults -- --nocapture --test-threads=1`.
//! `FAULTS_SEED=<n>` replays a run's plan and fault moments (the seed is printed); `FAULTS_ALERTS=<n>`
//! changes the number of incidents (3000).

mod chaos;
mod graceful;
mod load;
mod scenario;
mod verify;

use std::time::{Duration, Instant};

use load::{Load, Sender, Stats};
use versus_tests::timing::now_ms;
use versus_tests::topology::Role;
use versus_tests::Topology;

/// How long the load runs; the faults are scheduled within it.
const LOAD_DURATION: Duration = Duration::from_secs(58);
/// How long the queues may take to drain once the load and the faults are over.
const SETTLE_LIMIT: Duration = Duration::from_secs(150);

/// The tests of this file run one at a time even without `--test-threads=1` (as in `make test`): each
/// starts processes and measures their timing on a small machine.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_accepted_is_lost_or_paged_twice_under_faults() {
    let _serial = SERIAL.lock().await;
    let seed = env_number("FAULTS_SEED").unwrap_or_else(|| now_ms() as u64);
    let total = env_number("FAULTS_ALERTS").unwrap_or(3000) as usize;
    println!("faults: seed={seed} alerts={total} (replay with FAULTS_SEED={seed})");
    let began = Instant::now();
    let mut topo = Topology::builder()
        .apis(2)
        .workers(2)
        .oncall_initialized_only()
        // A killed worker's jobs come back after the lease (3 s instead of 15 s), so recovery fits the run.
        .env("VERSUS__QUEUE__LEASE_SECONDS", "3")
        .env("VERSUS__WORKER__SHUTDOWN_GRACE_SECONDS", "10")
        // Retries back off to at most 4 s instead of 30 s, so the queues drain soon after the faults.
        .env("VERSUS__QUEUE__NOTIFY__BACKOFF_MAX_MS", "4000")
        .env("VERSUS__QUEUE__ESCALATE__BACKOFF_MAX_MS", "4000")
        .env("VERSUS__QUEUE__SLACK_UPDATE__BACKOFF_MAX_MS", "4000")
        .start()
        .await;

    let sender = Sender::new(vec![topo.api_url(0), topo.api_url(1)]);
    let stats = sender.stats.clone();
    let start = Instant::now();
    let load = Load::start(sender, seed, total, LOAD_DURATION);
    let faults = chaos::run(&mut topo, seed, start).await;
    let mut records = load.finish().await;
    let load_took = start.elapsed();
    records.extend(faults.probes.iter().cloned());
    let settled = verify::settle(&topo, SETTLE_LIMIT).await;
    let summary = verify::check(&topo, &records, start).await;

    println!("faults: timeline\n  {}", faults.timeline.join("\n  "));
    println!(
        "faults: API answers: 201={} 503={} 5xx={} refused={} broken={} timeouts={} unexpected={}; outage: {} x 503, {} x not ready",
        Stats::get(&stats.created),
        Stats::get(&stats.unavailable),
        Stats::get(&stats.server_errors),
        Stats::get(&stats.refused),
        Stats::get(&stats.broken),
        Stats::get(&stats.timeouts),
        Stats::get(&stats.unexpected_status),
        faults.outage_503s,
        faults.outage_not_ready,
    );
    println!(
        "faults: load {load_took:.1?}, settled {settled:?}, late acks/resolves {}, repeated StartIncident calls {}, dead letters {:?}, total {:.1?}",
        summary.late_handled,
        summary.repeated_start_calls,
        summary.dead_letters,
        began.elapsed()
    );
    for example in &summary.duplicate_examples {
        println!("faults: duplicate Slack post: {example}");
    }
    println!(
        "faults: Slack messages not showing the final state: {}",
        summary.stale_slack_messages
    );
    for example in &summary.stale_examples {
        println!("faults: stale Slack message: {example}");
    }
    for problem in summary.problems.iter().take(30) {
        println!("faults: PROBLEM {problem}");
    }
    for sample in stats.samples.lock().expect("samples").iter() {
        println!("faults: answer {sample}");
    }
    let mut digest = std::collections::BTreeMap::new();
    for role in [Role::Api, Role::Worker] {
        for i in 0..topo.count(role) {
            verify::log_digest(&topo.log(role, i), &mut digest);
        }
    }
    for (message, count) in &digest {
        println!("faults: log {count:>5} x {message}");
    }
    let panics = digest.keys().filter(|m| m.starts_with("PANIC")).count();
    println!("{}", summary.line(&faults));

    let mut failures = faults.violations.clone();
    if panics > 0 {
        failures.push(format!("{panics} kind(s) of panic in the process logs"));
    }
    if let Err(error) = &settled {
        failures.push(error.clone());
    }
    if summary.lost > 0 || summary.duplicate_pages > 0 || summary.unaccepted > 0 {
        failures.push(format!(
            "lost={} duplicate_pages={} never_accepted={}",
            summary.lost, summary.duplicate_pages, summary.unaccepted
        ));
    }
    if !summary.problems.is_empty() {
        failures.push(format!(
            "{} problem(s), listed above",
            summary.problems.len()
        ));
    }
    for (what, counter) in [
        ("5xx other than 503", &stats.server_errors),
        ("unexpected statuses", &stats.unexpected_status),
        (
            "503 without Retry-After",
            &stats.unavailable_without_retry_after,
        ),
        ("requests that hung past 10 s", &stats.timeouts),
    ] {
        if Stats::get(counter) > 0 {
            failures.push(format!("{} {what}", Stats::get(counter)));
        }
    }
    if faults.worker_kills < 3 || faults.redis_restarts < 1 || faults.api_restarts < 1 {
        failures.push(format!("too few faults: {faults:?}"));
    }
    assert!(
        failures.is_empty(),
        "fault-injection run failed:\n{}",
        failures.join("\n")
    );
}
