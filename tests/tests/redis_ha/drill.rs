//! What both failover tests share: the installation's settings, the alert stream and the verdict.

use std::time::Duration;

use tokio::task::JoinHandle;
use versus_tests::redis_ha::alert_stream::{send_stream, StreamResult};
use versus_tests::redis_ha::failover_check::{check, FailoverSummary};
use versus_tests::redis_ha::failover_installation;
use versus_tests::redis_ha::node_state::versus_commands_seen;
use versus_tests::timing::now_ms;
use versus_tests::{Topology, TopologyBuilder};

/// Alerts per run, one every [`EVERY`]: the stream lasts about 13 s and the primary dies at [`KILL_AFTER`].
pub const ALERTS: usize = 320;
const EVERY: Duration = Duration::from_millis(40);
pub const KILL_AFTER: Duration = Duration::from_secs(4);
/// `oncall_wait_minutes=0.02`: each alert pages 1.2 s after it is accepted unless acknowledged.
const WAIT: Duration = Duration::from_millis(1200);

/// The failover tests run one at a time: each starts about a dozen processes on a small machine.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The installation both tests start.
pub fn installation() -> TopologyBuilder {
    failover_installation()
}

/// Starts the stream against the topology's API.
pub fn start_stream(topo: &Topology, name: &str) -> JoinHandle<StreamResult> {
    tokio::spawn(send_stream(
        topo.api_url(0),
        format!("{name}{}", now_ms()),
        ALERTS,
        EVERY,
        "oncall_enable=true&oncall_wait_minutes=0.02".into(),
    ))
}

/// Waits for the stream, checks every alert, prints the summary line and fails on any loss, duplicate
/// page, unaccepted alert, or Versus command seen by the node at `stale_port` (the former primary, back
/// as a replica).
pub async fn finish(
    name: &str,
    stream: JoinHandle<StreamResult>,
    topo: &Topology,
    stale_port: u16,
) -> FailoverSummary {
    let stream = stream.await.expect("the alert stream");
    let summary = check(
        &stream,
        &topo.slack,
        &topo.ssm,
        WAIT,
        Duration::from_secs(60),
        Duration::from_secs(3),
    )
    .await;
    let stale = versus_commands_seen(stale_port).expect("the former primary answers INFO");
    println!("{}", summary.line(name));
    println!(
        "redis_ha {name}: retried answers {}, former primary's Versus commands {stale:?}",
        stream.retried_answers
    );
    for problem in summary.problems.iter().take(20) {
        println!("redis_ha {name}: PROBLEM {problem}");
    }
    let mut failures = Vec::new();
    if summary.lost > 0 || summary.duplicate_pages > 0 {
        failures.push(format!(
            "lost={} duplicate_pages={}",
            summary.lost, summary.duplicate_pages
        ));
    }
    if !stream.unaccepted.is_empty() || !stream.unexpected.is_empty() {
        failures.push(format!(
            "{} alerts never accepted; unexpected answers: {:?}",
            stream.unaccepted.len(),
            stream.unexpected.iter().take(5).collect::<Vec<_>>()
        ));
    }
    if summary.inconsistent_repeats > 0 {
        failures.push(format!(
            "{} StartIncident calls repeated a clientToken with other parameters",
            summary.inconsistent_repeats
        ));
    }
    if !stale.is_empty() {
        failures.push(format!(
            "the former primary, back as a replica, ran Versus commands: {stale:?}"
        ));
    }
    if failures.is_empty() {
        return summary;
    }
    for (i, log) in [topo.api_log(0), topo.worker_log(0), topo.worker_log(1)]
        .iter()
        .enumerate()
    {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .take(30)
            .collect();
        println!(
            "redis_ha {name}: process {i} warnings:\n{}",
            lines.join("\n")
        );
    }
    panic!("redis_ha {name} failed:\n{}", failures.join("\n"));
}

/// Every process followed the primary to its new node by itself (none was restarted): a connection that
/// was open moved with it, or (the replicated writes' connections, dropped when a write fails) a new one was
/// made to the new primary.
pub fn assert_followed(topo: &Topology, new_primary: &str) {
    for (what, log) in [
        ("the API", topo.api_log(0)),
        ("worker 0", topo.worker_log(0)),
        ("worker 1", topo.worker_log(1)),
    ] {
        let reconnected = log.lines().any(|line| {
            line.contains("connected to the Redis primary")
                && line.split_whitespace().any(|word| word == new_primary)
        });
        assert!(
            log.contains("the Redis primary moved; following it") || reconnected,
            "{what} never logged that it followed the primary; its log:\n{log}"
        );
    }
}
