//! A Sentinel failover under a stream of on-call alerts: a primary, a replica and three Sentinels
//! (`down-after-milliseconds` 1000), the API and two workers (release builds), one alert every 20 ms; the
//! primary is SIGKILLed after 4 s. Reports the seconds from its death to the first accepted alert and the
//! worst escalation lateness across the failover.

use crate::stats::round;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use versus_tests::redis_ha::alert_stream::send_stream;
use versus_tests::redis_ha::failover_check::check;
use versus_tests::redis_ha::failover_installation;
use versus_tests::redis_ha::node_state::SENTINEL_PASSWORD;
use versus_tests::redis_ha::sentinel_set::{SentinelSet, MASTER_NAME};

const ALERTS: usize = 500;
const EVERY: Duration = Duration::from_millis(20);
const KILL_AFTER: Duration = Duration::from_secs(4);
/// `oncall_wait_minutes=0.02`.
const WAIT: Duration = Duration::from_millis(1200);

pub async fn sentinel_failover() -> Value {
    let mut set = SentinelSet::start().await;
    let topo = failover_installation()
        .env("VERSUS__REDIS__SENTINEL__MASTER_NAME", MASTER_NAME)
        .env("VERSUS__REDIS__SENTINEL__NODES", set.sentinel_nodes())
        .env("REDIS_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
        .start()
        .await;
    let stream = tokio::spawn(send_stream(
        topo.api_url(0),
        "bench".into(),
        ALERTS,
        EVERY,
        "oncall_enable=true&oncall_wait_minutes=0.02".into(),
    ));
    tokio::time::sleep(KILL_AFTER).await;
    let killed_at = Instant::now();
    set.primary.kill();
    let stream = stream.await.expect("the alert stream");
    let summary = check(
        &stream,
        &topo.slack,
        &topo.ssm,
        WAIT,
        Duration::from_secs(60),
        Duration::from_secs(2),
    )
    .await;
    json!({
        "alerts": ALERTS,
        "accepted": summary.accepted,
        "lost": summary.lost,
        "duplicate_pages": summary.duplicate_pages,
        "duplicate_slack_posts": summary.duplicate_slack_posts,
        "death_to_first_accept_s": stream.first_accepted_after(killed_at).map(|d| round(d.as_secs_f64())),
        "seconds_without_ingest": round(summary.seconds_without_ingest),
        "worst_escalation_lateness_s": round(summary.worst_lateness),
    })
}
