//! Arming of the configured heartbeats: each gets a pending check job, so that one that never beats is missed
//! too, and the clock of a newly configured one starts now. Done at start-up, then again every
//! [`REARM_PERIOD`] for as long as the worker runs.

use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::infra::backoff::{retry_within, Backoff};
use versus_shared::infra::config::Settings;

/// How often every worker re-arms its configured heartbeats. During a rolling deploy a worker with an older
/// configuration ends the checks of a heartbeat it does not know; without a periodic re-arm nothing would
/// schedule them again until a beat or a restart, and a heartbeat that never beats would never page. Arming
/// is idempotent (one pending check per heartbeat), so this only costs one small script per heartbeat.
pub const REARM_PERIOD: Duration = Duration::from_secs(30);

/// Test knob only: overrides [`REARM_PERIOD`] (whole seconds, 1 to 3600) so integration tests stay fast.
pub const REARM_PERIOD_ENV: &str = "VERSUS_HEARTBEAT_REARM_SECONDS";

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

/// Re-arms every configured heartbeat each [`rearm_period`], forever. A failed arming is logged and tried
/// again next period: the pending check, if any, still runs meanwhile.
pub async fn keep_armed(store: HeartbeatStore, settings: Arc<Settings>) {
    let period = rearm_period();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        for heartbeat in &settings.heartbeats {
            match store.arm(heartbeat).await {
                Ok(job) => {
                    tracing::debug!(heartbeat = %heartbeat.name, check_job = %job, "heartbeat re-armed")
                }
                Err(error) => {
                    tracing::warn!(heartbeat = %heartbeat.name, %error, "cannot re-arm the heartbeat; trying again next period (check that Redis is reachable)")
                }
            }
        }
    }
}

fn rearm_period() -> Duration {
    let Ok(raw) = std::env::var(REARM_PERIOD_ENV) else {
        return REARM_PERIOD;
    };
    match raw.parse::<u64>() {
        Ok(seconds @ 1..=3600) => Duration::from_secs(seconds),
        _ => {
            tracing::warn!(value = %raw, "{REARM_PERIOD_ENV} must be whole seconds from 1 to 3600; using the default");
            REARM_PERIOD
        }
    }
}
