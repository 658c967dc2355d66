//! Start-up arming of the configured heartbeats: each gets a pending check job, so that one that never
//! beats is missed too, and the clock of a newly configured one starts now.

use anyhow::Context;
use std::time::Duration;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::infra::backoff::{retry_within, Backoff};
use versus_shared::infra::config::Settings;

/// Arms every configured heartbeat (idempotent: one check job each, however many workers start). Rides out
/// a short Redis outage; after that the worker must not start, since a heartbeat might go unwatched.
pub async fn arm_all(store: &HeartbeatStore, settings: &Settings) -> anyhow::Result<()> {
    for heartbeat in &settings.heartbeats {
        metrics::counter!("versus_heartbeat_missed_total", "name" => heartbeat.name.clone())
            .increment(0);
        let job = retry_within(
            Duration::from_secs(30),
            Backoff::new(Duration::from_millis(100), Duration::from_secs(2)),
            || store.arm(heartbeat),
            |error, _| tracing::warn!(heartbeat = %heartbeat.name, %error, "cannot arm the heartbeat yet; retrying"),
        )
        .await
        .with_context(|| format!("cannot arm heartbeat {}; check that Redis is reachable", heartbeat.name))?;
        tracing::info!(heartbeat = %heartbeat.name, check_job = %job, interval_s = heartbeat.interval().as_secs_f64(), "heartbeat armed");
    }
    Ok(())
}
