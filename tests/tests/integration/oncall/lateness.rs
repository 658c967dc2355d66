//! How late escalations are, from the due time stored with the incident to
//! the moment `StartIncident` reaches FakeSsm, over 200 escalations through the real binaries (one API,
//! one worker, Slack on), with due times spread over about 3 s.

use std::time::{Duration, UNIX_EPOCH};

use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::timing::percentiles;
use versus_tests::turns::heavy_turn;
use versus_tests::Topology;

const ESCALATIONS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_lateness_over_200_escalations() {
    let _turn = heavy_turn().await;
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let mut due = Vec::with_capacity(ESCALATIONS);
    for i in 0..ESCALATIONS {
        // Waits from 3.0 s to about 6 s, so due times spread out instead of all landing at once.
        let wait_ms = 3000.0 + 15.0 * i as f64;
        let query = format!(
            "oncall_enable=true&oncall_wait_minutes={:.7}",
            wait_ms / 60_000.0
        );
        let id = id_of(&created(&topo, &query, &freeform(&format!("late-{i}"))).await);
        let due_ms: i64 = topo.incident(&id).await["due_ms"].parse().unwrap();
        due.push((id, due_ms));
    }
    assert!(
        topo.ssm
            .wait_for_started(ESCALATIONS, Duration::from_secs(60))
            .await,
        "only {} of {ESCALATIONS} escalations arrived",
        topo.ssm.started().len()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = topo.ssm.started();
    assert_eq!(started.len(), ESCALATIONS, "one StartIncident each");
    assert_eq!(topo.ssm.incident_count(), ESCALATIONS);
    let mut lateness_ms = Vec::with_capacity(ESCALATIONS);
    for (id, due_ms) in &due {
        let page = started
            .iter()
            .find(|s| s.client_token.contains(id.as_str()))
            .unwrap_or_else(|| panic!("{id} was never paged"));
        let received_ms = page
            .received_at_system
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        let late = received_ms - *due_ms as f64;
        // Due times are Redis milliseconds (rounded down), on this same host's clock.
        assert!(late >= -1.0, "{id} was paged {:.1} ms early", -late);
        lateness_ms.push(late);
    }
    let (p50, p99, max) = percentiles(&lateness_ms);
    let min = lateness_ms.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "escalation lateness (due -> StartIncident at FakeSsm) over {ESCALATIONS}: min {min:.1} ms, p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms"
    );
    // The design's bound: escalations fire within 1 s of due.
    assert!(p99 <= 1000.0, "p99 lateness {p99:.1} ms");
}
